"""The whole flow a hospital pipeline runs, against a live `sani serve`: submit a model folder and notes, wait,
read the audit, download the sanitized model (checksums verified) and load it, then delete the job."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
from pathlib import Path

import pytest

from sani_client import (Artifact, ChecksumMismatchError, Client, File, IdempotencyKeyReusedError,
                         Job, JobStatus, NotFoundError, SanitizationReport)

from conftest import FAST_OPTIONS, sani_binary


def read_safetensors_header(path: Path) -> dict:
    """The JSON header of a safetensors file, after checking that every tensor's bytes lie inside the file."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = len(data) - 8 - length
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        start, end = tensor["data_offsets"]
        count = 1
        for d in tensor["shape"]:
            count *= d
        assert 0 <= start <= end <= body, name
        assert end - start == count * {"F32": 4, "F16": 2, "BF16": 2}[tensor["dtype"]], name
    return header


@pytest.fixture(scope="module")
def finished(client: Client, tiny_model: Path, corpus: Path, held_out: Path) -> Job:
    job = client.submit(tiny_model, corpus, held_out=held_out, options=FAST_OPTIONS)
    assert job.status in (JobStatus.VALIDATING, JobStatus.QUEUED, JobStatus.RUNNING)
    return job.wait(timeout=240, poll=0.5, progress=False)


def test_submit_wait_audit(finished: Job, client: Client) -> None:
    info = finished.info
    assert info.status == JobStatus.SUCCEEDED and finished.is_final
    assert info.model.startswith("file_") and info.corpus.startswith("file_") and info.held_out.startswith("file_")
    assert info.options["epochs"] == 1
    assert info.created_at is not None and info.ended_at is not None and info.ended_at >= info.created_at
    assert info.error is None and info.attempts >= 1
    assert info.audit is not None and 0 <= info.audit.token_regurgitation_before <= 1

    report = finished.audit()
    assert isinstance(report, SanitizationReport)
    assert report.method == "sani" and report.model_family == "gpt2"
    assert len(report.epochs) == 1 and report.best_epoch >= 0
    assert report.seconds > 0 and 0 < report.preparation_seconds <= report.seconds
    assert report.epochs[0].training_seconds > 0 and report.before.training_seconds is None
    for audit in (report.before, report.after):
        assert audit.token_regurgitation.total > 0
        assert audit.token_regurgitation.rate == pytest.approx(audit.token_regurgitation.count / audit.token_regurgitation.total)
        assert "PATIENT" in audit.span_extraction_by_label
        assert audit.utility.split == "held-out" and audit.utility.perplexity > 1
    assert report.before.token_regurgitation.rate == pytest.approx(info.audit.token_regurgitation_before)

    assert finished.id in [job.id for job in client.jobs()]
    assert finished.id in [job.id for job in client.jobs(status="succeeded")]
    assert finished.id not in [job.id for job in client.jobs(status="failed")]
    events = finished.events()
    assert events and events[0].job_id == finished.id
    assert {e.status for e in events if e.type == "status"} >= {"queued", "running", "succeeded"}


