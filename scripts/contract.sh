#!/usr/bin/env bash
# Contract and hostile HTTP: runs schemathesis against openapi.yaml and a live `sani serve`, twice:
#   open  — no API key configured (loopback only, every request acts for tenant "default"): openapi.yaml with
#           its security requirement taken off, as its description says such a server answers;
#   keys  — API keys for two tenants; schemathesis also replays each tenant's reads as the other tenant
#           (object_level_authorization) and strips or falsifies the key (ignored_auth).
# Each run gets a fresh temporary data folder and a free loopback port, and prints one summary line.
# Exits non-zero when any run has a failure, an error, or a server log line about an unhandled error.
#
# Knobs (environment):
#   MAX_EXAMPLES     test cases per operation and phase (default 25: the short CI run; 100+ for a thorough one)
#   CONTRACT_SEED    schemathesis seed (default 1, so a failure can be replayed)
#   CONTRACT_MODES   runs to do (default "open keys")
#   CONTRACT_TIMEOUT hard limit of one schemathesis run in seconds (default 900)
#   REQUEST_TIMEOUT  limit of one request in seconds (default 20)
#   CONTRACT_KEEP    set to keep the reports and server logs (the folder is printed)
#   SANI             a sani binary to test instead of building the debug one
#   SCHEMATHESIS_VERSION  the schemathesis release installed into .cache/contract-venv (default 4.32.5)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

MAX_EXAMPLES=${MAX_EXAMPLES:-25}
CONTRACT_SEED=${CONTRACT_SEED:-1}
CONTRACT_MODES=${CONTRACT_MODES:-"open keys"}
CONTRACT_TIMEOUT=${CONTRACT_TIMEOUT:-900}
REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-20}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}

# 1. schemathesis, in a virtual environment of its own (nothing is installed into the system Python).
venv="$root/.cache/contract-venv"
st="$venv/bin/schemathesis"
if ! { [ -x "$st" ] && "$st" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; }; then
  echo "contract: installing schemathesis $SCHEMATHESIS_VERSION into .cache/contract-venv"
  mkdir -p "$root/.cache"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # Debian's python3 needs python3-venv for `-m venv`.
    sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$st" --version

# 2. sani (debug build unless SANI names a binary).
if [ -n "${SANI:-}" ]; then
  sani="$SANI"
else
  swift build --product sani --scratch-path .build
  sani="$(swift build --scratch-path .build --show-bin-path)/sani"
fi
[ -x "$sani" ] || { echo "contract: no sani binary at $sani" >&2; exit 2; }

# 3. The runs happen in a network namespace of their own with only a loopback interface (where unshare is
# allowed, e.g. as root): whatever URL a generated request names (webhooks, fetches), nothing leaves the machine.
if [ -z "${SANI_CONTRACT_NETNS:-}" ] && command -v unshare >/dev/null && command -v ip >/dev/null \
   && unshare --net true 2>/dev/null; then
  exec unshare --net env SANI_CONTRACT_NETNS=1 SANI="$(cd "$(dirname "$sani")" && pwd)/$(basename "$sani")" bash "$root/scripts/contract.sh" "$@"
fi
if [ "${SANI_CONTRACT_NETNS:-}" = 1 ]; then
  ip link set lo up
  echo "contract: in a private network namespace (loopback only)"
else
  echo "contract: no private network namespace (unshare unavailable); job requests still name only loopback URLs"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sani-contract.XXXXXX")
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  stop_server
  if [ -n "${CONTRACT_KEEP:-}" ]; then echo "contract: reports and server logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts `sani serve` on a free loopback port with a fresh data folder; sets $port.
start_server() {
  local mode=$1 data="$work/$1/data" log="$work/$1/server.log"
  mkdir -p "$data"
  : >"$log"
  local env_keys=()
  if [ "$mode" = keys ]; then env_keys=(SANI_API_KEYS="tenant-a:$key_a,tenant-b:$key_b"); fi
  # URL fetches are tested only where nothing can leave the machine (the private network namespace).
  local fetch=(--set uploads.allowURLFetch=false)
  if [ "${SANI_CONTRACT_NETNS:-}" = 1 ]; then fetch=(--set uploads.allowURLFetch=true --set uploads.fetchTimeoutSeconds=5); fi
  env -u SANI_API_KEYS "${env_keys[@]}" "$sani" serve --host 127.0.0.1 --port 0 --data "$data" \
    --set logging.level=info --set webhooks.maxAttempts=1 "${fetch[@]}" >"$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 1 300); do
    port=$(sed -n 's|.*sani listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log" | head -n 1 || true)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "contract: sani serve exited:" >&2; cat "$log" >&2; exit 2; }
    sleep 0.2
  done
  [ -n "$port" ] || { echo "contract: sani serve did not listen within 60 s" >&2; cat "$log" >&2; exit 2; }
}

key_a="contract-tenant-a-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
key_b="contract-tenant-b-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# The schemathesis configuration of a run: every check on; each exception says why.
write_config() {
  local mode=$1 config="$work/$1/schemathesis.toml"
  cat >"$config" <<EOF
# Written by scripts/contract.sh for the "$mode" run.
[checks]
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_headers_conformance.enabled = true
response_schema_conformance.enabled = true
negative_data_rejection.enabled = true
positive_data_acceptance.enabled = true
missing_required_header.enabled = true
unsupported_method.enabled = true
allow_header_conformance.enabled = true
use_after_free.enabled = true
ensure_resource_availability.enabled = true
ignored_auth.enabled = true
object_level_authorization.enabled = true
max_response_time = $REQUEST_TIMEOUT

[[operations]]
include-operation-id = "createJob"
# 422: the same Idempotency-Key again with another body (documented); the generator repeats short keys.
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
# 400 unknown_file as well in call sequences: an earlier DELETE /v1/jobs/{jobId} purges the job's input files
# (documented), or DELETE /v1/files/{fileId} removes one, so the ids the run uploaded may be gone.
phases.stateful.checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]

[[operations]]
include-operation-id = "uploadFile"
# 400: bytes that are not a tar with format=tar, or an empty body. The schema types the body as binary; what
# the bytes must be is beyond it.
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

[[operations]]
include-operation-id = "uploadFilePut"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

[[operations]]
include-operation-id = "fetchFile"
# 502: the URL could not be fetched (declared). In the private network namespace no URL outside loopback answers.
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "502"]

