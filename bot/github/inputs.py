"""What review planning starts from: the analysed files and what GitHub already shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.github.diff import FileDiff
from bot.github.records import RemoteComment, RemoteReview
from bot.model.findings import Finding


@dataclass(frozen=True, slots=True)
class AnalysedFile:
    path: str  # path at head
    text: str  # head text (without a BOM)
    findings: tuple[Finding, ...]
    base_fingerprints: frozenset[str]
    diff: FileDiff
    note: str = ""  # why the file gets no inline comments, shown in the summary
    previous_path: str = ""  # a renamed file's path on the base branch: comments there carry over
    bom: bool = False  # the file starts with a UTF-8 BOM: a line-1 suggestion keeps it
    options: Any = None  # engine Options the findings came from (suggestions are re-checked with them)


@dataclass(frozen=True, slots=True)
class Existing:
    comments: tuple[RemoteComment, ...] = ()
    reviews: tuple[RemoteReview, ...] = ()
