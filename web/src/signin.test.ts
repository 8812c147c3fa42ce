// The sign-in module against a scripted Amplify: the flow's steps, and every error of docs/errors.md's
// "Errors a client sees" table (as Cognito words it, and as the local emulator does) mapped to a
// clear message that never tells a registered number from an unknown one.

import { describe, expect, it } from 'vitest';

import { SignInError, SmsSignIn, parseChallenge, randomPassword, toSignInError, triggerReason, type AuthApi } from './signin';

function cognitoError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

function round(overrides: Record<string, string> = {}) {
  return {
    isSignedIn: false,
    nextStep: {
      signInStep: 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE',
      additionalInfo: {
        maskedPhoneNumber: '+1******0100',
        codeLength: '6',
        expiresInSeconds: '300',
        attemptsLeft: '3',
        resendInSeconds: '30',
        sendsLeft: '2',
        ...overrides,
      },
    },
  };
}

const signedIn = { isSignedIn: true, nextStep: { signInStep: 'DONE' } };
const idToken = { payload: { phone_number: '+15555550100', phone_number_verified: true, token_use: 'id' } };

type Call = [string, unknown];

/** A scripted Amplify: each call takes the next scripted result (a value, or an error to throw). */
function fakeAuth(script: Partial<Record<keyof AuthApi, unknown[]>>) {
  const calls: Call[] = [];
  let tokens: unknown;
  const take = (name: keyof AuthApi, input?: unknown) => {
    calls.push([name, input]);
    const next = script[name]?.shift();
    if (next instanceof Error) return Promise.reject(next);
    if (next && typeof next === 'object' && 'isSignedIn' in next && next.isSignedIn) tokens = { idToken };
    return Promise.resolve(next);
  };
  const api = {
    signUp: (input: unknown) => take('signUp', input),
    signIn: (input: unknown) => take('signIn', input),
    confirmSignIn: (input: unknown) => take('confirmSignIn', input),
    signOut: () => {
      tokens = undefined;
      return take('signOut');
    },
    fetchAuthSession: () => Promise.resolve({ tokens }),
  } as unknown as AuthApi;
  return { api, calls };
}

const NOW = 1_700_000_000_000;

