#!/usr/bin/env bash
# The method's scenario bench (README, Results): builds each scenario's models once, runs a list of sanitization
# rows on its fine-tuned model and prints one markdown table per scenario (scripts/method_table.py), with the
# bars each row meets. Release build.
#
#   scripts/method_scenario.sh [gpt2|smollm2|bert|all] [WORK_FOLDER]     (default: gpt2, data/scenario)
#
# Each scenario works in WORK_FOLDER/<scenario>; what is there already (notes, models, row reports) is reused.
#   gpt2     the paper's setting: a 4-block GPT-2 trained on 240 general notes (`sani demo`), fine-tuned on a
#            hospital's 60 notes for 15 epochs; utility and membership on 60 notes about patients no model saw. On 2 cores shared
#            with other builds: general model 17 min, fine-tune 5 min, audits under a minute, rows 1.5-3 min.
#   smollm2  SmolLM2-135M (scripts/fetch-assets.sh smollm2) fine-tuned on 40 notes for SMOLLM2_EPOCHS epochs
#            against a terms list of their names; about 8 minutes a row.
#   bert     a pretrained BERT (scripts/bert_scenario.sh's models: 4 blocks, 128 hidden, pretrained with the
#            masked-LM loss on 240 general notes, fine-tuned on the hospital's 60 notes for 40 epochs); the
#            attacks read a masked model's log-probabilities and relearn it with the masked-LM loss. Models
#            about 20 minutes, a row about 4 with ROW_AUDIT="--exposure-candidates 0" (the rows' attacks).
#
# Rows are `name|human label|sanitize flags...` (flags split on spaces; {W} is the scenario's folder, {BASE} the
# model its fine-tune started from). The caller adds rows, or replaces a built-in row of the same name, with
#   ROWS=$'name|label|flags\n...'   or   ROWS_FILE=file   (one row a line, # comments)
# ROWS_ONLY=1 runs the caller's rows alone; ONLY=name,name runs a subset (the table shows what has a report).
# A row whose report exists with the same flags is not run again (FORCE=1 runs it again).
# NEVER_LEARNED=1 (gpt2: the default; smollm2: 0, a second long fine-tune) also trains and audits the
# counterfactual model: the base fine-tuned the same way but never taught a sensitive token.
# Other knobs: SANI (binary), ASSETS (default .cache/assets), AUDIT_FLAGS (added to every audit and sanitize,
# e.g. "--samples 4" for sampled extraction), KEEP_MODELS=0 (delete each sanitized model once its report is
# written), SMOLLM2_EPOCHS.
set -euo pipefail
cd "$(dirname "$0")/.."
SANI=${SANI:-.build/release/sani}
[ -x "$SANI" ] || swift build -c release --product sani
ASSETS=${ASSETS:-.cache/assets}
SCENARIO=${1:-gpt2}
ROOT=${2:-data/scenario}
KEEP_MODELS=${KEEP_MODELS:-1}
# SmolLM2: the README's 3 epochs memorize few whole spans (span extraction 6-7 %); the bench fine-tunes longer
# (40 notes, lr 2e-4, length 256, batch 8, seed 0), aiming at span extraction above 20 % (`sani audit` of the
# fine-tuned model, audit-fine-tuned.json). Measured: 10 epochs (loss 2.86 -> 0.066) give span extraction 47.7 %
# (219 of 459 spans), token regurgitation 96.4 %, held-out perplexity 5.29; fewer epochs not measured. The
# fine-tune took 29 min on 2 cores shared with other builds (6 steps an epoch), each audit about 2 min 15 s.
SMOLLM2_EPOCHS=${SMOLLM2_EPOCHS:-10}
# shellcheck disable=SC2206
AUDIT_EXTRA=(${AUDIT_FLAGS:-})

step() { echo "== $(date +%H:%M:%S) $*" >&2; }
timed() { # timed LABEL command...: runs it, appends "LABEL<TAB>seconds" to $W/timings.tsv
    local label=$1; shift
    local t0=$SECONDS
    "$@"
    printf '%s\t%s\n' "$label" $((SECONDS - t0)) >> "$W/timings.tsv"
}

