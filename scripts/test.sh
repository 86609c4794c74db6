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
# Asked for particular tests: run just those.
for arg in "$@"; do
  case "$arg" in -*) ;; *) exec .venv/bin/python -m pytest "$@" ;; esac
done
# The whole suite. The simulated calls (tests/e2e, tests/integration) run in real time and mostly wait on the
# clock, so they run in a second pytest process beside the rest: the wall time is about the longer of the two.
# The models are assembled first, so the two processes never assemble them at once.
.venv/bin/python -c "from asr.models import ensure_whisper_base; from tts.kokoro_model import model_path
ensure_whisper_base(); model_path()"
calls_log=$(mktemp)
trap 'rm -f "$calls_log"' EXIT
.venv/bin/python -m pytest "$@" -p no:cacheprovider tests/e2e tests/integration > "$calls_log" 2>&1 &
calls_pid=$!
rest=0
.venv/bin/python -m pytest "$@" --ignore=tests/e2e --ignore=tests/integration || rest=$?
calls=0
wait "$calls_pid" || calls=$?
echo
echo "=== the simulated calls (tests/e2e, tests/integration), run beside the rest ==="
cat "$calls_log"
if [ "$rest" -ne 0 ] || [ "$calls" -ne 0 ]; then
  echo "tests failed: the rest exited $rest, the simulated calls $calls" >&2
  exit 1
fi
