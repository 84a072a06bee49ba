"""Map an image's history back to the Dockerfile instructions that produced it.

Every builder writes one history entry per instruction of the stages that make up
the image (the target stage and the stages it is built FROM), after the base
image's own entries. The ``created_by`` texts differ by builder:

- buildah/podman and Docker's legacy builder: ``/bin/sh -c #(nop) ENV A=1`` for
  metadata and COPY/ADD, the shell command (``|1 A=b /bin/sh -c make``) for RUN;
- BuildKit: ``RUN /bin/sh -c make # buildkit``, ``COPY . . # buildkit``,
  ``ENV A=1``; BuildKit writes no entry for ARG.

So instructions and entries are aligned from the end by keyword (and command text
where it can be compared), with a small dynamic programme instead of a zip, which
tolerates missing ARG entries and base-image entries that look like ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.measure.images import HistoryEntry
from bot.model.dockerfile import Dockerfile, Instruction, Stage

_NOP = re.compile(r"^\S*sh -c #\(nop\)\s+([A-Za-z]+)")
_BUILDKIT = re.compile(
    r"^(ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|RUN|"
    r"SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)\b"
)
_BUILD_ARGS = re.compile(r"^\|\d+ ")
_WS = re.compile(r"\s+|\\\n")


def history_keyword(created_by: str) -> str:
    """The Dockerfile keyword behind a history entry ("" when unknown)."""
    text = created_by.strip()
    if not text:
        return ""
    m = _NOP.match(text)
    if m:
        return m.group(1).upper()
    m = _BUILDKIT.match(text)
    if m:
        return m.group(1)
    # Anything else is the command line of a RUN (maybe prefixed by |N build args,
    # maybe a custom SHELL) in buildah/podman and the legacy builder.
    return "RUN"


def _squeeze(text: str) -> str:
    return _WS.sub("", text)


def _score(ins: Instruction, entry: HistoryEntry) -> int:
    kw = history_keyword(entry.created_by)
    keyword = ins.effective().keyword if ins.keyword != "ONBUILD" else "ONBUILD"
    if kw != keyword:
        return 0
    if keyword == "RUN" and ins.body.text.strip():
        body = _squeeze(ins.body.text)
        if body and body in _squeeze(entry.created_by.replace("\\\n", "")):
            return 3
    return 2


@dataclass(frozen=True, slots=True)
class Attributed:
    instruction: Instruction
    entry: HistoryEntry | None  # None: the builder wrote no history for it


def image_stages(df: Dockerfile, target: str | None = None) -> list[Stage]:
    """The stages whose instructions appear in the built image's history, oldest first."""
    stage = df.stage_named(target) if target else df.final_stage
    if stage is None:
        return []
    chain = [stage]
    while chain[-1].parent is not None:
        chain.append(df.stages[chain[-1].parent])
    return list(reversed(chain))


@dataclass(frozen=True, slots=True)
class Attribution:
    rows: tuple[Attributed, ...]  # one per instruction, in Dockerfile order
    base: tuple[HistoryEntry, ...]  # entries before the first of ours: the base image
    unattributed: tuple[HistoryEntry, ...]  # entries among ours that no instruction explains


def attribute(instructions: list[Instruction], history: tuple[HistoryEntry, ...]) -> Attribution:
    """Pair instructions with history entries; the entries before ours are the base's."""
    n, m = len(instructions), len(history)
    # best[i][j]: best score aligning instructions[:i] with history[:j]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            s = _score(instructions[i - 1], history[j - 1])
            diag = best[i - 1][j - 1] + s if s else -1
            best[i][j] = max(diag, best[i - 1][j], best[i][j - 1])
    pairs: dict[int, HistoryEntry] = {}
    used: set[int] = set()
    i, j = n, m
    while i > 0 and j > 0:
        s = _score(instructions[i - 1], history[j - 1])
        if s and best[i][j] == best[i - 1][j - 1] + s:
            pairs[i - 1] = history[j - 1]
            used.add(j - 1)
            i, j = i - 1, j - 1
        elif best[i][j] == best[i - 1][j] and (
            instructions[i - 1].keyword == "ARG" or best[i][j] != best[i][j - 1]
        ):
            i -= 1  # an instruction without an entry (BuildKit's ARG)
        else:
            j -= 1  # an entry that is not ours: the base image's
    first_ours = min(used) if used else m
    return Attribution(
        rows=tuple(Attributed(ins, pairs.get(k)) for k, ins in enumerate(instructions)),
        base=tuple(history[:first_ours]),
        unattributed=tuple(h for k, h in enumerate(history) if k >= first_ours and k not in used),
    )
