// The page's settings, fixed at build time from VITE_* variables (`make web` and the browser test
// set them from the stack's outputs; for a real pool see docs/clients.md, "The sign-in page").
//
//   VITE_USER_POOL_ID          stack output UserPoolId (required)
//   VITE_USER_POOL_CLIENT_ID   stack output UserPoolClientId (required)
//   VITE_USER_POOL_ENDPOINT    the local emulator only (Amplify's userPoolEndpoint); unset for AWS
//   VITE_WEBOTP_DOMAIN         stack output WebOtpDomain, if the stack sets one: turns WebOTP on
//   VITE_DEFAULT_COUNTRY       the country selected first (ISO code, e.g. GB); else the browser's

import type { PoolConfig } from './signin';

const env = import.meta.env;

export const pool: PoolConfig | undefined =
  env.VITE_USER_POOL_ID && env.VITE_USER_POOL_CLIENT_ID
    ? {
        userPoolId: env.VITE_USER_POOL_ID,
        userPoolClientId: env.VITE_USER_POOL_CLIENT_ID,
        userPoolEndpoint: env.VITE_USER_POOL_ENDPOINT || undefined,
      }
    : undefined;

export const webOtpDomain: string = env.VITE_WEBOTP_DOMAIN ?? '';

export const defaultCountry: string | undefined = env.VITE_DEFAULT_COUNTRY || undefined;
