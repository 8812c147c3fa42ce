"""Define auth challenge trigger (Python baseline): look at the session and decide."""

import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)

MAX_ATTEMPTS = int(os.environ.get("MAX_ATTEMPTS", "3"))
MAX_SENDS = int(os.environ.get("MAX_SENDS", "3"))
MAX_ROUNDS = MAX_ATTEMPTS + MAX_SENDS + 5


def parse_metadata(raw):
    # challengeMetadata written by create: SMSOTP2:<code>:<issuedAt>:<sends>:<failures>:<delivered>
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


def handler(event, context):
    request = event["request"]
    session = request.get("session") or []
    action = (request.get("clientMetadata") or {}).get("action", "answer")
    if action not in ("answer", "resend"):
        raise Exception('unknown clientMetadata action; use "resend" for a new code, or "answer" (the default)')

    for entry in session:
        if not entry or entry.get("challengeName") != "CUSTOM_CHALLENGE":
            raise Exception("session entry is not a CUSTOM_CHALLENGE of this sign-in")
        if not isinstance(entry.get("challengeResult"), bool):
            raise Exception("session entry has an invalid type of challengeResult")
    rounds = [parse_metadata(entry.get("challengeMetadata")) for entry in session]

    response = event["response"]
    response["issueTokens"] = False
    response["failAuthentication"] = False
    response["challengeName"] = None

    if not session:
        response["challengeName"] = "CUSTOM_CHALLENGE"
    elif any(entry["challengeResult"] for entry in session[:-1]):
        raise Exception("the session has a correct answer before its last round")
    elif session[-1]["challengeResult"]:
        if request.get("userNotFound"):
            raise Exception("the session has a correct answer for an unknown user")
        response["issueTokens"] = True
    elif len(session) >= MAX_ROUNDS:
        response["failAuthentication"] = True
    elif action == "resend" and rounds[-1]["sends"] >= MAX_SENDS:
        response["failAuthentication"] = True
    elif action == "answer" and rounds[-1]["failures"] + 1 >= MAX_ATTEMPTS:
        response["failAuthentication"] = True
    else:
        response["challengeName"] = "CUSTOM_CHALLENGE"

    logger.info(
        "round %d: issueTokens=%s failAuthentication=%s",
        len(session),
        response["issueTokens"],
        response["failAuthentication"],
    )
    return event
