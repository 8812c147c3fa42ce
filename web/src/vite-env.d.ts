/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_USER_POOL_ID?: string;
  readonly VITE_USER_POOL_CLIENT_ID?: string;
  readonly VITE_USER_POOL_ENDPOINT?: string;
  readonly VITE_WEBOTP_DOMAIN?: string;
  readonly VITE_DEFAULT_COUNTRY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
