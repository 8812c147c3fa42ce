"""Create auth challenge trigger (Python baseline): draw a code, send it by SMS with SNS, record it."""

import logging
import os
import re
import secrets
import time

import boto3
from botocore.config import Config

logger = logging.getLogger()
logger.setLevel(logging.INFO)

OTP_LENGTH = int(os.environ.get("OTP_LENGTH", "6"))
OTP_TTL_SECONDS = int(os.environ.get("OTP_TTL_SECONDS", "300"))
MAX_ATTEMPTS = int(os.environ.get("MAX_ATTEMPTS", "3"))
MAX_SENDS = int(os.environ.get("MAX_SENDS", "3"))
RESEND_COOLDOWN_SECONDS = int(os.environ.get("RESEND_COOLDOWN_SECONDS", "30"))
ALLOWED_COUNTRY_CODES = [c.strip() for c in os.environ.get("ALLOWED_COUNTRY_CODES", "").split(",") if c.strip()]
SMS_MESSAGE = os.environ.get("SMS_MESSAGE") or "{code} is your {app} sign-in code. It expires in {minutes} minutes."
APP_NAME = os.environ.get("APP_NAME", "")
SMS_SENDER_ID = os.environ.get("SMS_SENDER_ID", "")
SMS_ORIGINATION_NUMBER = os.environ.get("SMS_ORIGINATION_NUMBER", "")
WEBOTP_DOMAIN = os.environ.get("WEBOTP_DOMAIN", "")
TEST_PHONE_NUMBERS = dict(
    pair.strip().split("=", 1) for pair in os.environ.get("TEST_PHONE_NUMBERS", "").split(",") if "=" in pair
)

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")

# Near the Rust sender's limits (1 s to connect, 3 attempts at most), the common way: botocore has a
# read timeout per attempt (1.5 s here), where the Rust sender has one 3 s deadline for the whole
# send, retries included, and no per-attempt timeout.
sns = boto3.client(
    "sns",
    config=Config(connect_timeout=1, read_timeout=1.5, retries={"max_attempts": 3, "mode": "standard"}),
)


def mask(phone):
    if len(phone) < 10:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 6) + phone[-4:]


def parse_metadata(raw):
    # SMSOTP2:<code>:<issuedAt>:<sends>:<failures>:<delivered>
    parts = (raw or "").split(":")
    if len(parts) != 6 or parts[0] != "SMSOTP2" or parts[5] not in ("0", "1"):
        raise Exception("challenge metadata is not ours or has an unknown version")
    return {
        "code": parts[1],
        "issued_at": int(parts[2]),
        "sends": int(parts[3]),
        "failures": int(parts[4]),
        "delivered": parts[5] == "1",
    }


def send_sms(phone, code):
    text = SMS_MESSAGE.replace("{app}", APP_NAME).replace("{minutes}", str(max(OTP_TTL_SECONDS // 60, 1)))
    while "  " in text:  # an empty {app} leaves a double space
        text = text.replace("  ", " ")
    text = text.replace("{code}", code)
    if WEBOTP_DOMAIN:
        text += f"\n\n@{WEBOTP_DOMAIN} #{code}"
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    if SMS_SENDER_ID:
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": SMS_SENDER_ID}
    if SMS_ORIGINATION_NUMBER:
        attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": SMS_ORIGINATION_NUMBER}
    try:
        sns.publish(PhoneNumber=phone, Message=text, MessageAttributes=attributes)
    except Exception as e:
        logger.error("SMS to %s not sent: %s", mask(phone), type(e).__name__)
        raise Exception(f"could not send the sign-in code by SMS: {type(e).__name__}; please try again")


def handler(event, context):
    request = event["request"]
    if request.get("challengeName") != "CUSTOM_CHALLENGE":
        raise Exception("challengeName must be CUSTOM_CHALLENGE")
    action = (request.get("clientMetadata") or {}).get("action", "answer")
    if action not in ("answer", "resend"):
        raise Exception('unknown clientMetadata action; use "resend" for a new code, or "answer" (the default)')
    session = request.get("session") or []
    for entry in session:
        if not entry or entry.get("challengeName") != "CUSTOM_CHALLENGE":
            raise Exception("session entry is not a CUSTOM_CHALLENGE of this sign-in")
    previous = parse_metadata(session[-1].get("challengeMetadata")) if session else None

    # Who gets the code: unknown users and numbers we may not send to get no SMS.
    phone = request["userAttributes"].get("phone_number", "")
    if request.get("userNotFound"):
        masked, deliver = mask(event.get("userName") or ""), False
    elif not E164.match(phone):
        masked, deliver = mask(phone), False
    elif ALLOWED_COUNTRY_CODES and not any(phone[1:].startswith(c) for c in ALLOWED_COUNTRY_CODES):
        masked, deliver = mask(phone), False
    else:
        masked, deliver = mask(phone), True

    now = int(time.time())
    if previous is None:
        state = {"code": None, "issued_at": now, "sends": 1, "failures": 0, "delivered": False}
    elif action == "answer":
        state = dict(previous, failures=previous["failures"] + 1)
    elif previous["sends"] < MAX_SENDS and now >= previous["issued_at"] + RESEND_COOLDOWN_SECONDS:
        state = dict(previous, code=None, issued_at=now, sends=previous["sends"] + 1, delivered=False)
    else:
        state = dict(previous)

    if state["code"] is None:  # a new code: draw it and send it
        state["code"] = TEST_PHONE_NUMBERS.get(phone) or str(secrets.randbelow(10**OTP_LENGTH)).zfill(OTP_LENGTH)
        if deliver and phone not in TEST_PHONE_NUMBERS:
            send_sms(phone, state["code"])
        state["delivered"] = deliver

    expires_at = state["issued_at"] + OTP_TTL_SECONDS
    sends_left = max(MAX_SENDS - state["sends"], 0)
    resend_in = max(state["issued_at"] + RESEND_COOLDOWN_SECONDS - now, 0) if sends_left else 0

    event["response"]["publicChallengeParameters"] = {
        "maskedPhoneNumber": masked,
        "codeLength": str(len(state["code"])),
        "expiresInSeconds": str(max(expires_at - now, 0)),
        "attemptsLeft": str(max(MAX_ATTEMPTS - state["failures"], 0)),
        "resendInSeconds": str(resend_in),
        "sendsLeft": str(sends_left),
    }
    delivered = "true" if state["delivered"] else "false"
    event["response"]["privateChallengeParameters"] = {
        "code": state["code"],
        "expiresAt": str(expires_at),
        "delivered": delivered,
    }
    event["response"]["challengeMetadata"] = (
        f"SMSOTP2:{state['code']}:{state['issued_at']}:{state['sends']}:{state['failures']}:{int(state['delivered'])}"
    )
    logger.info("challenge created for %s: round %d, sends %d", masked, len(session), state["sends"])
    return event
