#!/usr/bin/env python3
"""Load: the latency of the endpoints an operator and a pipeline poll (a job's status, the job list, the dashboard)
under a fixed request rate, with the server idle and while one of its jobs trains on the same two cores, and the
training step rate with and without that load. Loopback only; every wait is bounded.

The request load comes from `hey` (Debian), one process per endpoint, each rate-limited (workers x queries per
second per worker); the figures are hey's latency percentiles and achieved rates. The step rate is read from the
job's own progress (GET /v1/jobs/{id}: epoch, step, steps), sampled once a second.

Used by scripts/load.sh; the server, client and tiny-model helpers are scripts/chaos.py's.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chaos import Client, RunError, Server, make_inputs as chaos_inputs  # noqa: E402


def log(msg):
    print(f"load: {msg}", flush=True)


# The endpoints and their share of the total rate.
ENDPOINTS = [("status", 0.5), ("list", 0.3), ("dashboard", 0.2)]


def make_inputs(sani, work, repo, size):
    """chaos.py's tiny-tokenizer GPT-2, wider for the measurement so that one repair step takes a noticeable share
    of a core (the job must train for the whole measurement)."""
    width, layers = (256, 4) if size == "full" else (64, 2)
    made = chaos_inputs(sani, work, repo, records=40, seed=5, width=width, layers=layers, length=128)
    return made["notes"], made["model_tar"]


def upload(client, path, name):
    status, body = client.upload(path, name)
    if status != 201:
        raise RunError(f"upload of {name}: {status} {body}")
    return body["id"]


def job_progress(client, job_id):
    status, job = client.json("GET", f"/v1/jobs/{job_id}")
    if status != 200:
        raise RunError(f"GET job: {status} {job}")
    return job


def steps_done(job, per_epoch):
    """Repair steps done so far. During an epoch's audit (phase audit with an epoch) the epoch's steps are all
    done, so the rate counts the audits' time too: it is the job's progress, not the bare step speed.
    `per_epoch` is a one-element list holding the steps of an epoch once seen."""
    p = job.get("progress") or {}
    if p.get("epoch") is None:
        return None
    if p.get("phase") == "repair":
        per_epoch[0] = p.get("steps") or per_epoch[0]
        return (p["epoch"] - 1) * per_epoch[0] + p.get("step", 0)
    if p.get("phase") == "audit" and per_epoch[0]:
        return p["epoch"] * per_epoch[0]
    return None


class StepRate:
    """Samples the job's repair steps once a second in a thread; `window()` gives steps/s between two marks."""

    def __init__(self, client, job_id):
        self.client, self.job_id = client, job_id
        self.samples = []          # (monotonic time, steps done)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.error = None
        self.per_epoch = [0]

    def run(self):
        while not self.stop.is_set():
            try:
                job = job_progress(self.client, self.job_id)
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    self.error = f"the training job ended ({job['status']}) during the measurement"
                    return
                done = steps_done(job, self.per_epoch)
                if done is not None:
                    self.samples.append((time.monotonic(), done))
            except Exception as e:  # noqa: BLE001 - a failed poll is retried; the figure says how many samples
                self.error = f"polling the job: {e!r}"
            self.stop.wait(1.0)

    def rate(self, start, end):
        inside = [(t, s) for t, s in self.samples if start <= t <= end]
        if len(inside) < 2 or inside[-1][0] - inside[0][0] < 1:
            return None
        (t0, s0), (t1, s1) = inside[0], inside[-1]
        return (s1 - s0) / (t1 - t0)


HEY_LINE = {
    "rps": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "total": re.compile(r"Total:\s+([\d.]+) secs"),
}
PERCENTILE = re.compile(r"(\d+)%% in ([\d.]+) secs".replace("%%", "%"))
STATUS = re.compile(r"\[(\d{3})\]\s+(\d+) responses")


def parse_hey(text):
    out = {"percentiles": {}, "statuses": {}, "errors": 0}
    for key, pattern in HEY_LINE.items():
        m = pattern.search(text)
        out[key] = float(m.group(1)) if m else None
    for p, secs in PERCENTILE.findall(text):
        out["percentiles"][int(p)] = float(secs) * 1000
    for code, n in STATUS.findall(text):
        out["statuses"][int(code)] = int(n)
    errors = text.split("Error distribution:")
    if len(errors) > 1:
        out["errors"] = sum(int(n) for n in re.findall(r"\[(\d+)\]", errors[1]))
    return out


