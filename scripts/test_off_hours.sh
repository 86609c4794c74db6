#!/usr/bin/env bash
# The whole suite with the wall clock set outside calling hours: 03:00 in Seoul tomorrow, or --at "YYYY-MM-DD HH:MM:SS"
# (Seoul time). Scheduling logic must take its `now` from the test, never from the machine, so this must pass at any
# hour. Every process the tests start (the call servers, Chromium) sees the same clock, running from there.
#
# libfaketime does it, built here from the source in PyPI's `libfaketime` wheel with only the wall clock faked:
# Debian's build also fakes the timed waits of threads (sem/cond timedwait), and Python's Event.wait(timeout) then
# never returns. The monotonic clock stays real, so timeouts and latencies are measured as usual.
#
#   bash scripts/test_off_hours.sh -q -ra
#   bash scripts/test_off_hours.sh --at "2026-12-05 22:30:00" tests/campaigns
set -euo pipefail
cd "$(dirname "$0")/.."

at=""
if [ "${1:-}" = "--at" ]; then at=$2; shift 2; fi
[ -n "$at" ] || at=$(TZ=Asia/Seoul date -d "tomorrow 03:00" "+%Y-%m-%d %H:%M:%S")

bash scripts/bootstrap.sh
lib=.venv/faketime/libfaketime.so.1
if [ ! -f "$lib" ]; then
  command -v make >/dev/null && command -v cc >/dev/null || { echo "building libfaketime needs make and a C compiler" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  .venv/bin/python -m pip download --quiet --no-deps --dest "$work" "libfaketime==3.0.1"
  .venv/bin/python -m zipfile -e "$work"/libfaketime-3.0.1-py3-none-any.whl "$work/wheel"
  src="$work/wheel/libfaketime/vendor/libfaketime/src"
  sed -i 's/ -DFAKE_PTHREAD//; s/ -DFAKE_SLEEP//; s/ -DFAKE_TIMERS//' "$src/Makefile"
  make -C "$src" libfaketime.so.1 >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  mkdir -p "$(dirname "$lib")"
  cp "$src/libfaketime.so.1" "$lib"
fi

echo "running the tests with the clock at $at (Asia/Seoul)"
# A private redis-server (a test starts one to restart it) keeps the real clock, as the shared Redis and
# PostgreSQL servers do: it cannot start with the library preloaded (its allocator reads the clock before
# libfaketime is ready), so a shim first on PATH starts it without.
real_redis=$(command -v redis-server || true)
if [ -n "$real_redis" ]; then
  mkdir -p .venv/faketime/bin
  printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "$real_redis" >.venv/faketime/bin/redis-server
  chmod +x .venv/faketime/bin/redis-server
  export PATH="$PWD/.venv/faketime/bin:$PATH"
fi
# An offset from the real clock, not a start time ("@…"): each process would start its own clock at "@…" when it
# starts, and a server started minutes into the run would sign its alerts minutes before the test's "now".
offset=$(( $(TZ=Asia/Seoul date -d "$at" +%s) - $(date +%s) ))
export TZ=Asia/Seoul FAKETIME="$( [ "$offset" -ge 0 ] && echo "+$offset" || echo "$offset" )" FAKETIME_DONT_FAKE_MONOTONIC=1 \
  LD_PRELOAD="$PWD/$lib"
TZ=Asia/Seoul date "+the tests' clock: %Y-%m-%d %H:%M:%S %Z"
exec bash scripts/test.sh "$@"
