// Passwordless SMS sign-in against a Cognito user pool that runs this project's four triggers.
//
// Framework-free: no React, no DOM beyond the optional WebOTP helper. Copy this file alone into an
// app on any framework; it needs `aws-amplify` (v6) and nothing else.
//
//   configure({ userPoolId, userPoolClientId });
//   const signIn = new SmsSignIn();
//   let step = await signIn.start('+15555550100');      // signs a new number up first, then signs in
//   step = await signIn.answer('123456');                // { kind: 'code', notice: 'wrong-code', ... }
//   step = await signIn.resend();                        //   or { kind: 'signedIn', user }
//   await signIn.signOut();
//
// Every failure is thrown as a SignInError: `message` is for people, `kind` for code, `ended` says
// whether this sign-in is over (start again). Nothing here tells a registered number from an
// unknown one: a new number is signed up and signed in in the same step, and a known number's
// sign-up refusal (`UsernameExistsException`) is swallowed.

import { Amplify } from 'aws-amplify';
import {
  confirmSignIn,
  fetchAuthSession,
  signIn,
  signOut,
  signUp,
  type ConfirmSignInOutput,
  type SignInOutput,
} from 'aws-amplify/auth';

/** The pool to sign in to: `UserPoolId` and `UserPoolClientId` from the stack's outputs. */
export interface PoolConfig {
  userPoolId: string;
  userPoolClientId: string;
  /** Only for a local emulator (Amplify's `userPoolEndpoint`); unset for a real pool. */
  userPoolEndpoint?: string;
}

export function configure(pool: PoolConfig): void {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: pool.userPoolId,
        userPoolClientId: pool.userPoolClientId,
        ...(pool.userPoolEndpoint ? { userPoolEndpoint: pool.userPoolEndpoint } : {}),
      },
    },
  });
}

/** One round of the sign-in, from the public challenge parameters the triggers send. */
export interface Challenge {
  /** Where the code went, e.g. `+1******0100`. */
  maskedPhoneNumber: string;
  codeLength: number;
  /** When the code stops working (ms since the epoch, this browser's clock). */
  expiresAt: number;
  /** Wrong answers this sign-in still allows. */
  attemptsLeft: number;
  /** From when a resend sends a new code (ms since the epoch); meaningless when `sendsLeft` is 0. */
  resendAt: number;
  /** New codes this sign-in can still send. */
  sendsLeft: number;
  /**
   * False when this round sent no code: the triggers took the call for Cognito's retry of one
   * that may have sent a code (`codeSent: "false"`). A new code can be asked for at once.
   */
  codeSent: boolean;
}

/** What happened in the last call, for the page to say. */
export type Notice =
  | 'wrong-code' // the answer was wrong; `attemptsLeft` is one lower
  | 'code-expired' // the answer came after the code expired (it counts as wrong)
  | 'code-resent' // a new code was sent; the old one no longer works
  | 'resend-too-soon'; // inside the cooldown: no new code, `resendAt` says when

export interface SignedInUser {
  phoneNumber: string;
  phoneNumberVerified: boolean;
  /** Every claim of the ID token. */
  claims: Record<string, unknown>;
}

export type Step =
  | { kind: 'code'; challenge: Challenge; notice?: Notice }
  | { kind: 'signedIn'; user: SignedInUser };

export type ErrorKind =
  | 'too-many-wrong-codes' // MAX_ATTEMPTS wrong answers, or the number is locked: the sign-in ended
  | 'no-more-codes' // a resend with no sends left: the sign-in ended
  | 'session-expired' // the sign-in's session ended or expired
  | 'sign-up-refused' // pre-sign-up refused the number; `message` carries its reason
  | 'sms-failed' // the SMS service refused, throttled or did not answer
  | 'busy' // the service or the per-number limit's table could not answer, or Cognito throttled
  | 'invalid-phone' // not a phone number Cognito accepts
  | 'network' // the pool's endpoint could not be reached
  | 'unexpected';

