#!/usr/bin/env bash
# End-to-end tests: deploy template.yaml onto the local emulator with limits low enough to act
# before the emulator's own 3-round cap (the per-number limit stays at the template's default, 5
# an hour, low enough to reach), run tests/e2e and the sign-in page's browser test
# (web/tests/browser.mjs) against it, then clean up: the stack is deleted, and the emulator
# stopped if this script started it.
#
#   tools/e2e.sh            (make e2e)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=local-env.sh source-path=SCRIPTDIR
. tools/local-env.sh

export LOCAL_STACK_NAME="${E2E_STACK_NAME:-sms-passwordless-e2e}"
export E2E_STACK_NAME="$LOCAL_STACK_NAME"
# The configured test numbers (TEST_PHONE_NUMBERS), one per test that uses one (the lockout
# tests lock theirs); the tests read them from here too.
export E2E_TEST_NUMBERS="+15555550111=13579024,+15555550112=24680246,+15555550113=97531086"
# What this stack deploys differently from samconfig.toml's local parameters (tools/local-deploy.sh
# merges these on top of them). The commas are inside values, not separators.
# shellcheck disable=SC2054
params=(
  MaxAttempts=2
  MaxSends=2
  ResendCooldownSeconds=3
  OtpTtlSeconds=60
  AllowedCountryCodes=1,44
  MaxFailedAnswersPerNumber=3
  PumpingBreakerMinSends=100000
  # The load test alone signs in 200 new numbers: the pool's ceiling is on, above the run.
  PoolSmsPerHour=100000
  PoolSmsPerHourNewNumbers=100000
  "TestPhoneNumbers=$E2E_TEST_NUMBERS"
  LogLevel=DEBUG
)
# A number from a country outside AllowedCountryCodes: the browser test expects its sign-up refused.
export WEB_TEST_REFUSED_NUMBER="+33612345678"

# The browser test's packages and Debian's chromium (skipped when already there).
tools/web-deps.sh --browser

started_here=0
if ! tools/local-stack.sh status >/dev/null 2>&1; then
  started_here=1
fi
# The existing-pool tests' stacks (tests/e2e/tests/existing_pool.rs; they delete their own, this
# is for a run that stopped half way).
pool_stacks=("$LOCAL_STACK_NAME-pool" "$LOCAL_STACK_NAME-taken")
cleanup() {
  status=$?
  for stack in "${pool_stacks[@]}"; do LOCAL_STACK_NAME="$stack" tools/local-deploy.sh --delete >/dev/null 2>&1 || true; done
  tools/local-deploy.sh --delete || true
  if [ "$started_here" = 1 ]; then tools/local-stack.sh down || true; fi
  exit "$status"
}
trap cleanup EXIT

tools/local-deploy.sh "${params[@]}"

# The smoke check a team runs after sam deploy (make smoke), against this stack: each function
# starts and answers a harmless event.
LOCAL=1 tools/smoke.sh "$LOCAL_STACK_NAME"

# `--workspace` keeps the features (and so the build) of `make unit`.
# The scenarios wait for cooldowns and one expiry; they are I/O-bound, so run them side by side.
cargo test --workspace --test sign_in --test send_limit --test lockout -- --ignored --test-threads 8
# The sign-in page (web/) in headless Chromium against the same stack: built with its outputs,
# served on 127.0.0.1, codes from the emulator's inbox (tools/web-deps.sh --browser installs it).
(cd web && node tests/browser.mjs)
# The fault and pumping cases change the stack's create function (its endpoints, the breaker's
# threshold; the breaker is deployed above with a threshold the other tests cannot reach): alone,
# one at a time.
cargo test --workspace --test faults --test pumping -- --ignored --test-threads 1
# After all of them: the functions' logs of the whole run.
cargo test --workspace --test logs -- --ignored
# The sign-in attached to pools made out of band (ExistingUserPoolId): their own stacks, deployed
# from the build above (tools/local-deploy.sh --no-build), one at a time.
cargo test --workspace --test existing_pool -- --ignored --test-threads 1
# Load, last (its thousands of log lines stay out of the search above): 200 complete sign-ins
# (LOAD_SIGN_INS, LOAD_CONCURRENCY); prints the throughput and latency table of docs/load.md.
cargo test --workspace --test load -- --ignored --nocapture
