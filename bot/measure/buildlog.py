"""Find the failing instruction and the useful tail in a failed build's log.

buildah and podman print ``STEP 3/5: RUN make`` before each instruction and end
with ``error building at STEP "RUN make": ...``; BuildKit (``--progress=plain``)
prints ``Dockerfile:7`` and an excerpt with ``>>>`` on the failing line; docker's legacy
builder prints ``Step 3/5 : RUN make`` before each instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STEP = re.compile(r"^STEP (\d+)/(\d+): (.*)$", re.M)
_LEGACY_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$", re.M)  # docker's legacy builder
_BUILDAH_ERROR = re.compile(r'error:? building at STEP "(.*?)": ', re.S | re.I)
_BUILDKIT_LINE = re.compile(r"^\s*(?:\S+/)?Dockerfile[^:\s]*:(\d+)\s*$", re.M)
_BUILDKIT_STEP = re.compile(r"^\s*> \[(?:[^\]]*\s)?(\d+)/(\d+)\] (.*?):?\s*$", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class FailurePoint:
    instruction_text: str  # as the builder echoed it ("" when unknown)
    line: int | None  # Dockerfile line, when the builder names it
    tail: tuple[str, ...]  # last log lines


def last_lines(log: str, count: int = 15) -> tuple[str, ...]:
    lines = [ln.rstrip() for ln in _ANSI.sub("", log).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines[-count:])


def failure_point(log: str, tail: int = 15) -> FailurePoint:
    clean = _ANSI.sub("", log)
    m = _BUILDAH_ERROR.search(clean)
    if m:
        return FailurePoint(m.group(1).strip(), None, last_lines(clean, tail))
    lines = _BUILDKIT_LINE.findall(clean)
    steps = _BUILDKIT_STEP.findall(clean)
    if lines or steps:
        text = steps[-1][2].strip() if steps else ""
        return FailurePoint(text, int(lines[-1]) if lines else None, last_lines(clean, tail))
    steps = _STEP.findall(clean) or _LEGACY_STEP.findall(clean)
    text = steps[-1][2].strip() if steps else ""
    return FailurePoint(text, None, last_lines(clean, tail))
