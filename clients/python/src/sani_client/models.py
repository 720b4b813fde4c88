"""The API's resources as Python types, field for field with the schemas of ``openapi.yaml``.

Each dataclass names the schema it follows (``SCHEMA``) and each field the JSON property it reads
(``metadata["json"]``); the client's tests load ``openapi.yaml`` and check both ways, so a property renamed or
added as required on one side fails a test. Every object also keeps the JSON it was read from in ``raw``, so a
property the server adds later is never lost.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
import re
from typing import Any, Dict, List, Optional


class JobStatus:
    """The values of the schema ``JobStatus``."""

    VALIDATING = "validating"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ALL = (VALIDATING, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
    FINAL = (SUCCEEDED, FAILED, CANCELLED)


#: The phases of ``Job.progress.phase``.
PHASES = ("preparing", "audit", "erase", "repair", "saving")

#: The codes of ``Job.error.code`` (why a job failed).
JOB_ERROR_CODES = ("invalid_model", "invalid_corpus", "invalid_terms", "invalid_options", "missing_input",
                   "io_error", "disk_full", "interrupted", "internal_error")


def _json(name: str, **kwargs: Any) -> Any:
    return field(metadata={"json": name}, **kwargs)


_FRACTION = re.compile(r"\.(\d+)")


def parse_time(text: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 date-time of the API (``2026-11-29T08:22:43.288Z``) as an aware datetime."""
    if not text:
        return None
    normalized = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    normalized = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], normalized, count=1)
    try:
        value = datetime.fromisoformat(normalized)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _build(cls: Any, data: Any) -> Any:
    """Reads a dataclass from its JSON object: each field from its ``json`` property, nested types recursively."""
    if not isinstance(data, dict):
        return None
    values: Dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name == "raw":
            values["raw"] = data
            continue
        name = f.metadata.get("json", f.name)
        value = data.get(name)
        convert = f.metadata.get("convert") or _CONVERTERS.get((cls.__name__, f.name))
        if convert is not None and value is not None:
            value = convert(value)
        values[f.name] = value
    return cls(**values)