def test_download_verifies_and_loads(finished: Job, tmp_path: Path) -> None:
    artifacts = {a.name: a for a in finished.artifacts()}
    assert {"model.tar", "config.json", "model.safetensors"} <= set(artifacts)

    out = finished.download(tmp_path / "sanitized")
    for name, artifact in artifacts.items():
        if name == "model.tar":
            continue
        path = out / name
        assert path.is_file(), name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == artifact.sha256, name
    assert not list(out.glob("*.partial")) and not (out / ".model.tar.download").exists()
    assert json.loads((out / "config.json").read_text())["model_type"] == "gpt2"
    header = read_safetensors_header(out / "model.safetensors")
    assert any(name.endswith("wte.weight") for name in header)

    # The folder loads in sani's engine and generates.
    result = subprocess.run([str(sani_binary()), "generate", "--model", str(out), "--prompt", "Patient", "--max-tokens", "5"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Patient")

    kept = finished.download(tmp_path / "with-tar", keep_tar=True)
    assert hashlib.sha256((kept / "model.tar").read_bytes()).hexdigest() == artifacts["model.tar"].sha256


def test_download_refuses_a_wrong_checksum(finished: Job, tmp_path: Path) -> None:
    real = next(a for a in finished.artifacts() if a.name == "config.json")
    lying = Artifact(name=real.name, size=real.size, sha256="0" * 64, url=real.url)
    with pytest.raises(ChecksumMismatchError) as caught:
        finished.download_artifact(lying, tmp_path / "config.json")
    assert caught.value.expected == "0" * 64 and caught.value.actual == real.sha256
    assert list(tmp_path.iterdir()) == [], "nothing is left behind"


def test_idempotency_key_and_uploaded_files(client: Client, tiny_model: Path, corpus: Path) -> None:
    model = client.upload(tiny_model)
    assert isinstance(model, File) and model.kind == "folder" and model.source == "tar" and model.entries >= 3
    notes = client.upload(corpus)
    assert notes.kind == "file" and notes.sha256 == hashlib.sha256(corpus.read_bytes()).hexdigest()
    assert notes.size == corpus.stat().st_size
    assert client._transport.interim_continues >= 2, "the server's 100 Continue came before each body"

    options = dict(FAST_OPTIONS, epochs=0)
    first = client.submit(model, notes, options=options, idempotency_key="pytest-idem-1")
    again = client.submit(model.id, notes.id, options=options, idempotency_key="pytest-idem-1")
    assert again.id == first.id
    with pytest.raises(IdempotencyKeyReusedError) as caught:
        client.submit(model, notes, options=dict(options, seed=99), idempotency_key="pytest-idem-1")
    assert caught.value.status == 422 and caught.value.code == "idempotency_key_reused"
    first.wait(timeout=240, poll=0.5, progress=False)
    first.delete()
    with pytest.raises(NotFoundError):
        first.refresh()
    with pytest.raises(NotFoundError):
        client.file(model.id)


def test_wait_shows_progress_without_tqdm(client: Client, tiny_model: Path, corpus: Path, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("tqdm hidden")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    job = client.submit(tiny_model, corpus, options=dict(FAST_OPTIONS, heldOutFraction=0))
    shown = io.StringIO()
    job.wait(timeout=240, poll=0.3, progress=True, stream=shown)
    lines = shown.getvalue().splitlines()
    assert lines and all(line.startswith(job.id) for line in lines), lines
    assert "succeeded" in lines[-1] and "regurgitation" in lines[-1]
    job.delete()


def test_wait_draws_a_tqdm_bar(client: Client, tiny_model: Path, corpus: Path) -> None:
    pytest.importorskip("tqdm")  # installed by the [test] extra
    job = client.submit(tiny_model, corpus, options=dict(FAST_OPTIONS, heldOutFraction=0))
    shown = io.StringIO()
    job.wait(timeout=240, poll=0.3, progress=True, stream=shown)
    text = shown.getvalue()
    assert "100%" in text and job.id in text and "succeeded" in text, text
    job.delete()


def test_submit_with_a_base_model(client: Client, tiny_model: Path, corpus: Path, held_out: Path, tmp_path: Path) -> None:
    # The base is the folder the fine-tune started from; a copy of the same weights stands in for it here.
    import shutil

    base = shutil.copytree(tiny_model, tmp_path / "base")
    # Extraction beyond the reference is counted by the attack audits (kept small here).
    attacks = {"auditAttacks": True, "relearnSteps": 2, "exposureCandidates": 5, "finalAuditSamples": 1}
    job = client.submit(tiny_model, corpus, held_out=held_out, base=base, options=dict(FAST_OPTIONS, **attacks))
    job.wait(timeout=240, poll=0.3, progress=False)
    assert job.info.base is not None and job.info.base not in (job.info.model, job.info.corpus)
    report = job.audit()
    beyond = report.before.beyond_reference
    assert beyond is not None, sorted(report.before.raw)
    assert beyond.span_extraction.total == report.before.span_extraction.total
    assert beyond.span_extraction.count == 0, "a copy of the model extracts nothing its reference does not"
    job.delete()


def test_submit_with_terms(client: Client, tiny_model: Path, corpus: Path, tmp_path: Path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("Dr Lee\n", encoding="utf-8")
    only_annotations = dict(FAST_OPTIONS, heldOutFraction=0, detectors=["none"], kAnonymity=0)
    plain = client.submit(tiny_model, corpus, options=only_annotations).wait(timeout=240, poll=0.3, progress=False)
    with_terms = client.submit(tiny_model, corpus, terms=terms, options=only_annotations)
    with_terms.wait(timeout=240, poll=0.3, progress=False)
    assert plain.info.terms is None and with_terms.info.terms.startswith("file_")
    spans_plain = plain.audit().before.span_extraction.total
    spans_terms = with_terms.audit().before.span_extraction.total
    assert spans_terms == spans_plain + 4, "each of the 4 notes names Dr Lee once"
    plain.delete()
    with_terms.delete()


def readme_snippet() -> str:
    """The README's Python snippet, exactly as printed there."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    snippet = [b for b in blocks if "from sani_client import Client" in b]
    assert len(snippet) == 1, "the README has one client snippet"
    return snippet[0]


def test_the_readme_snippet_runs(server, tiny_model: Path, corpus: Path, held_out: Path, tmp_path: Path) -> None:
    """The snippet, with only the server's address changed, in a folder laid out as `scripts/run` leaves it
    (data/demo/memorizing, notes.jsonl, held-out.jsonl); the key comes from $SANI_TOKEN as the snippet says."""
    code = readme_snippet()
    assert 'Client("http://127.0.0.1:8080")' in code
    code = code.replace('Client("http://127.0.0.1:8080")', f'Client("{server.url}")')
    demo = tmp_path / "data" / "demo"
    demo.mkdir(parents=True)
    import shutil
    shutil.copytree(tiny_model, demo / "memorizing")
    shutil.copy(corpus, demo / "notes.jsonl")
    shutil.copy(held_out, demo / "held-out.jsonl")
    env = dict(__import__("os").environ, SANI_TOKEN=server.token)
    import sys
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("span extraction ") and " -> " in lines[0], result.stdout
    sanitized = tmp_path / "sanitized"
    assert (sanitized / "config.json").is_file() and (sanitized / "model.safetensors").is_file()
    read_safetensors_header(sanitized / "model.safetensors")
