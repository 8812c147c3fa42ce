#!/usr/bin/env bash
# The CDK construct end to end on the local emulator (make cdk, after its unit tests):
#
#  1. synthesize cdk/test/local-app.ts: the construct with samconfig.toml's local parameters and
#     this machine's architecture, its functions built by cargo lambda at synth time, and a
#     synthesizer that needs no bootstrap stack;
#  2. publish its file assets into the emulator's S3 (tools/cdk_assets.py) and deploy the template
#     with the emulator's CloudFormation (aws cloudformation deploy);
#  3. sign a new number up and in through it with the Rust client (tests/e2e/tests/cdk.rs);
#  4. switching that stack onto a pool made out of band refused (it would delete its own pool),
#     and sign-in through it still working;
#  5. a second stack attached to that pool (existingUserPoolId, its custom resource writing the
#     pool's trigger slots), the same sign-in through it, then that stack deleted and the pool's
#     slots checked empty again.
#
# Cleans up as tools/e2e.sh does: the stacks and the pool are deleted, and the emulator stopped if
# this script started it. LOCAL_STACK_PORT picks the emulator's port (tools/local-env.sh).
#
#   tools/cdk-e2e.sh        (make cdk)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=local-env.sh source-path=SCRIPTDIR
. tools/local-env.sh

stack="${CDK_E2E_STACK_NAME:-sms-passwordless-cdk-e2e}"
attached="$stack-pool"
bucket="$stack-assets"
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
pool_id=""
delete_stack() {
  aws cloudformation delete-stack --stack-name "$1" && aws cloudformation wait stack-delete-complete --stack-name "$1"
}
cleanup() {
  status=$?
  if tools/local-stack.sh status >/dev/null 2>&1; then
    for s in "$attached" "$stack"; do delete_stack "$s" || true; done
    if [ -n "$pool_id" ]; then aws cognito-idp delete-user-pool --user-pool-id "$pool_id" || true; fi
  fi
  if [ "$started_here" = 1 ]; then tools/local-stack.sh down || true; fi
  exit "$status"
}
trap cleanup EXIT
tools/local-stack.sh up

# samconfig.toml's local parameters (the one place they are written), as SAM CLI splits them.
mapfile -t local_params < <(python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' \
  "$(python3 tools/local_config.py overrides "Architecture=$arch")")

# deploy <stack> Key=Value...: synthesize, publish the assets, deploy.
deploy() {
  local name="$1" out="cdk/cdk.out.local/$1"
  shift
  say "synthesizing cdk/test/local-app.ts as $name into $out ($*)"
  rm -rf "$out"
  (cd cdk && CDK_OUTDIR="../$out" LOCAL_APP_STACK="$name" LOCAL_APP_BUCKET="$bucket" \
    node_modules/.bin/tsx --tsconfig tsconfig.dev.json test/local-app.ts "$@")
  python3 tools/cdk_assets.py "$out/$name.assets.json"
  say "aws cloudformation deploy --stack-name $name"
  aws cloudformation deploy --stack-name "$name" --template-file "$out/$name.template.json" \
    --s3-bucket "$bucket" --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset
}

# signs_in <stack>: a new number signs up and in through it (`--workspace` keeps the features, and
# so the build, of make unit and make e2e).
signs_in() {
  say "signing in through $1 (tests/e2e/tests/cdk.rs)"
  E2E_STACK_NAME="$1" cargo test --workspace --test cdk -- --ignored
}

deploy "$stack" "${local_params[@]}"
signs_in "$stack"

# A pool made out of band (deletionProtection is refused for a pool the construct does not make),
# with pre-sign-up attached so a new number signs up through the stack's client.
pool_id="$(aws cognito-idp create-user-pool --pool-name "$attached-users" --username-attributes phone_number \
  --query UserPool.Id --output text)"
mapfile -t attached_params < <(printf '%s\n' "${local_params[@]}" | grep -v '^DeletionProtection=')
attach_params=("${attached_params[@]}" "ExistingUserPoolId=$pool_id" ExistingPoolPreSignUp=true)

# Switching the first stack onto it would delete its own pool: the custom resource refuses (it
# looks for the construct's pool by the logical id it is given, OwnPool), the update rolls back.
say "switching $stack to the existing pool: refused, its own pool kept"
if deploy "$stack" "${attach_params[@]}"; then
  say "$stack switched from its own pool to an existing one; the custom resource should have refused"
  exit 1
fi
status="$(aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].StackStatus' --output text)"
reasons="$(aws cloudformation describe-stack-events --stack-name "$stack" --output text \
  --query "StackEvents[?contains(ResourceStatus, 'FAILED')].ResourceStatusReason")"
if [ "$status" != UPDATE_ROLLBACK_COMPLETE ] || ! grep -q "this stack created its own user pool" <<<"$reasons"; then
  say "expected a rollback for the stack's own pool, got $status: $reasons"
  exit 1
fi
say "refused and rolled back: $(grep -o "this stack created its own user pool[^;]*" <<<"$reasons" | head -n 1)"
signs_in "$stack"

deploy "$attached" "${attach_params[@]}"
signs_in "$attached"
# slots: the pool's filled trigger slots, one a line.
slots() {
  aws cognito-idp describe-user-pool --user-pool-id "$pool_id" --output json |
    python3 -c 'import json, sys; [print(k) for k, v in json.load(sys.stdin)["UserPool"].get("LambdaConfig", {}).items() if v]'
}
say "the pool's trigger slots while $attached is deployed: $(slots | tr '\n' ' ')"
say "deleting $attached: the custom resource empties the pool's trigger slots again"
delete_stack "$attached"
left="$(slots)"
if [ -n "$left" ]; then
  say "the pool's trigger slots still hold functions after the stack was deleted: $left"
  exit 1
fi
say "the pool's trigger slots are empty again"
