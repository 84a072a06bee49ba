"""Turn a fix (column-level edits) into a GitHub suggestion over whole lines.

A suggested change replaces exactly the commented lines ``start_line..line``, so the
edits are widened to the lines they touch and the replacement is those lines after the
edits. Which fixes go into one suggestion, and their re-check, is placement.py's job.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Sequence

from bot.model.findings import Finding, Safety
from bot.model.text import Edit, LineIndex, apply_edits

BOM = "\ufeff"

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
    return start, max(e.span.lines[1] for e in edits)


def line_fix(text: str, edits: Sequence[Edit], cover: tuple[int, int] | None = None) -> LineFix | None:
    """The whole-line replacement the edits make, or None when they change nothing.

    ``cover`` widens the range to more lines (the finding's own), kept unchanged.
    """
    if not edits:
        return None
    start, end = edited_lines(edits)
    if cover is not None:
        start, end = min(start, cover[0]), max(end, cover[1])
    try:
        new_text = apply_edits(text, edits)
    except ValueError:
        return None
    return block_fix(text, new_text, start, end)


def block_fix(text: str, fixed: str, start: int, end: int, bom: bool = False) -> LineFix | None:
    """Lines ``start..end`` of ``text`` and what they became in ``fixed`` (edits confined to them)."""
    index = LineIndex(text)
    end = min(end, real_lines(text, index))  # an insertion at the end of the file: its last line
    start = min(start, end)
    if start < 1:
        return None
    block_start = index.line_start(start)
    block_end = index.line_start(end + 1) if end < index.line_count else len(text)
    delta = len(fixed) - len(text)
    if fixed[:block_start] != text[:block_start] or fixed[block_end + delta:] != text[block_end:]:
        return None  # the fixes reach outside these lines
    old_block = text[block_start:block_end]
    new_block = fixed[block_start:block_end + delta]
    original = _strip_eol(old_block)
    replacement = _strip_eol(new_block) if old_block.endswith("\n") else new_block.replace("\r\n", "\n")
    if bom and start == 1:  # GitHub replaces line 1 with the block as written: keep the BOM
        original, replacement = BOM + original, BOM + replacement
    lf = LineFix(start, end, original, replacement)
    return lf if lf.changes else None




def real_lines(text: str, index: LineIndex | None = None) -> int:
    """Lines as GitHub numbers them: a final newline starts no further line."""
    count = (index or LineIndex(text)).line_count
    return count - 1 if text.endswith("\n") and count > 1 else count


def finding_lines(finding: Finding) -> tuple[int, int]:
    return finding.span.lines


def suggestable(finding: Finding) -> bool:
    fix = finding.fix
    return fix is not None and fix.safety is not Safety.DISPLAY_ONLY and bool(fix.edits)


def _strip_eol(block: str) -> str:
    block = block.replace("\r\n", "\n")
    return block[:-1] if block.endswith("\n") else block

