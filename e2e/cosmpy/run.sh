#!/usr/bin/env bash
# cosmpy (PyPI, over gRPC) against a running `tesserad start --dev`: see test.py.
# Keeps a virtual environment in e2e/cosmpy/.venv, made anew when requirements.txt changes
# (a copy of it inside the venv, written after a successful install, tells).
#   e2e/cosmpy/run.sh                               # gRPC at 127.0.0.1:9090
#   TESSERA_GRPC=127.0.0.1:39090 e2e/cosmpy/run.sh
# PYTHON picks the interpreter that makes the venv (default python3; cosmpy needs 3.10+).
set -euo pipefail

HERE="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
STAMP="$VENV/.tessera-requirements.txt"
PYTHON="${PYTHON:-python3}"

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s "$HERE/requirements.txt" "$STAMP"; then
  command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' is not on PATH (set PYTHON to a Python 3.10+)"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    die "cosmpy needs Python 3.10+, $PYTHON is $("$PYTHON" -V 2>&1)"
  log "creating $VENV from requirements.txt"
  rm -rf -- "$VENV"
  "$PYTHON" -m venv "$VENV" ||
    die "'$PYTHON -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$HERE/requirements.txt"
  cp -- "$HERE/requirements.txt" "$STAMP"
fi

exec "$VENV/bin/python" "$HERE/test.py" "$@"
