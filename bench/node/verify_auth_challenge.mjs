// Verify auth challenge trigger (Node.js peer): compare the answer to privateChallengeParameters.
import { timingSafeEqual } from "node:crypto";
import { DynamoDBClient, DeleteItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";

// The same per-number table as the Rust verify (SEND_LIMIT_TABLE): a wrong answer adds to the
// number's count, a right one resets it and counts for its prefix. Only when the table is set.
const TABLE = process.env.SEND_LIMIT_TABLE || "";
const dynamodb = TABLE ? new DynamoDBClient({ maxAttempts: 2 }) : null;

const countAnswer = async (phone, correct) => {
  const key = { phone: { S: phone }, day: { N: "0" } };
  if (!correct) {
    await dynamodb.send(new UpdateItemCommand({
      TableName: TABLE, Key: key, UpdateExpression: "ADD failures :one",
      ExpressionAttributeValues: { ":one": { N: "1" } }, ReturnValues: "UPDATED_NEW",
    }));
    return;
  }
  await dynamodb.send(new DeleteItemCommand({ TableName: TABLE, Key: key }));
  const bucket = String(Math.floor(Date.now() / 300000) + 1);
  await dynamodb.send(new UpdateItemCommand({
    TableName: TABLE, Key: { phone: { S: `prefix:${phone.slice(0, 5)}` }, day: { N: bucket } },
    UpdateExpression: "ADD correct :one", ExpressionAttributeValues: { ":one": { N: "1" } },
  }));
};

const ALLOWED_COUNTRY_CODES = (process.env.ALLOWED_COUNTRY_CODES ?? "").split(",").map((c) => c.trim()).filter(Boolean);

const E164 = /^\+[1-9][0-9]{7,14}$/;

const phoneAllowed = (phone) =>
  typeof phone === "string" &&
  E164.test(phone) &&
  (ALLOWED_COUNTRY_CODES.length === 0 || ALLOWED_COUNTRY_CODES.some((c) => phone.slice(1).startsWith(c)));

export const handler = async (event) => {
  const { request } = event;
  const action = request.clientMetadata?.action ?? "answer";
  if (action !== "answer" && action !== "resend") {
    throw new Error('unknown clientMetadata action; use "resend" for a new code, or "answer" (the default)');
  }
  const params = request.privateChallengeParameters ?? {};
  const code = params.code;
  if (typeof code !== "string" || !/^[0-9]+$/.test(code)) {
    throw new Error("no code to compare: privateChallengeParameters has no valid `code`");
  }
  const expiresAt = Number.parseInt(params.expiresAt, 10);
  if (!Number.isFinite(expiresAt)) {
    throw new Error("no code to compare: privateChallengeParameters has no valid `expiresAt`");
  }
  if (params.delivered !== "true" && params.delivered !== "false") {
    throw new Error("no code to compare: privateChallengeParameters has no valid `delivered`");
  }
  const delivered = params.delivered === "true";

  let correct = false;
  if (action === "answer") {
    const answer = request.challengeAnswer;
    if (typeof answer !== "string") {
      throw new Error("challengeAnswer must be a string");
    }
    const a = Buffer.from(answer.trim());
    const b = Buffer.from(code);
    const matches = a.length === b.length && timingSafeEqual(a, b);
    const notExpired = Date.now() / 1000 < expiresAt;
    const userOk = !request.userNotFound && phoneAllowed(request.userAttributes.phone_number);
    correct = matches && notExpired && userOk && delivered;
    const phone = request.userAttributes.phone_number;
    if (dynamodb && typeof phone === "string" && E164.test(phone)) {
      await countAnswer(phone, correct);
    }
  }

  event.response.answerCorrect = correct;
  console.log(`answer checked: correct=${correct} resend=${action === "resend"}`);
  return event;
};
