// Define auth challenge trigger (Node.js peer): look at the session and decide.
const MAX_ATTEMPTS = parseInt(process.env.MAX_ATTEMPTS ?? "3", 10);
const MAX_SENDS = parseInt(process.env.MAX_SENDS ?? "3", 10);
const MAX_ROUNDS = MAX_ATTEMPTS + MAX_SENDS + 5;

// challengeMetadata written by create: SMSOTP1:<code>:<issuedAt>:<sends>:<failures>
const parseMetadata = (raw) => {
  const parts = (raw ?? "").split(":");
  if (parts.length !== 5 || parts[0] !== "SMSOTP1") {
    throw new Error("challenge metadata is not ours or has an unknown version");
  }
  return { code: parts[1], issuedAt: Number(parts[2]), sends: Number(parts[3]), failures: Number(parts[4]) };
};

export const handler = async (event) => {
  const { request, response } = event;
  const session = request.session ?? [];
  const action = request.clientMetadata?.action ?? "answer";
  if (action !== "answer" && action !== "resend") {
    throw new Error('unknown clientMetadata action; use "resend" for a new code, or "answer" (the default)');
  }
  for (const entry of session) {
    if (!entry || entry.challengeName !== "CUSTOM_CHALLENGE") {
      throw new Error("session entry is not a CUSTOM_CHALLENGE of this sign-in");
    }
    if (typeof entry.challengeResult !== "boolean") {
      throw new Error("session entry has an invalid type of challengeResult");
    }
  }
  const rounds = session.map((entry) => parseMetadata(entry.challengeMetadata));

  response.issueTokens = false;
  response.failAuthentication = false;
  response.challengeName = null;

  const last = session[session.length - 1];
  if (session.length === 0) {
    response.challengeName = "CUSTOM_CHALLENGE";
  } else if (session.slice(0, -1).some((entry) => entry.challengeResult)) {
    throw new Error("the session has a correct answer before its last round");
  } else if (last.challengeResult) {
    if (request.userNotFound) {
      throw new Error("the session has a correct answer for an unknown user");
    }
    response.issueTokens = true;
  } else if (session.length >= MAX_ROUNDS) {
    response.failAuthentication = true;
  } else if (action === "resend" && rounds[rounds.length - 1].sends >= MAX_SENDS) {
    response.failAuthentication = true;
  } else if (action === "answer" && rounds[rounds.length - 1].failures + 1 >= MAX_ATTEMPTS) {
    response.failAuthentication = true;
  } else {
    response.challengeName = "CUSTOM_CHALLENGE";
  }

  console.log(`round ${session.length}: issueTokens=${response.issueTokens} failAuthentication=${response.failAuthentication}`);
  return event;
};
