#!/usr/bin/env bash
# Run the local AWS emulator (ministack, from .venv/ministack, see tools/install.sh) on 127.0.0.1,
# port LOCAL_STACK_PORT (default 4566, set in tools/local-env.sh).
#
#   tools/local-stack.sh up       start in the background and wait until healthy (no-op if already healthy)
#   tools/local-stack.sh down     stop it (SIGTERM, then SIGKILL after a bounded wait)
#   tools/local-stack.sh status   print state and health; exit 0 only when up and healthy
#   tools/local-stack.sh reset    wipe all emulator state (POST /_ministack/reset)
#
# Log: .local/ministack.log   pid: .local/ministack.pid   scratch (Lambda code cache): .local/tmp
# ministack keeps its state in memory only: `down` (or a crash) loses every stack, user and SMS.
# ministack runs with a clean environment (no AWS profile or credentials of yours leak into it or into
# the functions it spawns, which inherit its environment) plus:
#   BIND_HOST=127.0.0.1 GATEWAY_PORT=$LOCAL_STACK_PORT AWS_ENDPOINT_URL=http://127.0.0.1:$LOCAL_STACK_PORT
#   MINISTACK_HOST=127.0.0.1 (the host of the URLs it hands out, such as a custom resource's
#   ResponseURL; its default, localhost, may resolve to ::1, where nothing listens)
#   MINISTACK_REGION=us-east-1
# Override the port with LOCAL_STACK_PORT, the start-up wait (seconds) with LOCAL_STACK_WAIT.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The port (LOCAL_STACK_PORT and its default) and the endpoint URL.
# shellcheck source=local-env.sh source-path=SCRIPTDIR
. "$repo/tools/local-env.sh"
port="$LOCAL_STACK_PORT"
host=127.0.0.1
endpoint="http://$host:$port"
state="$repo/.local"
log_file="$state/ministack.log"
pid_file="$state/ministack.pid"
bin="$repo/.venv/ministack/bin/ministack"
wait_s="${LOCAL_STACK_WAIT:-30}"

say() { printf 'local-stack: %s\n' "$*"; }

healthy() {
  # ministack answers GET /_ministack/health with JSON holding "version"; 2 s cap per probe.
  curl -fsS --max-time 2 "$endpoint/_ministack/health" 2>/dev/null | grep -q '"version"'
}

pid_alive() {
  [ -f "$pid_file" ] || return 1
  local pid; pid="$(cat "$pid_file" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

port_busy() {
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

cmd_up() {
  if healthy; then
    if pid_alive; then say "already up and healthy at $endpoint (pid $(cat "$pid_file"))"
    else say "something healthy is already answering at $endpoint (not started by this script); leaving it"; fi
    return 0
  fi
  if pid_alive; then
    say "pid $(cat "$pid_file") is running but not healthy; stopping it first"
    cmd_down
  fi
  if port_busy; then
    say "port $host:$port is taken by another program that is not ministack; not starting"
    return 1
  fi
  if [ ! -x "$bin" ]; then
    say "ministack is not installed; run: tools/install.sh ministack"
    return 1
  fi
  mkdir -p "$state/tmp"
  say "starting ministack on $endpoint (log: .local/ministack.log)"
  # setsid: own process group, so `down` can stop ministack and every bootstrap it spawned.
  env -i \
    PATH="/usr/local/bin:/usr/bin:/bin" HOME="${HOME:-/tmp}" LANG="${LANG:-C.UTF-8}" \
    TMPDIR="$state/tmp" \
    BIND_HOST="$host" GATEWAY_PORT="$port" MINISTACK_HOST="$host" \
    AWS_ENDPOINT_URL="$endpoint" \
    MINISTACK_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
    LOG_LEVEL="${LOCAL_STACK_LOG_LEVEL:-INFO}" \
    setsid "$bin" >"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  local i=0 max=$((wait_s * 10))
  while [ "$i" -lt "$max" ]; do
    if healthy; then
      say "up and healthy after ~$((i / 10)).$((i % 10)) s (pid $(cat "$pid_file"))"
      return 0
    fi
    if ! pid_alive; then
      say "ministack exited during start-up; last log lines:"
      tail -n 20 "$log_file" >&2 || true
      rm -f "$pid_file"
      return 1
    fi
    sleep 0.1
    i=$((i + 1))
  done
  say "not healthy after ${wait_s}s; see .local/ministack.log"
  return 1
}

cmd_down() {
  if ! pid_alive; then
    rm -f "$pid_file"
    if healthy; then say "a ministack not started by this script answers at $endpoint; not touching it"
    else rm -f "$state/stack-outputs.env"; say "not running"; fi
    return 0
  fi
  local pid; pid="$(cat "$pid_file")"
  say "stopping ministack (pid $pid)"
  # Its process group also holds the warm Lambda bootstraps it spawned.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local i=0
  while [ "$i" -lt 100 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after 10 s; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file" "$state/stack-outputs.env"   # ministack keeps no state across restarts
  say "stopped"
}

cmd_status() {
  if healthy; then
    local v; v="$(curl -fsS --max-time 2 "$endpoint/_ministack/health" | grep -o '"version": *"[^"]*"' || true)"
    if pid_alive; then say "up and healthy at $endpoint (pid $(cat "$pid_file"), $v)"
    else say "healthy at $endpoint but not started by this script ($v)"; fi
    return 0
  fi
  if pid_alive; then say "pid $(cat "$pid_file") running but not healthy at $endpoint"; return 1; fi
  say "down"
  return 3
}

cmd_reset() {
  healthy || { say "not up"; return 1; }
  curl -fsS --max-time 30 -X POST "$endpoint/_ministack/reset" >/dev/null
  rm -f "$state/stack-outputs.env"
  say "state wiped (stacks, pools, functions and their processes, buckets, SMS, logs)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *) echo "usage: $0 up|down|status|reset" >&2; exit 2 ;;
esac
