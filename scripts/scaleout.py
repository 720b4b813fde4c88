#!/usr/bin/env python3
"""Scale-out run on PostgreSQL (Python standard library only); scripts/scaleout.sh starts PostgreSQL and drives it.

  scaleout.py --sani BIN --work DIR --db-url postgres://... --psql 'psql ARGS' [--jobs N] [--seed S]

Starts two API processes (`sani serve --role api`) and three workers (`sani serve --role worker`) on one
PostgreSQL database and one shared data folder. Uploads the inputs through one API process, creates the jobs
through both, and kills one worker with SIGKILL while it is in the middle of a job's repair (after its first epoch's
checkpoint). Then waits for every job to end and checks:
  - every job succeeded, and exactly once: one `succeeded` status event per job, its artifacts downloaded through
    either API process match the SHA-256 and size the API lists;
  - the killed worker's job was taken back after its lease ran out (a `re-queued` event naming the lease), was
    started again on another worker, and resumed from its checkpoint (no erase after the second start);
  - the jobs were spread over the workers (each surviving worker ran at least one);
  - the database holds no lease on a job that is not running, and no job is left running.
Prints a summary; exits 1 on any violation, 2 when the run itself could not be done.
"""
import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos  # noqa: E402  (Server, Client, make_inputs: the same helpers the crash run uses)

FINAL = {"succeeded", "failed", "cancelled"}


def log(msg):
    print(f"scaleout: {msg}", flush=True)


