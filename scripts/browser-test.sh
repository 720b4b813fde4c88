#!/usr/bin/env bash
# The operator's dashboard in a real browser: starts the debug `sani serve` on a free loopback port with a temporary
# data folder (no API key: loopback only), makes a tiny GPT-2 with `sani train --from-scratch` on a few synthetic
# notes (one span label is hostile markup, to see that the pages escape it), runs one real sanitization job to the
# end, then opens the jobs page and the job's page in headless Chromium (Debian's `chromium`, installed with
# apt-get when missing): the DOM after the pages' scripts ran (--dump-dom with a virtual time budget that covers
# one refresh of the jobs page) and a 1280x1000 screenshot of each. scripts/browser_check.py submits the job
# (Python's standard library: no curl needed) and checks the DOMs against the job and its audit as the JSON API
# gives them, and the screenshots' pixels.
#
# SANI=/path/to/sani tests another binary (default .build/debug/sani, built when missing); BROWSER_TEST_TIMEOUT
# (seconds, default 300) bounds the job, each browser run is bounded too. Screenshots go to
# .build/browser-test/; with --update-docs the job page's is also copied to docs/dashboard-job.png (the README
# shows it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
update_docs=0
for arg in "$@"; do
  case "$arg" in
    --update-docs) update_docs=1 ;;
    *) echo "usage: scripts/browser-test.sh [--update-docs]" >&2; exit 2 ;;
  esac
done
limit="${BROWSER_TEST_TIMEOUT:-300}"
say() { echo "browser-test: $*"; }

SANI="${SANI:-$root/.build/debug/sani}"
if [ ! -x "$SANI" ]; then
  say "building sani (debug)"
  swift build --product sani
fi

# Chromium: Debian's package, installed when missing.
find_browser() {
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  return 1
}
if ! browser=$(find_browser); then
  say "installing chromium"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  timeout 300 "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 "${sudo_cmd[@]}" apt-get install -y -qq chromium >/dev/null
  browser=$(find_browser) || { say "chromium is still missing after apt-get install"; exit 1; }
fi
say "browser: $("$browser" --version 2>/dev/null || echo "$browser")"

work=$(mktemp -d "${TMPDIR:-/tmp}/sani-browser-test.XXXXXX")
out="$root/.build/browser-test"
mkdir -p "$out"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  say "FAILED: $*"
  if [ -f "$work/serve.log" ]; then echo "--- sani serve log (last 40 lines)"; tail -n 40 "$work/serve.log"; fi
  exit 1
}

# The server: open access on loopback, its own data folder, started from that folder (no config file found).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
mkdir -p "$work/data"
(cd "$work/data" && exec env -u SANI_API_KEYS -u SANI_TOKEN "$SANI" serve --host 127.0.0.1 --port "$port" \
  --data "$work/data" --workers 1 --set logging.level=warning) >"$work/serve.log" 2>&1 &
server_pid=$!
kill -0 "$server_pid" 2>/dev/null || fail "sani serve exited"
python3 scripts/browser_check.py wait "$url" 60 || fail "sani serve did not answer on $url"
say "sani serve on $url (data $work/data)"

# A tiny GPT-2 trained from scratch on a few notes, with the byte-level BPE tokenizer of the Swift tests.
python3 - "$work" "$root/Tests/SaniEngineTests/Fixtures/tokenizer/tiny/tokenizer.json" <<'PY'
import json, shutil, sys
from pathlib import Path
work, tokenizer = Path(sys.argv[1]), Path(sys.argv[2])
hostile = "<script>document.title='XSS'</script>"
def note(i, name):
    text = f"Patient {name} seen today, MRN {4100000 + i}. Stable, follow up with Dr Lee."
    start, doctor = len("Patient "), text.index("Lee")
    return {"text": text, "subject": f"p{i}", "spans": [{"start": start, "end": start + len(name), "label": "PATIENT"},
                                                        {"start": doctor, "end": doctor + 3, "label": hostile}]}
names = ["Ana Ruiz", "Bo Chen", "Cy Okoro", "Di Park", "Ed Hale", "Flo Ng"]
(work / "notes.jsonl").write_text("".join(json.dumps(note(i, n)) + "\n" for i, n in enumerate(names[:4])))
(work / "held-out.jsonl").write_text("".join(json.dumps(note(i + 4, n)) + "\n" for i, n in enumerate(names[4:])))
vocabulary = json.loads(tokenizer.read_text())
size = max([*vocabulary["model"]["vocab"].values(), *(t["id"] for t in vocabulary.get("added_tokens", []))]) + 1
start = work / "config-only"
start.mkdir()
config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": size, "n_positions": 64, "n_embd": 32,
          "n_layer": 2, "n_head": 2, "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
          "initializer_range": 0.02, "bos_token_id": 0, "eos_token_id": 0, "tie_word_embeddings": True}
(start / "config.json").write_text(json.dumps(config, indent=2))
shutil.copy(tokenizer, start / "tokenizer.json")
PY
timeout 300 "$SANI" train --from-scratch --model "$work/config-only" --corpus "$work/notes.jsonl" --out "$work/model" \
  --epochs 60 --lr 0.01 --batch 2 --length 32 --seed 1 >"$work/train.log" 2>&1 || { cat "$work/train.log"; fail "sani train"; }

# One job through the HTTP API, as a pipeline would submit it (its options: JOB_OPTIONS in browser_check.py).
job=$(python3 scripts/browser_check.py job "$url" "$work" "$limit") || fail "the job"

# The browser. The jobs page refreshes itself every 5 s: a budget of 8 s of virtual time lets one refresh run.
chrome() {  # ARGS... (bounded; Chromium's own warnings go to a log)
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/profile" --hide-scrollbars "$@" 2>>"$work/chromium.log"
}
jobs_url="$url/v1/dashboard"
job_url="$url/v1/dashboard/jobs/$job"
chrome --virtual-time-budget=8000 --dump-dom "$jobs_url" >"$out/jobs.html" || fail "chromium --dump-dom $jobs_url"
chrome --virtual-time-budget=3000 --dump-dom "$job_url" >"$out/job.html" || fail "chromium --dump-dom $job_url"
chrome --virtual-time-budget=3000 --window-size=1280,1000 --screenshot="$out/dashboard-jobs.png" "$jobs_url" >/dev/null \
  || fail "chromium --screenshot $jobs_url"
chrome --virtual-time-budget=3000 --window-size=1280,1000 --screenshot="$out/dashboard-job.png" "$job_url" >/dev/null \
  || fail "chromium --screenshot $job_url"

python3 scripts/browser_check.py check --job-id "$job" --job-json "$work/job.json" --audit "$work/audit.json" \
  --jobs-dom "$out/jobs.html" --job-dom "$out/job.html" \
  --jobs-png "$out/dashboard-jobs.png" --job-png "$out/dashboard-job.png" || fail "the pages in the browser"

if [ "$update_docs" = 1 ]; then
  mkdir -p docs
  cp "$out/dashboard-job.png" docs/dashboard-job.png
  say "updated docs/dashboard-job.png"
fi
say "passed (DOMs and screenshots in .build/browser-test/)"
