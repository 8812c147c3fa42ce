#!/usr/bin/env bash
# Install the pinned mdBook into .venv/mdbook/bin (make docs builds the book with it).
#
# `cargo install --locked` from crates.io: the release's own Cargo.lock, so every dependency is
# the one mdBook was released with. Without the `serve` and `watch` features (a web server and a
# file watcher this project does not use), which keeps the one-time build to a few minutes.
# Skipped when .venv/mdbook/bin/mdbook already is this version, so running it again is cheap.
set -euo pipefail

version=0.5.4
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$repo/.venv/mdbook"

if [ -x "$root/bin/mdbook" ] && [ "$("$root/bin/mdbook" --version 2>/dev/null)" = "mdbook v$version" ]; then
  printf 'mdbook.sh: mdbook %s: up to date (.venv/mdbook), skipping\n' "$version"
  exit 0
fi
printf 'mdbook.sh: cargo install mdbook %s into .venv/mdbook (a few minutes, once)\n' "$version"
cargo install --quiet --locked --root "$root" --no-default-features --features search "mdbook@$version"