# The routes as the server labels them in its metrics (the status route's parameter is named by the router).
ROUTES = {"status": re.compile(r"^/v1/jobs/[^/]+$"), "list": re.compile(r"^/v1/jobs$"),
          "dashboard": re.compile(r"^/v1/dashboard$")}
BUCKET = re.compile(r'^sani_http_request_duration_seconds_bucket\{(.*)\} ([0-9.e+]+)$', re.M)


def server_histogram(client):
    """route -> {le (seconds, inf as float('inf')): cumulative count} of GET 200 requests, from /metrics."""
    status, body = client.request("GET", "/metrics")
    if status != 200:
        raise RunError(f"GET /metrics: {status}")
    out = {}
    for labels, value in BUCKET.findall(body.decode()):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if fields.get("method") != "GET" or fields.get("status") != "200":
            continue
        le = float("inf") if fields["le"] == "+Inf" else float(fields["le"])
        route = out.setdefault(fields.get("route", ""), {})
        route[le] = route.get(le, 0) + float(value)
    return out


def server_percentiles(before, after):
    """name -> (p50 bound ms, p99 bound ms, count): the histogram bucket (upper bound) that holds each percentile
    of the requests served between two scrapes, as the server timed them (request in to response out)."""
    out = {}
    for name, pattern in ROUTES.items():
        route = next((r for r in after if pattern.match(r)), None)
        a, b = after.get(route, {}), before.get(route, {})
        diff = sorted((le, a[le] - b.get(le, 0)) for le in a)
        total = diff[-1][1] if diff else 0
        bounds = []
        for q in (0.5, 0.99):
            bound = next((le for le, n in diff if total and n >= q * total), float("inf"))
            bounds.append(bound * 1000)
        out[name] = (bounds[0], bounds[1], int(total))
    return out