[[operations]]
include-operation-id = "getJobAudit"
# The audit is written when the job succeeds; until then the job's audit answers 404 audit_not_ready (documented),
# which this check, inferring that the audit exists as soon as the job does, would take for a lost resource.
checks.ensure_resource_availability.enabled = false
EOF
  if [ "$mode" = keys ]; then
    cat >"$work/keys/auth.json" <<EOF
{"auth": [
  {"name": "tenant-a", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $key_a"}]},
  {"name": "tenant-b", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $key_b"}]}
]}
EOF
    cat >>"$config" <<EOF

[auth.wfc]
path = "$work/keys/auth.json"
user = "tenant-a"
# Two tenants that must never see each other's files or jobs: tenant A's reads are replayed as tenant B.
peers = ["tenant-a", "tenant-b"]
EOF
  fi
  echo "$config"
}

status=0
passed_runs=0
failed_runs=0
for mode in $CONTRACT_MODES; do
  case "$mode" in open|keys) ;; *) echo "contract: unknown mode $mode (open or keys)" >&2; exit 2 ;; esac
  mkdir -p "$work/$mode/report"
  seed_key=$key_a
  [ "$mode" = open ] && seed_key=-
  start_server "$mode"
  inputs=$("$venv/bin/python" scripts/contract_support.py seed "http://127.0.0.1:$port" "$seed_key")
  spec="$work/$mode/openapi.yaml"
  "$venv/bin/python" scripts/contract_support.py run-spec openapi.yaml "$spec" "$mode" "$inputs"
  config=$(write_config "$mode")
  echo "contract: $mode run against http://127.0.0.1:$port (max $MAX_EXAMPLES examples, seed $CONTRACT_SEED)"
  report="$work/$mode/report"
  set +e
  # From the run's folder: schemathesis keeps its cache (.schemathesis/) in the current folder.
  (cd "$work/$mode" && timeout --kill-after=10 "$CONTRACT_TIMEOUT" "$st" --config-file "$config" run "$spec" \
    --url "http://127.0.0.1:$port" --max-examples "$MAX_EXAMPLES" --seed "$CONTRACT_SEED" \
    --request-timeout "$REQUEST_TIMEOUT" --workers 1 --no-color --generation-database none \
    --report junit,ndjson --report-junit-path "$report/junit.xml" --report-ndjson-path "$report/events.ndjson" \
    >"$work/$mode/schemathesis.txt" 2>&1)
  st_status=$?
  set -e
  stop_server
  cat "$work/$mode/schemathesis.txt"
  if [ $st_status -eq 124 ] || [ $st_status -eq 137 ]; then
    echo "contract: $mode: schemathesis did not finish within ${CONTRACT_TIMEOUT}s" >&2
  fi
  read -r cases kinds evaluated failed < <("$venv/bin/python" scripts/contract_support.py summarize "$report/events.ndjson" \
                                            2>/dev/null || echo "0 0 0 0")
  unique=$(sed -n 's/.*found \([0-9][0-9]*\) unique failures.*/\1/p' "$work/$mode/schemathesis.txt" | tail -n 1)
  unhandled=$(grep -c "unhandled error" "$work/$mode/server.log" || true)
  echo "contract: $mode: schemathesis $SCHEMATHESIS_VERSION, $cases test cases, $kinds kinds of check, $evaluated checks run, $failed failed (${unique:-0} unique failures), $unhandled unhandled server errors, exit $st_status"
  if [ $st_status -ne 0 ] || [ "$failed" != 0 ] || [ "$unhandled" != 0 ] || [ "$evaluated" = 0 ]; then
    status=1
    failed_runs=$((failed_runs + 1))
    if [ "$unhandled" != 0 ]; then grep "unhandled error" "$work/$mode/server.log" | head -n 20 >&2; fi
  else
    passed_runs=$((passed_runs + 1))
  fi
done
echo "contract: $passed_runs passed, $failed_runs failed"
exit $status
