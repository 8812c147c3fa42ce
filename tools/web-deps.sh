#!/usr/bin/env bash
# Install what the sign-in page (web/) needs.
#
#   tools/web-deps.sh             # web/node_modules from web/package-lock.json (npm ci)
#   tools/web-deps.sh --browser   # and Debian's chromium for the browser test (apt-get, as root)
#
# npm ci runs again only when web/package-lock.json or the Node version changed
# (tools/npm-ci.sh). Needs Node 20.19 or newer with npm. The browser test drives the system
# Chromium with playwright-core: Playwright's own browser download cannot run here.
# CHROMIUM=/path/to/chromium uses another one; if /usr/bin/chromium (or $CHROMIUM) exists, apt is
# not touched.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo/web"

say() { printf 'web-deps: %s\n' "$*"; }

"$repo/tools/npm-ci.sh" web

if [ "${1:-}" = "--browser" ]; then
  chromium="${CHROMIUM:-/usr/bin/chromium}"
  if [ -x "$chromium" ]; then
    say "browser: $chromium ($("$chromium" --version 2>/dev/null | head -n 1))"
  else
    command -v apt-get >/dev/null || { say "no $chromium and no apt-get: install Chromium and set CHROMIUM=/path/to/it"; exit 1; }
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    say "installing Debian's chromium and fonts-liberation (apt-get update, apt-get install)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
    say "browser: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
  fi
fi
