import { useEffect, useRef, useState } from 'react';

import { CodeStep } from './components/CodeStep';
import { PhoneStep } from './components/PhoneStep';
import { SignedIn } from './components/SignedIn';
import { defaultCountry } from './config';
import { countryOfLocale, type CountryCode } from './phone';
import { SignInError, SmsSignIn, toSignInError, type Challenge, type Notice, type SignedInUser, type Step } from './signin';

function initialCountry(): CountryCode {
  return countryOfLocale(`und-${defaultCountry ?? ''}`) ?? countryOfLocale(navigator.language) ?? 'US';
}

type Screen =
  | { name: 'loading' }
  | { name: 'phone' }
  | { name: 'code'; challenge: Challenge; notice?: Notice }
  | { name: 'signedIn'; user: SignedInUser };

export function App({ signIn, webOtp }: { signIn: SmsSignIn; webOtp: boolean }) {
  const [screen, setScreen] = useState<Screen>({ name: 'loading' });
  const [phone, setPhone] = useState('');
  const [country, setCountry] = useState<CountryCode>(initialCountry);
  const [error, setError] = useState<SignInError | null>(null);
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);

  useEffect(() => {
    let live = true;
    signIn
      .currentUser()
      .then((user) => live && setScreen(user ? { name: 'signedIn', user } : { name: 'phone' }))
      .catch(() => live && setScreen({ name: 'phone' }));
    return () => {
      live = false;
    };
  }, [signIn]);

  /** Runs one call of the sign-in module; a failure that ends the sign-in goes back to the phone. */
  async function run(call: () => Promise<Step | void>, action: Parameters<typeof toSignInError>[1]) {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    setError(null);
    try {
      const step = await call();
      if (!step) setScreen({ name: 'phone' });
      else if (step.kind === 'signedIn') setScreen({ name: 'signedIn', user: step.user });
      else setScreen({ name: 'code', challenge: step.challenge, notice: step.notice });
    } catch (err) {
      const e = toSignInError(err, action);
      console.warn('sign-in:', e.kind, e.detail ?? '');
      setError(e);
      if (e.ended) setScreen({ name: 'phone' });
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  }

  return (
    <main className="card">
      {screen.name === 'loading' && <p className="muted">Loading…</p>}
      {screen.name === 'phone' && (
        <PhoneStep
          phone={phone}
          onPhoneChange={setPhone}
          country={country}
          onCountryChange={setCountry}
          busy={busy}
          error={error}
          onSubmit={(e164) => run(() => signIn.start(e164), 'start')}
        />
      )}
      {screen.name === 'code' && (
        <CodeStep
          // A new round after a resend or a wrong answer keeps the screen (and its focus).
          challenge={screen.challenge}
          notice={screen.notice}
          busy={busy}
          error={error}
          webOtp={webOtp}
          onAnswer={(code) => run(() => signIn.answer(code), 'answer')}
          onResend={() => run(() => signIn.resend(), 'resend')}
          onChangeNumber={() => {
            setError(null);
            setScreen({ name: 'phone' });
          }}
        />
      )}
      {screen.name === 'signedIn' && (
        <SignedIn user={screen.user} busy={busy} error={error} onSignOut={() => run(() => signIn.signOut(), 'sign-out')} />
      )}
    </main>
  );
}
