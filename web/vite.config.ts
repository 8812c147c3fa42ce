/// <reference types="vitest/config" />
// The sign-in page's build. Configuration comes from VITE_* variables (see src/config.ts and the
// docs/clients.md, "The sign-in page"); `make web` sets them from the local stack's outputs.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // Loopback only: the dev server and `vite preview` never listen on other interfaces.
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: { target: 'es2022', sourcemap: false },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
