"""The client of a sani server: upload inputs, create jobs, list them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from .archive import FolderTar
from .errors import SaniError
from .job import Job
from .models import File, JobInfo, JobStatus
from .transport import Transport

PathLike = Union[str, "os.PathLike[str]"]
#: Items asked for per page of a listing (the server allows up to 200).
_PAGE = 100
#: An input of a job: a local path (uploaded) or a file already uploaded (a File or its id, ``file_...``).
Input = Union[PathLike, File]


class Client:
    """A sani server at ``url`` (``http://127.0.0.1:8080`` by default).

    ``token`` is the API key (sent as ``Authorization: Bearer``); without one, ``$SANI_TOKEN`` when set. A server
    without API keys answers loopback requests without any. ``timeout`` bounds each HTTP call, not a job.
    ``verify`` is TLS verification for https (False, or a CA bundle path).
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", token: Optional[str] = None, timeout: float = 300.0,
                 verify: Union[bool, str] = True) -> None:
        if token is None:
            token = os.environ.get("SANI_TOKEN") or None
        self.url = url.rstrip("/")
        self._transport = Transport(self.url, token, timeout, verify)

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def close(self) -> None:
        self._transport.session.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Files.

    def upload(self, path: PathLike, name: Optional[str] = None) -> File:
        """Uploads a file as is, or a folder as a tar (streamed: never held in memory or written to disk)."""
        local = Path(path)
        if local.is_dir():
            stream = FolderTar(local)
            params = {"name": name or local.resolve().name, "format": "tar"}
            return File.from_json(self._transport.upload("v1/files", params, stream, len(stream),
                                                         content_type="application/x-tar"))
        if not local.is_file():
            raise SaniError(f"{local} does not exist (or is not a regular file or a folder)")
        with open(local, "rb") as f:
            length = os.fstat(f.fileno()).st_size
            params = {"name": name or local.name}
            return File.from_json(self._transport.upload("v1/files", params, f, length))

    def file(self, file_id: str) -> File:
        return File.from_json(self._transport.json("GET", f"v1/files/{file_id}"))

    def files(self, limit: Optional[int] = None) -> List[File]:
        """The tenant's uploaded files, newest first (all of them, or at most ``limit``)."""
        return [File.from_json(item) for item in self._pages("v1/files", {}, limit)]

    def delete_file(self, file_id: str) -> None:
        self._transport.request("DELETE", f"v1/files/{file_id}")

    # Jobs.

    def submit(self, model_dir: Input, corpus: Input, held_out: Optional[Input] = None,
               base: Optional[Input] = None, terms: Optional[Input] = None,
               options: Optional[Mapping[str, Any]] = None, idempotency_key: Optional[str] = None,
               webhook: Optional[Mapping[str, str]] = None, calibration: Optional[Input] = None) -> Job:
        """Uploads the inputs and starts a sanitization job.

        ``model_dir`` is a Hugging Face model folder (``config.json``, safetensors, tokenizer files), uploaded as
        a tar; ``corpus`` the notes it was fine-tuned on (JSONL or text); ``held_out`` notes it never saw (utility
        is measured on them); ``base`` the folder of the model its fine-tune started from; ``terms`` a file of
        confidential terms; ``calibration`` other notes of the same kind it never saw (the repair trains on them
        with the option ``repairNotes: "calibration"``, and the membership floor reads its level from them). Each
        may also be a :class:`File` already uploaded, or its id. ``options`` follow the schema
        ``SanitizationOptions`` (e.g. ``{"epochs": 3, "eraseLayers": 4}``). With an ``idempotency_key``,
        submitting again returns the same job. ``webhook`` is ``{"url": ..., "secret": ...}``.
        """
        if options is not None and not isinstance(options, Mapping):
            raise SaniError(f"options must be a mapping such as {{'epochs': 1}}, got {type(options).__name__}")
        for label, value in (("model_dir", model_dir), ("base", base)):
            if value is not None and not isinstance(value, File) and not _is_file_id(value):
                folder = Path(value)
                if not folder.is_dir():
                    raise SaniError(f"{label}: {folder} is not a folder (a Hugging Face model folder is expected)")
                if not (folder / "config.json").is_file():
                    raise SaniError(f"{label}: {folder} has no config.json: not a Hugging Face model folder")
        if any(v is not None and not isinstance(v, File) and not _is_file_id(v)
               for v in (model_dir, corpus, held_out, base, terms, calibration)):
            # A wrong key or an unreachable server shows up now, not after gigabytes of model went up.
            self._transport.json("GET", "v1/files", params={"limit": 1})
        body: Dict[str, Any] = {"model": self._input(model_dir), "corpus": self._input(corpus)}
        if held_out is not None:
            body["heldOut"] = self._input(held_out)
        if base is not None:
            body["base"] = self._input(base)
        if calibration is not None:
            body["calibration"] = self._input(calibration)
        if terms is not None:
            body["terms"] = self._input(terms)
        if options:
            body["options"] = dict(options)
        if webhook is not None:
            body["webhook"] = dict(webhook)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return Job(self, JobInfo.from_json(self._transport.json("POST", "v1/jobs", json_body=body, headers=headers)))

    def job(self, job_id: str) -> Job:
        """The job with this id (``NotFoundError`` when the tenant has none)."""
        return Job(self, JobInfo.from_json(self._transport.json("GET", f"v1/jobs/{job_id}")))

    def jobs(self, status: Optional[str] = None, limit: Optional[int] = None) -> List[Job]:
        """The tenant's jobs, newest first (all of them, or at most ``limit``), optionally of one status."""
        if status is not None and status not in JobStatus.ALL:
            raise SaniError(f"status must be one of {', '.join(JobStatus.ALL)}, got {status!r}")
        params = {"status": status} if status else {}
        return [Job(self, JobInfo.from_json(item)) for item in self._pages("v1/jobs", params, limit)]

    def health(self) -> bool:
        """True when the server answers its liveness check."""
        return self._transport.json("GET", "healthz").get("status") == "ok"

    # Internals.

    def _input(self, value: Input) -> str:
        if isinstance(value, File):
            return value.id
        if _is_file_id(value):
            return str(value)
        return self.upload(value).id

    def _pages(self, path: str, params: Dict[str, Any], limit: Optional[int]) -> List[Dict[str, Any]]:
        items: List[Dict[str, Any]] = []
        cursor: Optional[str] = None
        for _ in range(100_000):  # a bound, far above any real listing
            wanted = _PAGE if limit is None else min(_PAGE, limit - len(items))
            if wanted <= 0:
                break
            query = dict(params, limit=wanted)
            if cursor:
                query["cursor"] = cursor
            page = self._transport.json("GET", path, params=query)
            items.extend(page.get("data", []))
            cursor = page.get("nextCursor")
            if not cursor or not page.get("data"):
                break
        return items


def _is_file_id(value: Any) -> bool:
    """An uploaded file's id (``file_...``) given as a string, when no local path of that name exists."""
    return isinstance(value, str) and value.startswith("file_") and "/" not in value and not os.path.exists(value)
