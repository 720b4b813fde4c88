#!/usr/bin/env bash
# Load (RELIABILITY.md, "Load"): p50 / p90 / p99 latency of a job's status, the job list and the dashboard under a
# fixed total request rate (status 50 %, list 30 %, dashboard 20 %), first with the server idle, then while one of
# its jobs trains on the same cores; and the job's training step rate without and with that load. scripts/load.py
# does the work with `hey` (Debian package, installed here when missing) against a `sani serve` on loopback.
#
#   scripts/load.sh                      the measurement: 500 requests/s for 60 s, a 4-block 256-wide GPT-2 training
#   RATE=100 DURATION=5 SIZE=ci scripts/load.sh     the short version CI runs
#
# Knobs: RATE (requests/s, default 500), DURATION (seconds of each load run, default 60), SIZE (full or ci),
# LOAD_TIMEOUT (hard limit of the run, default 900 s), SANI (a binary instead of the release build; CI: debug),
# LOAD_JSON (also write the figures as JSON there).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-500}
DURATION=${DURATION:-60}
SIZE=${SIZE:-full}
LOAD_TIMEOUT=${LOAD_TIMEOUT:-900}

if ! command -v hey >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq hey >/dev/null
fi
hey=$(command -v hey)

if [ -n "${SANI:-}" ]; then
  sani="$SANI"
else
  swift build -c release --product sani
  sani="$(swift build -c release --show-bin-path)/sani"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sani-load.XXXXXX")
cp "$sani" "$work/sani"
trap 'rm -rf "$work"' EXIT
json=()
[ -n "${LOAD_JSON:-}" ] && json=(--json "$LOAD_JSON")
timeout --kill-after=20 "$LOAD_TIMEOUT" python3 scripts/load.py --sani "$work/sani" --hey "$hey" --work "$work" \
  --rate "$RATE" --duration "$DURATION" --size "$SIZE" "${json[@]}"
