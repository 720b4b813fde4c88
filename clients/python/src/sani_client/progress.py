"""The progress display of ``Job.wait``: a tqdm bar when tqdm is installed, else one plain line."""

from __future__ import annotations

import sys
from typing import Any, Optional, TextIO

from .models import JobInfo


def describe(info: JobInfo) -> str:
    """One line about a job: status, phase, epoch, step, ETA, regurgitation, failure reason."""
    parts = [info.id, info.status]
    p = info.progress
    if p is not None and info.status == "running":
        if p.phase:
            parts.append(p.phase)
        if p.epoch is not None and p.epochs is not None:
            parts.append(f"epoch {p.epoch}/{p.epochs}")
        if p.step is not None and p.steps is not None:
            parts.append(f"step {p.step}/{p.steps}")
        if p.loss is not None:
            parts.append(f"loss {p.loss:.3f}")
        if p.eta_seconds is not None:
            parts.append(f"ETA {int(p.eta_seconds)}s")
    a = info.audit
    if a is not None and a.token_regurgitation_before is not None and a.token_regurgitation_after is not None:
        parts.append(f"regurgitation {a.token_regurgitation_before:.1%} -> {a.token_regurgitation_after:.1%}")
    if info.error is not None:
        parts.append(f"{info.error.code}: {info.error.message}")
    return "  ".join(parts)


def _fraction(info: JobInfo) -> float:
    if info.status == "succeeded":
        return 1.0
    if info.progress is None:
        return 0.0
    return min(1.0, max(0.0, float(info.progress.fraction)))


class ProgressDisplay:
    """Shows a job's progress as it is polled; ``close`` leaves the last state on screen."""

    def __init__(self, stream: Optional[TextIO] = None, use_tqdm: Optional[bool] = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.bar: Any = None
        self.last = ""
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        tqdm_class = None
        if use_tqdm is not False:
            try:
                from tqdm.auto import tqdm as tqdm_class  # type: ignore[import-not-found,no-redef]
            except ImportError:
                tqdm_class = None
        if tqdm_class is not None:
            self.bar = tqdm_class(total=100, file=self.stream, leave=True,
                                  bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}")

    def update(self, info: JobInfo) -> None:
        line = describe(info)
        if self.bar is not None:
            self.bar.n = round(_fraction(info) * 100, 1)
            self.bar.set_description_str(f"{info.id} {info.status}", refresh=False)
            self.bar.set_postfix_str(line.split("  ", 2)[2] if line.count("  ") >= 2 else "", refresh=False)
            self.bar.refresh()
        elif self.tty:
            width = 24
            filled = int(_fraction(info) * width)
            bar = "[" + "#" * filled + "-" * (width - filled) + f"] {_fraction(info):4.0%}"
            self.stream.write("\r\033[2K" + bar + "  " + line)
            self.stream.flush()
        elif line != self.last:
            self.stream.write(line + "\n")
            self.stream.flush()
        self.last = line

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()
