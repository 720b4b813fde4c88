"""Typed errors of the sani client.

Every error the client raises is a :class:`SaniError`. An error answered by the server (``{"error": {"code",
"message"}}`` with an HTTP status) is an :class:`APIError` of the class of its status, or of a finer class when
the server's code has one (``unknown_file`` is an :class:`UnknownFileError`, itself a :class:`BadRequestError`),
so callers catch as broadly or as narrowly as they need.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Type


class SaniError(Exception):
    """Base of every error of the sani client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SaniConnectionError(SaniError):
    """The server could not be reached, or the connection broke before it answered."""


class APIError(SaniError):
    """The server answered with an error: ``status`` (HTTP), ``code`` and ``message`` from its JSON body."""

    def __init__(self, status: int, code: str, message: str, body: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class BadRequestError(APIError):
    """400: the request was refused (bad JSON, unknown field, bad parameter, bad input file)."""


class AuthenticationError(APIError):
    """401: missing or invalid API key."""


class PermissionDeniedError(APIError):
    """403: the server refuses the operation (e.g. URL fetch disabled, API keys required)."""


class NotFoundError(APIError):
    """404: no such job, file or artifact for this tenant."""


class ConflictError(APIError):
    """409: the resource is in a state that forbids the operation."""


class PayloadTooLargeError(APIError):
    """413: the upload exceeds the server's limit (uploads.maxBytes)."""


class RangeNotSatisfiableError(APIError):
    """416: the requested byte range is outside the artifact."""


class UnprocessableError(APIError):
    """422: the request is well formed but contradicts an earlier one."""


class ServerError(APIError):
    """5xx: the server failed."""


class InsufficientStorageError(ServerError):
    """507: the server has no room left for the upload."""


# Finer classes for the codes a caller is most likely to handle on their own.
class UnknownFileError(BadRequestError):
    """400 unknown_file: a job names a file id that was never uploaded (or was deleted)."""


class InvalidInputError(BadRequestError):
    """400 invalid_model / invalid_corpus / invalid_terms / invalid_options: an input is refused at creation."""


class AuditNotReadyError(NotFoundError):
    """404 audit_not_ready: the job has no audit yet (it is written when the job succeeds)."""


class JobActiveError(ConflictError):
    """409 job_active: a running job must be cancelled before it is deleted."""


class JobFinishedError(ConflictError):
    """409 job_finished: the job already ended, there is nothing to cancel."""


class FileInUseError(ConflictError):
    """409 file_in_use: a job still uses the file."""


class IdempotencyKeyReusedError(UnprocessableError):
    """422 idempotency_key_reused: the Idempotency-Key was used before with another request body."""


class JobFailedError(SaniError):
    """The job ended ``failed`` (or ``cancelled``): ``code`` and ``message`` are the job's ``error``."""

    def __init__(self, job: Any, code: str, message: str) -> None:
        super().__init__(f"job {job.id} {job.status}: {code}: {message}" if code != job.status
                         else f"job {job.id} {job.status}: {message}")
        self.job = job
        self.code = code
        self.reason = message


class JobCancelledError(JobFailedError):
    """The job was cancelled before it succeeded."""


class WaitTimeoutError(SaniError, TimeoutError):
    """``Job.wait`` gave up before the job ended."""


class ChecksumMismatchError(SaniError):
    """A downloaded artifact's SHA-256 differs from the one the API lists."""

    def __init__(self, name: str, expected: str, actual: str) -> None:
        super().__init__(f"checksum mismatch for {name}: the API lists sha256 {expected}, the download has {actual}")
        self.name = name
        self.expected = expected
        self.actual = actual


class UnsafeArchiveError(SaniError):
    """A tar entry would be written outside the destination folder, or is a link or a special file."""

    def __init__(self, entry: str, reason: str) -> None:
        super().__init__(f"refusing tar entry {entry!r}: {reason}")
        self.entry = entry
        self.reason = reason


_BY_CODE: Dict[str, Type[APIError]] = {
    "unknown_file": UnknownFileError,
    "invalid_model": InvalidInputError,
    "invalid_corpus": InvalidInputError,
    "invalid_terms": InvalidInputError,
    "invalid_options": InvalidInputError,
    "audit_not_ready": AuditNotReadyError,
    "job_active": JobActiveError,
    "job_finished": JobFinishedError,
    "file_in_use": FileInUseError,
    "idempotency_key_reused": IdempotencyKeyReusedError,
}

_BY_STATUS: Dict[int, Type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    416: RangeNotSatisfiableError,
    422: UnprocessableError,
    507: InsufficientStorageError,
}


def error_class(status: int, code: str) -> Type[APIError]:
    """The most precise error class for an HTTP status and the server's error code."""
    by_code = _BY_CODE.get(code)
    by_status = _BY_STATUS.get(status)
    if by_code is not None and (by_status is None or issubclass(by_code, by_status)):
        return by_code
    if by_status is not None:
        return by_status
    if 500 <= status < 600:
        return ServerError
    return APIError


def api_error(status: int, body: bytes, reason: str = "") -> APIError:
    """The typed error for an error answer: the server's ``{error: {code, message}}`` when the body has it."""
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        detail = payload["error"]
        code = str(detail.get("code", "")) or f"http_{status}"
        message = str(detail.get("message", "")) or reason
        return error_class(status, code)(status, code, message, payload)
    text = body[:200].decode("utf-8", "replace").strip() if body else ""
    message = f"HTTP {status} {reason}".strip() + (f": {text}" if text else "")
    return error_class(status, "")(status, f"http_{status}", message, None)
