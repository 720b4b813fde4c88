#!/usr/bin/env bash
# Scale-out on PostgreSQL: starts a throwaway PostgreSQL (Debian's `postgresql`, installed here when missing) on
# loopback, two `sani serve --role api` and three `sani serve --role worker` processes on one database and one
# shared data folder, kills a worker with SIGKILL in the middle of a job, and checks that every job completes
# exactly once (scripts/scaleout.py does the work and says what it checks).
#
#   scripts/scaleout.sh
#
# First it runs the store's own tests (`swift test --filter PostgresStoreTests`) against the same server.
#
# Knobs (environment): JOBS (default 6), SCALEOUT_SEED (1), SCALEOUT_TIMEOUT (seconds, 900), SCALEOUT_KEEP (keep
# the work folder with every process's log), SANI (a sani binary instead of building the debug one),
# SCALEOUT_SKIP_UNIT (leave out the store's tests).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pgbin)" ] || [ ! -x "$(pgbin)/initdb" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "scaleout: PostgreSQL is not installed and installing it needs root: left out" >&2; exit 77; }
  echo "scaleout: installing PostgreSQL (Debian's postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
bin=$(pgbin)
[ -x "$bin/initdb" ] || { echo "scaleout: no PostgreSQL server binaries after installing" >&2; exit 2; }

if [ -n "${SANI:-}" ]; then
  sani="$SANI"
else
  swift build --product sani --scratch-path .build
  sani="$(swift build --scratch-path .build --show-bin-path)/sani"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sani-scaleout.XXXXXX")
chmod 755 "$work"
cp "$sani" "$work/sani"
pgdata="$work/pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# PostgreSQL refuses to run as root: its cluster belongs to the `postgres` user the Debian package creates.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$pgdata"
[ "$(id -u)" -eq 0 ] && chown postgres: "$pgdata"
cleanup() {
  as_pg "$bin/pg_ctl" -D "$pgdata/db" stop -m immediate >/dev/null 2>&1 || true
  if [ -n "${SCALEOUT_KEEP:-}" ]; then echo "scaleout: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_pg "$bin/initdb" -D "$pgdata/db" -A trust -U sani >/dev/null
as_pg "$bin/pg_ctl" -D "$pgdata/db" -l "$pgdata/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdata -c fsync=off" start >/dev/null
as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U sani sani
echo "scaleout: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

# The store's own tests against this server, on a database of their own (they empty it).
if [ -z "${SCALEOUT_SKIP_UNIT:-}" ]; then
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U sani sani_tests
  SANI_TEST_POSTGRES_URL="postgres://sani@127.0.0.1:$port/sani_tests?sslmode=disable" \
    swift test --scratch-path .build --filter PostgresStoreTests 2>&1 | tee "$work/unit.log" | grep -E "error|failed|passed|skipped" | tail -20
  grep -q "with 0 failures" "$work/unit.log" && ! grep -q "skipped" "$work/unit.log" \
    || { echo "scaleout: PostgresStoreTests failed or were skipped (log: $work/unit.log)" >&2; SCALEOUT_KEEP=1; exit 1; }
fi

timeout --kill-after=20 "${SCALEOUT_TIMEOUT:-900}" python3 scripts/scaleout.py --sani "$work/sani" --work "$work" \
  --db-url "postgres://sani@127.0.0.1:$port/sani?sslmode=disable" --psql "$bin/psql -h 127.0.0.1 -p $port -U sani sani" \
  --jobs "${JOBS:-6}" --seed "${SCALEOUT_SEED:-1}" --timeout "$(( ${SCALEOUT_TIMEOUT:-900} - 60 ))"
