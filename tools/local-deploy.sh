#!/usr/bin/env bash
# Build the functions for this machine and deploy template.yaml onto the local emulator.
#
#   tools/local-deploy.sh                       # defaults (samconfig.toml, config env "local")
#   tools/local-deploy.sh MaxAttempts=2 MaxSends=2 ResendCooldownSeconds=0   # differences from them
#   tools/local-deploy.sh --delete              # delete the local stack
#   tools/local-deploy.sh --build-only          # only sam build, for this machine (.aws-sam/build-local)
#   tools/local-deploy.sh --no-build [Key=Value ...]   # deploy what the last build left (tests that
#                                               # deploy several stacks from one build)
#   LOCAL_STACK_NAME=pool-demo tools/local-deploy.sh ExistingUserPoolId=us-east-1_AbC123
#                                               # the sign-in attached to a pool already on the
#                                               # emulator (docs/existing-pool.md); outputs as ever
#
# Starts ministack if needed (tools/local-stack.sh up), runs `sam build --config-env local` and
# `sam deploy --config-env local`, then writes the stack outputs to .local/stack-outputs.env:
#   STACK_NAME=...  USER_POOL_ID=...  USER_POOL_CLIENT_ID=...  AWS_REGION=...  AWS_ENDPOINT_URL=...
#   WEBOTP_DOMAIN=...  (empty unless the stack sets WebOtpDomain)
# The stack name and the parameters come from samconfig.toml's "local" environment (read by
# tools/local_config.py); the parameters given here replace or add to those of samconfig.toml.
# LOCAL_STACK_NAME overrides the stack name (default: samconfig.toml's local stack_name).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=local-env.sh source-path=SCRIPTDIR
. tools/local-env.sh
stack="${LOCAL_STACK_NAME:-$(python3 tools/local_config.py stack-name)}"

say() { printf 'local-deploy: %s\n' "$*"; }

for tool in sam aws; do
  command -v "$tool" >/dev/null || { say "$tool not found; run tools/install.sh"; exit 1; }
done

if [ "${1:-}" = "--delete" ]; then
  tools/local-stack.sh status >/dev/null || { say "emulator is down; nothing to delete"; exit 0; }
  sam delete --config-env local --stack-name "$stack" --no-prompts
  rm -f .local/stack-outputs.env
  exit 0
fi

if [ "$(uname -s)" != Linux ]; then
  say "warning: the emulator runs each function's bootstrap as a local process; a Linux binary"
  say "         cannot run on $(uname -s), so sign-in calls will fail here."
fi
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) say "unsupported CPU $(uname -m)"; exit 1 ;;
esac

if [ "${1:-}" = "--no-build" ]; then
  shift
  [ -f .aws-sam/build-local/template.yaml ] || { say "nothing built yet: run without --no-build"; exit 1; }
else
  say "sam build (Architecture=$arch)"
  sam build --config-env local --parameter-overrides "Architecture=$arch"
  if [ "${1:-}" = "--build-only" ]; then exit 0; fi
fi

tools/local-stack.sh up

# Command-line parameter overrides replace samconfig's, so pass samconfig's local ones with this
# machine's Architecture and the caller's parameters merged on top.
overrides="$(python3 tools/local_config.py overrides "Architecture=$arch" "$@")"
say "sam deploy --stack-name $stack ($overrides)"
sam deploy --config-env local --stack-name "$stack" --parameter-overrides "$overrides"

out() {
  local value
  value="$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text)"
  # An output whose condition is false is absent: the CLI prints nothing or None.
  if [ "$value" = None ]; then value=""; fi
  printf '%s' "$value"
}
# The emulator's CloudFormation ignores a table's TimeToLiveSpecification (ministack 1.5.33);
# turn TTL on as template.yaml asks, so expired per-number counts are swept locally too.
table="$(out SendLimitTableName)"
if [ -n "$table" ]; then
  aws dynamodb update-time-to-live --table-name "$table" \
    --time-to-live-specification Enabled=true,AttributeName=expiresAt >/dev/null
fi

mkdir -p .local
{
  echo "STACK_NAME=$stack"
  echo "USER_POOL_ID=$(out UserPoolId)"
  echo "USER_POOL_CLIENT_ID=$(out UserPoolClientId)"
  echo "AWS_REGION=$(out Region)"
  echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
  echo "WEBOTP_DOMAIN=$(out WebOtpDomain)"
} > .local/stack-outputs.env
say "stack $stack deployed; outputs in .local/stack-outputs.env:"
cat .local/stack-outputs.env