def run_load(hey, port, job_id, rate, duration):
    """One hey process per endpoint, concurrently, for `duration` seconds; returns name -> parsed figures.
    hey runs at a higher priority than the server when this user may raise it (root): a pipeline polling the
    server runs on other machines, so its own requests should not wait for the server's training to yield."""
    paths = {"status": f"/v1/jobs/{job_id}", "list": "/v1/jobs?limit=50", "dashboard": "/v1/dashboard"}
    nice = ["nice", "-n", "-10"] if os.geteuid() == 0 else []
    procs = {}
    for name, share in ENDPOINTS:
        target = rate * share
        workers = max(2, int(round(target / 25)))          # 25 requests/s per worker: 40 ms between requests
        per_worker = target / workers
        cmd = nice + [hey, "-z", f"{duration}s", "-c", str(workers), "-q", f"{per_worker:.3f}", "-t", "10",
               f"http://127.0.0.1:{port}{paths[name]}"]
        procs[name] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    results = {}
    for name, proc in procs.items():
        try:
            out, _ = proc.communicate(timeout=duration + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise RunError(f"hey for {name} did not end within {duration + 60}s")
        text = out.decode("utf-8", "replace")
        parsed = parse_hey(text)
        parsed["target"] = rate * dict(ENDPOINTS)[name]
        if parsed["rps"] is None:
            raise RunError(f"hey for {name} printed no figures:\n{text[-2000:]}")
        results[name] = parsed
    return results


def table(title, results, duration, server=None):
    """hey's figures (the client's view) next to the server's own (its histogram bucket bounds)."""
    server = server or {}
    lines = [f"{title}", "| endpoint | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms | non-200 | errors "
             "| server p50 ≤ ms | server p99 ≤ ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    total = 0.0
    for name, _ in ENDPOINTS:
        r = results[name]
        p = r["percentiles"]
        non200 = sum(n for code, n in r["statuses"].items() if code != 200)
        total += r["rps"]
        s50, s99 = (f"{server[name][0]:g}", f"{server[name][1]:g}") if name in server else ("–", "–")
        lines.append(f"| {name} | {r['target']:.0f} | {r['rps']:.1f} | {p.get(50, float('nan')):.2f} | "
                     f"{p.get(90, float('nan')):.2f} | {p.get(99, float('nan')):.2f} | {non200} | {r['errors']} "
                     f"| {s50} | {s99} |")
    lines.append(f"| all | {sum(r['target'] for r in results.values()):.0f} | {total:.1f} | | | | | | | |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sani", required=True)
    ap.add_argument("--hey", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--size", choices=["full", "ci"], default="full")
    ap.add_argument("--json", help="write the figures here as JSON")
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    log(f"making the inputs ({args.size} model)")
    notes, model = make_inputs(args.sani, args.work, repo, args.size)
    data = os.path.join(args.work, "data")
    server = Server(args.sani, data, os.path.join(args.work, "server.log"))
    server.start()
    client = Client(server, timeout=30)
    figures = {"rate": args.rate, "duration": args.duration, "size": args.size}
    try:
        status, body = client.upload(model, "model.tar", tar=True)
        if status != 201:
            raise RunError(f"upload of the model: {status} {body}")
        model_id = body["id"]
        corpus_id = upload(client, notes, "notes.jsonl")
        # A job that trains for far longer than the measurement; cancelled at the end. No attacks in the audit
        # before, so that it reaches the repair quickly.
        options = {"epochs": 1000, "batchSize": 4, "sequenceLength": 128, "eraseLayers": 1, "learningRate": 1e-4,
                   "auditAttacks": False, "heldOutFraction": 0, "seed": 1}
        status, job = client.json("POST", "/v1/jobs", {"model": model_id, "corpus": corpus_id, "options": options})
        if status != 201:
            raise RunError(f"job creation: {status} {job}")
        job_id = job["id"]

        # Idle figures first: the job (whose status is polled) is cancelled at once, so nothing runs.
        log(f"idle server: {args.rate:.0f} requests/s for {args.duration}s")
        status, _ = client.json("POST", f"/v1/jobs/{job_id}/cancel")
        deadline = time.monotonic() + 60
        while job_progress(client, job_id)["status"] not in ("cancelled", "failed", "succeeded"):
            if time.monotonic() > deadline:
                raise RunError("the job did not stop after cancel within 60s")
            time.sleep(0.2)
        h0 = server_histogram(client)
        idle = run_load(args.hey, server.port, job_id, args.rate, args.duration)
        idle_server = server_percentiles(h0, server_histogram(client))
        figures["idle"] = idle
        figures["idleServer"] = idle_server
        print(table(f"Idle server ({args.duration}s):", idle, args.duration, idle_server), flush=True)

        status, job = client.json("POST", "/v1/jobs", {"model": model_id, "corpus": corpus_id, "options": options})
        if status != 201:
            raise RunError(f"job creation: {status} {job}")
        job_id = job["id"]
        deadline = time.monotonic() + 300
        while steps_done(job_progress(client, job_id), [0]) is None:
            if time.monotonic() > deadline:
                raise RunError("the job did not reach the repair within 300s")
            time.sleep(0.5)
        sampler = StepRate(client, job_id)
        sampler.thread.start()
        quiet = max(10, args.duration // 2)
        log(f"training, no load: step rate over {quiet}s")
        t0 = time.monotonic()
        time.sleep(quiet)
        t1 = time.monotonic()
        log(f"training under {args.rate:.0f} requests/s for {args.duration}s")
        h0 = server_histogram(client)
        busy = run_load(args.hey, server.port, job_id, args.rate, args.duration)
        busy_server = server_percentiles(h0, server_histogram(client))
        t2 = time.monotonic()
        log(f"training, no load again: step rate over {quiet}s")
        time.sleep(quiet)
        t3 = time.monotonic()
        sampler.stop.set()
        sampler.thread.join(timeout=10)
        if sampler.error:
            raise RunError(sampler.error)
        before, during, after = sampler.rate(t0, t1), sampler.rate(t1 + 1, t2), sampler.rate(t2 + 1, t3)
        figures["training"] = busy
        figures["trainingServer"] = busy_server
        figures["stepRate"] = {"before": before, "during": during, "after": after}
        print(table(f"While a job trains ({args.duration}s):", busy, args.duration, busy_server), flush=True)
        quiet_rate = None if before is None or after is None else (before + after) / 2
        if quiet_rate and during:
            print(f"Training progress in repair steps/s (per-epoch audits included): {quiet_rate:.3f} without load (mean of before {before:.3f} and after "
                  f"{after:.3f}), {during:.3f} under load: {during / quiet_rate:.2f}x", flush=True)
            figures["stepRate"]["ratio"] = during / quiet_rate
        else:
            print(f"Training steps/s: before {before}, during {during}, after {after} (too few samples)", flush=True)
        client.json("POST", f"/v1/jobs/{job_id}/cancel")
        bad = [name for name, r in {**{f"idle {k}": v for k, v in idle.items()},
                                    **{f"training {k}": v for k, v in busy.items()}}.items()
               if r["errors"] or any(code != 200 for code in r["statuses"])]
        if bad:
            raise RunError(f"requests failed or were not 200 in: {', '.join(bad)}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=2)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RunError as e:
        log(f"FAILED: {e}")
        sys.exit(1)
