#!/usr/bin/env python3
"""Sanitize a Hugging Face model with a sani server, then load the result back with transformers.

Needs `transformers` and PyTorch (`pip install transformers torch`) besides the client
(`pip install ./clients/python`); it fine-tunes nothing. With `scripts/run` serving on 127.0.0.1:8080 and the
demo model made by `.build/release/sani demo --skip-sanitize`:

    python3 examples/sanitize_with_transformers.py data/demo/memorizing data/demo/notes.jsonl \
        --held-out data/demo/held-out.jsonl --options '{"eraseLayers": 4, "learningRate": 0.001, "epochs": 3}'

It loads the folder with transformers first (so a folder transformers cannot read is caught before any upload),
submits it with the notes, waits with a progress bar, prints the audit, downloads the sanitized folder (every
file's SHA-256 checked), loads it with transformers and generates one line from a prompt of the notes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from sani_client import Client, SaniError


def first_prompt(corpus: Path, words: int = 6) -> str:
    """The first few words of the first note, as a prompt."""
    with open(corpus, encoding="utf-8") as f:
        line = f.readline().strip()
    text = json.loads(line)["text"] if line.startswith("{") else line
    return " ".join(text.split()[:words])


def generate(folder: Path, prompt: str) -> str:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    model.eval()
    inputs = tokenizer(prompt, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=24, do_sample=False,
                            pad_token_id=tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0)
    return tokenizer.decode(output[0], skip_special_tokens=True).splitlines()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="Hugging Face model folder (config.json, safetensors, tokenizer)")
    parser.add_argument("corpus", type=Path, help="the notes it was fine-tuned on (JSONL or text)")
    parser.add_argument("--held-out", type=Path, help="notes it never saw (utility is measured on them)")
    parser.add_argument("--options", default="{}", help="job options as JSON, e.g. '{\"epochs\": 3}'")
    parser.add_argument("--server", default="http://127.0.0.1:8080")
    parser.add_argument("--token", help="API key (default: $SANI_TOKEN)")
    parser.add_argument("--out", type=Path, default=Path("sanitized"), help="folder for the sanitized model")
    args = parser.parse_args()

    if importlib.util.find_spec("transformers") is None or importlib.util.find_spec("torch") is None:
        print("this example needs transformers and torch: pip install transformers torch", file=sys.stderr)
        return 2

    prompt = first_prompt(args.corpus)
    print(f"before: {generate(args.model, prompt)}")

    client = Client(args.server, token=args.token)
    try:
        job = client.submit(args.model, args.corpus, held_out=args.held_out, options=json.loads(args.options))
        print(f"job {job.id}")
        job.wait()
        report = job.audit()
        print(f"token regurgitation {report.before.token_regurgitation.rate:.1%} -> "
              f"{report.after.token_regurgitation.rate:.1%}; span extraction "
              f"{report.before.span_extraction.rate:.1%} -> {report.after.span_extraction.rate:.1%}; "
              f"perplexity {report.before.utility.perplexity:.2f} -> {report.after.utility.perplexity:.2f}")
        folder = job.download(args.out)
    except SaniError as error:
        print(f"sani: {error}", file=sys.stderr)
        return 1
    print(f"sanitized model in {folder}")
    print(f"after:  {generate(folder, prompt)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
