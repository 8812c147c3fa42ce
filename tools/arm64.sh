#!/usr/bin/env bash
# The arm64 build, the architecture template.yaml deploys by default, built and run on this
# (x86_64) machine:
#
#   tools/arm64.sh build   # sam build (default config: Architecture=arm64) into .aws-sam/build:
#                          # the same `cargo lambda build --release --arm64 --bin <name>` that
#                          # `sam build` runs before `sam deploy`
#   tools/arm64.sh run     # every sample event in events/ through each arm64 bootstrap under
#                          # qemu-user (bench run-events: the benchmark's Runtime API harness)
#   tools/arm64.sh         # both (make arm64)
#
# Installs what it needs when missing: Debian's qemu-user and libc6-arm64-cross (apt-get, as root
# or through sudo), and Rust's aarch64-unknown-linux-gnu standard library (rustup). On an arm64
# host the bootstraps run natively, without qemu.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { printf 'arm64: %s\n' "$*"; }
what="${1:-all}"

sysroot=/usr/aarch64-linux-gnu
need_qemu() { [ "$(uname -m)" != aarch64 ] && [ "$(uname -m)" != arm64 ]; }

install_qemu() {
  if command -v qemu-aarch64 >/dev/null && [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then return; fi
  command -v apt-get >/dev/null || { say "need qemu-aarch64 and an arm64 glibc in $sysroot (Debian: qemu-user libc6-arm64-cross)"; exit 1; }
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  say "apt-get install qemu-user libc6-arm64-cross"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends qemu-user libc6-arm64-cross >/dev/null
}

build() {
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    say "rustup target add aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu
  fi
  # shellcheck source=env.sh source-path=SCRIPTDIR
  . tools/env.sh
  export SAM_CLI_TELEMETRY=0
  local start=$SECONDS
  say "sam build (Architecture=arm64, the template's default) into .aws-sam/build"
  sam build
  say "built in $((SECONDS - start)) s:"
  local f
  for f in .aws-sam/build/*/bootstrap; do printf '  %s  %d bytes\n' "$f" "$(wc -c <"$f")"; done
}

run() {
  local wrapper=()
  if need_qemu; then
    install_qemu
    wrapper=(--wrapper "qemu-aarch64 -L $sysroot")
  fi
  local start=$SECONDS
  cargo run -q --release -p bench -- run-events --build-dir .aws-sam/build "${wrapper[@]}"
  say "events run in $((SECONDS - start)) s"
}

case "$what" in
  build) build ;;
  run) run ;;
  all) build; run ;;
  *) say "usage: tools/arm64.sh [build|run]"; exit 1 ;;
esac
