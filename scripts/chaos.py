#!/usr/bin/env python3
"""Crash and restart runs of `sani serve` (Python standard library only); scripts/chaos.sh drives it.

  chaos.py kill --sani BIN --work DIR --rounds N --seed S
      Starts the server on a data folder, keeps jobs coming (each with its own model upload), and kills the
      server with SIGKILL N times, each time at a moment picked from the job's phase (upload, validation, the
      audits, erase, repair epochs, checkpoint writes, the sanitized folder, artifact writes; seeded random
      delays), restarting it on the same data folder. Then waits for every job to end and checks:
        - every job answered 201 exists and ended succeeded (every artifact downloaded, its size and SHA-256
          those the API lists) or failed with an error code and message; no file answered 201 is gone;
        - no stray file in the data folder: nothing left of uploads in progress, no temporary files, no
          checkpoint of an ended job, no output of a failed one, no folder without its database row;
        - PRAGMA integrity_check of the database says ok.
  chaos.py disk-full --sani BIN --work DIR --data DIR --seed S
      The data folder is a small file system (scripts/chaos.sh mounts a tmpfs): an upload larger than the free
      space, a tar whose extraction does not fit, and a job whose sanitized folder or artifacts do not fit.
      Each must give a clear error (507 with a JSON error; the job failed with a reason saying the disk is full)
      and leave nothing behind, while another job succeeds and the server keeps serving.
Prints a summary; exits 1 on any violation, 2 when the run itself could not be done.
"""
import argparse
import hashlib
import http.client
import io
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time

FINAL = {"succeeded", "failed", "cancelled"}


class RunError(Exception):
    """The run could not be done (not a finding about the server)."""


