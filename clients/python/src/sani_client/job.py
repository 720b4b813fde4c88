"""A sanitization job on the server: follow it, read its audit, download its sanitized model."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, TextIO, Union

from .archive import safe_extract
from .errors import (ChecksumMismatchError, JobCancelledError, JobFailedError, SaniError, UnsafeArchiveError,
                     WaitTimeoutError)
from .models import Artifact, Event, JobError, JobInfo, JobStatus, Progress, SanitizationReport
from .progress import ProgressDisplay

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

MODEL_ARCHIVE = "model.tar"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _artifact_path(directory: Path, name: str) -> Path:
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or "\\" in name:
        raise UnsafeArchiveError(name, "artifact name is not a plain relative path")
    return directory.joinpath(*parts)


class Job:
    """A job of the caller's tenant. ``info`` is the last state read from the server (``refresh`` reads it again)."""

    def __init__(self, client: "Client", info: JobInfo) -> None:
        self.client = client
        self.info = info

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, status={self.status!r})"

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def status(self) -> str:
        """validating, queued, running, succeeded, failed or cancelled (as of the last refresh)."""
        return self.info.status

    @property
    def progress(self) -> Optional[Progress]:
        return self.info.progress

    @property
    def error(self) -> Optional[JobError]:
        """Why the job failed (``code``, ``message``), once it has."""
        return self.info.error

    @property
    def is_final(self) -> bool:
        return self.info.is_final

    def refresh(self) -> "Job":
        """Reads the job's current state from the server."""
        self.info = JobInfo.from_json(self.client._transport.json("GET", f"v1/jobs/{self.id}"))
        return self

    def wait(self, timeout: Optional[float] = None, poll: float = 2.0, progress: bool = True,
             raise_on_failure: bool = True, stream: Optional[TextIO] = None) -> "Job":
        """Polls the job every ``poll`` seconds until it ends, showing its progress (``progress=False``: quiet).

        Returns the job once it succeeded. A job that failed raises :class:`JobFailedError` with the server's
        reason (``.code``, e.g. ``invalid_corpus``, and ``.reason``), a cancelled one :class:`JobCancelledError`,
        unless ``raise_on_failure`` is false. Past ``timeout`` seconds, raises :class:`WaitTimeoutError` (the job
        goes on).
        """
        if poll <= 0:
            raise ValueError("poll must be a positive number of seconds")
        deadline = None if timeout is None else time.monotonic() + timeout
        display = ProgressDisplay(stream) if progress else None
        try:
            while True:
                self.refresh()
                if display is not None:
                    display.update(self.info)
                if self.is_final:
                    break
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise WaitTimeoutError(f"job {self.id} is still {self.status} after {timeout:g} s")
                    time.sleep(min(poll, left))
                else:
                    time.sleep(poll)
        finally:
            if display is not None:
                display.close()
        if raise_on_failure and self.status != JobStatus.SUCCEEDED:
            error = self.error
            code = error.code if error else self.status
            said = self.progress.message if self.progress and self.progress.message else ""
            message = error.message if error else (said if said and said != self.status
                                                   else f"the job was {self.status} before it succeeded")
            if self.status == JobStatus.CANCELLED:
                raise JobCancelledError(self, code, message)
            raise JobFailedError(self, code, message)
        return self

    def audit(self) -> SanitizationReport:
        """The method's report: audits before, after each epoch and after (404 ``AuditNotReadyError`` before)."""
        return SanitizationReport.from_json(self.client._transport.json("GET", f"v1/jobs/{self.id}/audit"))

    def artifacts(self) -> List[Artifact]:
        """The sanitized model's files and ``model.tar``, with sizes and SHA-256."""
        page = self.client._transport.json("GET", f"v1/jobs/{self.id}/artifacts")
        return [Artifact.from_json(item) for item in page.get("data", [])]

    def events(self, limit: int = 1000) -> List[Event]:
        """Status changes and progress reports, oldest first (at most ``limit``)."""
        events: List[Event] = []
        cursor: Optional[str] = None
        while len(events) < limit:
            params: Dict[str, Any] = {"limit": min(200, limit - len(events))}
            if cursor:
                params["cursor"] = cursor
            page = self.client._transport.json("GET", f"v1/jobs/{self.id}/events", params=params)
            events.extend(Event.from_json(item) for item in page.get("data", []))
            cursor = page.get("nextCursor")
            if not cursor or not page.get("data"):
                break
        return events

    def download_artifact(self, artifact: Artifact, destination: Union[str, "os.PathLike[str]"]) -> Path:
        """Downloads one artifact to ``destination``, checking its SHA-256 against the listing as it streams."""
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        digest = hashlib.sha256()
        size = 0
        try:
            with open(partial, "wb") as out:
                for chunk in self.client._transport.stream(f"v1/jobs/{self.id}/artifacts/{artifact.name}"):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            actual = digest.hexdigest()
            if actual != artifact.sha256.lower():
                raise ChecksumMismatchError(artifact.name, artifact.sha256, actual)
            if size != artifact.size:
                raise SaniError(f"{artifact.name}: the API lists {artifact.size} bytes, the download has {size}")
            os.replace(partial, target)
        finally:
            if partial.exists():
                partial.unlink()
        return target

    def download(self, directory: Union[str, "os.PathLike[str]"], keep_tar: bool = False) -> Path:
        """Downloads the sanitized model into ``directory`` as a Hugging Face folder and returns its path.

        ``model.tar`` is checked against the SHA-256 the API lists while it streams, then extracted safely (no
        entry may land outside ``directory``; links and special files are refused); every other artifact is
        checked too: the extracted file of the same name, or a download of it.
        """
        folder = Path(directory)
        artifacts = self.artifacts()
        archive = next((a for a in artifacts if a.name == MODEL_ARCHIVE), None)
        if archive is None:
            raise SaniError(f"job {self.id} has no {MODEL_ARCHIVE} to download (status {self.refresh().status}; "
                            f"artifacts exist once a job succeeded)")
        folder.mkdir(parents=True, exist_ok=True)
        tar_path = folder / f".{MODEL_ARCHIVE}.download"
        try:
            self.download_artifact(archive, tar_path)
            safe_extract(tar_path, folder)
            for artifact in artifacts:
                if artifact.name == MODEL_ARCHIVE:
                    continue
                path = _artifact_path(folder, artifact.name)
                if path.is_file():
                    actual = _sha256_file(path)
                    if actual != artifact.sha256.lower():
                        raise ChecksumMismatchError(artifact.name, artifact.sha256, actual)
                else:
                    self.download_artifact(artifact, path)
            if keep_tar:
                os.replace(tar_path, folder / MODEL_ARCHIVE)
        finally:
            if tar_path.exists():
                tar_path.unlink()
        return folder

    def cancel(self) -> "Job":
        """Cancels the job (a running job stops within one training step; ``cancel_requested`` until it does)."""
        self.info = JobInfo.from_json(self.client._transport.json("POST", f"v1/jobs/{self.id}/cancel"))
        return self

    def delete(self) -> None:
        """Deletes an ended (or queued) job and purges every input and output file it has."""
        self.client._transport.request("DELETE", f"v1/jobs/{self.id}")
