# shellcheck shell=bash
# Source me (bash or zsh):  source tools/env.sh
# Puts the project-local tool venvs (made by tools/install.sh) first on PATH:
#   .venv/tools/bin      sam, cfn-lint, cargo-lambda, aws; python3 there has `ziglang` (zig for cargo-lambda)
#   .venv/ministack/bin  ministack
# Nothing else is changed; open a new shell to undo.
# shellcheck disable=SC2296  # the else branch is zsh syntax
if [ -n "${BASH_SOURCE:-}" ]; then _sp_here="${BASH_SOURCE[0]}"; else _sp_here="${(%):-%x}"; fi
_sp_repo="$(cd "$(dirname "$_sp_here")/.." && pwd)"
for _sp_bin in "$_sp_repo/.venv/ministack/bin" "$_sp_repo/.venv/tools/bin"; do
  case ":$PATH:" in *":$_sp_bin:"*) ;; *) PATH="$_sp_bin:$PATH" ;; esac
done
export PATH
unset _sp_here _sp_repo _sp_bin
