"""Pre sign-up trigger (Python baseline): E.164 check, country allow-list, auto-confirm."""

import logging
import os
import re

logger = logging.getLogger()
logger.setLevel(logging.INFO)

ALLOWED_COUNTRY_CODES = [c.strip() for c in os.environ.get("ALLOWED_COUNTRY_CODES", "").split(",") if c.strip()]
AUTO_VERIFY_PHONE = os.environ.get("AUTO_VERIFY_PHONE", "true").lower() == "true"

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


def mask(phone):
    if len(phone) < 10:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 6) + phone[-4:]


def handler(event, context):
    phone = event["request"]["userAttributes"].get("phone_number")
    if not phone:
        raise Exception(
            "a phone number is required: pass the phone_number attribute in E.164 format, for example +14155550100"
        )
    if not E164.match(phone):
        raise Exception(
            "phone_number must be in E.164 format: + then 8 to 15 digits, no leading 0, for example +14155550100"
        )
    if ALLOWED_COUNTRY_CODES and not any(phone[1:].startswith(c) for c in ALLOWED_COUNTRY_CODES):
        raise Exception("sign-up with phone numbers from this country is not allowed")

    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyPhone"] = AUTO_VERIFY_PHONE
    logger.info("sign-up confirmed for %s", mask(phone))
    return event
