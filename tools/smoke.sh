#!/usr/bin/env bash
# After a deploy: does each function of the stack start and answer? Invokes the four deployed
# functions (names from the stack's outputs) once each with a harmless sample event from events/:
#
#   pre-sign-up            pre-sign-up/valid-number.json        a sign-up check; creates no user
#   define-auth-challenge  define-auth-challenge/first-call.json the first round's decision
#   create-auth-challenge  create-auth-challenge/smoke-not-a-number.json
#                          an unknown user whose name is not a phone number: no SMS, no per-number count
#   verify-auth-challenge  verify-auth-challenge/resend.json     a resend: never correct, counts nothing
#
# Each event comes from the stack's own app client (output UserPoolClientId): with an existing
# pool the functions serve no other.
# A function that starts and answers passes, whether it answers with a response or refuses the
# event with its own error (pre-sign-up refuses +1 numbers when AllowedCountryCodes excludes 1).
# One that does not start (a configuration refused at init: errorType Runtime.*) fails.
#
# Then the user pool's trigger slots: each must hold this stack's function (pre-sign-up only when
# the stack attaches it: always with its own pool, with ExistingPoolPreSignUp=true in an existing
# one). Another stack, a console edit or the pool's own CloudFormation stack may have replaced them.
#
#   tools/smoke.sh STACK              (make smoke STACK=...): the account and region of the AWS
#                                     configuration in this shell
#   LOCAL=1 tools/smoke.sh STACK      (make smoke STACK=... LOCAL=1): the local emulator
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
stack="${1:?usage: tools/smoke.sh STACK_NAME}"
if [ "${LOCAL:-}" = 1 ]; then
  # shellcheck source=local-env.sh source-path=SCRIPTDIR
  . tools/local-env.sh
else
  # shellcheck source=env.sh source-path=SCRIPTDIR
  . tools/env.sh
fi
command -v aws >/dev/null || { echo "smoke: aws not found; run make tools" >&2; exit 1; }
where="${AWS_ENDPOINT_URL:-AWS}"
echo "smoke: stack $stack ($where, region ${AWS_REGION:-${AWS_DEFAULT_REGION:-from the AWS config}})"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

parameter() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue" --output text
}

# Each function: its output, a harmless event, and its slot in the pool's LambdaConfig.
checks=(
  "PreSignUpFunctionName pre-sign-up/valid-number.json PreSignUp"
  "DefineAuthChallengeFunctionName define-auth-challenge/first-call.json DefineAuthChallenge"
  "CreateAuthChallengeFunctionName create-auth-challenge/smoke-not-a-number.json CreateAuthChallenge"
  "VerifyAuthChallengeFunctionName verify-auth-challenge/resend.json VerifyAuthChallengeResponse"
)
client_id="$(output UserPoolClientId)"
failed=0
for check in "${checks[@]}"; do
  read -r key event _ <<<"$check"
  name="$(output "$key")"
  python3 - "events/$event" "$client_id" "$tmp/event.json" <<'PY'
import json, sys
event = json.load(open(sys.argv[1]))
event["callerContext"]["clientId"] = sys.argv[2]
json.dump(event, open(sys.argv[3], "w"))
PY
  if [ -z "$name" ] || [ "$name" = None ]; then
    echo "  $key: no such output on stack $stack: FAILED"; failed=1; continue
  fi
  if ! aws lambda invoke --function-name "$name" --payload "fileb://$tmp/event.json" \
      "$tmp/answer.json" > "$tmp/invoke.json" 2> "$tmp/error.txt"; then
    echo "  $name: the invoke failed: $(tr '\n' ' ' < "$tmp/error.txt"): FAILED"; failed=1; continue
  fi
  verdict="$(python3 - "$tmp/invoke.json" "$tmp/answer.json" "$event" <<'PY'
import json, sys
invoke = json.load(open(sys.argv[1]))
try:
    answer = json.load(open(sys.argv[2]))
except ValueError:
    answer = None
event = sys.argv[3]
status = invoke.get("StatusCode")
if status != 200 or not isinstance(answer, dict):
    print(f"FAILED: status {status}, answer {answer!r}")
elif invoke.get("FunctionError") or "errorType" in answer:
    kind = str(answer.get("errorType", ""))
    message = str(answer.get("errorMessage", ""))[:160]
    if kind.startswith("Runtime.") or not message:
        print(f"FAILED: did not start ({kind}: {message})")
    else:
        print(f"ok: started, answered with its own refusal ({message})")
else:
    r = answer.get("response") or {}
    want = {
        "pre-sign-up": ("autoConfirmUser", True),
        "define-auth-challenge": ("challengeName", "CUSTOM_CHALLENGE"),
        "verify-auth-challenge": ("answerCorrect", False),
    }.get(event.split("/")[0])
    if want and r.get(want[0]) != want[1]:
        print(f"FAILED: answered, but response.{want[0]} is {r.get(want[0])!r}, expected {want[1]!r}")
    elif event.startswith("create") and not (r.get("publicChallengeParameters") or {}).get("maskedPhoneNumber"):
        print(f"FAILED: answered without a challenge: {r!r}")
    else:
        shown = {k: v for k, v in r.items() if k in ("autoConfirmUser", "challengeName", "answerCorrect")}
        if event.startswith("create"):
            shown = {"publicChallengeParameters": r["publicChallengeParameters"]}
        print(f"ok: started and answered {json.dumps(shown)}")
PY
)"
  echo "  $name ($event): $verdict"
  case "$verdict" in ok:*) ;; *) failed=1 ;; esac
done
if [ "$failed" = 0 ]; then echo "smoke: all four functions started and answered"; else echo "smoke: FAILED" >&2; exit 1; fi

pool="$(output UserPoolId)"
existing="$(parameter ExistingUserPoolId)"
case "$existing" in None | "") existing="" ;; esac
pre_sign_up=true
if [ -n "$existing" ] && [ "$(parameter ExistingPoolPreSignUp)" != true ]; then pre_sign_up=false; fi
echo "smoke: the trigger slots of user pool $pool${existing:+ (an existing pool)}"
for check in "${checks[@]}"; do
  read -r key _ slot <<<"$check"
  there="$(aws cognito-idp describe-user-pool --user-pool-id "$pool" --query "UserPool.LambdaConfig.$slot" --output text)"
  case "$there" in None) there="" ;; esac
  if [ "$slot" = PreSignUp ] && [ "$pre_sign_up" = false ]; then
    echo "  $slot: not attached by this stack (ExistingPoolPreSignUp=false): ${there:-empty}"
    continue
  fi
  ours="$(aws lambda get-function-configuration --function-name "$(output "$key")" --query FunctionArn --output text)"
  if [ "$there" = "$ours" ]; then
    echo "  $slot: ok, this stack's function"
  else
    echo "  $slot: holds ${there:-nothing}, not this stack's $ours: FAILED"; failed=1
  fi
done
if [ "$failed" = 0 ]; then
  echo "smoke: the pool's slots hold this stack's functions"
else
  echo "smoke: FAILED: sign-in through this stack does not work while its slots hold something else." >&2
  if [ -n "$existing" ]; then
    echo "  Deploy again with a new ExistingPoolRevision to write them back (docs/existing-pool.md). If another" >&2
    echo "  CloudFormation stack owns the pool, each of its updates empties them again: add the four functions" >&2
    echo "  to that stack's LambdaConfig instead (docs/existing-pool.md, Another stack owns the pool)." >&2
  fi
  exit 1
fi
