"""Verify auth challenge trigger (Python baseline): compare the answer to privateChallengeParameters."""

import hmac
import logging
import os
import re
import time

logger = logging.getLogger()
logger.setLevel(logging.INFO)

ALLOWED_COUNTRY_CODES = [c.strip() for c in os.environ.get("ALLOWED_COUNTRY_CODES", "").split(",") if c.strip()]

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")

# The same per-number table as the Rust verify (SEND_LIMIT_TABLE): a wrong answer adds to the
# number's count, a right one resets it and counts for its prefix. Only when the table is set.
TABLE = os.environ.get("SEND_LIMIT_TABLE", "")
if TABLE:
    import boto3
    from botocore.config import Config

    DYNAMODB = boto3.client("dynamodb", config=Config(retries={"max_attempts": 2, "mode": "standard"}))


def count_answer(phone, correct):
    key = {"phone": {"S": phone}, "day": {"N": "0"}}
    if not correct:
        DYNAMODB.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="ADD failures :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return
    DYNAMODB.delete_item(TableName=TABLE, Key=key)
    bucket = str(int(time.time()) // 300 + 1)
    DYNAMODB.update_item(
        TableName=TABLE,
        Key={"phone": {"S": "prefix:" + phone[:5]}, "day": {"N": bucket}},
        UpdateExpression="ADD correct :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def phone_allowed(phone):
    if not phone or not E164.match(phone):
        return False
    return not ALLOWED_COUNTRY_CODES or any(phone[1:].startswith(c) for c in ALLOWED_COUNTRY_CODES)


def handler(event, context):
    request = event["request"]
    action = (request.get("clientMetadata") or {}).get("action", "answer")
    if action not in ("answer", "resend"):
        raise Exception('unknown clientMetadata action; use "resend" for a new code, or "answer" (the default)')

    params = request.get("privateChallengeParameters") or {}
    code = params.get("code")
    if not isinstance(code, str) or not code.isdigit():
        raise Exception("no code to compare: privateChallengeParameters has no valid `code`")
    try:
        expires_at = int(params["expiresAt"])
    except (KeyError, TypeError, ValueError):
        raise Exception("no code to compare: privateChallengeParameters has no valid `expiresAt`")
    if params.get("delivered") not in ("true", "false"):
        raise Exception("no code to compare: privateChallengeParameters has no valid `delivered`")
    delivered = params["delivered"] == "true"

    correct = False
    if action == "answer":
        answer = request.get("challengeAnswer")
        if not isinstance(answer, str):
            raise Exception("challengeAnswer must be a string")
        matches = hmac.compare_digest(answer.strip().encode(), code.encode())
        not_expired = time.time() < expires_at
        user_ok = not request.get("userNotFound") and phone_allowed(request["userAttributes"].get("phone_number"))
        correct = matches and not_expired and user_ok and delivered
        phone = request["userAttributes"].get("phone_number")
        if TABLE and phone and E164.match(phone):
            count_answer(phone, correct)

    event["response"]["answerCorrect"] = correct
    logger.info("answer checked: correct=%s resend=%s", correct, action == "resend")
    return event
