"""The client's types against openapi.yaml: a property renamed, removed or added as required on either side, a
status, phase or failure code changed, fails here."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from sani_client.errors import _BY_CODE
from sani_client.models import JOB_ERROR_CODES, PHASES, RESOURCE_TYPES, JobStatus

from conftest import FAST_OPTIONS

OPENAPI = Path(__file__).resolve().parents[3] / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        path = node["$ref"].lstrip("#/").split("/")
        node = spec
        for part in path:
            node = node[part]
    return node


def schema(spec: dict, dotted: str) -> dict:
    """``Job.progress`` is the property ``progress`` of the component schema ``Job``."""
    name, *properties = dotted.split(".")
    node = spec["components"]["schemas"][name]
    for p in properties:
        node = resolve(spec, node["properties"][p])
    return resolve(spec, node)


def json_fields(cls) -> dict:
    return {f.metadata["json"]: f for f in dataclasses.fields(cls) if "json" in f.metadata}


@pytest.mark.parametrize("cls", RESOURCE_TYPES, ids=lambda c: c.__name__)
def test_every_field_is_a_property_of_its_schema(spec: dict, cls) -> None:
    properties = schema(spec, cls.SCHEMA)["properties"]
    fields = json_fields(cls)
    unknown = sorted(set(fields) - set(properties))
    assert not unknown, f"{cls.__name__} reads {unknown}, which {cls.SCHEMA} does not have"
    missing = sorted(set(properties) - set(fields))
    assert not missing, f"{cls.SCHEMA} has {missing}, which {cls.__name__} does not read"


@pytest.mark.parametrize("cls", RESOURCE_TYPES, ids=lambda c: c.__name__)
def test_required_properties_are_required_fields(spec: dict, cls) -> None:
    required = set(schema(spec, cls.SCHEMA).get("required", []))
    for name, f in json_fields(cls).items():
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        assert has_default != (name in required), \
            f"{cls.__name__}.{f.name}: {name} is {'required' if name in required else 'optional'} in {cls.SCHEMA}"


def test_statuses_phases_and_failure_codes(spec: dict) -> None:
    assert list(JobStatus.ALL) == spec["components"]["schemas"]["JobStatus"]["enum"]
    assert set(JobStatus.FINAL) <= set(JobStatus.ALL)
    assert list(PHASES) == schema(spec, "Job.progress")["properties"]["phase"]["enum"]
    assert list(JOB_ERROR_CODES) == schema(spec, "Job.error")["properties"]["code"]["enum"]


def test_error_envelope_and_job_creation_body(spec: dict) -> None:
    detail = schema(spec, "Error.error")
    assert set(detail["required"]) == {"code", "message"}
    body = schema(spec, "CreateJobRequest")["properties"]
    # The properties Client.submit sends.
    assert {"model", "corpus", "heldOut", "base", "calibration", "terms", "options", "webhook"} <= set(body)
    options = schema(spec, "SanitizationOptions")["properties"]
    assert set(FAST_OPTIONS) <= set(options)


def test_error_codes_with_a_class_are_codes_the_contract_can_carry(spec: dict) -> None:
    # Job failure codes double as 400 codes at creation; the rest are the server's HTTP error codes, which the
    # contract leaves open (Error.error.code is a string): check at least that they are snake_case words.
    for code in _BY_CODE:
        assert code.replace("_", "").isalpha() and code == code.lower(), code
    assert {"invalid_model", "invalid_corpus", "invalid_terms", "invalid_options"} <= set(JOB_ERROR_CODES)


def test_paths_the_client_calls_exist(spec: dict) -> None:
    calls = {("post", "/v1/files"), ("get", "/v1/files"), ("get", "/v1/files/{fileId}"),
             ("delete", "/v1/files/{fileId}"), ("post", "/v1/jobs"), ("get", "/v1/jobs"),
             ("get", "/v1/jobs/{jobId}"), ("delete", "/v1/jobs/{jobId}"), ("post", "/v1/jobs/{jobId}/cancel"),
             ("get", "/v1/jobs/{jobId}/events"), ("get", "/v1/jobs/{jobId}/audit"),
             ("get", "/v1/jobs/{jobId}/artifacts"), ("get", "/v1/jobs/{jobId}/artifacts/{name}"), ("get", "/healthz")}
    for method, path in sorted(calls):
        assert method in spec["paths"].get(path, {}), f"{method.upper()} {path} is not in openapi.yaml"
