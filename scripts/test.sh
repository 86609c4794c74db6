#!/usr/bin/env bash
# Sets up (first run only) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The dashboard's browser tests drive Debian's Chromium (with a CJK font, so Korean pages render); the
# espeak-ng fallback voice has a test of its own. Install what is missing where apt-get can.
if { [ ! -x /usr/bin/chromium ] || ! command -v espeak-ng >/dev/null 2>&1 ||
     ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; } && command -v apt-get >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  packages="chromium fonts-noto-cjk espeak-ng"
  { $SUDO apt-get install -y $packages || { $SUDO apt-get update && $SUDO apt-get install -y $packages; }; } >/dev/null 2>&1 ||
    echo "chromium or espeak-ng could not be installed: their tests will be skipped" >&2
fi
exec .venv/bin/python -m pytest "$@"
