#!/usr/bin/env bash
# Install a Node package's dependencies exactly as its package-lock.json pins them (npm ci), and
# again only when the lock or the Node version changed (a stamp in its node_modules, as
# tools/install.sh does for the Python tools). Needs Node.js 20.19 or newer with npm (Vite 8 and
# vitest 4, used by web/ and cdk/).
#
#   tools/npm-ci.sh web     (tools/web-deps.sh)
#   tools/npm-ci.sh cdk     (make cdk)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:?usage: tools/npm-ci.sh <directory with a package-lock.json>}"
cd "$repo/$dir"

say() { printf 'npm-ci: %s\n' "$*"; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "Node.js 20.19+ with npm is needed for $dir/ (https://nodejs.org, or your package manager)"; exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  say "Node.js 20.19 or newer is needed for $dir/ (Vite 8); found $(node --version)"; exit 1
fi

stamp=node_modules/.package-lock.sha256
want="$( { cat package-lock.json; node --version; } | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "$dir/node_modules matches $dir/package-lock.json, skipping npm ci"
else
  say "npm ci in $dir/ (the exact versions of $dir/package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$want" > "$stamp"
fi