export class SignInError extends Error {
  override name = 'SignInError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** The sign-in is over: start again with the phone number. */
    readonly ended: boolean,
    /** What Cognito or the trigger said, for logs (never shown as is). */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** Which call failed: the same Cognito error means different things after each. */
export type Action = 'sign-up' | 'start' | 'answer' | 'resend' | 'sign-out' | 'session';

const messages: Record<ErrorKind, string> = {
  'too-many-wrong-codes': 'Too many wrong codes. This sign-in has ended; wait a while, then try again.',
  'no-more-codes': 'No more codes can be sent for this sign-in. Wait a while, then start again.',
  'session-expired': 'This sign-in has expired. Start again to get a new code.',
  'sign-up-refused': 'This phone number cannot be used to sign up.',
  'sms-failed': 'The code could not be sent by SMS. Please try again in a moment.',
  busy: 'The sign-in service is busy. Please try again in a moment.',
  'invalid-phone': 'Enter a valid phone number with its country code.',
  network: 'The sign-in service could not be reached. Check your connection and try again.',
  unexpected: 'Something went wrong. Please try again.',
};

/** The reason a trigger gave, from Cognito's or the local emulator's wording of its refusal. */
export function triggerReason(message: string): string {
  // Cognito: "PreSignUp failed with error <reason>." / "CreateAuthChallenge failed with error <reason>."
  const cognito = /failed with error\s+([\s\S]+)$/.exec(message);
  if (cognito?.[1]) return cognito[1].trim();
  // The local emulator: "<Trigger> returned error: {'errorMessage': '<reason>', 'errorType': ...}",
  // or the function's error body itself (JSON or a Python dict).
  const emulator = /["']errorMessage["']\s*:\s*(["'])([\s\S]*?)\1\s*[,}]/.exec(message);
  if (emulator?.[2]) return emulator[2].trim();
  return message.trim();
}

function sentence(reason: string): string {
  const text = reason.replace(/\s+/g, ' ').trim();
  if (!text) return '';
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function errorName(err: unknown): string {
  if (err && typeof err === 'object' && 'name' in err && typeof err.name === 'string') return err.name;
  return '';
}

function errorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}

/**
 * Maps what Amplify threw (Cognito's error, or the local emulator's) after `action` to a
 * SignInError. docs/errors.md ("Errors a client sees") lists every case.
 */
export function toSignInError(err: unknown, action: Action): SignInError {
  if (err instanceof SignInError) return err;
  const name = errorName(err);
  const message = errorMessage(err);
  const make = (kind: ErrorKind, ended: boolean, text = messages[kind]) => new SignInError(kind, text, ended, `${name}: ${message}`);
  const inFlow = action === 'answer' || action === 'resend';

  switch (name) {
    case 'NotAuthorizedException':
      // "Invalid session for the user." (Cognito): the session ended or expired.
      if (/session/i.test(message)) return make('session-expired', true);
      // "Incorrect username or password." after an answer: MAX_ATTEMPTS wrong answers (or a locked
      // number, or the emulator's cap on rounds). After a resend: no sends left.
      if (action === 'answer') return make('too-many-wrong-codes', true);
      if (action === 'resend') return make('no-more-codes', true);
      // At the start, whatever the cause, say nothing about the number.
      return make('unexpected', true, 'Sign-in did not work. Please try again later.');
    case 'InvalidParameterException':
      // The emulator's "Session does not exist"; Cognito's for a malformed phone number at sign-up.
      if (/session/i.test(message)) return make('session-expired', true);
      if (action === 'sign-up' || action === 'start') return make('invalid-phone', false);
      return make('unexpected', inFlow);
    case 'CodeMismatchException':
    case 'ExpiredCodeException':
    case 'SignInException': // Amplify: confirmSignIn without a sign-in in progress (a reload, a reset)
      return make('session-expired', true);
    case 'UserLambdaValidationException': // Cognito
    case 'InvalidLambdaResponseException': {
      // the emulator's word for an auth trigger's refusal
      const reason = triggerReason(message);
      if (/could not send the sign-in code by SMS/i.test(reason)) return make('sms-failed', inFlow);
      if (/per-number SMS limit/i.test(reason)) return make('busy', inFlow);
      if (action === 'sign-up') {
        return make('sign-up-refused', false, `${messages['sign-up-refused']} ${sentence(reason)}`.trim());
      }
      return make('unexpected', inFlow);
    }
    case 'TooManyRequestsException':
    case 'LimitExceededException':
    case 'TooManyFailedAttemptsException':
    case 'InternalErrorException':
    case 'InternalError':
    case 'ServiceUnavailableException':
      return make('busy', false);
    case 'NetworkError':
      return make('network', false);
    case 'TypeError':
      // fetch's own failure, when nothing answered at all
      return /fetch|network/i.test(message) ? make('network', false) : make('unexpected', inFlow);
    default:
      return make('unexpected', inFlow);
  }
}

