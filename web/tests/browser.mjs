// The sign-in page in a real browser, against a deployed local stack: headless Chromium (Debian's,
// driven by playwright-core), a phone-sized screen, the codes read from the emulator's SMS inbox.
//
//   node tests/browser.mjs     (tools/e2e.sh runs it against the stack it deploys; from web/)
//
// It builds the page for production with the pool from the stack's outputs (.local/stack-outputs.env,
// written by tools/local-deploy.sh), serves it with `vite preview` on 127.0.0.1, and checks:
//   1. a new number (national digits, country selected) is signed up and in; the code screen says
//      where the code went, its length, time and attempts left; the resend button counts down,
//      then sends a new code; the old code is refused with the attempts left; the new one signs in;
//      the ID token's claims are shown; sign out;
//   2. the same number, now known, signs in through a code screen that reads exactly as a new
//      number's (digits aside);
//   3. a pasted +44 number moves the country selector; wrong codes until the sign-in ends show
//      attempts left, then the "too many wrong codes" message;
//   4. a number from a country the stack does not allow (WEB_TEST_REFUSED_NUMBER, set by
//      tools/e2e.sh) is refused with the trigger's reason; an incomplete number is refused on the
//      page without a request;
//   and that the page made no request anywhere but its own origin and the pool's endpoint.
// Screenshots go to .local/web-screenshots/; WEB_DOCS_SCREENSHOTS=1 also writes the two pictures of
// the README and docs/clients.md (docs/web-code-screen.png, docs/web-signed-in.png).
//
// Environment: CHROMIUM (default /usr/bin/chromium), STACK_OUTPUTS (default
// ../.local/stack-outputs.env), WEB_TEST_DEADLINE_SECONDS (default 240), WEB_TEST_URL (test a page
// already served, e.g. make web's http://127.0.0.1:5173/, instead of building and serving one).

import { randomInt } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(web, '..');
const shots = join(repo, '.local', 'web-screenshots');
const deadline = Number(process.env.WEB_TEST_DEADLINE_SECONDS || 240);

// Bounded in time whatever happens: a hung browser or server fails the test, never the CI job.
const watchdog = setTimeout(() => {
  console.error(`browser test: FAILED, still running after ${deadline} s`);
  process.exit(1);
}, deadline * 1000);
watchdog.unref();

let checks = 0;
function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
  checks += 1;
  console.log(`  ok  ${what}`);
}

function readOutputs() {
  const file = process.env.STACK_OUTPUTS || join(repo, '.local', 'stack-outputs.env');
  const text = readFileSync(file, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

// ------------------------------------------------------------------ the emulator's SMS inbox
/** Every SMS text the emulator received for `phone`, oldest first (as crates/signin-client/src/emulator.rs). */
async function smsTo(endpoint, phone) {
  const url = `${endpoint}/_ministack/sns/sms-messages?phoneNumber=${encodeURIComponent(phone)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`the emulator's SMS inbox answered ${response.status}`);
  const texts = [];
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      if (typeof value.Message === 'string') texts.push(value.Message);
      Object.values(value).filter((v) => v && typeof v === 'object').forEach(walk);
    }
  };
  walk(await response.json());
  return texts;
}

function codeIn(text, length) {
  return text.split(/\D+/).find((run) => run.length === length);
}

