// Pre sign-up trigger (Node.js peer): E.164 check, country allow-list, auto-confirm.
const ALLOWED_COUNTRY_CODES = (process.env.ALLOWED_COUNTRY_CODES ?? "").split(",").map((c) => c.trim()).filter(Boolean);
const AUTO_VERIFY_PHONE = (process.env.AUTO_VERIFY_PHONE ?? "true").toLowerCase() === "true";

const E164 = /^\+[1-9][0-9]{7,14}$/;

const mask = (phone) => (phone.length < 10 ? "*".repeat(phone.length) : phone.slice(0, 2) + "*".repeat(phone.length - 6) + phone.slice(-4));

export const handler = async (event) => {
  const phone = event.request.userAttributes.phone_number;
  if (!phone) {
    throw new Error("a phone number is required: pass the phone_number attribute in E.164 format, for example +14155550100");
  }
  if (!E164.test(phone)) {
    throw new Error("phone_number must be in E.164 format: + then 8 to 15 digits, no leading 0, for example +14155550100");
  }
  if (ALLOWED_COUNTRY_CODES.length > 0 && !ALLOWED_COUNTRY_CODES.some((c) => phone.slice(1).startsWith(c))) {
    throw new Error("sign-up with phone numbers from this country is not allowed");
  }
  event.response.autoConfirmUser = true;
  event.response.autoVerifyPhone = AUTO_VERIFY_PHONE;
  console.log(`sign-up confirmed for ${mask(phone)}`);
  return event;
};