@dataclass(frozen=True)
class File:
    """An uploaded file or folder (schema ``File``)."""

    SCHEMA = "File"
    id: str = _json("id")
    name: str = _json("name")
    kind: str = _json("kind")
    source: str = _json("source")
    size: int = _json("size")
    sha256: str = _json("sha256")
    created_at: Optional[datetime] = _json("createdAt")
    entries: Optional[int] = _json("entries", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "File":
        return _build(cls, data)


@dataclass(frozen=True)
class Artifact:
    """One downloadable file of a succeeded job (schema ``Artifact``)."""

    SCHEMA = "Artifact"
    name: str = _json("name")
    size: int = _json("size")
    sha256: str = _json("sha256")
    url: str = _json("url")
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Artifact":
        return _build(cls, data)


@dataclass(frozen=True)
class Progress:
    """Where a running job is (schema ``Job.progress``); ``fraction`` goes from 0 to 1."""

    SCHEMA = "Job.progress"
    fraction: float = _json("fraction")
    phase: Optional[str] = _json("phase", default=None)
    epoch: Optional[int] = _json("epoch", default=None)
    epochs: Optional[int] = _json("epochs", default=None)
    step: Optional[int] = _json("step", default=None)
    steps: Optional[int] = _json("steps", default=None)
    loss: Optional[float] = _json("loss", default=None)
    eta_seconds: Optional[float] = _json("etaSeconds", default=None)
    message: Optional[str] = _json("message", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class JobError:
    """Why a job failed (schema ``Job.error``): ``code`` is one of ``JOB_ERROR_CODES``."""

    SCHEMA = "Job.error"
    code: str = _json("code")
    message: str = _json("message")
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class AuditSummary:
    """The headline figures of a job's audit (schema ``Job.audit``), rates in [0, 1]."""

    SCHEMA = "Job.audit"
    token_regurgitation_before: Optional[float] = _json("tokenRegurgitationBefore", default=None)
    token_regurgitation_after: Optional[float] = _json("tokenRegurgitationAfter", default=None)
    span_extraction_before: Optional[float] = _json("spanExtractionBefore", default=None)
    span_extraction_after: Optional[float] = _json("spanExtractionAfter", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class JobInfo:
    """A job as the API shows it (schema ``Job``)."""

    SCHEMA = "Job"
    id: str = _json("id")
    status: str = _json("status")
    model: str = _json("model")
    corpus: str = _json("corpus")
    options: Dict[str, Any] = _json("options")
    created_at: Optional[datetime] = _json("createdAt")
    updated_at: Optional[datetime] = _json("updatedAt")
    cancel_requested: bool = _json("cancelRequested")
    attempts: int = _json("attempts")
    inputs_purged: bool = _json("inputsPurged")
    terms: Optional[str] = _json("terms", default=None)
    held_out: Optional[str] = _json("heldOut", default=None)
    base: Optional[str] = _json("base", default=None)
    calibration: Optional[str] = _json("calibration", default=None)
    started_at: Optional[datetime] = _json("startedAt", default=None)
    ended_at: Optional[datetime] = _json("endedAt", default=None)
    progress: Optional[Progress] = _json("progress", default=None)
    error: Optional[JobError] = _json("error", default=None)
    webhook: Optional[Dict[str, Any]] = _json("webhook", default=None)
    audit: Optional[AuditSummary] = _json("audit", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "JobInfo":
        return _build(cls, data)

    @property
    def is_final(self) -> bool:
        return self.status in JobStatus.FINAL


@dataclass(frozen=True)
class Event:
    """A status change or progress report of a job (schema ``Event``)."""

    SCHEMA = "Event"
    id: int = _json("id")
    job_id: str = _json("jobId")
    at: Optional[datetime] = _json("at")
    type: str = _json("type")
    status: str = _json("status")
    message: str = _json("message")
    phase: Optional[str] = _json("phase", default=None)
    epoch: Optional[int] = _json("epoch", default=None)
    step: Optional[int] = _json("step", default=None)
    steps: Optional[int] = _json("steps", default=None)
    fraction: Optional[float] = _json("fraction", default=None)
    loss: Optional[float] = _json("loss", default=None)
    eta_seconds: Optional[float] = _json("etaSeconds", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Event":
        return _build(cls, data)


@dataclass(frozen=True)
class Rate:
    """``count`` of ``total``, and ``rate`` = count / total (schema ``Rate``)."""

    SCHEMA = "Rate"
    count: int = _json("count")
    total: int = _json("total")
    rate: float = _json("rate")
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Utility:
    """Perplexity and top-1 accuracy on non-sensitive positions (schema ``AuditReport.utility``)."""

    SCHEMA = "AuditReport.utility"
    perplexity: float = _json("perplexity")
    accuracy: float = _json("accuracy")
    positions: int = _json("positions")
    split: str = _json("split")
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class BeyondReference:
    """Span extraction beyond a model that never saw the corpus (schema ``AuditReport.beyondReference``): the spans
    this model reproduces and the reference does not, and what the reference reproduces itself."""

    SCHEMA = "AuditReport.beyondReference"
    span_extraction: Rate = _json("spanExtraction")
    span_extraction_by_label: Dict[str, Rate] = _json("spanExtractionByLabel")
    reference_extraction: Rate = _json("referenceExtraction")
    sampled_extraction: Optional[Rate] = _json("sampledExtraction", default=None)
    reference_sampled_extraction: Optional[Rate] = _json("referenceSampledExtraction", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _rates(value: Dict[str, Any]) -> Dict[str, Rate]:
    return {label: _build(Rate, rate) for label, rate in value.items()}


@dataclass(frozen=True)
class Audit:
    """One audit of the model (schema ``AuditReport``): before, after an epoch, or after sanitization."""

    SCHEMA = "AuditReport"
    stage: str = _json("stage")
    token_regurgitation: Rate = _json("tokenRegurgitation")
    token_regurgitation_by_label: Dict[str, Rate] = _json("tokenRegurgitationByLabel")
    span_extraction: Rate = _json("spanExtraction")
    span_extraction_by_label: Dict[str, Rate] = _json("spanExtractionByLabel")
    utility: Utility = _json("utility")
    seconds: float = _json("seconds")
    sampled_extraction: Optional[Rate] = _json("sampledExtraction", default=None)
    span_extraction_beyond_prompt: Optional[Rate] = _json("spanExtractionBeyondPrompt", default=None)
    training_loss: Optional[float] = _json("trainingLoss", default=None)
    training_seconds: Optional[float] = _json("trainingSeconds", default=None)
    membership: Optional[Dict[str, Any]] = _json("membership", default=None)
    beyond_reference: Optional["BeyondReference"] = _json("beyondReference", default=None)
    span_extraction_by_prefix: Optional[Dict[str, Rate]] = _json("spanExtractionByPrefix", default=None)
    exposure: Optional[Dict[str, Any]] = _json("exposure", default=None)
    relearned: Optional[Dict[str, Any]] = _json("relearned", default=None)
    membership_floor: Optional[Dict[str, Any]] = _json("membershipFloor", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class SanitizationReport:
    """The method's report of a succeeded job (schema ``SanitizationReport``, ``GET /v1/jobs/{id}/audit``)."""

    SCHEMA = "SanitizationReport"
    method: str = _json("method")
    options: Dict[str, Any] = _json("options")
    before: Audit = _json("before")
    epochs: List[Audit] = _json("epochs")
    after: Audit = _json("after")
    best_epoch: int = _json("bestEpoch")
    model_family: Optional[str] = _json("modelFamily", default=None)
    seconds: Optional[float] = _json("seconds", default=None)
    preparation_seconds: Optional[float] = _json("preparationSeconds", default=None)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "SanitizationReport":
        return _build(cls, data)


_CONVERTERS = {
    ("File", "created_at"): parse_time,
    ("JobInfo", "created_at"): parse_time,
    ("JobInfo", "updated_at"): parse_time,
    ("JobInfo", "started_at"): parse_time,
    ("JobInfo", "ended_at"): parse_time,
    ("JobInfo", "progress"): lambda v: _build(Progress, v),
    ("JobInfo", "error"): lambda v: _build(JobError, v),
    ("JobInfo", "audit"): lambda v: _build(AuditSummary, v),
    ("Event", "at"): parse_time,
    ("Audit", "token_regurgitation"): lambda v: _build(Rate, v),
    ("Audit", "token_regurgitation_by_label"): _rates,
    ("Audit", "span_extraction"): lambda v: _build(Rate, v),
    ("Audit", "span_extraction_by_label"): _rates,
    ("Audit", "utility"): lambda v: _build(Utility, v),
    ("Audit", "sampled_extraction"): lambda v: _build(Rate, v),
    ("Audit", "span_extraction_by_prefix"): _rates,
    ("Audit", "beyond_reference"): lambda v: _build(BeyondReference, v),
    ("BeyondReference", "span_extraction"): lambda v: _build(Rate, v),
    ("BeyondReference", "span_extraction_by_label"): _rates,
    ("BeyondReference", "reference_extraction"): lambda v: _build(Rate, v),
    ("BeyondReference", "sampled_extraction"): lambda v: _build(Rate, v),
    ("BeyondReference", "reference_sampled_extraction"): lambda v: _build(Rate, v),
    ("SanitizationReport", "before"): lambda v: _build(Audit, v),
    ("SanitizationReport", "after"): lambda v: _build(Audit, v),
    ("SanitizationReport", "epochs"): lambda v: [_build(Audit, a) for a in v],
}

#: Every typed resource, for the schema checks.
RESOURCE_TYPES = (File, Artifact, JobInfo, Progress, JobError, AuditSummary, Event, Rate, Utility, Audit,
                  BeyondReference, SanitizationReport)
