import { useEffect, useRef } from 'react';

import type { SignedInUser, SignInError } from '../signin';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  user: SignedInUser;
  busy: boolean;
  error: SignInError | null;
  onSignOut: () => void;
}

export function SignedIn({ user, busy, error, onSignOut }: Props) {
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);

  return (
    <section aria-labelledby="signed-in-title">
      <h1 id="signed-in-title" ref={title} tabIndex={-1}>
        You are signed in
      </h1>
      <p className="muted">The ID token Cognito issued says:</p>
      <dl className="claims">
        <dt>Phone number</dt>
        <dd data-claim="phone_number">{user.phoneNumber || '(none)'}</dd>
        <dt>Phone number verified</dt>
        <dd data-claim="phone_number_verified">{user.phoneNumberVerified ? 'Yes' : 'No'}</dd>
      </dl>
      <details>
        <summary>All claims of the ID token</summary>
        <pre>{JSON.stringify(user.claims, null, 2)}</pre>
      </details>
      <ErrorMessage id="signed-in-error" message={error?.message ?? null} />
      <button type="button" className="primary" onClick={onSignOut} disabled={busy} aria-busy={busy}>
        {busy ? 'Signing out…' : 'Sign out'}
      </button>
    </section>
  );
}
