import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';
import { pool, webOtpDomain } from './config';
import { SmsSignIn, configure } from './signin';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

if (!pool) {
  root.render(
    <main className="card">
      <h1>Not configured</h1>
      <p>
        Build or serve this page with <code>VITE_USER_POOL_ID</code> and <code>VITE_USER_POOL_CLIENT_ID</code> set (the
        stack outputs <code>UserPoolId</code> and <code>UserPoolClientId</code>); <code>make web</code> does it for the
        local stack.
      </p>
    </main>,
  );
} else {
  configure(pool);
  // WebOTP only when the stack puts the WebOTP line in its SMS, and for this very host (the browser
  // hands the code only to the origin the SMS names).
  const webOtp = webOtpDomain !== '' && webOtpDomain === window.location.hostname;
  root.render(
    <StrictMode>
      <App signIn={new SmsSignIn()} webOtp={webOtp} />
    </StrictMode>,
  );
}
