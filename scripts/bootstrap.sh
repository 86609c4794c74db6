#!/usr/bin/env bash
# Creates .venv with the project and its test tools. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      PYTHON=$candidate; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "carecall needs Python 3.11 or newer" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.carecall-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing carecall and its models into .venv (first run only; the log is .venv/install.log)…"
  # torch is pinned to the CPU wheel first, so the NeMo extra never pulls a CUDA build.
  if ! { .venv/bin/python -m pip install --upgrade pip &&
         .venv/bin/python -m pip install -c scripts/constraints-cpu.txt torch &&
         .venv/bin/python -m pip install -c scripts/constraints-cpu.txt -e ".[test,nemo,tts]"; } > .venv/install.log 2>&1; then
    tail -30 .venv/install.log >&2
    echo "Installation failed; the whole log is .venv/install.log" >&2
    exit 1
  fi
  touch "$stamp"
fi