# held_out NOTES SEED RECORDS: the held-out notes (as many as the training notes: membership AUCs read from 10 or 15
# non-members have a standard error near 0.1) and as many calibration notes of the next seed for the membership floor.
# The training notes do not depend on how many held-out notes are drawn. Held-out notes of another count (an older
# work folder) are drawn again, and every audit read on the old ones is removed.
held_out() {
    local notes=$1 seed=$2 records=$3
    if [ "$(cat "$W/held.count" 2>/dev/null)" != "$records" ]; then
        step "drawing $records held-out notes"
        "$SANI" demo-data --records "$records" --seed "$seed" --out "$W/.train-check.jsonl" \
            --held-out "$W/held.jsonl" --held-out-records "$records" >&2
        cmp -s "$W/.train-check.jsonl" "$notes" || { echo "the training notes differ from $notes" >&2; exit 1; }
        rm -f "$W/.train-check.jsonl" "$W"/audit-*.json "$W"/rows/*.json "$W"/rows/*.flags
        echo "$records" > "$W/held.count"
    fi
    [ -s "$W/calibration.jsonl" ] || "$SANI" demo-data --records "$records" --seed $((seed + 1)) \
        --out "$W/calibration.jsonl" >&2
}

# The rows of a scenario: built-in ones, then the caller's (same name: replaced; new name: appended).
rows_of() {
    local builtin=$1
    local -a caller=()
    [ -n "${ROWS:-}" ] && while IFS= read -r line; do caller+=("$line"); done <<< "$ROWS"
    [ -n "${ROWS_FILE:-}" ] && while IFS= read -r line; do caller+=("$line"); done < "$ROWS_FILE"
    local -a all=()
    [ "${ROWS_ONLY:-0}" = 1 ] || while IFS= read -r line; do all+=("$line"); done <<< "$builtin"
    local line name i replaced
    for line in "${caller[@]}"; do
        line=${line%%#*}; [ -n "${line// /}" ] || continue
        name=${line%%|*}; replaced=0
        for i in "${!all[@]}"; do
            if [ "${all[$i]%%|*}" = "$name" ]; then all[$i]=$line; replaced=1; fi
        done
        [ $replaced = 1 ] || all+=("$line")
    done
    printf '%s\n' "${all[@]}"
}

# Runs the rows on $W/fine-tuned with the flags in COMMON; writes $W/rows.tsv (name<TAB>label, in order) for
# the table.
run_rows() {
    local builtin=$1 line name label flags report
    : > "$W/rows.tsv"
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        name=${line%%|*}; line=${line#*|}
        label=${line%%|*}
        if [[ $line == *"|"* ]]; then flags=${line#*|}; else flags=""; fi
        flags=${flags//\{W\}/$W}; flags=${flags//\{BASE\}/$BASE}
        printf '%s\t%s\n' "$name" "$label" >> "$W/rows.tsv"
        if [ -n "${ONLY:-}" ] && [[ ",$ONLY," != *",$name,"* ]]; then continue; fi
        report="$W/rows/$name.json"
        if [ "${FORCE:-0}" != 1 ] && [ -s "$report" ] && [ "$(cat "$W/rows/$name.flags" 2>/dev/null)" = "$flags" ]; then
            step "row $name: report present ($report)"
            [ -d "$W/rows/$name" ] && row_audit "$name"
            continue
        fi
        step "row $name: sanitize $flags"
        # shellcheck disable=SC2086
        timed "row $name" "$SANI" sanitize --model "$W/fine-tuned" "${COMMON[@]}" --out "$W/rows/$name" $flags \
            > "$report.part"
        mv "$report.part" "$report"
        printf '%s' "$flags" > "$W/rows/$name.flags"
        rm -f "$W/rows/$name.audit.json"
        row_audit "$name"
        [ "$KEEP_MODELS" = 1 ] || rm -rf "$W/rows/$name"
    done < <(rows_of "$builtin")
}

# ROW_AUDIT="flags" also audits each row's sanitized model with `sani audit --reference BASE flags` into
# rows/<name>.audit.json, which the table reads instead of the report's after audit: rows run with --no-attacks
# then get the attacks (e.g. ROW_AUDIT="--final-samples 0 --exposure-candidates 0 --relearn-steps 0" for
# greedy extraction, membership and extraction beyond the base in about two minutes a row).
row_audit() {
    local name=$1 out="$W/rows/$1.audit.json"
    [ -n "${ROW_AUDIT:-}" ] || return 0
    [ -s "$out" ] && [ "$(cat "$out.flags" 2>/dev/null)" = "$ROW_AUDIT" ] && return 0
    step "row $name: audit $ROW_AUDIT"
    # shellcheck disable=SC2086
    "$SANI" audit --model "$W/rows/$name" "${COMMON[@]}" --reference "$BASE" $ROW_AUDIT > "$out.part"
    mv "$out.part" "$out"
    printf '%s' "$ROW_AUDIT" > "$out.flags"
}

audit() { # audit MODEL OUT [REFERENCE]: with a reference (the model the fine-tune started from), the spans it
    # extracts too are counted apart
    [ -s "$2" ] && [ "${FORCE:-0}" != 1 ] && return 0
    step "audit of $1"
    local -a reference=()
    [ -n "${3:-}" ] && reference=(--reference "$3")
    timed "audit $(basename "$2" .json)" "$SANI" audit --model "$1" "${COMMON[@]}" "${reference[@]}" > "$2.part"
    mv "$2.part" "$2"
}

# The counterfactual: the base model fine-tuned as the fine-tune was, but never taught a sensitive token (no loss
# on them from the first step). What a sanitization should come close to; audited as a row of its own
# (audit-never-learned.json). never_learned EPOCHS LR CORPUS [train flags...]
never_learned() {
    local epochs=$1 lr=$2 corpus=$3; shift 3
    if [ ! -f "$W/never-learned/config.json" ]; then
        step "the counterfactual: $BASE fine-tuned $epochs epochs at $lr without learning a sensitive token"
        timed "never-learned fine-tune ($epochs epochs)" "$SANI" train --model "$BASE" --corpus "$corpus" \
            --out "$W/never-learned" --epochs "$epochs" --lr "$lr" --length 256 --never-learn-sensitive "$@" >&2
    fi
    audit "$W/never-learned" "$W/audit-never-learned.json" "$BASE"
}

scenario_gpt2() {
    W="$ROOT/gpt2"; mkdir -p "$W/rows"
    # The general model: a 4-block GPT-2 (128 channels, GPT-2 vocabulary) trained from scratch on 240 notes
    # about 60 patients; its folder is the base of the fine-tune.
    BASE="$W/general/memorizing"
    if [ ! -f "$BASE/config.json" ]; then
        step "general model: sani demo --skip-sanitize --records 240 --seed 21 --train-epochs 12"
        timed "general model (sani demo, 12 epochs)" "$SANI" demo --skip-sanitize --records 240 --seed 21 \
            --train-epochs 12 --vocab "$ASSETS/gpt2" --out "$W/general" >&2
    fi
    [ -f "$W/hospital.jsonl" ] || "$SANI" demo-data --records 60 --seed 22 --out "$W/hospital.jsonl" >&2
    held_out "$W/hospital.jsonl" 22 60
    if [ ! -f "$W/fine-tuned/config.json" ]; then
        step "fine-tuning the general model on the hospital's notes (15 epochs at 1e-3)"
        timed "fine-tune (15 epochs)" "$SANI" train --model "$BASE" --corpus "$W/hospital.jsonl" --out "$W/fine-tuned" \
            --epochs 15 --lr 1e-3 --length 256 >&2
    fi
    COMMON=(--corpus "$W/hospital.jsonl" --held-out-corpus "$W/held.jsonl" --length 256 --json "${AUDIT_EXTRA[@]}")
    audit "$BASE" "$W/audit-general.json"
    audit "$W/fine-tuned" "$W/audit-fine-tuned.json" "$BASE"
    [ "${NEVER_LEARNED:-1}" = 1 ] && never_learned 15 1e-3 "$W/hospital.jsonl"
    run_rows "sani-defaults|\`sani\`, the paper's defaults (L = 1, r = 0.5, 2 epochs at 5e-4)|--lr 5e-4 --forget-weight 0 --no-attacks
repair-only|\`repair-only\`, 2 epochs at 5e-4|--method repair-only --lr 5e-4 --forget-weight 0 --no-attacks
erase-only|\`erase-only\`, L = 1, r = 0.5|--method erase-only --no-attacks
sani-base-L4|\`sani --base-model\` (the general model), L = 4, r = 1, 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --forget-weight 0 --no-attacks --no-erase-whole-blocks --epochs 2
forget-base-L4|targeted forgetting against the model (λ = 1, β = 2, the default before) with \`--base-model\`, L = 4, r = 1, 1 epoch at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --epochs 1 --forget-against model --no-erase-whole-blocks
forget-base-L4-2ep|targeted forgetting against the model (λ = 1, β = 2) with \`--base-model\`, L = 4, r = 1, 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --no-attacks --forget-against model --no-erase-whole-blocks --epochs 2
whole-L4|the same (1 epoch) with whole blocks restored|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-whole-blocks --forget-against model --lr 5e-4 --epochs 1 --no-attacks
against-base-L4|the same (1 epoch) forgetting against the base model, MLP neurons only|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --no-erase-whole-blocks --forget-against base --forget-weight 1 --lr 5e-4 --epochs 1 --no-attacks
whole-against-base-L4|whole blocks and forgetting against the base model, λ = 1|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-whole-blocks --forget-against base --forget-weight 1 --lr 5e-4 --epochs 1 --no-attacks
default-base-L4|**the new defaults with a base model**: whole blocks, forgetting against the base (λ = 0.3, β = 2), L = 4, r = 1, 1 epoch at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --epochs 1 --no-attacks
default-base-L4-2ep|the new defaults with a base model, 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --epochs 2 --no-attacks
wab-b5|whole blocks, forgetting against the base, λ = 1, β = 5 / 2 epochs|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --forget-weight 1 --forget-beta 5 --lr 5e-4 --epochs 1 --no-attacks
wab-b5-2ep|whole blocks, forgetting against the base, λ = 1, β = 5, 2 epochs|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --forget-weight 1 --forget-beta 5 --lr 5e-4 --epochs 2 --no-attacks
wab-skipind-b5-2ep|whole blocks, forgetting against the base, λ = 1, β = 5, INDIRECT left alone, 2 epochs|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --forget-weight 1 --forget-beta 5 --forget-skip INDIRECT --lr 5e-4 --epochs 2 --no-attacks
forget-l03-base-L4|targeted forgetting λ = 0.3, β = 0.5, \`--base-model\`, L = 4, r = 1, 2 epochs|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --forget-weight 0.3 --forget-beta 0.5 --no-attacks --no-erase-whole-blocks --forget-against model --epochs 2
surrogate-base-L4|surrogate repair, \`--base-model\`, L = 4, r = 1, 2 epochs|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --repair surrogate --forget-weight 0 --no-attacks --no-erase-whole-blocks --epochs 2
forget-defaults|targeted forgetting (the new defaults, no base model: L = 1, r = 0.5), 2 epochs at 5e-4|--lr 5e-4 --no-attacks
emb-L4|**erase back to the base with the embeddings** (the defaults with a base model before they ran 3 epochs, at lr 5e-4): whole blocks, embeddings, final norm and head, forgetting against the base (λ = 0.3), 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --lr 5e-4 --epochs 2 --no-attacks
emb-L4-plain|the same without targeted forgetting|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --forget-weight 0 --lr 5e-4 --epochs 2 --no-attacks
floor-L4|the new defaults with a membership floor (60 calibration notes), 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --lr 5e-4 --membership-floor --calibration-corpus {W}/calibration.jsonl --epochs 2 --no-attacks
emb-floor-L4|erase with the embeddings and a membership floor, 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --lr 5e-4 --membership-floor --calibration-corpus {W}/calibration.jsonl --epochs 2 --no-attacks
cal-full|every block and the embeddings back to the general model, then the repair on 60 calibration notes (never the hospital's), forgetting λ = 0.3, 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --lr 5e-4 --repair-notes calibration --calibration-corpus {W}/calibration.jsonl --epochs 2 --no-attacks
cal-full-noforget|the same without forgetting (λ = 0), 2 epochs at 5e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --lr 5e-4 --repair-notes calibration --calibration-corpus {W}/calibration.jsonl --forget-weight 0 --epochs 2 --no-attacks
d-cal|**the defaults with a base model and calibration notes** (at lr 5e-4): every block and the embeddings back to the general model, the repair on 60 calibration notes, no forgetting, 3 epochs|--base-model {BASE} --calibration-corpus {W}/calibration.jsonl --lr 5e-4 --no-attacks
emb-L4-3ep|**the defaults with a base model** (at lr 5e-4): whole blocks, embeddings, final norm and head, forgetting against the base (λ = 0.3), 3 epochs|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --lr 5e-4 --epochs 3 --no-attacks"
    echo "### gpt2: the paper's setting (4-block GPT-2, 60 hospital notes, 60 held-out notes)"
    python3 scripts/method_table.py "$W" --general-label "general model (never saw the hospital's notes)"
}

scenario_smollm2() {
    W="$ROOT/smollm2"; mkdir -p "$W/rows"
    BASE="$W/smollm2"
    local gguf="$ASSETS/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    if [ ! -f "$BASE/config.json" ]; then
        [ -s "$gguf" ] || scripts/fetch-assets.sh smollm2
        step "converting $gguf"
        "$SANI" convert "$gguf" --out "$BASE" >&2
    fi
    [ -f "$W/notes.jsonl" ] || "$SANI" demo-data --records 40 --seed 11 --out "$W/notes.jsonl" >&2
    held_out "$W/notes.jsonl" 11 40
    # The terms list: the notes' confidential names (patients, doctors, hospitals), one `term<TAB>label` a line.
    [ -s "$W/terms.txt" ] || python3 - "$W/notes.jsonl" > "$W/terms.txt" <<'EOF'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    record = json.loads(line)
    for span in record.get("spans", []):
        if span["label"] in ("PATIENT", "DOCTOR", "HOSPITAL"):
            term = record["text"][span["start"]:span["end"]].strip()
            seen.setdefault(term, span["label"])
for term, label in seen.items():
    print(f"{term}\t{label}")
EOF
    local epochs_file="$W/fine-tuned/epochs"
    if [ ! -f "$W/fine-tuned/config.json" ] || [ "$(cat "$epochs_file" 2>/dev/null)" != "$SMOLLM2_EPOCHS" ]; then
        step "fine-tuning SmolLM2 on the notes ($SMOLLM2_EPOCHS epochs at 2e-4)"
        rm -rf "$W/fine-tuned" "$W/audit-fine-tuned.json" "$W/rows"; mkdir -p "$W/rows"
        timed "fine-tune ($SMOLLM2_EPOCHS epochs)" "$SANI" train --model "$BASE" --corpus "$W/notes.jsonl" \
            --out "$W/fine-tuned" --epochs "$SMOLLM2_EPOCHS" --lr 2e-4 --length 256 >&2
        echo "$SMOLLM2_EPOCHS" > "$epochs_file"
    fi
    COMMON=(--corpus "$W/notes.jsonl" --held-out-corpus "$W/held.jsonl" --terms "$W/terms.txt" --detectors none
            --k 0 --length 256 --json "${AUDIT_EXTRA[@]}")
    audit "$BASE" "$W/audit-general.json"
    audit "$W/fine-tuned" "$W/audit-fine-tuned.json" "$BASE"
    [ "${NEVER_LEARNED:-0}" = 1 ] && never_learned "$SMOLLM2_EPOCHS" 2e-4 "$W/notes.jsonl" \
        --terms "$W/terms.txt" --detectors none --k 0
    run_rows "sani-defaults|\`sani\`, the paper's defaults (L = 1, r = 0.5, 2 epochs at 1e-4)|--forget-weight 0 --no-attacks
repair-only|\`repair-only\`, 2 epochs at 1e-4|--method repair-only --forget-weight 0 --no-attacks
erase-only|\`erase-only\`, L = 1, r = 0.5|--method erase-only --no-attacks
forget-base-L4|targeted forgetting against the model (the default before) with \`--base-model\` (SmolLM2 itself), L = 4, r = 1, 1 epoch at 1e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --epochs 1 --no-erase-whole-blocks --forget-against model
forget-base-L4-2ep|targeted forgetting against the model (the default before) with \`--base-model\` (SmolLM2 itself), L = 4, r = 1, 2 epochs at 1e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --no-erase-whole-blocks --forget-against model --epochs 2
sani-base-L4|\`sani --base-model\` (SmolLM2 itself), L = 4, r = 1, 2 epochs at 1e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --forget-weight 0 --no-attacks --no-erase-whole-blocks --epochs 2
default-base-L4|the new defaults with \`--base-model\` (SmolLM2 itself): whole blocks, forgetting against the base (λ = 0.3), L = 4, r = 1, 1 epoch at 1e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --epochs 1 --no-attacks
default-base-L4-2ep|the new defaults with \`--base-model\`, 2 epochs at 1e-4 (the default count)|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --epochs 2 --no-attacks
emb-L4|the new defaults with the embeddings, final norm and head erased back to SmolLM2 too, 2 epochs at 1e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --epochs 2 --no-attacks
full-emb|every block and the embeddings back to SmolLM2 (the base itself), then the repair, 3 epochs at 2e-4|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 2e-4 --no-attacks
full-emb-1ep|the same, 1 epoch at 2e-4|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 1 --lr 2e-4 --no-attacks
full-emb-1ep-f01|the same 1 epoch with forgetting λ = 0.1|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 1 --lr 2e-4 --forget-weight 0.1 --no-attacks
full-emb-1ep-noforget|the same 1 epoch without forgetting (λ = 0)|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 1 --lr 2e-4 --forget-weight 0 --no-attacks
full-emb-floor|every block and the embeddings back to SmolLM2, 3 epochs at 2e-4, with a membership floor (40 calibration notes)|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 2e-4 --membership-floor --calibration-corpus {W}/calibration.jsonl --no-attacks
cal-full-1ep-noforget|every block and the embeddings back to SmolLM2, then the repair on 40 calibration notes (never the corpus), no forgetting, 1 epoch at 2e-4|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 1 --lr 2e-4 --repair-notes calibration --calibration-corpus {W}/calibration.jsonl --forget-weight 0 --no-attacks
cal-full-noforget|the same, 3 epochs at 2e-4|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 2e-4 --repair-notes calibration --calibration-corpus {W}/calibration.jsonl --forget-weight 0 --no-attacks
cal-full|the same 3 epochs with forgetting (λ = 0.3)|--base-model {BASE} --erase-layers 30 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 2e-4 --repair-notes calibration --calibration-corpus {W}/calibration.jsonl --no-attacks
cal-L4|the new defaults' erase (L = 4, whole blocks, embeddings; λ = 0.3, 2 epochs at 1e-4) with the repair on the calibration notes|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --repair-notes calibration --calibration-corpus {W}/calibration.jsonl --epochs 2 --no-attacks
d-corpus|the defaults with a base model (SmolLM2 itself) before they ran 3 epochs, no calibration notes, k-anonymity off as in every row: every block and the embeddings back to SmolLM2, forgetting against it (λ = 0.3), 2 epochs at 1e-4|--base-model {BASE} --epochs 2 --no-attacks
d-cal-2ep|the same with calibration notes, 2 epochs at 1e-4 (the default before the repair on calibration notes ran 3)|--base-model {BASE} --calibration-corpus {W}/calibration.jsonl --epochs 2 --no-attacks
d-cal|**the defaults with a base model and calibration notes**: every block and the embeddings back to SmolLM2, the repair on 40 calibration notes, no forgetting, 3 epochs at 1e-4|--base-model {BASE} --calibration-corpus {W}/calibration.jsonl --no-attacks
d-corpus-k2|the defaults with a base model, no calibration notes, and the library's k = 2 (words a single patient uses are sensitive to the sanitization too; the audit reads the bench's spans), 2 epochs|--base-model {BASE} --k 2 --epochs 2 --no-attacks
d-corpus-k2-skip|the same, forgetting leaving those words alone (--forget-skip INDIRECT)|--base-model {BASE} --k 2 --forget-skip INDIRECT --epochs 2 --no-attacks
d-corpus-k2-3ep|**the defaults with a base model, no calibration notes** (the library's k = 2), 3 epochs at 1e-4|--base-model {BASE} --k 2 --epochs 3 --no-attacks"
    echo "### smollm2: SmolLM2-135M fine-tuned for $SMOLLM2_EPOCHS epochs on 40 notes, 40 held-out notes"
    python3 scripts/method_table.py "$W" --general-label "SmolLM2 before fine-tuning (never saw the notes)"
}

scenario_bert() {
    W="$ROOT/bert"; mkdir -p "$W/rows"
    BASE="$W/pretrained"
    [ -f "$W/general.jsonl" ] || "$SANI" demo-data --records 240 --seed 21 --out "$W/general.jsonl" >&2
    [ -f "$W/hospital.jsonl" ] || "$SANI" demo-data --records 60 --seed 22 --out "$W/hospital.jsonl" >&2
    held_out "$W/hospital.jsonl" 22 60
    if [ ! -f "$BASE/config.json" ]; then
        step "pretraining a 4-block BERT on the general notes (100 epochs)"
        rm -rf "$W/vocab"
        "$SANI" new-bert --corpus "$W/general.jsonl" --out "$W/vocab" --words 3000 --min-count 2 \
            --layers 4 --hidden 128 --heads 4 --intermediate 512 --seed 21 >&2
        timed "pretraining (100 epochs)" "$SANI" train --model "$W/vocab" --from-scratch --corpus "$W/general.jsonl" \
            --out "$BASE" --epochs 100 --lr 1e-3 --batch 8 --length 128 --seed 21 >&2
    fi
    if [ ! -f "$W/fine-tuned/config.json" ]; then
        step "fine-tuning on the hospital's notes (40 epochs at 1e-3)"
        timed "fine-tune (40 epochs)" "$SANI" train --model "$BASE" --corpus "$W/hospital.jsonl" --out "$W/fine-tuned" \
            --epochs 40 --lr 1e-3 --batch 8 --length 128 --seed 22 >&2
    fi
    COMMON=(--corpus "$W/hospital.jsonl" --held-out-corpus "$W/held.jsonl" --length 128 --seed 1 --json "${AUDIT_EXTRA[@]}")
    audit "$BASE" "$W/audit-general.json"
    audit "$W/fine-tuned" "$W/audit-fine-tuned.json" "$BASE"
    run_rows "sani-defaults|\`sani\`, the paper's defaults (L = 1, r = 0.5, 2 epochs at 1e-4)|--no-attacks
repair-only|\`repair-only\`, 3 epochs at 3e-4|--method repair-only --epochs 3 --lr 3e-4 --no-attacks
erase-only|\`erase-only\`, L = 2, r = 0.5|--method erase-only --erase-layers 2 --no-attacks
sani-L2|\`sani\`, L = 2, r = 0.5, 3 epochs at 3e-4|--erase-layers 2 --epochs 3 --lr 3e-4 --no-attacks
forget-L2|targeted forgetting (λ = 1, β = 2, against the model), L = 2, r = 0.5, 3 epochs at 3e-4|--erase-layers 2 --epochs 3 --lr 3e-4 --forget-weight 1 --no-attacks
surrogate-L2|surrogate repair, L = 2, r = 0.5, 3 epochs at 3e-4|--erase-layers 2 --epochs 3 --lr 3e-4 --repair surrogate --no-attacks
base-L4|\`--base-model\` (the pretrained model), whole blocks, L = 4, 3 epochs at 3e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --epochs 3 --lr 3e-4 --no-attacks
base-L4-forget|\`--base-model\`, whole blocks, L = 4, forgetting against the base (λ = 0.3, β = 2; the causal default with a base), 3 epochs at 3e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --epochs 3 --lr 3e-4 --forget-weight 0.3 --no-attacks
base-L4-1ep|\`--base-model\`, whole blocks, L = 4, forgetting against the base (λ = 0.3), 1 epoch at 1e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --epochs 1 --lr 1e-4 --forget-weight 0.3 --no-attacks
base-L4-erase-only|\`erase-only --base-model\`, whole blocks, L = 4 (no repair)|--method erase-only --base-model {BASE} --erase-layers 4 --erase-fraction 1 --epochs 2 --no-attacks
base-L4-emb-forget|\`--base-model\`, whole blocks and the embeddings and MLM head (the pretrained model itself), forgetting against it (λ = 0.3), 3 epochs at 3e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 3e-4 --forget-weight 0.3 --no-attacks
base-L4-emb|the same without forgetting|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 3e-4 --no-attacks
base-L4-emb-forget-floor|the same with forgetting (λ = 0.3) and a membership floor (60 calibration notes)|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 3e-4 --forget-weight 0.3 --membership-floor --calibration-corpus {W}/calibration.jsonl --no-attacks
cal-full|every block, the embeddings and the MLM head back to the pretrained model, then the repair on 60 calibration notes (never the hospital's), 3 epochs at 3e-4|--base-model {BASE} --erase-layers 4 --erase-fraction 1 --erase-embeddings --epochs 3 --lr 3e-4 --repair-notes calibration --calibration-corpus {W}/calibration.jsonl --no-attacks"
    echo "### bert: a 4-block BERT pretrained on 240 general notes, fine-tuned on 60 hospital notes, 60 held-out notes"
    python3 scripts/method_table.py "$W" --general-label "pretrained only (never saw the hospital's notes)"
}

case "$SCENARIO" in
    gpt2) scenario_gpt2 ;;
    smollm2) scenario_smollm2 ;;
    bert) scenario_bert ;;
    all) scenario_gpt2; echo; scenario_smollm2; echo; scenario_bert ;;
    *) echo "usage: $0 [gpt2|smollm2|bert|all] [WORK_FOLDER]" >&2; exit 2 ;;
esac
