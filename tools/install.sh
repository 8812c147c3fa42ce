#!/usr/bin/env bash
# Install the project's pinned tools into project-local virtual environments.
#
#   tools/install.sh             # every venv: one per tools/requirements-<name>.txt
#   tools/install.sh ministack   # only .venv/ministack
#
# Each tools/requirements-<name>.txt becomes .venv/<name>. Every requirements file is hash-locked
# (pip-compile --generate-hashes; each file's header says how to regenerate it) and installed with
# --require-hashes, so pip installs exactly the pinned files or nothing, by the pip of
# tools/pip.txt (hash-locked too), installed into each new venv first. A venv whose stamp
# (.venv/<name>/.requirements.sha256) matches the sha256 of its requirements file, of
# tools/pip.txt and of the Python that built it is left alone, so running this again is cheap.
# Uses only `python3 -m venv` and pip. PYTHON=/path/to/python3.x picks another Python
# (3.11 or newer).
#
# Afterwards:  source tools/env.sh   (puts the venvs' bin/ on PATH for sam, cargo lambda, aws, ministack)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
venv_root="$repo/.venv"

log() { printf 'install.sh: %s\n' "$*"; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -d' ' -f1
  else shasum -a 256 | cut -d' ' -f1; fi
}

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  log "need Python 3.11 or newer as '$python' (set PYTHON=...); found: $("$python" --version 2>&1 || echo none)"
  exit 1
fi
py_id="$("$python" -c 'import sys, platform; print(sys.version.split()[0], platform.machine(), sys.platform)')"

wanted=("$@")
if [ ${#wanted[@]} -eq 0 ]; then
  for f in "$repo"/tools/requirements-*.txt; do
    n="${f##*/requirements-}"; wanted+=("${n%.txt}")
  done
fi

mkdir -p "$venv_root"
for name in "${wanted[@]}"; do
  req="$repo/tools/requirements-$name.txt"
  venv="$venv_root/$name"
  stamp="$venv/.requirements.sha256"
  if [ ! -f "$req" ]; then
    log "no such requirements file: tools/requirements-$name.txt"; exit 1
  fi
  want="$( { cat "$req" "$repo/tools/pip.txt"; printf 'python %s\n' "$py_id"; } | sha256_of)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
    log "$name: up to date (.venv/$name matches tools/requirements-$name.txt), skipping"
    continue
  fi
  if [ -d "$venv" ]; then
    log "$name: requirements changed or install incomplete, recreating .venv/$name"
    rm -rf "$venv"
  fi
  log "$name: creating .venv/$name with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
  log "$name: pip install --require-hashes -r tools/pip.txt"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --require-hashes -r "$repo/tools/pip.txt"
  log "$name: pip install --require-hashes -r tools/requirements-$name.txt"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --require-hashes -r "$req"
  log "$name: pip check"
  "$venv/bin/python" -m pip check --disable-pip-version-check
  printf '%s\n' "$want" > "$stamp"
  log "$name: installed"
done

log "done. Use: source tools/env.sh"
