"""Helpers of scripts/contract.sh (run with the Python of .cache/contract-venv, which has PyYAML).

  seed URL KEY|-                   uploads the inputs that job requests of the run point at; prints them as JSON
  run-spec SRC DST MODE INPUTS     openapi.yaml as this run's server answers it (see run_spec)
  summarize EVENTS.ndjson    "<test cases> <kinds of check> <checks run> <checks failed>" of a schemathesis run
"""
import io
import json
import sys
import tarfile
import urllib.request

import yaml


WEBHOOK_URL = "http://127.0.0.1:9/contract-hook"


def run_spec(source, target, mode, inputs):
    """openapi.yaml with two things no schema can say filled in for this run:
    - the file ids a job request names are the ids of files that exist (uploaded by `seed`), and its webhook is
      a closed port on loopback, so a schema-valid job request must be accepted and nothing leaves the machine;
    - in the open mode (no API key configured) no security requirement: openapi.yaml's own rule for that server.
    """
    with open(source) as f:
        document = yaml.safe_load(f)
    ids = json.loads(inputs)
    request = document["components"]["schemas"]["CreateJobRequest"]["properties"]
    for field, value in (("model", ids["model"]), ("corpus", ids["corpus"]), ("terms", ids["corpus"]),
                         ("heldOut", ids["corpus"]), ("calibration", ids["corpus"]), ("base", ids["base"])):
        request[field] = {**request[field], "enum": [value]}
    request["webhook"]["properties"]["url"] = {"type": "string", "enum": [WEBHOOK_URL]}
    if mode == "open":
        document["security"] = []
    with open(target, "w") as f:
        yaml.safe_dump(document, f, sort_keys=False)


def upload(url, key, name, data, tar):
    query = f"?name={name}" + ("&format=tar" if tar else "")
    request = urllib.request.Request(url + "/v1/files" + query, data=data, method="POST",
                                     headers={"Content-Type": "application/octet-stream"})
    if key != "-":
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["id"]


def model_tar(model_type):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        config = json.dumps({"model_type": model_type}).encode()
        info = tarfile.TarInfo("model/config.json")
        info.size = len(config)
        tar.addfile(info, io.BytesIO(config))
    return buffer.getvalue()


def seed(url, key):
    # A model folder (a config only: a job made of it fails validation at once, so no run trains) and a corpus.
    corpus = b'{"text": "Patient Ana Ruiz, MRN 4100000, seen on 03/14/2021."}\n'
    print(json.dumps({
        "model": upload(url, key, "model", model_tar("gpt2"), True),
        "base": upload(url, key, "base", model_tar("gpt2"), True),
        "corpus": upload(url, key, "notes.jsonl", corpus, False),
    }))


def summarize(path):
    cases, kinds, evaluated, failed = set(), set(), 0, 0
    with open(path) as stream:
        for line in stream:
            event = json.loads(line).get("ScenarioFinished")
            if not event:
                continue
            recorder = event.get("recorder", {})
            cases.update(recorder.get("cases", {}).keys())
            for results in recorder.get("checks", {}).values():
                for result in results:
                    kinds.add(result["name"])
                    evaluated += 1
                    failed += result["status"] == "failure"
    print(len(cases), len(kinds), evaluated, failed)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"run-spec": run_spec, "seed": seed, "summarize": summarize}[command](*args)
