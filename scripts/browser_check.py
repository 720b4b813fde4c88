#!/usr/bin/env python3
"""The Python half of scripts/browser-test.sh (standard library only).

`wait URL`: waits until the server answers /healthz. `job URL WORK`: uploads WORK/model (as a tar), WORK/notes.jsonl and
WORK/held-out.jsonl, starts a job, waits until it ends, writes WORK/job.json and WORK/audit.json as the JSON API gives
them and prints the job id. `check ...`: checks the dashboard as headless Chromium rendered it, the DOMs the
browser dumped after the pages' scripts ran against the job and its audit, and the screenshots' pixels; prints what
it checked, and every failure (exit 1)."""

from __future__ import annotations

import argparse
from html.parser import HTMLParser
import io
import json
from pathlib import Path
import struct
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zlib

#: Options that make the tiny model's sanitization take seconds on a debug build (no attack audits).
JOB_OPTIONS = {"epochs": 3, "batchSize": 2, "sequenceLength": 32, "auditPrefixTokens": 8, "learningRate": 0.003,
               "auditAttacks": False, "eraseLayers": 2, "seed": 3}

BAR_WIDTH = 400.0  # AuditChart.barWidth: a bar's length at a rate of 1
BEFORE = (0xC8, 0x55, 0x3D)  # the before bars' fill (DashboardHTML.style)
AFTER = (0x2A, 0x7A, 0xB0)  # the after bars'
LEGEND = 12 * 12  # the legend's square of each colour


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None") -> None:
        self.tag, self.attrs, self.parent, self.children, self.text = tag, attrs, parent, [], []

    def classes(self) -> set:
        return set(self.attrs.get("class", "").split())

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs):
        for n in self.walk():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.classes():
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            yield n

    def find(self, *args, **kwargs) -> "Node | None":
        return next(self.find_all(*args, **kwargs), None)


class TreeBuilder(HTMLParser):
    VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v or "") for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: (v or "") for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        n = self.current
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.current = n.parent

    def handle_data(self, data):
        self.current.text.append(data)


def parse(path: Path) -> Node:
    builder = TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    return builder.root


def describe(figure: dict | None) -> str:
    if figure is None:
        return "not measured"
    count, total = figure["count"], figure["total"]
    rate = 0 if total == 0 else count / total
    return f"{rate * 100:.1f}% ({count}/{total})"


