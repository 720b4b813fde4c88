"""Typed errors from a live server: wrong key, unknown ids, bad inputs, a job that fails, cancel and delete."""

from __future__ import annotations

from pathlib import Path
import time

import pytest

from sani_client import (APIError, AuditNotReadyError, AuthenticationError, BadRequestError, Client, ConflictError,
                         InvalidInputError, JobActiveError, JobCancelledError, JobFailedError, JobFinishedError,
                         JobStatus, NotFoundError, SaniConnectionError, SaniError, UnknownFileError,
                         WaitTimeoutError)

from conftest import FAST_OPTIONS, LiveServer, free_port


def test_wrong_token_is_an_authentication_error(server: LiveServer, corpus: Path, tiny_model: Path) -> None:
    with server.client(token="sk_wrong_" + "x" * 16) as wrong:
        with pytest.raises(AuthenticationError) as caught:
            wrong.jobs()
        error = caught.value
        assert isinstance(error, APIError) and isinstance(error, SaniError)
        assert error.status == 401 and error.code == "unauthorized"
        assert "API key" in error.message and "401 unauthorized" in str(error)
        with pytest.raises(AuthenticationError):
            wrong.upload(corpus)
        with pytest.raises(AuthenticationError):
            wrong.upload(tiny_model)
        # submit checks the key before it uploads anything.
        uploads = []
        real_upload = wrong._transport.upload
        wrong._transport.upload = lambda *a, **k: uploads.append(a) or real_upload(*a, **k)
        with pytest.raises(AuthenticationError):
            wrong.submit(tiny_model, corpus)
        assert uploads == []


def test_no_token_is_refused_when_the_server_has_keys(server: LiveServer, monkeypatch) -> None:
    monkeypatch.delenv("SANI_TOKEN", raising=False)
    with Client(server.url) as anonymous:
        with pytest.raises(AuthenticationError):
            anonymous.jobs()
    monkeypatch.setenv("SANI_TOKEN", server.token)
    with Client(server.url) as from_environment:
        assert isinstance(from_environment.jobs(limit=1), list)


def test_unknown_ids_are_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.job("job_doesnotexist0000000000")
    assert caught.value.status == 404 and caught.value.code == "not_found"
    assert "job_doesnotexist0000000000" in caught.value.message
    with pytest.raises(NotFoundError):
        client.file("file_doesnotexist000000000")


def test_unknown_file_id_in_a_job_is_a_bad_request(client: Client, corpus: Path) -> None:
    with pytest.raises(UnknownFileError) as caught:
        client.submit("file_neveruploaded00000000", corpus)
    assert isinstance(caught.value, BadRequestError)
    assert caught.value.status == 400 and caught.value.code == "unknown_file"
    assert "upload it first" in caught.value.message