class Worker(chaos.Server):
    """`sani serve --role worker`: no HTTP; ready when it logs that it runs."""

    def start(self, timeout=90):
        out = open(self.log_path, "ab")
        env = dict(os.environ)
        env.pop("SANI_API_KEYS", None)
        self.proc = subprocess.Popen([self.sani, "serve", "--data", self.data, "--set", "logging.level=info"] + self.extra,
                                     stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                m = re.search(rb"sani worker (\S+) running", f.read())
            if m:
                self.instance = m.group(1).decode()
                return
            if self.proc.poll() is not None:
                raise chaos.RunError(f"worker exited with {self.proc.returncode}; see {self.log_path}")
            time.sleep(0.05)
        raise chaos.RunError(f"worker did not start within {timeout}s; see {self.log_path}")


class Run:
    def __init__(self, args):
        self.args = args
        self.violations = []
        self.data = os.path.join(args.work, "data")
        os.makedirs(self.data, exist_ok=True)
        common = ["--set", f"database.url={args.db_url}", "--set", f"workers.leaseSeconds={args.lease}",
                  "--set", "workers.pollSeconds=0.5", "--set", "workers.progressEventIntervalSeconds=0.2"]
        # The API processes have a key (from their configuration); the workers none: a worker must leave the
        # API processes' keys alone.
        self.key = "sk_scaleout_" + hashlib.sha256(str(args.seed).encode()).hexdigest()[:24]
        config = os.path.join(args.work, "api.yaml")
        with open(config, "w") as f:
            f.write(f"auth:\n  keys:\n    - tenant: hospital\n      key: {self.key}\n")
        self.apis = [chaos.Server(args.sani, self.data, os.path.join(args.work, f"api{i}.log"),
                                  ["--config", config, "--set", "server.role=api"] + common) for i in range(2)]
        self.workers = [Worker(args.sani, self.data, os.path.join(args.work, f"worker{i}.log"),
                               ["--set", "server.role=worker", "--workers", "1"] + common) for i in range(3)]
        self.clients = [chaos.Client(a, timeout=60, key=self.key) for a in self.apis]

    def violation(self, text):
        log("VIOLATION: " + text)
        self.violations.append(text)

    def psql(self, sql):
        out = subprocess.run(self.args.psql.split() + ["-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def upload(self, client, path, name, tar=False):
        status, body = client.upload(path, name, tar=tar)
        if status != 201:
            raise chaos.RunError(f"upload of {name}: {status} {body}")
        return body["id"]

    def events(self, job_id, client=None):
        client = client or self.clients[0]
        out, cursor = [], None
        while True:
            path = f"/v1/jobs/{job_id}/events?limit=1000" + (f"&cursor={cursor}" if cursor else "")
            status, body = client.json("GET", path)
            if status != 200:
                raise chaos.RunError(f"events of {job_id}: {status} {body}")
            out += body["data"]
            cursor = body.get("nextCursor")
            if not cursor:
                return out

    def run(self):
        a = self.args
        t0 = time.monotonic()
        log(f"inputs: a GPT-2 of width {a.width} trained from scratch on synthetic notes")
        inputs = chaos.make_inputs(a.sani, a.work, a.repo, records=32, seed=a.seed, width=a.width, layers=2, length=64)
        for s in self.apis:
            s.start()
        for w in self.workers:
            w.start()
        log(f"2 API processes on ports {[s.port for s in self.apis]}, 3 workers {[w.instance for w in self.workers]}")
        status, _ = chaos.Client(self.apis[0]).json("GET", "/v1/jobs")
        if status != 401:
            self.violation(f"a request without a key answered {status}, not 401")
        status, _ = self.clients[1].json("GET", "/v1/jobs")
        if status != 200:
            self.violation(f"the API key stopped working once the workers started ({status})")
        model = self.upload(self.clients[0], inputs["model_tar"], "model", tar=True)
        corpus = self.upload(self.clients[1], inputs["notes"], "notes.jsonl")
        held = self.upload(self.clients[0], inputs["held"], "held.jsonl")
        jobs = []
        for i in range(a.jobs):
            client = self.clients[i % 2]
            body = {"model": model, "corpus": corpus, "heldOut": held,
                    "options": {"epochs": 3, "batchSize": 4, "sequenceLength": 64, "auditPrefixTokens": 16,
                                "eraseLayers": 2, "learningRate": 0.001, "relearnSteps": 0, "seed": a.seed * 100 + i}}
            key = f"scaleout-{a.seed}-{i}"
            status, resp = client.json("POST", "/v1/jobs", body, {"Idempotency-Key": key})
            if status != 201:
                raise chaos.RunError(f"job creation: {status} {resp}")
            # The same request again through the other API process: the same job, not a second one.
            status2, resp2 = self.clients[(i + 1) % 2].json("POST", "/v1/jobs", body, {"Idempotency-Key": key})
            if status2 != 200 or resp2.get("id") != resp["id"]:
                self.violation(f"idempotent retry of {key} through the other API process: {status2} {resp2.get('id')}")
            jobs.append(resp["id"])
        log(f"{len(jobs)} jobs created through both API processes")

        # Kill the worker of the first job seen repairing after its first epoch's checkpoint.
        victim_job, victim = None, None
        deadline = time.monotonic() + a.timeout / 2
        while victim is None and time.monotonic() < deadline:
            for job_id in jobs:
                status, job = self.clients[0].json("GET", f"/v1/jobs/{job_id}")
                progress = job.get("progress") or {}
                if job.get("status") == "running" and progress.get("phase") == "repair" and (progress.get("epoch") or 0) >= 2:
                    started = [e for e in self.events(job_id) if e["type"] == "status" and e["message"].startswith("started on ")]
                    owner = started[-1]["message"][len("started on "):] if started else None
                    victim = next((w for w in self.workers if w.instance == owner), None)
                    if victim:
                        victim_job = job_id
                        break
            time.sleep(0.1)
        if victim is None:
            raise chaos.RunError("no job reached its second repair epoch on a worker in time")
        victim.kill9()
        killed_at = time.monotonic()
        log(f"killed worker {victim.instance} (SIGKILL) in the 2nd repair epoch of job {victim_job}")

        # Every job ends.
        deadline = time.monotonic() + a.timeout
        states = {}
        while time.monotonic() < deadline:
            states = {j: self.clients[len(states) % 2].json("GET", f"/v1/jobs/{j}")[1] for j in jobs}
            if all(s.get("status") in FINAL for s in states.values()):
                break
            time.sleep(0.5)
        took = time.monotonic() - t0
        for j, s in states.items():
            if s.get("status") != "succeeded":
                self.violation(f"job {j} ended {s.get('status')}: {s.get('error')}")

        # Exactly once, and where each job ran.
        ran_on = {}
        for j in jobs:
            events = self.events(j, self.clients[1])
            succeeded = [e for e in events if e["type"] == "status" and e["status"] == "succeeded"]
            if len(succeeded) != 1:
                self.violation(f"job {j}: {len(succeeded)} succeeded events")
            starts = [e for e in events if e["type"] == "status" and e["message"].startswith("started on ")]
            ran_on[j] = [e["message"][len("started on "):] for e in starts]
            if j == victim_job:
                requeued = [e for e in events if e["type"] == "status" and "stopped renewing its lease" in e["message"]]
                if not requeued:
                    self.violation(f"job {j}: no re-queue after its worker was killed")
                if len(starts) < 2 or starts[-1]["message"].endswith(victim.instance):
                    self.violation(f"job {j}: not started again on another worker ({ran_on[j]})")
                else:
                    second = events.index(starts[-1])
                    phases = [e.get("phase") for e in events[second:] if e["type"] == "progress"]
                    if "erase" in phases:
                        self.violation(f"job {j}: erased again after its restart instead of resuming from its checkpoint")
                    resumed_epochs = [e.get("epoch") for e in events[second:] if e["type"] == "progress" and e.get("phase") == "repair"]
                    if not resumed_epochs:
                        self.violation(f"job {j}: no repair progress recorded after its restart")
                    elif min(resumed_epochs) < 2:
                        self.violation(f"job {j}: repeated epoch 1 after its restart ({resumed_epochs[:5]})")
                    reclaim = [e for e in events if e["type"] == "status" and e["message"].startswith("re-queued")]
                    log(f"job {j}: re-queued ({reclaim[0]['message'] if reclaim else '?'}), then started on {ran_on[j][-1]}")
            elif len(starts) != 1:
                self.violation(f"job {j} started {len(starts)} times though its worker was not killed: {ran_on[j]}")

            # Artifacts, through the API process that did not create the job.
            client = self.clients[1]
            status, listing = client.json("GET", f"/v1/jobs/{j}/artifacts")
            items = listing.get("data", []) if isinstance(listing, dict) else listing
            if status != 200 or not items:
                self.violation(f"job {j}: no artifacts ({status})")
                continue
            for item in items:
                st, data = client.request("GET", f"/v1/jobs/{j}/artifacts/{item['name']}")
                if st != 200 or len(data) != item["size"] or hashlib.sha256(data).hexdigest() != item["sha256"]:
                    self.violation(f"job {j}: artifact {item['name']} does not match its listing")

        survivors = [w.instance for w in self.workers if w is not victim]
        counts = {w: sum(1 for runs in ran_on.values() if runs and runs[-1] == w) for w in survivors}
        if any(n == 0 for n in counts.values()):
            self.violation(f"a surviving worker finished no job: {counts}")

        leftovers = self.psql("""SELECT "id", "status", coalesce("leaseOwner", '') FROM jobs
                                 WHERE "status" = 'running' OR "leaseOwner" IS NOT NULL""")
        if leftovers:
            self.violation(f"jobs still running or holding a lease: {leftovers}")
        rows = self.psql("""SELECT count(*) FROM events WHERE "type" = 'status' AND "status" = 'succeeded'""")
        if int(rows[0][0]) != len(jobs):
            self.violation(f"{rows[0][0]} succeeded events in the database for {len(jobs)} jobs")

        for p in self.workers + self.apis:
            p.stop()
        log(f"summary: {len(jobs)} jobs, {sum(1 for s in states.values() if s.get('status') == 'succeeded')} succeeded, "
            f"each exactly once; worker {victim.instance} killed mid-job, its job re-claimed and resumed from its "
            f"checkpoint; finished jobs per surviving worker {counts} (the killed one finished "
            f"{sum(1 for runs in ran_on.values() if runs and runs[-1] == victim.instance)} before dying); "
            f"{took:.0f} s in all, {time.monotonic() - killed_at:.0f} s after the kill; violations: {len(self.violations)}")
        return 1 if self.violations else 0

    def cleanup(self):
        for p in self.workers + self.apis:
            try:
                p.kill9()
            except Exception:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sani", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--psql", required=True)
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--width", type=int, default=96)
    ap.add_argument("--lease", type=float, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    run = Run(args)
    try:
        sys.exit(run.run())
    except chaos.RunError as e:
        log(f"could not run: {e}")
        sys.exit(2)
    finally:
        run.cleanup()


if __name__ == "__main__":
    main()
