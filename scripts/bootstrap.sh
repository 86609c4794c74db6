#!/usr/bin/env bash
# Creates .venv with the project and its test tools. Safe to run again: it only installs what is missing.
# --gpu (the GPU node): the CUDA build of the same torch version, from PyTorch's index
# https://download.pytorch.org/whl/$TORCH_CUDA (default cu128), instead of the CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."

flavour=cpu
for arg in "$@"; do
  case "$arg" in
    --gpu) flavour=gpu ;;
    *) echo "usage: bash scripts/bootstrap.sh [--gpu]" >&2; exit 2 ;;
  esac
done

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
installed=$(cat "$stamp" 2>/dev/null || true)  # the torch build installed last time (an empty stamp: cpu)
[ "$flavour" = gpu ] || flavour=${installed:-cpu}  # without --gpu a GPU .venv keeps its CUDA torch
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "${installed:-cpu}" != "$flavour" ]; then
  echo "Installing carecall and its models into .venv (first run only; the log is .venv/install.log)…"
  # torch is pinned to the CPU wheel first, so the NeMo extra never pulls a CUDA build; with --gpu, the
  # CUDA wheel of the same version (its local version +cuXXX satisfies the pin, so the extras keep it).
  torch_version=$(sed -n 's/^torch==//p' scripts/constraints-cpu.txt)
  if [ "$flavour" = gpu ]; then
    torch_cuda=${TORCH_CUDA:-cu128}
    install_torch=(--index-url "https://download.pytorch.org/whl/$torch_cuda" "torch==$torch_version+$torch_cuda")
  else
    install_torch=(-c scripts/constraints-cpu.txt torch)
  fi
  if ! { .venv/bin/python -m pip install --upgrade pip &&
         .venv/bin/python -m pip install "${install_torch[@]}" &&
         .venv/bin/python -m pip install -c scripts/constraints-cpu.txt -e ".[test,nemo,tts]"; } > .venv/install.log 2>&1; then
    tail -30 .venv/install.log >&2
    echo "Installation failed; the whole log is .venv/install.log" >&2
    exit 1
  fi
  echo "$flavour" > "$stamp"
fi
