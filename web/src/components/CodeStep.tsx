import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';

import { webOtpCode, type Challenge, type Notice, type SignInError } from '../signin';
import { ErrorMessage, StatusMessage } from './ErrorMessage';
import { useNow } from './useNow';

interface Props {
  challenge: Challenge;
  notice: Notice | undefined;
  busy: boolean;
  error: SignInError | null;
  webOtp: boolean;
  onAnswer: (code: string) => void;
  onResend: () => void;
  onChangeNumber: () => void;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function CodeStep({ challenge, notice, busy, error, webOtp, onAnswer, onResend, onChangeNumber }: Props) {
  const now = useNow(250);
  const [code, setCode] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submitted = useRef<string | null>(null);
  const { codeLength, maskedPhoneNumber, attemptsLeft, sendsLeft } = challenge;

  // Every new round (a wrong answer, a resend): an empty field, focused.
  useEffect(() => {
    setCode('');
    submitted.current = null;
    input.current?.focus();
  }, [challenge]);

  // WebOTP: the browser offers the code from the SMS (when the stack sets WebOtpDomain).
  useEffect(() => {
    if (!webOtp) return;
    const abort = new AbortController();
    void webOtpCode(abort.signal).then((otp) => {
      if (otp && !abort.signal.aborted) {
        setCode(otp);
        answer(otp);
      }
    });
    return () => abort.abort();
    // One request per round: `answer` is left out of the dependencies on purpose.
  }, [challenge, webOtp]);

  function answer(value: string) {
    if (busy || submitted.current === value) return;
    submitted.current = value;
    onAnswer(value);
  }

  function change(value: string) {
    const digits = value.replace(/\D/g, '').slice(0, codeLength);
    setCode(digits);
    if (digits.length === codeLength) answer(digits);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (code.length !== codeLength) {
      input.current?.focus();
      return;
    }
    submitted.current = null;
    answer(code);
  }

  // The live region's words are fixed when the round arrives (a ticking count would be re-read).
  const waitWhenRefused = useMemo(() => clock(challenge.resendAt - Date.now()), [challenge]);
  const expiresIn = challenge.expiresAt - now;
  const resendIn = challenge.resendAt - now;
  const expired = expiresIn <= 0;
  const canResend = sendsLeft > 0 && resendIn <= 0;

  let alert: string | null = error?.message ?? null;
  let status: string | null = null;
  if (!alert && notice === 'wrong-code') alert = `Wrong code. ${plural(attemptsLeft, 'attempt', 'attempts')} left.`;
  if (!alert && notice === 'code-expired') {
    alert = `That code has expired. ${sendsLeft > 0 ? 'Ask for a new code.' : 'Start again for a new code.'}`;
  }
  if (notice === 'code-resent') status = `A new code is on its way to ${maskedPhoneNumber}. The previous code no longer works.`;
  if (notice === 'resend-too-soon') status = `Not yet: you can ask for a new code in ${waitWhenRefused}.`;
  if (!challenge.codeSent && !notice) {
    status = 'No new code was sent this time. If no SMS has arrived, ask for a new code now.';
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="code-title">
      <h1 id="code-title">Enter the code</h1>
      <p className="muted">
        We sent a {codeLength}-digit code by SMS to <strong className="nowrap">{maskedPhoneNumber}</strong>.
      </p>

      <label htmlFor="code">{codeLength}-digit code</label>
      <input
        id="code"
        ref={input}
        className="code"
        type="text"
        autoComplete="one-time-code"
        inputMode="numeric"
        pattern="[0-9]*"
        maxLength={codeLength}
        size={codeLength}
        style={{ width: `calc(${codeLength}ch + ${codeLength * 0.5}em + 2.25rem)` }}
        value={code}
        onChange={(e) => change(e.target.value)}
        aria-describedby="code-facts code-error code-status"
        aria-invalid={alert ? true : undefined}
        readOnly={busy}
        autoFocus
      />

      <p id="code-facts" className="facts">
        <span className={expired ? 'warn' : undefined}>{expired ? 'The code has expired' : `Expires in ${clock(expiresIn)}`}</span>
        <span aria-hidden="true"> · </span>
        <span>{plural(attemptsLeft, 'attempt', 'attempts')} left</span>
      </p>

      <ErrorMessage id="code-error" message={alert} />
      <StatusMessage id="code-status" message={status} />

      <button type="submit" className="primary" disabled={busy || code.length !== codeLength} aria-busy={busy}>
        {busy ? 'Checking…' : 'Sign in'}
      </button>

      <div className="row">
        <button type="button" className="secondary" onClick={onResend} disabled={busy || !canResend}>
          {sendsLeft === 0 ? 'No more codes for this sign-in' : canResend ? 'Send a new code' : `Send a new code in ${clock(resendIn)}`}
        </button>
        <button type="button" className="link" onClick={onChangeNumber} disabled={busy}>
          Use a different number
        </button>
      </div>
    </form>
  );
}
