#!/usr/bin/env bash
# Serve the sign-in page (web/) at http://127.0.0.1:5173 against the local stack (make web).
#
#   tools/web.sh [Param=Value ...]   # the parameters go to tools/local-deploy.sh, if it deploys
#
# Installs web/'s packages (tools/web-deps.sh). If the emulator is down, or the last deploy was not
# of stack LOCAL_STACK_NAME (default: samconfig.toml's local stack_name), deploys it first as make demo does
# (tools/local-deploy.sh). Then runs Vite's dev server with the pool from the stack's outputs
# (.local/stack-outputs.env): the page calls the emulator directly (Amplify's userPoolEndpoint;
# the emulator answers CORS). The SMS "sent" are in the emulator's inbox:
#   curl -s "$AWS_ENDPOINT_URL/_ministack/sns/sms-messages?phoneNumber=%2B15555550100"   (tools/local-env.sh)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=local-env.sh source-path=SCRIPTDIR
. tools/local-env.sh
stack="${LOCAL_STACK_NAME:-$(python3 tools/local_config.py stack-name)}"
outputs=.local/stack-outputs.env

say() { printf 'web: %s\n' "$*"; }

tools/web-deps.sh

if tools/local-stack.sh status >/dev/null 2>&1 && [ -f "$outputs" ] && grep -qx "STACK_NAME=$stack" "$outputs"; then
  say "stack $stack is deployed on $AWS_ENDPOINT_URL"
else
  say "deploying stack $stack onto the local emulator first"
  LOCAL_STACK_NAME="$stack" tools/local-deploy.sh "$@"
fi

value() { sed -n "s/^$1=//p" "$outputs"; }
export VITE_USER_POOL_ID VITE_USER_POOL_CLIENT_ID VITE_USER_POOL_ENDPOINT VITE_WEBOTP_DOMAIN
VITE_USER_POOL_ID="$(value USER_POOL_ID)"
VITE_USER_POOL_CLIENT_ID="$(value USER_POOL_CLIENT_ID)"
VITE_USER_POOL_ENDPOINT="$(value AWS_ENDPOINT_URL)"
VITE_WEBOTP_DOMAIN="$(value WEBOTP_DOMAIN)"

say "pool $VITE_USER_POOL_ID, app client $VITE_USER_POOL_CLIENT_ID, endpoint $VITE_USER_POOL_ENDPOINT"
say "the page: http://127.0.0.1:5173 (Ctrl-C stops it; make down stops the emulator)"
say "codes sent: curl -s '$AWS_ENDPOINT_URL/_ministack/sns/sms-messages?phoneNumber=%2B15555550100'"
cd web
exec node_modules/.bin/vite --host 127.0.0.1 --port 5173 --strictPort