def test_a_corpus_folder_is_refused_at_creation(client: Client, tiny_model: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        client.submit(tiny_model, client.upload(tiny_model))
    assert caught.value.code == "invalid_corpus" and caught.value.status == 400


def test_unknown_option_is_a_bad_request(client: Client, tiny_model: Path, corpus: Path) -> None:
    with pytest.raises(BadRequestError) as caught:
        client.submit(tiny_model, corpus, options={"epochz": 1})
    assert "epochz" in caught.value.message


def test_local_mistakes_are_caught_before_any_upload(client: Client, tmp_path: Path, corpus: Path) -> None:
    with pytest.raises(SaniError, match="not a folder"):
        client.submit(corpus, corpus)
    with pytest.raises(SaniError, match="no config.json"):
        client.submit(tmp_path, corpus)
    with pytest.raises(SaniError, match="does not exist"):
        client.upload(tmp_path / "missing.jsonl")
    with pytest.raises(SaniError, match="status must be one of"):
        client.jobs(status="done")


def test_unreachable_server_is_a_connection_error() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", timeout=5) as nowhere:
        with pytest.raises(SaniConnectionError):
            nowhere.jobs()


def test_bad_corpus_fails_the_job_with_its_reason(client: Client, tiny_model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"txt": "no text field here"}\n', encoding="utf-8")
    job = client.submit(tiny_model, bad, options=FAST_OPTIONS)
    with pytest.raises(JobFailedError) as caught:
        job.wait(timeout=120, poll=0.3, progress=False)
    failure = caught.value
    assert not isinstance(failure, JobCancelledError)
    assert failure.code == "invalid_corpus" and "text" in failure.reason and "line 1" in failure.reason
    assert failure.job is job and job.status == JobStatus.FAILED
    assert job.error is not None and job.error.code == "invalid_corpus"
    assert "invalid_corpus" in str(failure)
    # The same job without raising, then what a failed job answers.
    assert job.wait(timeout=10, poll=0.3, progress=False, raise_on_failure=False).status == JobStatus.FAILED
    with pytest.raises(AuditNotReadyError) as caught_audit:
        job.audit()
    assert isinstance(caught_audit.value, NotFoundError) and caught_audit.value.code == "audit_not_ready"
    with pytest.raises(SaniError, match="no model.tar"):
        job.download(tmp_path / "nothing")
    with pytest.raises(JobFinishedError):
        job.cancel()
    job.delete()


def cancel_quietly(job) -> None:
    """Cleanup: a long job left running would hold the only worker for minutes."""
    try:
        if not job.refresh().is_final:
            job.cancel()
    except SaniError:
        pass


def test_cancel_then_delete_a_running_job(client: Client, tiny_model: Path, corpus: Path) -> None:
    job = client.submit(tiny_model, corpus, options=dict(FAST_OPTIONS, epochs=1000, heldOutFraction=0))
    try:
        with pytest.raises(WaitTimeoutError):
            job.wait(timeout=0.5, poll=0.2, progress=False)
        for _ in range(600):
            if job.refresh().status == JobStatus.RUNNING or job.is_final:
                break
            time.sleep(0.1)
        assert job.status == JobStatus.RUNNING, job.info
        with pytest.raises(JobActiveError) as caught:
            job.delete()
        assert isinstance(caught.value, ConflictError) and caught.value.status == 409
        job.cancel()
        assert job.info.cancel_requested or job.status == JobStatus.CANCELLED
        with pytest.raises(JobCancelledError) as cancelled:
            job.wait(timeout=120, poll=0.2, progress=False)
        assert cancelled.value.job.status == JobStatus.CANCELLED
        assert str(cancelled.value).startswith(f"job {job.id} cancelled: ")
    finally:
        cancel_quietly(job)
    job.delete()
    with pytest.raises(NotFoundError):
        job.refresh()
    assert job.id not in [j.id for j in client.jobs()]


def test_cancel_a_queued_job(client: Client, tiny_model: Path, corpus: Path) -> None:
    model = client.upload(tiny_model)
    notes = client.upload(corpus)
    running = client.submit(model, notes, options=dict(FAST_OPTIONS, epochs=1000, heldOutFraction=0))
    waiting = client.submit(model, notes, options=dict(FAST_OPTIONS, heldOutFraction=0))
    try:
        for _ in range(600):
            if running.refresh().status == JobStatus.RUNNING and waiting.refresh().status == JobStatus.QUEUED:
                break
            time.sleep(0.1)
        assert (running.status, waiting.status) == (JobStatus.RUNNING, JobStatus.QUEUED)
        assert waiting.cancel().status == JobStatus.CANCELLED
        with pytest.raises(JobCancelledError) as cancelled:
            waiting.wait(timeout=10, poll=0.2, progress=False)
        assert cancelled.value.code == "cancelled" and "cancelled" in cancelled.value.reason
        running.cancel()
        running.wait(timeout=120, poll=0.2, progress=False, raise_on_failure=False)
        assert running.status == JobStatus.CANCELLED
    finally:
        cancel_quietly(running)
        cancel_quietly(waiting)
    for job in (waiting, running):
        job.delete()
