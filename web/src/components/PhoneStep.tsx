import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';

import { countryOfInternational, countryOptions, parsePhone, type CountryCode } from '../phone';
import type { SignInError } from '../signin';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  phone: string;
  onPhoneChange: (value: string) => void;
  country: CountryCode;
  onCountryChange: (country: CountryCode) => void;
  busy: boolean;
  error: SignInError | null;
  onSubmit: (e164: string) => void;
}

export function PhoneStep({ phone, onPhoneChange, country, onCountryChange, busy, error, onSubmit }: Props) {
  const countries = useMemo(() => countryOptions(navigator.language), []);
  const [invalid, setInvalid] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, [error]);

  function change(value: string) {
    onPhoneChange(value);
    setInvalid(null);
    // A full international number, typed or pasted: the selector follows it.
    const detected = countryOfInternational(value);
    if (detected && detected !== country) onCountryChange(detected);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parsePhone(phone, country);
    if (!parsed.ok) {
      setInvalid(parsed.error);
      input.current?.focus();
      return;
    }
    onSubmit(parsed.e164);
  }

  const message = invalid ?? error?.message ?? null;
  return (
    <form onSubmit={submit} noValidate aria-labelledby="phone-title">
      <h1 id="phone-title">Sign in</h1>
      <p className="muted">Enter your mobile number and we will text you a code. No password needed.</p>

      <label htmlFor="country">Country or region</label>
      <select id="country" value={country} onChange={(e) => onCountryChange(e.target.value as CountryCode)} disabled={busy}>
        {countries.map((c) => (
          <option key={c.code} value={c.code}>
            {c.name} (+{c.callingCode})
          </option>
        ))}
      </select>

      <label htmlFor="phone">Phone number</label>
      <input
        id="phone"
        ref={input}
        type="tel"
        autoComplete="tel"
        inputMode="tel"
        value={phone}
        onChange={(e) => change(e.target.value)}
        aria-describedby="phone-hint phone-error"
        aria-invalid={invalid || error?.kind === 'invalid-phone' || error?.kind === 'sign-up-refused' ? true : undefined}
        readOnly={busy}
      />
      <p id="phone-hint" className="hint">
        Your number without the country code, or the full number starting with +.
      </p>

      <ErrorMessage id="phone-error" message={message} />

      <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
        {busy ? 'Sending the code…' : 'Send me a code'}
      </button>
    </form>
  );
}
