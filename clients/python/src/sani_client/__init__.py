"""Python client of the sani service: sanitize language models fine-tuned on clinical notes.

    from sani_client import Client
    job = Client("http://127.0.0.1:8080").submit("model-folder", "notes.jsonl")
    job.wait()
    job.download("sanitized")
"""

__version__ = "1.0.0"

from .archive import FolderTar, safe_extract  # noqa: E402
from .client import Client  # noqa: E402
from .errors import (  # noqa: E402
    APIError,
    AuditNotReadyError,
    AuthenticationError,
    BadRequestError,
    ChecksumMismatchError,
    ConflictError,
    FileInUseError,
    IdempotencyKeyReusedError,
    InsufficientStorageError,
    InvalidInputError,
    JobActiveError,
    JobCancelledError,
    JobFailedError,
    JobFinishedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    SaniConnectionError,
    SaniError,
    ServerError,
    UnknownFileError,
    UnprocessableError,
    UnsafeArchiveError,
    WaitTimeoutError,
)
from .job import Job  # noqa: E402
from .models import (  # noqa: E402
    Artifact,
    Audit,
    AuditSummary,
    BeyondReference,
    Event,
    File,
    JobError,
    JobInfo,
    JobStatus,
    Progress,
    Rate,
    SanitizationReport,
    Utility,
)

__all__ = [
    "Client", "Job", "JobStatus", "JobInfo", "Progress", "JobError", "AuditSummary", "File", "Artifact", "Event",
    "Rate", "Utility", "Audit", "BeyondReference", "SanitizationReport", "FolderTar", "safe_extract",
    "SaniError", "SaniConnectionError", "APIError", "BadRequestError", "AuthenticationError", "PermissionDeniedError",
    "NotFoundError", "ConflictError", "PayloadTooLargeError", "RangeNotSatisfiableError", "UnprocessableError",
    "ServerError", "InsufficientStorageError", "UnknownFileError", "InvalidInputError", "AuditNotReadyError",
    "JobActiveError", "JobFinishedError", "FileInUseError", "IdempotencyKeyReusedError", "JobFailedError",
    "JobCancelledError", "WaitTimeoutError", "ChecksumMismatchError", "UnsafeArchiveError",
]