/** The functions of `aws-amplify/auth` this module calls (replaceable for tests). */
export interface AuthApi {
  signUp: typeof signUp;
  signIn: typeof signIn;
  confirmSignIn: typeof confirmSignIn;
  signOut: typeof signOut;
  fetchAuthSession: typeof fetchAuthSession;
}

const amplifyAuth: AuthApi = { signUp, signIn, confirmSignIn, signOut, fetchAuthSession };

/**
 * Cognito's SignUp demands a password; this pool never uses it. Long, random, never shown or kept,
 * and meeting any password policy (upper, lower, digit, symbol).
 */
export function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `${btoa(String.fromCharCode(...bytes))}Aa1!`;
}

function int(params: Record<string, string> | undefined, key: string): number {
  const value = Number.parseInt(params?.[key] ?? '', 10);
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

/** The public challenge parameters (all strings) as a Challenge, with times from `now`. */
export function parseChallenge(params: Record<string, string> | undefined, now: number): Challenge {
  return {
    maskedPhoneNumber: params?.maskedPhoneNumber ?? '',
    codeLength: int(params, 'codeLength') || 6,
    expiresAt: now + int(params, 'expiresInSeconds') * 1000,
    attemptsLeft: int(params, 'attemptsLeft'),
    resendAt: now + int(params, 'resendInSeconds') * 1000,
    sendsLeft: int(params, 'sendsLeft'),
    codeSent: params?.codeSent !== 'false',
  };
}

function claimIsTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

export class SmsSignIn {
  private challenge: Challenge | undefined;

  constructor(
    private readonly auth: AuthApi = amplifyAuth,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current round, if a sign-in is in progress. */
  get current(): Challenge | undefined {
    return this.challenge;
  }

  /**
   * Signs `phone` (E.164) up if it is new, then starts the sign-in: one SMS with a code. A known
   * number goes straight to the sign-in; the two look the same.
   */
  async start(phone: string): Promise<Step> {
    this.challenge = undefined;
    try {
      // The number goes in the username only: Cognito fills phone_number from it, and the app
      // client may not write phone_number itself (template.yaml, WriteAttributes).
      await this.auth.signUp({ username: phone, password: randomPassword() });
    } catch (err) {
      if (errorName(err) !== 'UsernameExistsException') throw toSignInError(err, 'sign-up');
    }
    let output: SignInOutput;
    try {
      output = await this.auth.signIn({ username: phone, options: { authFlowType: 'CUSTOM_WITHOUT_SRP' } });
    } catch (err) {
      if (errorName(err) !== 'UserAlreadyAuthenticatedException') throw toSignInError(err, 'start');
      // Someone else is signed in on this browser: sign them out, then sign this number in.
      await this.signOut();
      try {
        output = await this.auth.signIn({ username: phone, options: { authFlowType: 'CUSTOM_WITHOUT_SRP' } });
      } catch (again) {
        throw toSignInError(again, 'start');
      }
    }
    return this.next(output);
  }

  /** Answers with a code: signed in, or another round (wrong or expired code). */
  async answer(code: string): Promise<Step> {
    let output: ConfirmSignInOutput;
    try {
      output = await this.auth.confirmSignIn({ challengeResponse: code.trim() });
    } catch (err) {
      this.challenge = undefined;
      throw toSignInError(err, 'answer');
    }
    const step = await this.next(output);
    if (step.kind === 'code') {
      // Another round after an answer: the code was wrong, or it had expired (expiresInSeconds 0).
      step.notice = step.challenge.expiresAt <= this.now() ? 'code-expired' : 'wrong-code';
    }
    return step;
  }

  /** Asks for a new code (`ClientMetadata {action: "resend"}`): sent, or not yet (cooldown). */
  async resend(): Promise<Step> {
    const before = this.challenge;
    let output: ConfirmSignInOutput;
    try {
      output = await this.auth.confirmSignIn({
        challengeResponse: 'resend',
        options: { clientMetadata: { action: 'resend' } },
      });
    } catch (err) {
      this.challenge = undefined;
      throw toSignInError(err, 'resend');
    }
    const step = await this.next(output);
    if (step.kind === 'code') {
      const sent = !before || step.challenge.sendsLeft < before.sendsLeft;
      step.notice = sent ? 'code-resent' : 'resend-too-soon';
    }
    return step;
  }

  /** Signs out of this browser (the refresh token is revoked where the pool allows it). */
  async signOut(): Promise<void> {
    this.challenge = undefined;
    try {
      await this.auth.signOut();
    } catch (err) {
      throw toSignInError(err, 'sign-out');
    }
  }

  /** The signed-in user from the stored tokens, or null. Makes no request unless tokens need a refresh. */
  async currentUser(): Promise<SignedInUser | null> {
    try {
      const session = await this.auth.fetchAuthSession();
      const payload = session.tokens?.idToken?.payload;
      if (!payload) return null;
      return {
        phoneNumber: typeof payload.phone_number === 'string' ? payload.phone_number : '',
        phoneNumberVerified: claimIsTrue(payload.phone_number_verified),
        claims: { ...payload },
      };
    } catch (err) {
      throw toSignInError(err, 'session');
    }
  }

  private async next(output: SignInOutput | ConfirmSignInOutput): Promise<Step> {
    if (output.isSignedIn || output.nextStep.signInStep === 'DONE') {
      this.challenge = undefined;
      const user = await this.currentUser();
      if (!user) throw new SignInError('unexpected', messages.unexpected, true, 'signed in without an ID token');
      return { kind: 'signedIn', user };
    }
    if (output.nextStep.signInStep !== 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE') {
      this.challenge = undefined;
      throw new SignInError('unexpected', messages.unexpected, true, `unexpected step ${output.nextStep.signInStep}`);
    }
    const params = output.nextStep.additionalInfo as Record<string, string> | undefined;
    this.challenge = parseChallenge(params, this.now());
    return { kind: 'code', challenge: this.challenge };
  }
}

/**
 * The WebOTP API: resolves with the code when the browser reads it from an SMS whose last line is
 * `@<this site's host> #<code>` (the stack's `WebOtpDomain`), or null when the browser has no
 * WebOTP, the user declines, or `signal` aborts. Call it when the code screen shows; abort it
 * when the screen goes.
 */
export async function webOtpCode(signal: AbortSignal): Promise<string | null> {
  if (typeof window === 'undefined' || !('OTPCredential' in window) || !navigator.credentials) return null;
  try {
    const options = { otp: { transport: ['sms'] }, signal } as CredentialRequestOptions;
    const credential = (await navigator.credentials.get(options)) as (Credential & { code?: string }) | null;
    return credential?.code ?? null;
  } catch {
    return null;
  }
}
