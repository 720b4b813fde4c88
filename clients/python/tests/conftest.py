"""Fixtures: a live `sani serve` on a free loopback port with a temporary data folder and an API key, and a tiny
GPT-2 model folder with a few synthetic notes, made with the sani binary itself in a few seconds.

The binary is `$SANI`, else the repository's `.build/debug/sani` (`swift build --product sani`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import secrets
import shutil
import socket
import subprocess
import time
from typing import Dict, Iterator

import pytest
import requests

from sani_client import Client

REPOSITORY = Path(__file__).resolve().parents[3]
TINY_TOKENIZER = REPOSITORY / "Tests" / "SaniEngineTests" / "Fixtures" / "tokenizer" / "tiny" / "tokenizer.json"
TENANT = "pytest"

#: Job options that make a sanitization of the tiny model take seconds (no attack audits, short sequences).
FAST_OPTIONS = {"epochs": 1, "batchSize": 2, "sequenceLength": 32, "auditPrefixTokens": 8, "learningRate": 0.001,
                "auditAttacks": False, "eraseLayers": 1, "seed": 3}

PATIENTS = ["Ana Ruiz", "Bo Chen", "Cy Okoro", "Di Park", "Ed Hale", "Flo Ng"]


def sani_binary() -> Path:
    path = Path(os.environ.get("SANI") or REPOSITORY / ".build" / "debug" / "sani")
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.exit(f"no sani binary at {path}: build it with `swift build --product sani` or set $SANI", returncode=2)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def note(i: int, name: str) -> Dict[str, object]:
    text = f"Patient {name} seen today, MRN {4100000 + i}. Stable, follow up with Dr Lee."
    start = len("Patient ")
    return {"text": text, "subject": f"p{i}", "spans": [{"start": start, "end": start + len(name), "label": "PATIENT"}]}


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


class LiveServer:
    def __init__(self, url: str, token: str, process: subprocess.Popen, log: Path) -> None:
        self.url = url
        self.token = token
        self.process = process
        self.log = log

    def client(self, **kwargs) -> Client:
        return Client(self.url, token=kwargs.pop("token", self.token), **kwargs)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    binary = sani_binary()
    data = tmp_path_factory.mktemp("sani-data")
    log = data.parent / "sani-serve.log"
    token = "sk_test_" + secrets.token_hex(16)
    port = free_port()
    env = dict(os.environ, SANI_API_KEYS=f"{TENANT}:{token}")
    env.pop("SANI_TOKEN", None)
    with open(log, "wb") as out:
        process = subprocess.Popen([str(binary), "serve", "--host", "127.0.0.1", "--port", str(port), "--data", str(data),
                                    "--workers", "1", "--set", "logging.level=warning"],
                                   stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(data))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.exit(f"sani serve exited with {process.returncode}:\n{log.read_text(errors='replace')}", returncode=2)
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.exit(f"sani serve did not answer on {url} within 60 s:\n{log.read_text(errors='replace')}", returncode=2)
        time.sleep(0.2)
    live = LiveServer(url, token, process, log)
    yield live
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def client(server: LiveServer) -> Iterator[Client]:
    with server.client() as c:
        yield c


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notes")
    return write_jsonl(folder / "notes.jsonl", [note(i, name) for i, name in enumerate(PATIENTS[:4])])


@pytest.fixture(scope="session")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("held-out")
    return write_jsonl(folder / "held-out.jsonl", [note(i + 4, name) for i, name in enumerate(PATIENTS[4:])])


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """A 2-block GPT-2 (32 channels) with the tiny byte-level BPE tokenizer of the Swift tests, trained for one
    epoch on the notes by `sani train --from-scratch`: a real Hugging Face folder, made in seconds."""
    work = tmp_path_factory.mktemp("tiny-gpt2")
    start = work / "config-only"
    start.mkdir()
    vocabulary = json.loads(TINY_TOKENIZER.read_text(encoding="utf-8"))
    size = max([*vocabulary["model"]["vocab"].values(), *(t["id"] for t in vocabulary.get("added_tokens", []))]) + 1
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": size, "n_positions": 64,
              "n_embd": 32, "n_layer": 2, "n_head": 2, "n_inner": None, "activation_function": "gelu_new",
              "layer_norm_epsilon": 1e-5, "initializer_range": 0.02, "bos_token_id": 0, "eos_token_id": 0,
              "tie_word_embeddings": True}
    (start / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    shutil.copy(TINY_TOKENIZER, start / "tokenizer.json")
    model = work / "model"
    result = subprocess.run([str(sani_binary()), "train", "--from-scratch", "--model", str(start), "--corpus", str(corpus),
                             "--out", str(model), "--epochs", "1", "--batch", "2", "--length", "32", "--seed", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"sani train failed:\n{result.stdout}\n{result.stderr}"
    assert (model / "model.safetensors").is_file() and (model / "config.json").is_file(), sorted(os.listdir(model))
    return model
