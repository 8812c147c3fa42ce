// Create auth challenge trigger (Node.js peer): draw a code, send it by SMS with SNS, record it.
import { randomInt } from "node:crypto";
import { SNSClient, PublishCommand } from "@aws-sdk/client-sns";

const env = process.env;
const OTP_LENGTH = parseInt(env.OTP_LENGTH ?? "6", 10);
const OTP_TTL_SECONDS = parseInt(env.OTP_TTL_SECONDS ?? "300", 10);
const MAX_ATTEMPTS = parseInt(env.MAX_ATTEMPTS ?? "3", 10);
const MAX_SENDS = parseInt(env.MAX_SENDS ?? "3", 10);
const RESEND_COOLDOWN_SECONDS = parseInt(env.RESEND_COOLDOWN_SECONDS ?? "30", 10);
const ALLOWED_COUNTRY_CODES = (env.ALLOWED_COUNTRY_CODES ?? "").split(",").map((c) => c.trim()).filter(Boolean);
const SMS_MESSAGE = env.SMS_MESSAGE || "{code} is your {app} sign-in code. It expires in {minutes} minutes.";
const APP_NAME = env.APP_NAME ?? "";
const SMS_SENDER_ID = env.SMS_SENDER_ID ?? "";
const SMS_ORIGINATION_NUMBER = env.SMS_ORIGINATION_NUMBER ?? "";
const WEBOTP_DOMAIN = env.WEBOTP_DOMAIN ?? "";
const TEST_PHONE_NUMBERS = Object.fromEntries(
  (env.TEST_PHONE_NUMBERS ?? "")
    .split(",")
    .filter((pair) => pair.includes("="))
    .map((pair) => pair.trim().split("=", 2)),
);

const E164 = /^\+[1-9][0-9]{7,14}$/;

// Same limits as the Rust sender: 1 s to connect, 1.5 s per request, 3 attempts. Region,
// credentials and AWS_ENDPOINT_URL come from the environment, as Lambda sets them.
const sns = new SNSClient({ maxAttempts: 3, requestHandler: { connectionTimeout: 1000, requestTimeout: 1500 } });

const mask = (phone) => (phone.length < 10 ? "*".repeat(phone.length) : phone.slice(0, 2) + "*".repeat(phone.length - 6) + phone.slice(-4));

const parseMetadata = (raw) => {
  // SMSOTP1:<code>:<issuedAt>:<sends>:<failures>
  const parts = (raw ?? "").split(":");
  if (parts.length !== 5 || parts[0] !== "SMSOTP1") {
    throw new Error("challenge metadata is not ours or has an unknown version");
  }
  return { code: parts[1], issuedAt: Number(parts[2]), sends: Number(parts[3]), failures: Number(parts[4]) };
};

const sendSms = async (phone, code) => {
  let text = SMS_MESSAGE.replaceAll("{app}", APP_NAME).replaceAll("{minutes}", String(Math.max(Math.floor(OTP_TTL_SECONDS / 60), 1)));
  while (text.includes("  ")) text = text.replaceAll("  ", " "); // an empty {app} leaves a double space
  text = text.replaceAll("{code}", code);
  if (WEBOTP_DOMAIN) text += `\n\n@${WEBOTP_DOMAIN} #${code}`;
  const attributes = { "AWS.SNS.SMS.SMSType": { DataType: "String", StringValue: "Transactional" } };
  if (SMS_SENDER_ID) attributes["AWS.SNS.SMS.SenderID"] = { DataType: "String", StringValue: SMS_SENDER_ID };
  if (SMS_ORIGINATION_NUMBER) attributes["AWS.MM.SMS.OriginationNumber"] = { DataType: "String", StringValue: SMS_ORIGINATION_NUMBER };
  try {
    await sns.send(new PublishCommand({ PhoneNumber: phone, Message: text, MessageAttributes: attributes }));
  } catch (e) {
    console.error(`SMS to ${mask(phone)} not sent: ${e.name}`);
    throw new Error(`could not send the sign-in code by SMS: ${e.name}; please try again`);
  }
};

export const handler = async (event) => {
  const { request } = event;
  if (request.challengeName !== "CUSTOM_CHALLENGE") {
    throw new Error("challengeName must be CUSTOM_CHALLENGE");
  }
  const action = request.clientMetadata?.action ?? "answer";
  if (action !== "answer" && action !== "resend") {
    throw new Error('unknown clientMetadata action; use "resend" for a new code, or "answer" (the default)');
  }
  const session = request.session ?? [];
  for (const entry of session) {
    if (!entry || entry.challengeName !== "CUSTOM_CHALLENGE") {
      throw new Error("session entry is not a CUSTOM_CHALLENGE of this sign-in");
    }
  }
  const previous = session.length > 0 ? parseMetadata(session[session.length - 1].challengeMetadata) : null;

  // Who gets the code: unknown users and numbers we may not send to get no SMS.
  const phone = request.userAttributes.phone_number ?? "";
  let masked = mask(phone);
  let deliver = true;
  if (request.userNotFound) {
    masked = mask(event.userName ?? "");
    deliver = false;
  } else if (!E164.test(phone)) {
    deliver = false;
  } else if (ALLOWED_COUNTRY_CODES.length > 0 && !ALLOWED_COUNTRY_CODES.some((c) => phone.slice(1).startsWith(c))) {
    deliver = false;
  }

  const now = Math.floor(Date.now() / 1000);
  let state;
  if (previous === null) {
    state = { code: null, issuedAt: now, sends: 1, failures: 0 };
  } else if (action === "answer") {
    state = { ...previous, failures: previous.failures + 1 };
  } else if (previous.sends < MAX_SENDS && now >= previous.issuedAt + RESEND_COOLDOWN_SECONDS) {
    state = { ...previous, code: null, issuedAt: now, sends: previous.sends + 1 };
  } else {
    state = { ...previous };
  }

  if (state.code === null) {
    // A new code: draw it and send it.
    state.code = TEST_PHONE_NUMBERS[phone] ?? String(randomInt(0, 10 ** OTP_LENGTH)).padStart(OTP_LENGTH, "0");
    if (deliver && !(phone in TEST_PHONE_NUMBERS)) {
      await sendSms(phone, state.code);
    }
  }

  const expiresAt = state.issuedAt + OTP_TTL_SECONDS;
  const sendsLeft = Math.max(MAX_SENDS - state.sends, 0);
  const resendIn = sendsLeft > 0 ? Math.max(state.issuedAt + RESEND_COOLDOWN_SECONDS - now, 0) : 0;

  event.response.publicChallengeParameters = {
    maskedPhoneNumber: masked,
    codeLength: String(state.code.length),
    expiresInSeconds: String(Math.max(expiresAt - now, 0)),
    attemptsLeft: String(Math.max(MAX_ATTEMPTS - state.failures, 0)),
    resendInSeconds: String(resendIn),
    sendsLeft: String(sendsLeft),
  };
  event.response.privateChallengeParameters = { code: state.code, expiresAt: String(expiresAt) };
  event.response.challengeMetadata = `SMSOTP1:${state.code}:${state.issuedAt}:${state.sends}:${state.failures}`;
  console.log(`challenge created for ${masked}: round ${session.length}, sends ${state.sends}`);
  return event;
};
