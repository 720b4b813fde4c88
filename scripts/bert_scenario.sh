#!/usr/bin/env bash
# The method on a pretrained BERT, with sani's own tools only (README, Results): a 4-block BERT pretrained with
# the masked-LM loss on 240 notes about 60 patients, fine-tuned on a hospital's 60 notes about 15 other
# patients until it fills in their identifiers, then sanitized. Utility is measured on 15 notes about yet other
# patients that no model saw. Prints one table; about an hour on 2 cores (release build).
#   scripts/bert_scenario.sh [WORK_FOLDER]      (default: data/bert-scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
SANI=${SANI:-.build/release/sani}
[ -x "$SANI" ] || swift build -c release --product sani
W=${1:-data/bert-scenario}
mkdir -p "$W"

step() { echo "== $*" >&2; }
[ -f "$W/general.jsonl" ] || "$SANI" demo-data --records 240 --seed 21 --out "$W/general.jsonl"
[ -f "$W/hospital.jsonl" ] || "$SANI" demo-data --records 60 --seed 22 --out "$W/hospital.jsonl" \
    --held-out "$W/held-out.jsonl" --held-out-records 15
if [ ! -f "$W/pretrained/config.json" ]; then
    step "pretraining on the general notes (100 epochs)"
    rm -rf "$W/base"
    "$SANI" new-bert --corpus "$W/general.jsonl" --out "$W/base" --words 3000 --min-count 2 \
        --layers 4 --hidden 128 --heads 4 --intermediate 512 --seed 21
    "$SANI" train --model "$W/base" --from-scratch --corpus "$W/general.jsonl" --out "$W/pretrained" \
        --epochs 100 --lr 1e-3 --batch 8 --length 128 --seed 21
fi
if [ ! -f "$W/fine-tuned/config.json" ]; then
    step "fine-tuning on the hospital's notes (40 epochs)"
    "$SANI" train --model "$W/pretrained" --corpus "$W/hospital.jsonl" --out "$W/fine-tuned" \
        --epochs 40 --lr 1e-3 --batch 8 --length 128 --seed 22
fi

common=(--corpus "$W/hospital.jsonl" --held-out-corpus "$W/held-out.jsonl" --length 128 --seed 1 --json)
step "audit of the pretrained model (never saw the hospital's notes)"
"$SANI" audit --model "$W/pretrained" "${common[@]}" > "$W/audit-pretrained.json"
run() {
    local name=$1; shift
    step "sanitize: $name"
    "$SANI" sanitize --model "$W/fine-tuned" "${common[@]}" --out "$W/$name" "$@" > "$W/$name.json"
}
run sani-L2 --erase-layers 2 --epochs 10 --lr 3e-4
run repair-only --method repair-only --epochs 10 --lr 3e-4
run sani-defaults
run erase-only-L2 --method erase-only --erase-layers 2
run sani-L4-gradient --erase-layers 4 --erase-fraction 0.25 --selection gradient --epochs 5 --lr 3e-4
run sani-base --base-model "$W/pretrained" --erase-layers 4 --erase-fraction 1 --epochs 6 --lr 3e-4 --schedule cosine

python3 - "$W" <<'EOF'
import json, sys
w = sys.argv[1]
def row(name, a, kept=""):
    u = a["utility"]
    return (f"| {name} | {100 * a['tokenRegurgitation']['rate']:.1f} % | {100 * a['spanExtraction']['rate']:.1f} % "
            f"| {u['perplexity']:.2f} | {100 * u['accuracy']:.1f} % | {kept} |")
print("| model | token regurgitation | span extraction | held-out masked-token perplexity | top-1 accuracy | kept epoch |")
print("|---|---|---|---|---|---|")
print(row("pretrained only (never saw the hospital's notes)", json.load(open(f"{w}/audit-pretrained.json"))))
first = json.load(open(f"{w}/sani-L2.json"))
print(row("fine-tuned (before)", first["before"]))
labels = {"sani-L2": "`sani`, L = 2, r = 0.5, 10 epochs at 3e-4", "repair-only": "`repair-only`, 10 epochs at 3e-4",
          "sani-defaults": "`sani`, the paper's defaults (L = 1, 2 epochs at 1e-4)", "erase-only-L2": "`erase-only`, L = 2",
          "sani-L4-gradient": "`sani`, L = 4, r = 0.25, `gradient`, 5 epochs at 3e-4",
          "sani-base": "`sani --base-model` (the pretrained model), L = 4, r = 1, 6 epochs at 3e-4 cosine"}
for name, label in labels.items():
    r = json.load(open(f"{w}/{name}.json"))
    print(row(label, r["after"], f"{r['bestEpoch']} of {len(r['epochs'])}" if r["epochs"] else "–"))
EOF
