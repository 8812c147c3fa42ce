#!/usr/bin/env bash
# The CDK construct end to end on the local emulator (make cdk, after its unit tests):
#
#  1. synthesize cdk/test/local-app.ts: the construct with samconfig.toml's local parameters and
#     this machine's architecture, its functions built by cargo lambda at synth time, and a
#     synthesizer that needs no bootstrap stack;
#  2. publish its file assets into the emulator's S3 (tools/cdk_assets.py) and deploy the template
#     with the emulator's CloudFormation (aws cloudformation deploy);
#  3. sign a new number up and in through it with the Rust client (tests/e2e/tests/cdk.rs).
#
# Cleans up as tools/e2e.sh does: the stack is deleted, and the emulator stopped if this script
# started it. LOCAL_STACK_PORT picks the emulator's port (tools/local-env.sh).
#
#   tools/cdk-e2e.sh        (make cdk)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=local-env.sh source-path=SCRIPTDIR
. tools/local-env.sh

stack="${CDK_E2E_STACK_NAME:-sms-passwordless-cdk-e2e}"
bucket="$stack-assets"
out=cdk/cdk.out.local
say() { printf 'cdk-e2e: %s\n' "$*"; }

for tool in aws cargo-lambda; do
  command -v "$tool" >/dev/null || { say "$tool not found; run tools/install.sh"; exit 1; }
done
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) say "unsupported CPU $(uname -m)"; exit 1 ;;
esac

tools/npm-ci.sh cdk

started_here=0
if ! tools/local-stack.sh status >/dev/null 2>&1; then
  started_here=1
fi
cleanup() {
  status=$?
  if tools/local-stack.sh status >/dev/null 2>&1; then
    aws cloudformation delete-stack --stack-name "$stack" || true
    aws cloudformation wait stack-delete-complete --stack-name "$stack" || true
  fi
  if [ "$started_here" = 1 ]; then tools/local-stack.sh down || true; fi
  exit "$status"
}
trap cleanup EXIT
tools/local-stack.sh up

# samconfig.toml's local parameters (the one place they are written), as SAM CLI splits them.
mapfile -t params < <(python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' \
  "$(python3 tools/local_config.py overrides "Architecture=$arch")")
say "synthesizing cdk/test/local-app.ts into $out (${params[*]})"
rm -rf "$out"
(cd cdk && CDK_OUTDIR="../$out" LOCAL_APP_STACK="$stack" LOCAL_APP_BUCKET="$bucket" \
  node_modules/.bin/tsx --tsconfig tsconfig.dev.json test/local-app.ts "${params[@]}")

python3 tools/cdk_assets.py "$out/$stack.assets.json"
say "aws cloudformation deploy --stack-name $stack"
aws cloudformation deploy --stack-name "$stack" --template-file "$out/$stack.template.json" \
  --s3-bucket "$bucket" --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset

say "signing in through it (tests/e2e/tests/cdk.rs)"
# `--workspace` keeps the features (and so the build) of `make unit` and `make e2e`.
E2E_STACK_NAME="$stack" cargo test --workspace --test cdk -- --ignored