/** Waits (bounded) until `phone` has `count` SMS, and returns the code in the last one. */
async function waitForCode(endpoint, phone, count, length) {
  for (let i = 0; i < 50; i += 1) {
    const texts = await smsTo(endpoint, phone);
    if (texts.length >= count) {
      check(texts.length === count, `${phone} has exactly ${count} SMS`);
      const code = codeIn(texts.at(-1), length);
      if (!code) throw new Error(`no ${length}-digit code in ${JSON.stringify(texts.at(-1))}`);
      return code;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${phone}: no SMS number ${count} after 5 s`);
}

// ------------------------------------------------------------------ build and serve
function bundleReport(dist) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(dist);
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return `bundle: ${files.length} files, ${(raw / 1000).toFixed(1)} kB, ${(gzip / 1000).toFixed(1)} kB gzipped`;
}

async function buildAndServe(outputs) {
  process.env.VITE_USER_POOL_ID = outputs.USER_POOL_ID;
  process.env.VITE_USER_POOL_CLIENT_ID = outputs.USER_POOL_CLIENT_ID;
  process.env.VITE_USER_POOL_ENDPOINT = outputs.AWS_ENDPOINT_URL;
  process.env.VITE_WEBOTP_DOMAIN = outputs.WEBOTP_DOMAIN || '';
  process.env.VITE_DEFAULT_COUNTRY = 'US';
  const outDir = join(web, 'dist');
  await build({ root: web, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  console.log(bundleReport(outDir));
  // Port 0: any free port on 127.0.0.1 (the config binds loopback only).
  const server = await preview({ root: web, logLevel: 'warn', preview: { port: 0, strictPort: false }, build: { outDir } });
  const address = server.httpServer.address();
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

// ------------------------------------------------------------------ the page
function newUsNumber() {
  return `+1555${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
}

function newUkNumber() {
  return `+447700${String(randomInt(900_000, 1_000_000))}`;
}

function national(us) {
  const d = us.slice(2);
  return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
}

async function text(locator) {
  return (await locator.textContent())?.trim() ?? '';
}

async function codeScreen(page) {
  await page.getByRole('heading', { name: 'Enter the code' }).waitFor();
  const field = page.getByLabel(/-digit code$/);
  const length = Number(await field.getAttribute('maxlength'));
  const attempts = Number((await text(page.locator('#code-facts'))).match(/(\d+) attempts? left/)?.[1]);
  return { field, length, attempts };
}

async function startSignIn(page, { country, typed }) {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  if (country) await page.getByLabel('Country or region').selectOption(country);
  await page.getByLabel('Phone number').fill(typed);
  await page.getByRole('button', { name: 'Send me a code' }).click();
}

async function main() {
  const outputs = readOutputs();
  const endpoint = outputs.AWS_ENDPOINT_URL;
  check(Boolean(outputs.USER_POOL_ID && outputs.USER_POOL_CLIENT_ID && endpoint), 'stack outputs: pool, client, endpoint');

  // WEB_TEST_URL: test a page already served (make web's dev server) instead of building one.
  const { server, url } = process.env.WEB_TEST_URL
    ? { server: undefined, url: process.env.WEB_TEST_URL }
    : await buildAndServe(outputs);
  const profile = mkdtempSync(join(tmpdir(), 'web-test-chromium-'));
  mkdirSync(shots, { recursive: true });
  // A fresh profile; without the background-networking flags Chromium's own connections (and so
  // the page's) can be refused here.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 375, height: 667 }, // a small phone's screen
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'en-US',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  try {
    const requests = [];
    context.on('request', (request) => requests.push(request.url()));
    page.setDefaultTimeout(15_000);
    const consoleErrors = [];
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    const shot = async (name) => {
      const path = join(shots, `${name}.png`);
      await page.screenshot({ path });
      return path;
    };

    await page.goto(url);

    // ---------------------------------------------------------------- 1. a new number, all the way
    console.log('1. a new number: sign up and in, wrong code, resend, sign out');
    const phone = newUsNumber();
    await startSignIn(page, { country: 'US', typed: national(phone) });
    let screen = await codeScreen(page);
    check(
      (await text(page.locator('form p.muted'))).includes(`+1******${phone.slice(-4)}`),
      'the code screen shows the masked number',
    );
    check(screen.length === 6, 'the code field is sized to codeLength (6)');
    check((await screen.field.getAttribute('autocomplete')) === 'one-time-code', 'the code field: autocomplete=one-time-code');
    check((await screen.field.getAttribute('inputmode')) === 'numeric', 'the code field: inputmode=numeric');
    check(/Expires in \d+:\d\d/.test(await text(page.locator('#code-facts'))), 'the time left is shown');
    check(screen.attempts > 1, `the attempts left are shown (${screen.attempts})`);
    const resend = page.locator('.row button.secondary');
    check(/Send a new code in \d+:\d\d/.test(await text(resend)) && (await resend.isDisabled()), 'the resend button counts down');
    const firstScreenText = await text(page.locator('main'));
    const oldCode = await waitForCode(endpoint, phone, 1, screen.length);
    // The README's picture: the code half typed.
    await screen.field.fill(oldCode.slice(0, 3));
    const codeShot = await shot('1-code-screen');
    await screen.field.fill('');

    await page.getByRole('button', { name: 'Send a new code', exact: true }).waitFor({ timeout: 40_000 });
    check(await resend.isEnabled(), 'after the cooldown the resend button asks for a new code');
    await resend.click();
    await page.locator('#code-status', { hasText: 'A new code is on its way' }).waitFor();
    check(true, 'the page says a new code is on its way');
    const newCode = await waitForCode(endpoint, phone, 2, screen.length);
    check(newCode !== oldCode, 'the resend brought a new code');
    screen = await codeScreen(page);
    check(screen.attempts > 1, 'a resend is not a wrong answer');
    await screen.field.fill(oldCode); // a full code submits itself
    await page.locator('#code-error', { hasText: 'Wrong code' }).waitFor();
    const left = screen.attempts - 1;
    check(
      (await text(page.locator('#code-error'))) === `Wrong code. ${left} attempt${left === 1 ? '' : 's'} left.`,
      `the old code is refused, with the attempts left (${left})`,
    );
    await shot('1-wrong-code');
    screen = await codeScreen(page);
    check(screen.attempts === left, 'the attempts left went down by one');
    check((await screen.field.inputValue()) === '', 'the code field is cleared for another try');
    await screen.field.fill(newCode);
    await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
    check((await text(page.locator('[data-claim="phone_number"]'))) === phone, "the ID token's phone_number is the number");
    check((await text(page.locator('[data-claim="phone_number_verified"]'))) === 'Yes', "the ID token's phone_number_verified is true");
    const signedInShot = await shot('1-signed-in');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    check(true, 'signed out, also after a reload');

    // ---------------------------------------------------------------- 2. the same number, known now
    console.log('2. the same number again: known, signed in the same way');
    await startSignIn(page, { typed: phone });
    screen = await codeScreen(page);
    const knownScreenText = await text(page.locator('main'));
    const digitless = (s) => s.replace(/\d/g, '#');
    check(digitless(knownScreenText) === digitless(firstScreenText), "a known number's code screen reads as a new number's");
    const code = await waitForCode(endpoint, phone, 3, screen.length);
    await screen.field.fill(code);
    await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
    check(true, 'the known number signed in');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // ---------------------------------------------------------------- 3. locked: too many wrong codes
    console.log('3. a pasted +44 number: wrong codes until the sign-in ends');
    const uk = newUkNumber();
    await page.getByLabel('Country or region').selectOption('US');
    const spaced = `${uk.slice(0, 3)} ${uk.slice(3, 7)} ${uk.slice(7)}`;
    await page.getByLabel('Phone number').fill(spaced);
    check((await page.getByLabel('Country or region').inputValue()) === 'GB', 'a pasted +44 number selects the United Kingdom');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    screen = await codeScreen(page);
    const right = await waitForCode(endpoint, uk, 1, screen.length);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let attempts = screen.attempts; attempts > 1; attempts -= 1) {
      await screen.field.fill(wrong);
      await page.locator('#code-error', { hasText: `Wrong code. ${attempts - 1} attempt` }).waitFor();
      check(true, `wrong code: ${attempts - 1} attempt(s) left shown`);
      screen = await codeScreen(page);
    }
    await screen.field.fill(wrong);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const locked = await text(page.locator('#phone-error'));
    check(/^Too many wrong codes\./.test(locked), `the ended sign-in says so: "${locked}"`);
    check((await page.getByLabel('Phone number').inputValue()) === spaced, 'the number is kept to start again');
    await shot('3-locked');
    check((await smsTo(endpoint, uk)).length === 1, 'wrong codes sent no SMS');

    // ---------------------------------------------------------------- 4. refused before any code
    const refusedNumber = process.env.WEB_TEST_REFUSED_NUMBER;
    console.log(`4. refusals: ${refusedNumber ? 'a country not allowed, ' : ''}an incomplete number`);
    if (refusedNumber) {
      await page.getByLabel('Phone number').fill(refusedNumber);
      await page.getByRole('button', { name: 'Send me a code' }).click();
      await page.locator('#phone-error', { hasText: 'cannot be used to sign up' }).waitFor();
      const refused = await text(page.locator('#phone-error'));
      check(
        refused === 'This phone number cannot be used to sign up. Sign-up with phone numbers from this country is not allowed.',
        `sign-up refused with the trigger's reason: "${refused}"`,
      );
      await shot('4-country-refused');
    }
    const before = requests.length;
    await page.getByLabel('Country or region').selectOption('US');
    await page.getByLabel('Phone number').fill('555 01');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.locator('#phone-error', { hasText: 'does not look complete' }).waitFor();
    check(requests.length === before, 'an incomplete number is refused on the page, no request made');
    check((await page.getByLabel('Phone number').getAttribute('type')) === 'tel', 'the phone field: type=tel');
    check((await page.getByLabel('Phone number').getAttribute('autocomplete')) === 'tel', 'the phone field: autocomplete=tel');

    // ---------------------------------------------------------------- what the page talked to
    const page0 = new URL(url).origin;
    const pool = new URL(endpoint).origin;
    const elsewhere = requests.filter((u) => ![page0, pool].includes(new URL(u).origin));
    check(elsewhere.length === 0, `no request anywhere but the page and the pool's endpoint (${elsewhere.join(', ') || 'none'})`);
    check(requests.filter((u) => u.startsWith(pool)).length > 0, `the page called the pool's endpoint (${pool})`);
    check(consoleErrors.length === 0, `no uncaught error in the page${consoleErrors.length ? `: ${consoleErrors.join('; ')}` : ''}`);

    if (process.env.WEB_DOCS_SCREENSHOTS === '1') {
      mkdirSync(join(repo, 'docs'), { recursive: true });
      copyFileSync(codeShot, join(repo, 'docs', 'web-code-screen.png'));
      copyFileSync(signedInShot, join(repo, 'docs', 'web-signed-in.png'));
      console.log('screenshots copied to docs/');
    }
  } catch (err) {
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`browser test: the page at the failure: .local/web-screenshots/failure.png`);
    throw err;
  } finally {
    await context.close();
    if (server) await new Promise((r) => server.httpServer.close(r));
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`browser test: ${checks} checks passed; screenshots in .local/web-screenshots/`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`browser test: FAILED after ${checks} checks: ${err?.stack || err}`);
    process.exit(1);
  },
);
