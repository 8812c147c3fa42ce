# shellcheck shell=bash
# Source me (bash or zsh):  source tools/local-env.sh
# Points the AWS CLI, SAM CLI and SDKs of this shell at the local emulator (tools/local-stack.sh up)
# with dummy credentials, and puts the project's tool venvs on PATH (tools/env.sh).
# It unsets AWS_PROFILE and session tokens so no real account is used by accident.
# The emulator's port is set here only (tools/local-stack.sh reads it from here too):
# LOCAL_STACK_PORT, default 4566.
# shellcheck disable=SC2296  # the else branch is zsh syntax
if [ -n "${BASH_SOURCE:-}" ]; then _sp_here="${BASH_SOURCE[0]}"; else _sp_here="${(%):-%x}"; fi
# shellcheck source=env.sh source-path=SCRIPTDIR
. "$(cd "$(dirname "$_sp_here")" && pwd)/env.sh"
unset _sp_here
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
export LOCAL_STACK_PORT="${LOCAL_STACK_PORT:-4566}"
export AWS_ENDPOINT_URL="http://127.0.0.1:$LOCAL_STACK_PORT"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1
# No AWS account and no internet: keep SAM CLI from trying to send telemetry.
export SAM_CLI_TELEMETRY=0
