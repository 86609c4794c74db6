#!/usr/bin/env bash
# Sets up (first run only) and runs a simulated Korean care call end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/carecall demo "$@"