def log(msg):
    print(f"chaos: {msg}", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The server process

class Server:
    def __init__(self, sani, data, log_path, extra=()):
        self.sani, self.data, self.log_path, self.extra = sani, data, log_path, list(extra)
        self.proc = None
        self.port = None
        self.starts = 0

    def start(self, timeout=90):
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        out = open(self.log_path, "ab")
        env = dict(os.environ)
        env.pop("SANI_API_KEYS", None)
        self.proc = subprocess.Popen(
            [self.sani, "serve", "--host", "127.0.0.1", "--port", "0", "--data", self.data,
             "--set", "logging.level=info"] + self.extra,
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        out.close()
        self.starts += 1
        # scripts/chaos.sh stops this pid if the run itself is killed.
        with open(os.path.join(os.path.dirname(self.log_path), "server.pid"), "w") as f:
            f.write(str(self.proc.pid))
        deadline = time.monotonic() + timeout
        pattern = re.compile(rb"sani listening on http://127\.0\.0\.1:(\d+)")
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                m = pattern.search(f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise RunError(f"sani serve exited with {self.proc.returncode} at start {self.starts}; see {self.log_path}")
            time.sleep(0.05)
        self.kill9()
        raise RunError(f"sani serve did not listen within {timeout}s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None


# ---------------------------------------------------------------------------------------------------------------
# HTTP (loopback only)

class Client:
    def __init__(self, server, timeout=20, key=None):
        self.server, self.timeout = server, timeout
        self.auth = {"Authorization": f"Bearer {key}"} if key else {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.timeout)
        try:
            h = {**self.auth, **(headers or {})}
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                h.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.read()
        except http.client.HTTPException as e:
            raise ConnectionError(f"{method} {path}: {e!r}") from e
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None):
        status, data = self.request(method, path, body, headers)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, {"raw": data[:200].decode("utf-8", "replace")}

    def upload(self, file_path, name, tar=False, chunk=1 << 16, pause=0.0, progress=None):
        """Streams a file as the body of PUT /v1/files; `pause` seconds between chunks (a slow client)."""
        size = os.path.getsize(file_path)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.timeout)
        try:
            query = f"/v1/files?name={name}" + ("&format=tar" if tar else "")
            conn.putrequest("PUT", query)
            conn.putheader("Content-Length", str(size))
            conn.putheader("Content-Type", "application/octet-stream")
            for name, value in self.auth.items():
                conn.putheader(name, value)
            conn.endheaders()
            sent = 0
            with open(file_path, "rb") as f:
                while True:
                    block = f.read(chunk)
                    if not block:
                        break
                    try:
                        conn.send(block)
                    except OSError:
                        break   # the server answered early (507, 413) or went away: read what it said
                    sent += len(block)
                    if progress:
                        progress(sent)
                    if pause:
                        time.sleep(pause)
            try:
                r = conn.getresponse()
                data = r.read()
            except http.client.HTTPException as e:
                raise ConnectionError(f"upload of {name}: {e!r}") from e
            try:
                return r.status, json.loads(data) if data else None
            except ValueError:
                return r.status, {"raw": data[:200].decode("utf-8", "replace")}
        finally:
            conn.close()


# ---------------------------------------------------------------------------------------------------------------
# Inputs: a tiny GPT-2 trained from scratch for a moment, synthetic notes

def make_inputs(sani, work, repo, records=24, seed=3, width=64, layers=2, length=64):
    """Synthetic notes and a GPT-2 on the repo's tiny tokenizer trained from scratch on them for one epoch (a
    `width`-wide, `layers`-block model reading `length` tokens); also the model folder as a tar."""
    inputs = os.path.join(work, "inputs")
    os.makedirs(inputs, exist_ok=True)
    notes, held = os.path.join(inputs, "notes.jsonl"), os.path.join(inputs, "held.jsonl")
    subprocess.run([sani, "demo-data", "--records", str(records), "--seed", str(seed), "--out", notes, "--held-out", held,
                    "--held-out-records", "6"], check=True, stdout=subprocess.DEVNULL)
    base = os.path.join(inputs, "init")
    os.makedirs(base, exist_ok=True)
    tokenizer = os.path.join(repo, "Tests/SaniEngineTests/Fixtures/tokenizer/tiny/tokenizer.json")
    with open(tokenizer, "rb") as src, open(os.path.join(base, "tokenizer.json"), "wb") as dst:
        dst.write(src.read())
    vocab = len(json.load(open(tokenizer))["model"]["vocab"]) + 2   # + the added [REDACTED] and <mask> tokens
    config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": width,
              "n_head": 2 if width <= 64 else 4, "n_layer": layers, "n_positions": length, "n_inner": None,
              "vocab_size": vocab, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
              "tie_word_embeddings": True, "bos_token_id": 0, "eos_token_id": 0}
    with open(os.path.join(base, "config.json"), "w") as f:
        json.dump(config, f)
    model = os.path.join(inputs, "model")
    subprocess.run([sani, "train", "--model", base, "--corpus", notes, "--out", model, "--epochs", "1",
                    "--batch", "4", "--length", str(length), "--from-scratch"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tar_path = os.path.join(inputs, "model.tar")
    with tarfile.open(tar_path, "w", format=tarfile.USTAR_FORMAT) as t:
        for name in sorted(os.listdir(model)):
            t.add(os.path.join(model, name), arcname=name)
    return {"notes": notes, "held": held, "model_dir": model, "model_tar": tar_path}


def job_options(seed):
    # A few seconds of work on two cores: both audits with the attacks, erase, two repair epochs with their
    # audits and checkpoints, the sanitized folder and the artifacts.
    return {"epochs": 2, "batchSize": 4, "sequenceLength": 64, "auditPrefixTokens": 16, "eraseLayers": 2,
            "learningRate": 0.001, "relearnSteps": 5, "seed": seed}


# ---------------------------------------------------------------------------------------------------------------
# The data folder

TMP_NAME = re.compile(r"(^\..*\.tmp$)|(\.tmp$)|(^upload-)|(^extract-)|(^fetch-)")


def read_db(data):
    """Rows of the database (read-only), or raises."""
    db = sqlite3.connect(f"file:{os.path.join(data, 'sani.sqlite')}?mode=ro", uri=True, timeout=30)
    try:
        db.row_factory = sqlite3.Row
        jobs = {r["id"]: dict(r) for r in db.execute("SELECT * FROM jobs")}
        files = {r["id"]: dict(r) for r in db.execute("SELECT * FROM files")}
        artifacts = {}
        for r in db.execute("SELECT * FROM artifacts"):
            artifacts.setdefault(r["jobId"], []).append(dict(r))
        return jobs, files, artifacts
    finally:
        db.close()


def integrity(data):
    db = sqlite3.connect(f"file:{os.path.join(data, 'sani.sqlite')}?mode=ro", uri=True, timeout=30)
    try:
        rows = [r[0] for r in db.execute("PRAGMA integrity_check")]
        fk = list(db.execute("PRAGMA foreign_key_check"))
        return ("ok" if rows == ["ok"] else "; ".join(rows[:5])), len(fk)
    finally:
        db.close()


def stray_files(data):
    """Paths (relative to the data folder) that should not be there once the server stopped with every job ended."""
    jobs, files, artifacts = read_db(data)
    stray = []

    def rel(p):
        return os.path.relpath(p, data)

    for name in sorted(os.listdir(data)):
        if name not in {"sani.sqlite", "sani.sqlite-wal", "sani.sqlite-shm", "files", "jobs", "uploads"}:
            stray.append(name)
    uploads = os.path.join(data, "uploads")
    if os.path.isdir(uploads):
        stray += [rel(os.path.join(uploads, n)) for n in sorted(os.listdir(uploads))]
    # Temporary names anywhere.
    for root, dirs, names in os.walk(data):
        if os.path.abspath(root) == os.path.abspath(uploads):
            continue
        for n in names + dirs:
            if TMP_NAME.search(n):
                stray.append(rel(os.path.join(root, n)))
    folder = os.path.join(data, "files")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name not in files:
            stray.append(rel(os.path.join(folder, name)) + "/ (no database row)")
    jobs_folder = os.path.join(data, "jobs")
    for name in sorted(os.listdir(jobs_folder)) if os.path.isdir(jobs_folder) else []:
        path = os.path.join(jobs_folder, name)
        job = jobs.get(name)
        if job is None:
            stray.append(rel(path) + "/ (no database row)")
            continue
        status = job["status"]
        if status in FINAL and os.path.exists(os.path.join(path, "checkpoints")):
            stray.append(rel(os.path.join(path, "checkpoints")) + f"/ (job {status})")
        for sub in ("output", "artifacts"):
            p = os.path.join(path, sub)
            if status != "succeeded" and os.path.exists(p):
                stray.append(rel(p) + f"/ (job {status})")
        if status == "succeeded":
            listed = {a["name"] for a in artifacts.get(name, [])}
            out = os.path.join(path, "output")
            present = set(os.listdir(out)) if os.path.isdir(out) else set()
            for n in sorted(present - listed):
                stray.append(rel(os.path.join(out, n)) + " (not an artifact)")
            arts = os.path.join(path, "artifacts")
            present = set(os.listdir(arts)) if os.path.isdir(arts) else set()
            for n in sorted(present - {"model.tar"}):
                stray.append(rel(os.path.join(arts, n)) + " (not an artifact)")
        extra = set(os.listdir(path)) - {"checkpoints", "output", "artifacts"}
        stray += [rel(os.path.join(path, n)) for n in sorted(extra)]
    return sorted(set(stray))


# ---------------------------------------------------------------------------------------------------------------
# Watching the running server to pick the moment of a kill

class Watch:
    """What the data folder and the API show right now."""

    def __init__(self, data, client):
        self.data, self.client = data, client

    def fs(self):
        seen = set()
        try:
            if any(n.startswith("upload-") for n in os.listdir(os.path.join(self.data, "uploads"))):
                seen.add("upload")
        except OSError:
            pass
        jobs_folder = os.path.join(self.data, "jobs")
        try:
            job_ids = os.listdir(jobs_folder)
        except OSError:
            job_ids = []
        for j in job_ids:
            base = os.path.join(jobs_folder, j)
            try:
                for n in os.listdir(os.path.join(base, "checkpoints")):
                    # `.weights-<epochs done>-<tag>.safetensors.<uuid>.tmp` (and optimizer-, best-), `.state.json…`
                    if n.startswith(".") or n.endswith(".tmp"):
                        seen.add("checkpoint-write")
                        m = re.match(r"\.(?:weights|optimizer|best)-(\d+)-", n)
                        if m:
                            seen.add("checkpoint-write:" + m.group(1))
            except OSError:
                pass
            try:
                names = os.listdir(os.path.join(base, "output"))
                seen.add("output-write@" + j)
                if any(n.startswith(".") and n.endswith(".tmp") for n in names):
                    seen.add("output-tmp@" + j)
            except OSError:
                pass
            if os.path.isdir(os.path.join(base, "artifacts")):
                seen.add("artifacts@" + j)
        return seen

    def api(self):
        """Label of each non-final job: validating, queued, audit-before, erase, repair, audit-epoch, ..."""
        try:
            status, body = self.client.json("GET", "/v1/jobs?limit=50")
        except OSError:
            return {}
        if status != 200:
            return {}
        return {j["id"]: api_label(j) for j in body.get("data", []) if j.get("status") not in FINAL}


def api_label(job):
    status = job.get("status")
    if status != "running":
        return status
    p = job.get("progress") or {}
    phase, message = p.get("phase"), p.get("message") or ""
    if phase == "audit":
        if "before" in message:
            return "audit-before"
        if "after" in message:
            return "audit-after"
        return "audit-epoch"
    return phase or "running"


def db_labels(data, fs_seen):
    """What the killed server was doing, read from the frozen database and data folder after the kill."""
    labels = set()
    if "upload" in fs_seen:
        labels.add("upload")
    if "checkpoint-write" in fs_seen:
        labels.add("checkpoint-write")
        labels.update(x for x in fs_seen if x.startswith("checkpoint-write:"))
    try:
        jobs, _, _ = read_db(data)
    except sqlite3.Error:
        return labels
    for job_id, job in jobs.items():
        status = job["status"]
        if status == "validating":
            labels.add("validation")
        elif status == "queued":
            labels.add("queued")
        elif status == "running":
            if f"artifacts@{job_id}" in fs_seen:
                labels.add("artifact-write")
            elif f"output-write@{job_id}" in fs_seen or f"output-tmp@{job_id}" in fs_seen:
                labels.add("saving")
            else:
                labels.add(api_label({"status": "running", "progress": {"phase": job["phase"], "message": job["message"]}}))
    return labels


# ---------------------------------------------------------------------------------------------------------------
# The kill run

TARGETS = ["upload", "validation", "audit-before", "erase", "repair", "audit-epoch", "checkpoint-write",
           "audit-after", "saving", "artifact-write", "random"]


class KillRun:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.data = os.path.join(args.work, "data")
        os.makedirs(self.data, exist_ok=True)
        self.server = Server(args.sani, self.data, os.path.join(args.work, "server.log"),
                             ["--set", "webhooks.maxAttempts=1"])
        self.client = Client(self.server)
        self.accepted_jobs = {}     # id -> idempotency key
        self.accepted_files = set()
        self.pending_creates = []   # (key, body) of job requests cut by a kill
        self.kills = {}
        self.kill_log = []
        self.interrupted_uploads = 0
        self.violations = []
        self.corpus = self.held = None
        self.job_seq = 0
        self.threads = []
        self.deadline = time.monotonic() + args.timeout

    def violation(self, text):
        self.violations.append(text)
        log("VIOLATION: " + text)

    def time_left(self):
        return self.deadline - time.monotonic()

    # -- submitting work

    def upload(self, path, name, tar=False, **kw):
        status, body = self.client.upload(path, name, tar=tar, **kw)
        if status == 201:
            self.accepted_files.add(body["id"])
            return body["id"]
        raise RunError(f"upload of {name}: {status} {body}")

    def submit_job(self, model_id=None):
        """Uploads a model (a new file each job) and creates a job; returns its id, or None when cut by a kill."""
        self.job_seq += 1
        key = f"chaos-{self.args.seed}-{self.job_seq}"
        if model_id is None:
            model_id = self.upload(self.inputs["model_tar"], "model", tar=True)
        body = {"model": model_id, "corpus": self.corpus, "heldOut": self.held,
                "options": job_options(self.args.seed * 1000 + self.job_seq)}
        return self.create_job(key, body)

    def create_job(self, key, body):
        try:
            status, resp = self.client.json("POST", "/v1/jobs", body, {"Idempotency-Key": key})
        except OSError:
            self.pending_creates.append((key, body))
            return None
        if status in (200, 201):
            if status == 201 and resp["id"] in self.accepted_jobs:
                self.violation(f"job request {key} created a second job {resp['id']}")
            # 200: the first request was cut by the kill after the job was stored; the retry finds that job.
            self.accepted_jobs[resp["id"]] = key
            return resp["id"]
        raise RunError(f"job creation: {status} {resp}")

    def live_jobs(self):
        try:
            status, body = self.client.json("GET", "/v1/jobs?limit=50")
        except OSError:
            return []
        return [j for j in body.get("data", []) if j.get("status") not in FINAL] if status == 200 else []

    # -- one round

    def spare_running_job(self):
        """A job whose run is killed three times is failed ("interrupted": the server's guard against a job that
        keeps bringing it down). Most rounds let a job that already lost two runs finish first, so that the run
        shows jobs surviving kills to succeed as well as that guard."""
        for j in self.live_jobs():
            if j.get("status") == "running" and j.get("attempts", 0) >= 2 and self.rng.random() < 0.85:
                end = time.monotonic() + min(120, max(10, self.time_left() / 4))
                while time.monotonic() < end:
                    status, job = self.client.json("GET", f"/v1/jobs/{j['id']}")
                    if status != 200 or job.get("status") in FINAL:
                        break
                    time.sleep(0.2)

    def round(self, n, target):
        self.spare_running_job()
        watch = Watch(self.data, self.client)
        upload_thread = None
        upload_state = {"done": False, "status": None}
        trigger_timeout = min(40.0, max(5.0, self.time_left() / 3))
        if target == "upload":
            def slow_upload():
                try:
                    upload_state["status"], body = self.client.upload(
                        self.inputs["model_tar"], "model", tar=True, chunk=1 << 14, pause=0.01)
                    if upload_state["status"] == 201:
                        self.accepted_files.add(body["id"])
                except OSError:
                    upload_state["status"] = "cut"
                upload_state["done"] = True
            upload_thread = threading.Thread(target=slow_upload, daemon=True)
            upload_thread.start()
        elif target == "validation":
            model_id = self.upload(self.inputs["model_tar"], "model", tar=True)
        else:
            if len(self.live_jobs()) < 2:
                self.submit_job()
        # Wait for the moment.
        start = time.monotonic()
        matched = False
        delay = 0.0
        if target == "validation":
            # Kill within milliseconds of the job's creation: its inputs are being checked.
            created = threading.Event()
            def create():
                try:
                    self.submit_job(model_id)
                finally:
                    created.set()
            t = threading.Thread(target=create, daemon=True)
            t.start()
            self.threads.append(t)
            # While the request is in flight or just answered: the job is being stored or validated (a request
            # the kill cuts is sent again with its Idempotency-Key after the restart).
            time.sleep(self.rng.uniform(0.002, 0.03))
            matched = True
        elif target == "random":
            time.sleep(self.rng.uniform(0.1, 4.0))
            matched = True
        else:
            delay = self.rng.uniform(0.0, 0.3) if target in ("audit-before", "erase", "repair", "audit-epoch",
                                                             "audit-after") else 0.0
            last_api = 0.0
            # Which checkpoint write: after erase (0) or after repair epoch 1 or 2.
            checkpoint = self.rng.choice([0, 1, 2])
            # Folders of jobs that already succeeded are there for good: only new ones show a write under way.
            already = {x for x in watch.fs() if x.startswith(("output-write@", "artifacts@"))}
            while time.monotonic() - start < trigger_timeout:
                seen = watch.fs()
                fresh = seen - already
                if target == "upload" and "upload" in seen and not upload_state["done"]:
                    matched = True
                elif target == "checkpoint-write" and f"checkpoint-write:{checkpoint}" in seen:
                    matched = True
                elif target == "saving" and any(x.startswith(("output-tmp@", "output-write@")) for x in fresh):
                    matched = True
                elif target == "artifact-write" and any(x.startswith("artifacts@") for x in fresh):
                    matched = True
                if not matched and target not in ("upload", "checkpoint-write", "saving", "artifact-write") \
                        and time.monotonic() - last_api > 0.05:
                    last_api = time.monotonic()
                    labels = watch.api()
                    if target in labels.values():
                        matched = True
                    if not labels and target != "upload":
                        self.submit_job()   # nothing running: bring work
                if not matched and target in ("saving", "artifact-write") and time.monotonic() - last_api > 1.0:
                    last_api = time.monotonic()
                    if not watch.api():
                        self.submit_job()   # nothing running: bring work
                if matched:
                    break
                time.sleep(0.0005 if target in ("checkpoint-write", "saving", "artifact-write", "upload") else 0.01)
            if matched and delay:
                time.sleep(delay)
        fs_before = watch.fs()
        self.server.kill9()
        fs_after = Watch(self.data, self.client).fs() | fs_before
        labels = db_labels(self.data, fs_after)
        for t in self.threads:
            t.join(timeout=30)
        self.threads = []
        if upload_thread is not None:
            upload_thread.join(timeout=30)
            if upload_state["status"] != 201:
                self.interrupted_uploads += 1
                labels.add("upload")
        primary = target if (matched and target in labels) else (sorted(labels)[0] if labels else "idle")
        if target == "random" and labels:
            primary = sorted(labels)[0]
        if primary == "checkpoint-write":
            # Which one: after erase (0) or after repair epoch N.
            primary = next((x for x in sorted(labels) if x.startswith("checkpoint-write:")), primary)
        self.kills[primary] = self.kills.get(primary, 0) + 1
        self.kill_log.append({"round": n, "target": target, "matched": matched, "observed": sorted(labels),
                              "counted": primary})
        hit = "hit" if matched and target in labels else ("missed" if matched else "not seen in time")
        if target == "random":
            hit = "at a random moment"
        log(f"round {n}: SIGKILL aiming at {target} ({hit}); "
            f"server was at: {', '.join(sorted(labels)) or 'idle'}")
        self.server.start()
        # Leftovers of what the kill interrupted must be gone once the server is back.
        leftovers = [n for n in os.listdir(os.path.join(self.data, "uploads"))]
        if leftovers:
            self.violation(f"round {n}: uploads/ after restart still holds {leftovers}")
        # Job requests the kill cut: sent again with the same Idempotency-Key.
        pending, self.pending_creates = self.pending_creates, []
        for key, body in pending:
            self.create_job(key, body)

    # -- the whole run

    def run(self):
        log(f"seed {self.args.seed}, {self.args.rounds} rounds, data folder {self.data}")
        self.inputs = make_inputs(self.args.sani, self.args.work, self.args.repo)
        self.server.start()
        self.corpus = self.upload(self.inputs["notes"], "notes.jsonl")
        self.held = self.upload(self.inputs["held"], "held.jsonl")
        self.submit_job()
        order = []
        rounds_done = 0
        for n in range(1, self.args.rounds + 1):
            if self.time_left() < 60:
                self.violation(f"time limit reached after {rounds_done} rounds")
                break
            if not order:
                order = TARGETS[:]
                self.rng.shuffle(order)
            target = order.pop()
            self.round(n, target)
            rounds_done += 1
            time.sleep(self.rng.uniform(0.0, 0.5))
        self.rounds_done = rounds_done
        self.finish()

    def finish(self):
        # Every job to its end (bounded).
        wait_until = min(self.deadline, time.monotonic() + max(60, 45 * max(1, len(self.live_jobs()))))
        while time.monotonic() < wait_until and self.live_jobs():
            time.sleep(0.5)
        live = self.live_jobs()
        if live:
            self.violation(f"{len(live)} job(s) not ended when the run's time ran out: {[j['id'] for j in live]}")
        # Jobs: none lost, each succeeded with verified artifacts or failed with a reason.
        succeeded = failed = 0
        downloads = 0
        reasons = {}
        for job_id in sorted(self.accepted_jobs):
            status, job = self.client.json("GET", f"/v1/jobs/{job_id}")
            if status != 200:
                self.violation(f"job {job_id} (answered 201) is lost: GET answers {status}")
                continue
            if job["status"] == "succeeded":
                status, listing = self.client.json("GET", f"/v1/jobs/{job_id}/artifacts")
                items = (listing or {}).get("data", []) if status == 200 else []
                if not any(a["name"] == "model.tar" for a in items) or not any(a["name"] == "model.safetensors" for a in items):
                    self.violation(f"job {job_id} succeeded without model.tar and model.safetensors: {status} {listing}")
                for a in items:
                    s, data = self.client.request("GET", a["url"])
                    downloads += 1
                    digest = hashlib.sha256(data).hexdigest()
                    if s != 200 or digest != a["sha256"] or len(data) != a["size"]:
                        self.violation(f"job {job_id} artifact {a['name']}: {s}, {len(data)} bytes sha256 {digest}, "
                                       f"listed {a['size']} bytes sha256 {a['sha256']}")
                if items:
                    self.verify_tar(job_id, items)
                succeeded += 1
            elif job["status"] == "failed":
                error = job.get("error") or {}
                if not error.get("code") or not error.get("message"):
                    self.violation(f"job {job_id} failed without a reason: {job}")
                reasons[error.get("code")] = reasons.get(error.get("code"), 0) + 1
                failed += 1
            else:
                self.violation(f"job {job_id} ended {job['status']} (nothing cancelled it)")
        lost_files = 0
        for file_id in sorted(self.accepted_files):
            status, _ = self.client.json("GET", f"/v1/files/{file_id}")
            if status != 200:
                lost_files += 1
                self.violation(f"file {file_id} (answered 201) is lost: GET answers {status}")
        jobs_in_db = len(self.client.json("GET", "/v1/jobs?limit=200")[1]["data"])
        self.server.stop()
        stray = stray_files(self.data)
        for s in stray:
            self.violation(f"stray: {s}")
        check, fk = integrity(self.data)
        if check != "ok":
            self.violation(f"PRAGMA integrity_check: {check}")
        if fk:
            self.violation(f"PRAGMA foreign_key_check: {fk} rows")
        lost = sum(1 for v in self.violations if "is lost" in v and v.startswith("job"))
        log(f"rounds {self.rounds_done}/{self.args.rounds} survived: {self.rounds_done} SIGKILLs, "
            f"{self.server.starts} server starts on one data folder (seed {self.args.seed})")
        log("kills by phase: " + ", ".join(f"{k} {v}" for k, v in sorted(self.kills.items())))
        aimed = [k for k in self.kill_log if k["target"] != "random"]
        hits = sum(1 for k in aimed if k["matched"] and k["counted"].startswith(k["target"]))
        log(f"kills that landed in the moment aimed at: {hits} of {len(aimed)} "
            f"(and {len(self.kill_log) - len(aimed)} at random moments)")
        log(f"jobs accepted (201) {len(self.accepted_jobs)}, succeeded {succeeded} ({downloads} artifact downloads, "
            f"SHA-256 checked), failed {failed} ({', '.join(f'{k} {v}' for k, v in sorted(reasons.items())) or 'none'}), "
            f"lost {lost}; jobs in the database {jobs_in_db}")
        log(f"files accepted (201) {len(self.accepted_files)}, lost {lost_files}; uploads cut by a kill "
            f"{self.interrupted_uploads}")
        log(f"stray files: {len(stray)}")
        log(f"PRAGMA integrity_check: {check}; foreign_key_check rows: {fk}")
        with open(os.path.join(self.args.work, "kills.json"), "w") as f:
            json.dump(self.kill_log, f, indent=1)
        log(f"violations: {len(self.violations)}")
        return 1 if self.violations else 0

    def verify_tar(self, job_id, items):
        """model.tar holds exactly the listed files, with their digests."""
        s, data = self.client.request("GET", f"/v1/jobs/{job_id}/artifacts/model.tar")
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                inside = {m.name: hashlib.sha256(t.extractfile(m).read()).hexdigest() for m in t.getmembers() if m.isfile()}
        except (tarfile.TarError, OSError) as e:
            self.violation(f"job {job_id}: model.tar does not read: {e}")
            return
        listed = {a["name"]: a["sha256"] for a in items if a["name"] != "model.tar"}
        if inside != listed:
            self.violation(f"job {job_id}: model.tar holds {sorted(inside)} with other digests than listed {sorted(listed)}")


# ---------------------------------------------------------------------------------------------------------------
# Disk full

class DiskFullRun:
    def __init__(self, args):
        self.args = args
        self.data = args.data
        self.server = Server(args.sani, self.data, os.path.join(args.work, "server-disk-full.log"),
                             ["--set", "webhooks.maxAttempts=1"])
        self.client = Client(self.server, timeout=60)
        self.violations = []
        self.findings = []

    def violation(self, text):
        self.violations.append(text)
        log("VIOLATION: " + text)

    def free(self):
        st = os.statvfs(self.data)
        return st.f_bavail * st.f_frsize

    def expect_storage_error(self, what, status, body):
        error = (body or {}).get("error") or {}
        ok = status in (507, 413) and error.get("code") and error.get("message")
        self.findings.append(f"{what}: {status} {error.get('code')}: {error.get('message')}")
        log(f"{what}: {status} {json.dumps(body)[:300]}")
        if not ok:
            self.violation(f"{what}: expected 507 (or 413) with a JSON error, got {status} {body}")

    def healthy(self, when):
        try:
            status, _ = self.client.json("GET", "/healthz")
            s2, jobs = self.client.json("GET", "/v1/jobs?limit=5")
        except OSError as e:
            self.violation(f"server not answering {when}: {e}")
            return
        if status != 200 or s2 != 200 or not self.server.alive():
            self.violation(f"server not serving {when}: healthz {status}, jobs {s2}")

    def uploads_empty(self, when):
        left = os.listdir(os.path.join(self.data, "uploads"))
        if left:
            self.violation(f"uploads/ {when}: {left}")

    def allocate(self, leave):
        """Takes the free space but `leave` bytes at once (posix_fallocate), as another writer on the disk would."""
        path = os.path.join(os.path.dirname(self.data.rstrip("/")), f"filler-{time.monotonic_ns()}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            size = self.free() - leave
            if size > 0:
                os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
        return path

    def full_disk_job(self, stage, model, corpus, held, weights):
        status, job = self.client.json("POST", "/v1/jobs", {"model": model, "corpus": corpus, "heldOut": held,
                                                            "options": job_options(11)})
        if status != 201:
            raise RunError(f"job creation: {status} {job}")
        job_id = job["id"]
        end = time.monotonic() + 300
        phase = None
        while time.monotonic() < end:
            s, j = self.client.json("GET", f"/v1/jobs/{job_id}")
            phase = api_label(j)
            if phase == "audit-after" or j["status"] in FINAL:
                break
            time.sleep(0.02)
        if phase != "audit-after":
            raise RunError(f"the job never reached its final audit ({phase})")
        fillers = []
        if stage == "artifacts":
            fillers.append(self.allocate(leave=8 << 20))   # room for the database's write-ahead log to grow
            weights_file = os.path.join(self.data, "jobs", job_id, "output", "model.safetensors")
            end = time.monotonic() + 300
            while time.monotonic() < end and not os.path.exists(weights_file):
                time.sleep(0.0005)
            fillers.append(self.allocate(leave=256 << 10))
            log(f"job {job_id}: disk filled once its sanitized weights were written, {self.free() >> 10} KiB left")
        else:
            fillers.append(self.allocate(leave=weights // 2))
            log(f"job {job_id}: disk filled during its final audit, {self.free() >> 10} KiB left "
                f"(the weights alone are {weights >> 10} KiB)")
        j = self.wait_job(job_id, 300)
        error = j.get("error") or {}
        self.findings.append(f"job with no room for its {stage}: {j.get('status')} {error.get('code')}: {error.get('message')}")
        log(f"job {job_id}: {j.get('status')} {json.dumps(error)}")
        message = (error.get("message") or "").lower()
        if j.get("status") != "failed" or "disk" not in message or "full" not in message:
            self.violation(f"job {job_id} on a full disk: expected failed with a reason saying the disk is full, got {j.get('status')} {error}")
        s, arts = self.client.json("GET", f"/v1/jobs/{job_id}/artifacts")
        if s == 200 and arts.get("data"):
            self.violation(f"failed job {job_id} lists artifacts {arts}")
        left = [n for n in ("checkpoints", "output", "artifacts") if os.path.exists(os.path.join(self.data, "jobs", job_id, n))]
        if left:
            self.violation(f"failed job {job_id} left {left}")
        self.healthy(f"after the job that had no room for its {stage}")
        for f in fillers:
            os.remove(f)

    def verified_artifacts(self, job_id):
        """Downloads every artifact of a job; returns {name: sha256}, noting any that does not match its listing."""
        s, listing = self.client.json("GET", f"/v1/jobs/{job_id}/artifacts")
        out = {}
        for a in (listing or {}).get("data", []) if s == 200 else []:
            status, data = self.client.request("GET", a["url"])
            digest = hashlib.sha256(data).hexdigest()
            if status != 200 or digest != a["sha256"] or len(data) != a["size"]:
                self.violation(f"job {job_id} artifact {a['name']}: {status}, sha256 {digest}, listed {a['sha256']}")
            out[a["name"]] = digest
        if "model.tar" not in out:
            self.violation(f"job {job_id}: no model.tar among its artifacts ({s} {listing})")
        return out

    def wait_job(self, job_id, timeout):
        end = time.monotonic() + timeout
        job = {}
        while time.monotonic() < end:
            status, job = self.client.json("GET", f"/v1/jobs/{job_id}")
            if status == 200 and job["status"] in FINAL:
                return job
            time.sleep(0.2)
        return job

    def run(self):
        inputs = make_inputs(self.args.sani, self.args.work, self.args.repo)
        self.server.start()
        total = os.statvfs(self.data).f_blocks * os.statvfs(self.data).f_frsize
        log(f"data folder on a file system of {total >> 20} MiB, {self.free() >> 20} MiB free")
        up = lambda path, name, tar=False: self.client.upload(path, name, tar=tar)
        s, corpus = up(inputs["notes"], "notes.jsonl")
        s2, held = up(inputs["held"], "held.jsonl")
        s3, model = up(inputs["model_tar"], "model", tar=True)
        if (s, s2, s3) != (201, 201, 201):
            raise RunError(f"uploads on the small disk: {s} {s2} {s3}")
        files_before = {corpus["id"], held["id"], model["id"]}
        # A job that succeeds before the disk fills: its artifacts must be intact afterwards.
        status, first = self.client.json("POST", "/v1/jobs", {"model": model["id"], "corpus": corpus["id"],
                                                              "heldOut": held["id"], "options": job_options(10)})
        done = self.wait_job(first["id"], 300) if status == 201 else {}
        if done.get("status") != "succeeded":
            raise RunError(f"the first job on the small disk did not succeed: {status} {done}")
        first_artifacts = self.verified_artifacts(first["id"])

        # 1. An upload larger than the free space (within uploads.maxBytes).
        big = os.path.join(self.args.work, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(self.free() + (4 << 20)))
        status, body = self.client.upload(big, "big.bin")
        os.remove(big)
        self.expect_storage_error("upload larger than the free space", status, body)
        self.uploads_empty("after the refused upload")
        self.healthy("after the refused upload")

        # 2. A tar that arrives whole but whose extraction does not fit.
        filler = self.allocate(leave=int(os.path.getsize(inputs["model_tar"]) * 1.5))
        status, body = self.client.upload(inputs["model_tar"], "model", tar=True)
        self.expect_storage_error("tar upload whose extraction does not fit", status, body)
        self.uploads_empty("after the refused tar")
        self.healthy("after the refused tar")
        os.remove(filler)

        # 3. Jobs whose outputs do not fit. "artifacts": the disk is nearly filled during the final audit (after
        #    the last checkpoint), then, once the sanitized weights are in place, filled up to a few hundred KiB
        #    (fallocate, at once): the archive of the artifacts does not fit. "sanitized folder": filled during the
        #    final audit to half a weights file: the sanitized weights do not fit.
        weights = os.path.getsize(os.path.join(inputs["model_dir"], "model.safetensors"))
        for stage in ("artifacts", "sanitized folder"):
            self.full_disk_job(stage, model["id"], corpus["id"], held["id"], weights)

        # 4. Other work is unaffected: another job on the same inputs succeeds, and its artifacts verify.
        status, job2 = self.client.json("POST", "/v1/jobs", {"model": model["id"], "corpus": corpus["id"],
                                                             "heldOut": held["id"], "options": job_options(12)})
        j2 = self.wait_job(job2["id"], 300) if status == 201 else {}
        if j2.get("status") != "succeeded":
            self.violation(f"the next job did not succeed once space was back: {status} {j2}")
        else:
            self.verified_artifacts(job2["id"])
        if self.verified_artifacts(first["id"]) != first_artifacts:
            self.violation(f"the artifacts of job {first['id']}, which succeeded before the disk filled, changed")
        for fid in files_before:
            s, _ = self.client.json("GET", f"/v1/files/{fid}")
            if s != 200:
                self.violation(f"file {fid} lost after the disk was full: {s}")
        self.healthy("at the end")
        self.server.stop()
        stray = stray_files(self.data)
        for s in stray:
            self.violation(f"stray: {s}")
        check, fk = integrity(self.data)
        if check != "ok" or fk:
            self.violation(f"PRAGMA integrity_check: {check}, foreign keys {fk}")
        for f in self.findings:
            log("disk full: " + f)
        log(f"disk full: stray files {len(stray)}; PRAGMA integrity_check: {check}; the job before: artifacts "
            f"intact; the job after: {j2.get('status')}; server serving throughout")
        log(f"violations: {len(self.violations)}")
        return 1 if self.violations else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["kill", "disk-full"])
    p.add_argument("--sani", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--data")
    p.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=1200)
    args = p.parse_args()
    # A SIGTERM (the time limit of chaos.sh) unwinds through `finally`, which stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = KillRun(args) if args.mode == "kill" else DiskFullRun(args)
    try:
        code = run.run()
    except RunError as e:
        log(f"the run could not be done: {e}")
        code = 2
    finally:
        run.server.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