describe('the flow', () => {
  it('signs a new number up, then in, with the custom flow and a random password', async () => {
    const { api, calls } = fakeAuth({ signUp: [{}], signIn: [round()], confirmSignIn: [signedIn] });
    const s = new SmsSignIn(api, () => NOW);
    const step = await s.start('+15555550100');
    expect(step).toEqual({
      kind: 'code',
      challenge: {
        maskedPhoneNumber: '+1******0100',
        codeLength: 6,
        expiresAt: NOW + 300_000,
        attemptsLeft: 3,
        resendAt: NOW + 30_000,
        sendsLeft: 2,
        codeSent: true,
      },
    });
    const [signUp, signIn] = calls;
    expect(signUp?.[0]).toBe('signUp');
    const up = signUp?.[1] as { username: string; password: string; options: unknown };
    expect(up.username).toBe('+15555550100');
    expect(up.password.length).toBeGreaterThanOrEqual(32);
    // No phone_number attribute: the app client may not write it; Cognito fills it from the username.
    expect(up.options).toBeUndefined();
    expect(signIn).toEqual(['signIn', { username: '+15555550100', options: { authFlowType: 'CUSTOM_WITHOUT_SRP' } }]);

    const done = await s.answer(' 123456 ');
    expect(calls[2]).toEqual(['confirmSignIn', { challengeResponse: '123456' }]);
    expect(done).toEqual({
      kind: 'signedIn',
      user: { phoneNumber: '+15555550100', phoneNumberVerified: true, claims: idToken.payload },
    });
  });

  it('signs a known number in exactly as a new one', async () => {
    const known = fakeAuth({ signUp: [cognitoError('UsernameExistsException', 'User already exists')], signIn: [round()] });
    const fresh = fakeAuth({ signUp: [{}], signIn: [round()] });
    const a = await new SmsSignIn(known.api, () => NOW).start('+15555550100');
    const b = await new SmsSignIn(fresh.api, () => NOW).start('+15555550100');
    expect(a).toEqual(b);
  });

  it('says a wrong code and an expired one apart, from the next round', async () => {
    const { api } = fakeAuth({
      signUp: [{}],
      signIn: [round()],
      confirmSignIn: [round({ attemptsLeft: '2' }), round({ attemptsLeft: '1', expiresInSeconds: '0' })],
    });
    const s = new SmsSignIn(api, () => NOW);
    await s.start('+15555550100');
    const wrong = await s.answer('000000');
    expect(wrong.kind === 'code' && wrong.notice).toBe('wrong-code');
    expect(wrong.kind === 'code' && wrong.challenge.attemptsLeft).toBe(2);
    const expired = await s.answer('111111');
    expect(expired.kind === 'code' && expired.notice).toBe('code-expired');
  });

  it('asks for a new code with ClientMetadata {action: "resend"}: sent, or too soon', async () => {
    const { api, calls } = fakeAuth({
      signUp: [{}],
      signIn: [round({ sendsLeft: '2', resendInSeconds: '0' })],
      confirmSignIn: [round({ sendsLeft: '1', resendInSeconds: '30' }), round({ sendsLeft: '1', resendInSeconds: '25' })],
    });
    const s = new SmsSignIn(api, () => NOW);
    await s.start('+15555550100');
    const sent = await s.resend();
    expect(calls[2]).toEqual([
      'confirmSignIn',
      { challengeResponse: 'resend', options: { clientMetadata: { action: 'resend' } } },
    ]);
    expect(sent.kind === 'code' && sent.notice).toBe('code-resent');
    const tooSoon = await s.resend();
    expect(tooSoon.kind === 'code' && tooSoon.notice).toBe('resend-too-soon');
    expect(tooSoon.kind === 'code' && tooSoon.challenge.resendAt).toBe(NOW + 25_000);
  });

  it('signs out whoever is signed in on this browser before signing another number in', async () => {
    const { api, calls } = fakeAuth({
      signUp: [{}],
      signIn: [cognitoError('UserAlreadyAuthenticatedException', 'There is already a signed in user.'), round()],
      signOut: [undefined],
    });
    const step = await new SmsSignIn(api, () => NOW).start('+15555550100');
    expect(step.kind).toBe('code');
    expect(calls.map(([name]) => name)).toEqual(['signUp', 'signIn', 'signOut', 'signIn']);
  });

  it('reads the signed-in user from the stored tokens, and nobody after sign-out', async () => {
    const { api } = fakeAuth({ signUp: [{}], signIn: [signedIn], signOut: [undefined] });
    const s = new SmsSignIn(api, () => NOW);
    expect(await s.currentUser()).toBeNull();
    const step = await s.start('+15555550100');
    expect(step.kind).toBe('signedIn');
    expect((await s.currentUser())?.phoneNumber).toBe('+15555550100');
    await s.signOut();
    expect(await s.currentUser()).toBeNull();
  });

  it('stops a sign-in that ended: the error says so', async () => {
    const { api } = fakeAuth({
      signUp: [{}],
      signIn: [round()],
      confirmSignIn: [cognitoError('NotAuthorizedException', 'Incorrect username or password.')],
    });
    const s = new SmsSignIn(api, () => NOW);
    await s.start('+15555550100');
    const err = await s.answer('000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInError);
    expect((err as SignInError).ended).toBe(true);
    expect(s.current).toBeUndefined();
  });
});

describe('every error a client sees has a clear message', () => {
  // [what happened, the call it followed, the error name, its message, kind, ended, the words shown]
  const table: [string, Parameters<typeof toSignInError>[1], string, string, string, boolean, RegExp][] = [
    ['MAX_ATTEMPTS wrong codes (Cognito)', 'answer', 'NotAuthorizedException', 'Incorrect username or password.', 'too-many-wrong-codes', true, /too many wrong codes/i],
    ['MAX_ATTEMPTS wrong codes (emulator)', 'answer', 'NotAuthorizedException', 'Incorrect username or password', 'too-many-wrong-codes', true, /wait a while/i],
    ["the emulator's cap on rounds", 'answer', 'NotAuthorizedException', 'Max authentication attempts exceeded', 'too-many-wrong-codes', true, /too many wrong codes/i],
    ['a resend with no sends left', 'resend', 'NotAuthorizedException', 'Incorrect username or password.', 'no-more-codes', true, /no more codes/i],
    ['a session used after it ended (Cognito)', 'answer', 'NotAuthorizedException', 'Invalid session for the user.', 'session-expired', true, /expired.*start again/i],
    ['a session expired (Cognito)', 'resend', 'NotAuthorizedException', 'Invalid session for the user, session is expired.', 'session-expired', true, /expired/i],
    ['a session used after it ended (emulator)', 'answer', 'InvalidParameterException', 'Session does not exist', 'session-expired', true, /expired/i],
    ['a reload in the middle (Amplify)', 'answer', 'SignInException', 'An error occurred during the sign in process.', 'session-expired', true, /start again/i],
    [
      'SNS throttled (Cognito)',
      'start',
      'UserLambdaValidationException',
      'CreateAuthChallenge failed with error could not send the sign-in code by SMS: the SMS service refused the message (Throttling); please try again.',
      'sms-failed',
      false,
      /could not be sent by SMS/i,
    ],
    [
      'SNS silent, on a resend (emulator)',
      'resend',
      'InvalidLambdaResponseException',
      "CreateAuthChallenge returned error: {'errorMessage': 'could not send the sign-in code by SMS: the SMS service did not answer in time; please try again', 'errorType': 'SmsFailed'}",
      'sms-failed',
      true,
      /could not be sent by SMS/i,
    ],
    [
      'the send-limit table unreachable',
      'start',
      'UserLambdaValidationException',
      'CreateAuthChallenge failed with error could not check the per-number SMS limit: the send-limit table could not be reached; please try again.',
      'busy',
      false,
      /busy/i,
    ],
    [
      'sign-up from a country not allowed (Cognito)',
      'sign-up',
      'UserLambdaValidationException',
      'PreSignUp failed with error sign-up with phone numbers from this country is not allowed.',
      'sign-up-refused',
      false,
      /cannot be used to sign up\. Sign-up with phone numbers from this country is not allowed\.$/,
    ],
    [
      'sign-up from a country not allowed (emulator)',
      'sign-up',
      'UserLambdaValidationException',
      '{"errorMessage": "sign-up with phone numbers from this country is not allowed.", "errorType": "PreSignUpRefused"}',
      'sign-up-refused',
      false,
      /Sign-up with phone numbers from this country is not allowed\.$/,
    ],
    [
      'sign-up with a malformed number (pre-sign-up)',
      'sign-up',
      'UserLambdaValidationException',
      'PreSignUp failed with error phone_number must be in E.164 format: + then 8 to 15 digits, no leading 0, for example +14155550100.',
      'sign-up-refused',
      false,
      /E\.164 format/,
    ],
    ['sign-up with a malformed number (Cognito)', 'sign-up', 'InvalidParameterException', 'Invalid phone number format.', 'invalid-phone', false, /valid phone number/i],
    ['Cognito throttled', 'start', 'TooManyRequestsException', 'Rate exceeded', 'busy', false, /try again in a moment/i],
    ['the endpoint unreachable (Amplify)', 'start', 'NetworkError', 'A network error has occurred.', 'network', false, /could not be reached/i],
    ['the endpoint unreachable (fetch)', 'answer', 'TypeError', 'Failed to fetch', 'network', false, /could not be reached/i],
    ['an unknown clientMetadata action', 'resend', 'UserLambdaValidationException', 'CreateAuthChallenge failed with error unknown clientMetadata action; use "resend".', 'unexpected', true, /something went wrong/i],
    ['refused at the start, whatever the reason', 'start', 'NotAuthorizedException', 'User is disabled.', 'unexpected', true, /did not work/i],
  ];

  for (const [what, action, name, message, kind, ended, shown] of table) {
    it(what, () => {
      const err = toSignInError(cognitoError(name, message), action);
      expect(err.kind).toBe(kind);
      expect(err.ended).toBe(ended);
      expect(err.message).toMatch(shown);
      expect(err.detail).toContain(message);
    });
  }

  it('never names a number as registered or unknown', () => {
    for (const [, action, name, message] of table) {
      const shown = toSignInError(cognitoError(name, message), action).message;
      expect(shown).not.toMatch(/not (found|registered)|no (such )?(user|account)|already (exists|registered|signed up)|unknown/i);
    }
    const unknown = toSignInError(cognitoError('UserNotFoundException', 'User does not exist.'), 'start').message;
    expect(unknown).not.toMatch(/exist|found|registered|unknown/i);
  });
});

describe('helpers', () => {
  it("reads a trigger's reason from Cognito's and the emulator's wording", () => {
    expect(triggerReason('PreSignUp failed with error a phone number is required: x.')).toBe('a phone number is required: x.');
    expect(triggerReason("VerifyAuthChallengeResponse returned error: {'errorMessage': 'bad', 'errorType': 'X'}")).toBe('bad');
    expect(triggerReason('{"errorMessage": "it\'s bad", "errorType": "X"}')).toBe("it's bad");
    expect(triggerReason('plain')).toBe('plain');
  });

  it('parses the public challenge parameters, strings all', () => {
    expect(parseChallenge({ codeLength: '8', attemptsLeft: 'x' }, 0)).toEqual({
      maskedPhoneNumber: '',
      codeLength: 8,
      expiresAt: 0,
      attemptsLeft: 0,
      resendAt: 0,
      sendsLeft: 0,
      codeSent: true,
    });
  });

  it("says when a round sent no code (Cognito's retry), so the user asks for one at once", () => {
    const retried = parseChallenge({ codeSent: 'false', resendInSeconds: '0', sendsLeft: '3' }, NOW);
    expect(retried.codeSent).toBe(false);
    expect(retried.resendAt).toBe(NOW);
    expect(parseChallenge({ codeSent: 'true' }, NOW).codeSent).toBe(true);
  });

  it('makes long random passwords that meet any policy', () => {
    const a = randomPassword();
    expect(a).not.toBe(randomPassword());
    expect(a).toMatch(/[A-Z]/);
    expect(a).toMatch(/[a-z]/);
    expect(a).toMatch(/[0-9]/);
    expect(a).toMatch(/[^A-Za-z0-9]/);
    expect(a.length).toBeGreaterThanOrEqual(32);
  });
});
