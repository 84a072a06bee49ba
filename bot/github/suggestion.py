"""Turn a fix (column-level edits) into a GitHub suggestion over whole lines.

A suggested change replaces exactly the commented lines ``start_line..line``, so the
edits are widened to the lines they touch and the replacement is those lines after the
edits. Fixes of two findings on the same lines are merged into one suggestion, because
GitHub applies only one suggestion per line in a batch.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Sequence

from bot.model.findings import Finding, Safety
from bot.model.text import Edit, LineIndex, apply_edits, check_disjoint

_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


@dataclass(frozen=True, slots=True)
class LineFix:
    """Lines ``start..end`` (1-based, inclusive) of the file become ``replacement``."""

    start: int
    end: int
    original: str  # the lines as they are, "\n"-joined, no trailing newline
    replacement: str  # "" deletes the lines

    @property
    def changes(self) -> bool:
        return self.original != self.replacement

    def as_diff(self, path: str) -> str:
        """A unified diff whose hunk headers carry the file's line numbers, not the snippet's."""
        before = self.original.split("\n") if self.original else []
        after = self.replacement.split("\n") if self.replacement else []
        shift = self.start - 1
        return "\n".join(
            _HUNK.sub(lambda m: f"@@ -{int(m[1]) + shift}{m[2] or ''} +{int(m[3]) + shift}{m[4] or ''} @@", line)
            if line.startswith("@@") else line
            for line in difflib.unified_diff(before, after, f"a/{path}", f"b/{path}", n=0, lineterm="")
        )


def edited_lines(edits: Sequence[Edit]) -> tuple[int, int]:
    """First and last physical line the edits touch."""
    start = min(e.span.start.line for e in edits)
    end = start
    for e in edits:
        last = e.span.end.line
        # An edit that ends at column 1 of a later line stops after the previous line.
        if e.span.end.column == 1 and last > e.span.start.line:
            last -= 1
        end = max(end, last)
    return start, end


def line_fix(text: str, edits: Sequence[Edit], cover: tuple[int, int] | None = None) -> LineFix | None:
    """The whole-line replacement the edits make, or None when they change nothing.

    ``cover`` widens the range to more lines (the finding's own), kept unchanged.
    """
    if not edits:
        return None
    index = LineIndex(text)
    start, end = edited_lines(edits)
    if cover is not None:
        start, end = min(start, cover[0]), max(end, cover[1])
    if end > index.line_count:
        return None
    block_start = index.line_start(start)
    block_end = index.line_start(end + 1) if end < index.line_count else len(text)
    try:
        new_text = apply_edits(text, edits)
    except ValueError:
        return None
    delta = len(new_text) - len(text)
    old_block = text[block_start:block_end]
    new_block = new_text[block_start:block_end + delta]
    original = _strip_eol(old_block)
    replacement = _strip_eol(new_block) if old_block.endswith("\n") else new_block.replace("\r\n", "\n")
    fix = LineFix(start, end, original, replacement)
    return fix if fix.changes else None


def merge_edits(first: Sequence[Edit], second: Sequence[Edit]) -> tuple[Edit, ...] | None:
    """One edit list doing both, or None when they conflict.

    Two insertions at the same point (both findings append to the end of a RUN) are
    chained in order; any other overlap is a conflict.
    """
    merged: list[Edit] = list(first)
    for edit in second:
        same_point = next(
            (i for i, e in enumerate(merged)
             if e.span.start == e.span.end == edit.span.start == edit.span.end),
            None,
        )
        if same_point is not None:
            kept = merged[same_point]
            merged[same_point] = Edit(kept.span, kept.text + edit.text)
        else:
            merged.append(edit)
    try:
        return tuple(check_disjoint(merged))
    except ValueError:
        return None


def finding_lines(finding: Finding) -> tuple[int, int]:
    start, end = finding.span.start.line, finding.span.end.line
    if finding.span.end.column == 1 and end > start:
        end -= 1
    return start, max(start, end)


def suggestable(finding: Finding) -> bool:
    fix = finding.fix
    return fix is not None and fix.safety is not Safety.DISPLAY_ONLY and bool(fix.edits)


def _strip_eol(block: str) -> str:
    block = block.replace("\r\n", "\n")
    return block[:-1] if block.endswith("\n") else block

