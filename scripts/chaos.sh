#!/usr/bin/env bash
# Crash and restart: kills `sani serve` with SIGKILL at chosen moments of its jobs (upload, validation, audits,
# erase, repair epochs, checkpoint writes, the sanitized folder, artifact writes), restarts it on the same data
# folder each time, then checks that no accepted job or file is lost, that every job succeeded with artifacts
# matching their listed SHA-256 or failed with a reason, that no stray file is left in the data folder and that
# the database passes PRAGMA integrity_check (scripts/chaos.py does the work; Python standard library only).
#
#   scripts/chaos.sh               the kill run (ROUNDS kills, default 20)
#   scripts/chaos.sh --disk-full   the data folder on a small tmpfs (needs root for mount): an upload and a job's
#                                  outputs run out of space; clear errors, nothing corrupt, the server keeps serving
#                                  (exits 77 when no tmpfs can be mounted here)
#
# Knobs (environment):
#   ROUNDS         kills of the kill run (default 20)
#   CHAOS_SEED     seed of the moments and delays (default 1)
#   CHAOS_TIMEOUT  hard limit of a run in seconds (default 1500)
#   CHAOS_KEEP     set to keep the data folder, server log and kill log (the folder is printed)
#   SANI           a sani binary to test instead of building the debug one
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=kill
for arg in "$@"; do
  case "$arg" in
    --disk-full) mode=disk-full ;;
    *) echo "usage: scripts/chaos.sh [--disk-full]" >&2; exit 2 ;;
  esac
done
ROUNDS=${ROUNDS:-20}
CHAOS_SEED=${CHAOS_SEED:-1}
CHAOS_TIMEOUT=${CHAOS_TIMEOUT:-1500}

if [ -n "${SANI:-}" ]; then
  sani="$SANI"
else
  swift build --product sani --scratch-path .build
  sani="$(swift build --scratch-path .build --show-bin-path)/sani"
fi
[ -x "$sani" ] || { echo "chaos: no sani binary at $sani" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sani-chaos.XXXXXX")
# The run restarts the server many times: from a copy, so that a rebuild meanwhile changes nothing.
cp "$sani" "$work/sani"
sani="$work/sani"
mounted=""
cleanup() {
  if [ -f "$work/server.pid" ]; then kill -KILL "$(cat "$work/server.pid")" 2>/dev/null || true; fi
  if [ -n "$mounted" ]; then
    # The server was stopped by chaos.py; a process still holding the mount would make umount fail: retry lazily.
    umount "$mounted" 2>/dev/null || umount -l "$mounted" 2>/dev/null || echo "chaos: could not unmount $mounted" >&2
  fi
  if [ -n "${CHAOS_KEEP:-}" ]; then echo "chaos: data folder, server log and kill log kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$mode" = kill ]; then
  timeout --kill-after=20 "$CHAOS_TIMEOUT" python3 scripts/chaos.py kill --sani "$sani" --work "$work" \
    --rounds "$ROUNDS" --seed "$CHAOS_SEED" --timeout "$((CHAOS_TIMEOUT - 30))"
else
  [ "$(id -u)" -eq 0 ] || { echo "chaos: --disk-full mounts a tmpfs and needs root: left out" >&2; exit 77; }
  disk="$work/disk"
  mkdir -p "$disk"
  # 24 MiB: the inputs and a job's checkpoints fit; the script fills the rest at the moments it tests.
  if ! mount -t tmpfs -o size=24m,mode=0700 sani-chaos "$disk"; then
    echo "chaos: cannot mount a tmpfs here (no CAP_SYS_ADMIN?): the full-disk run is left out" >&2
    exit 77
  fi
  mounted="$disk"
  mkdir -p "$disk/data"
  timeout --kill-after=20 "$CHAOS_TIMEOUT" python3 scripts/chaos.py disk-full --sani "$sani" --work "$work" \
    --data "$disk/data" --seed "$CHAOS_SEED" --timeout "$((CHAOS_TIMEOUT - 30))"
fi