def png_pixels(path: Path):
    """Width, height and an iterator over rows of RGB tuples (8-bit RGB or RGBA PNGs, no interlacing)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels

    def rows():
        previous = bytearray(stride)
        for y in range(height):
            start = y * (stride + 1)
            kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
            if kind == 1:
                for i in range(channels, stride):
                    line[i] = (line[i] + line[i - channels]) & 0xFF
            elif kind == 2:
                for i in range(stride):
                    line[i] = (line[i] + previous[i]) & 0xFF
            elif kind == 3:
                for i in range(stride):
                    left = line[i - channels] if i >= channels else 0
                    line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
            elif kind == 4:
                for i in range(stride):
                    a = line[i - channels] if i >= channels else 0
                    b = previous[i]
                    c = previous[i - channels] if i >= channels else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            previous = line
            yield [tuple(line[x:x + 3]) for x in range(0, stride, channels)]

    return width, height, rows()


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.passed = 0

    def check(self, condition: bool, what: str) -> bool:
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
        return condition


def request(method: str, url: str, data: bytes | None = None, timeout: float = 30, **headers) -> dict:
    r = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(r, timeout=timeout) as response:
        return json.load(response)


def wait_for_server(url: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return 0
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    print(f"no answer from {url}/healthz within {seconds:.0f} s", file=sys.stderr)
    return 1


def run_job(url: str, work: Path, seconds: float) -> int:
    def upload(name: str, data: bytes, tar: bool = False) -> str:
        query = f"?name={name}" + ("&format=tar" if tar else "")
        return request("POST", url + "/v1/files" + query, data, timeout=60, **{"Content-Type": "application/octet-stream"})["id"]

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted((work / "model").iterdir()):
            tar.add(path, arcname=path.name)
    body = {"model": upload("model", buffer.getvalue(), tar=True),
            "corpus": upload("notes.jsonl", (work / "notes.jsonl").read_bytes()),
            "heldOut": upload("held-out.jsonl", (work / "held-out.jsonl").read_bytes()),
            "options": JOB_OPTIONS}
    job = request("POST", url + "/v1/jobs", json.dumps(body).encode(), **{"Content-Type": "application/json"})
    print(f"browser-test: job {job['id']} submitted", file=sys.stderr)
    started = time.monotonic()
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        if time.monotonic() - started > seconds:
            print(f"the job did not end within {seconds:.0f} s: {json.dumps(job)}", file=sys.stderr)
            return 1
        time.sleep(1)
        job = request("GET", f"{url}/v1/jobs/{job['id']}", timeout=10)
    if job["status"] != "succeeded":
        print(f"the job {job['status']}: {json.dumps(job)}", file=sys.stderr)
        return 1
    print(f"browser-test: job {job['id']} succeeded in {time.monotonic() - started:.0f} s", file=sys.stderr)
    (work / "job.json").write_text(json.dumps(job))
    (work / "audit.json").write_text(json.dumps(request("GET", f"{url}/v1/jobs/{job['id']}/audit", timeout=10)))
    print(job["id"])
    return 0


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "wait":
        return wait_for_server(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 60)
    if len(sys.argv) >= 4 and sys.argv[1] == "job":
        return run_job(sys.argv[2], Path(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 300)
    if len(sys.argv) < 2 or sys.argv[1] != "check":
        print("usage: browser_check.py wait URL [SECONDS] | job URL WORK [SECONDS] | check --job-id ...", file=sys.stderr)
        return 2
    p = argparse.ArgumentParser(prog="browser_check.py check")
    p.add_argument("--job-id", required=True)
    p.add_argument("--job-json", type=Path, required=True)
    p.add_argument("--audit", type=Path, required=True)
    p.add_argument("--jobs-dom", type=Path, required=True)
    p.add_argument("--job-dom", type=Path, required=True)
    p.add_argument("--jobs-png", type=Path, required=True)
    p.add_argument("--job-png", type=Path, required=True)
    a = p.parse_args(sys.argv[2:])
    job = json.loads(a.job_json.read_text())
    audit = json.loads(a.audit.read_text())
    c = Checker()

    # The jobs page, after its refresh script replaced the table with a fresh copy.
    page = parse(a.jobs_dom)
    live = page.find("main", id="live")
    c.check(live is not None, "jobs page: no <main id=live>")
    if live is not None:
        refreshes = int(live.attrs.get("data-refreshes", "0") or 0)
        c.check(refreshes >= 1, f"jobs page: the refresh script did not refresh (data-refreshes={refreshes})")
        note = page.find(id="refreshed")
        c.check(note is not None and note.all_text().startswith("Refreshed at"),
                f"jobs page: refresh note is {note.all_text() if note else None!r}")
        print(f"jobs page: refreshed in place {refreshes} time(s) by its script; note: {note.all_text() if note else ''!r}")
    row = page.find("tr", data_job=a.job_id)
    if c.check(row is not None, f"jobs page: no row for {a.job_id}"):
        status = row.find("span", cls="status")
        c.check(status is not None and status.all_text() == job["status"],
                f"jobs page: status {status.all_text() if status else None!r}, API says {job['status']!r}")
        link = row.find("a")
        c.check(link is not None and link.attrs.get("href") == f"/v1/dashboard/jobs/{a.job_id}", "jobs page: no link to the job")
        print(f"jobs page: row {a.job_id} status {status.all_text() if status else None}, links {link.attrs.get('href') if link else None}")

    # The job's page.
    page = parse(a.job_dom)
    ident = page.find("code", id="job-id")
    c.check(ident is not None and ident.all_text() == a.job_id, f"job page: id {ident.all_text() if ident else None!r}")
    status = page.find("span", id="job-status")
    c.check(status is not None and status.all_text() == job["status"],
            f"job page: status {status.all_text() if status else None!r}, API says {job['status']!r}")
    progress = page.find(id="job-progress")
    c.check(progress is not None and progress.all_text() == "100%", f"job page: progress {progress.all_text() if progress else None!r}")
    title = page.find("title")
    c.check(title is not None and title.all_text() == f"sani · {a.job_id} · {job['status']}",
            f"job page: title {title.all_text() if title else None!r} (a label's markup ran?)")
    scripts = list(page.find_all("script"))
    c.check(len(scripts) == 1, f"job page: {len(scripts)} script elements, the page has one of its own")
    live = page.find("main", id="live")
    c.check(live is not None and live.attrs.get("data-final") == "true", "job page: an ended job's page is not final")
    print(f"job page: id {ident.all_text() if ident else None}, status {status.all_text() if status else None}, "
          f"progress {progress.all_text() if progress else None}, title {title.all_text() if title else None!r}, "
          f"{len(scripts)} script element")

    svgs = [s for s in page.find_all("svg") if "audit" in s.classes()]
    c.check(len(svgs) == 1, f"job page: {len(svgs)} audit charts")
    stages = {"before": audit.get("before", {}), "after": audit.get("after", {})}
    labels = sorted(set().union(*(set(s.get("spanExtractionByLabel", {})) | set(s.get("tokenRegurgitationByLabel", {}))
                                  for s in stages.values())))
    if svgs:
        svg = svgs[0]
        groups = {g.attrs.get("data-label"): g for g in svg.find_all("g", cls="label-group")}
        c.check(len(list(svg.find_all("g", cls="label-group"))) == len(labels),
                f"job page: {len(groups)} label groups for {len(labels)} labels")
        c.check(sorted(groups) == labels, f"job page: groups {sorted(groups)} for labels {labels}")
        overall = svg.find("g", cls="overall")
        c.check(overall is not None, "job page: no group for all labels")
        bars = 0
        expected = {BEFORE: 0.0, AFTER: 0.0}
        for label in [None, *labels]:
            group = overall if label is None else groups.get(label)
            if group is None:
                continue
            for key, field in [("span", "spanExtraction"), ("token", "tokenRegurgitation")]:
                for stage in ["before", "after"]:
                    figure = stages[stage].get(field) if label is None else stages[stage].get(field + "ByLabel", {}).get(label)
                    name = f"{label or 'all labels'} {field} {stage}"
                    if figure is None and key == "token":
                        continue
                    texts = [t for t in group.find_all("text", cls="figure") if {stage, key} <= t.classes()]
                    c.check(len(texts) == 1 and texts[0].all_text() == describe(figure),
                            f"job page: {name}: figure {[t.all_text() for t in texts]}, audit says {describe(figure)!r}")
                    rects = [r for r in group.find_all("rect", cls="bar") if {stage, key} <= r.classes()]
                    if c.check(len(rects) == 1, f"job page: {name}: {len(rects)} bars"):
                        rate = 0 if figure is None or figure["total"] == 0 else figure["count"] / figure["total"]
                        width = float(rects[0].attrs.get("width", "nan"))
                        c.check(abs(width - rate * BAR_WIDTH) <= 0.051, f"job page: {name}: bar {width} long for rate {rate}")
                        expected[BEFORE if stage == "before" else AFTER] += width * float(rects[0].attrs.get("height", "0"))
                        bars += 1
        print(f"job page: one <svg> with {len(groups)} label groups ({', '.join(repr(l) for l in labels)}) and all labels;"
              f" {bars} bars whose lengths and figures match GET /v1/jobs/{{id}}/audit")
        for label in [None, *labels]:
            group = overall if label is None else groups.get(label)
            if group is not None:
                figures = [t.all_text() for t in group.find_all("text", cls="figure")]
                print(f"  {label or 'all labels'}: " + " | ".join(figures))

    events = page.find("table", id="events")
    seen = []
    for tr in (events.find_all("tr") if events else []):
        cells = list(tr.find_all("td"))
        if len(cells) >= 3:
            seen.append(cells[2].all_text())
    for s in ["validating", "queued", "running", "succeeded"]:
        c.check(s in seen, f"job page: no {s} event")
    print(f"job page: {len(seen)} events shown")

    # The screenshots: the right size, not blank, and on the job page the bars drawn: as many pixels of each bar
    # colour as the DOM's bars cover, plus the legend's 12x12 square (the chart fits in the 1000 pixels).
    for path, wants_bars in [(a.jobs_png, False), (a.job_png, True)]:
        width, height, rows = png_pixels(path)
        c.check((width, height) == (1280, 1000), f"{path.name}: {width}x{height}, not 1280x1000")
        colours, found = set(), {BEFORE: 0, AFTER: 0}
        for row in rows:
            colours.update(row[::7])
            for px in row:
                if px in found:
                    found[px] += 1
        c.check(len(colours) > 20, f"{path.name}: only {len(colours)} colours (blank page?)")
        if wants_bars and svgs:
            for colour, name in [(BEFORE, "before"), (AFTER, "after")]:
                want = expected[colour] + LEGEND
                c.check(abs(found[colour] - want) <= 0.05 * want + 60,
                        f"{path.name}: {found[colour]} pixels of the {name} colour, the DOM's bars and legend cover {want:.0f}")
        print(f"{path.name}: {width}x{height}, {path.stat().st_size} bytes, {len(colours)}+ colours,"
              f" {found[BEFORE]} before-colour and {found[AFTER]} after-colour pixels"
              + (f" (bars and legend: {expected[BEFORE] + LEGEND:.0f} and {expected[AFTER] + LEGEND:.0f})" if wants_bars and svgs else ""))

    if c.failures:
        print(f"FAILED {len(c.failures)} of {len(c.failures) + c.passed} checks:")
        for f in c.failures:
            print("  - " + f)
        return 1
    print(f"all {c.passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
