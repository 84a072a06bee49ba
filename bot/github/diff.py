"""Which lines of a pull request can carry a review comment.

GitHub accepts a comment only on a RIGHT-side line (added or context) inside one ``@@``
hunk of the file's patch; a range must stay inside one hunk. The files endpoint gives
hunks only, so we prepend synthetic ``---``/``+++`` headers before unidiff parses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError


@dataclass(frozen=True, slots=True)
class FileDiff:
    """The commentable RIGHT lines of one file, one frozenset per hunk."""

    path: str
    hunks: tuple[frozenset[int], ...] = ()
    added: frozenset[int] = frozenset()
    annotatable: bool = True  # False when GitHub sent no patch

    def hunk_of(self, line: int) -> int | None:
        for i, lines in enumerate(self.hunks):
            if line in lines:
                return i
        return None

    def can_anchor(self, start: int, end: int) -> bool:
        """True when lines start..end (inclusive) all lie in one hunk."""
        if start > end:
            return False
        hunk = self.hunk_of(end)
        if hunk is None:
            return False
        lines = self.hunks[hunk]
        return all(n in lines for n in range(start, end + 1))

    def clip(self, start: int, end: int) -> tuple[int, int] | None:
        """The largest sub-range of start..end that lies in one hunk (the latest on ties)."""
        best: tuple[int, int] | None = None
        for lines in self.hunks:
            inside = [n for n in range(start, end + 1) if n in lines]
            if inside and (best is None or len(inside) >= best[1] - best[0] + 1):
                best = (inside[0], inside[-1])
        return best


@dataclass(frozen=True, slots=True)
class PullDiff:
    files: dict[str, FileDiff] = field(default_factory=dict)

    def get(self, path: str) -> FileDiff | None:
        return self.files.get(path)


def parse_file_patch(path: str, patch: str | None, *, added_file: bool = False) -> FileDiff:
    """Commentable lines of one file from the hunk-only ``patch`` of the files endpoint."""
    if not patch:
        return FileDiff(path, annotatable=False)
    old = "/dev/null" if added_file else f"a/{path}"
    text = f"--- {old}\n+++ b/{path}\n{patch}"
    if not text.endswith("\n"):
        text += "\n"
    return _from_patchset(path, text)


def parse_unified_diff(text: str) -> PullDiff:
    """Commentable lines of every file in a full ``git diff`` output."""
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise ValueError(f"cannot parse diff: {exc}") from None
    files: dict[str, FileDiff] = {}
    for pf in patch:
        if pf.is_removed_file:
            continue
        path = pf.path
        files[path] = _file_diff(path, pf)
    return PullDiff(files)


def _from_patchset(path: str, text: str) -> FileDiff:
    try:
        patch = PatchSet(text)
    except UnidiffParseError:
        # A patch we cannot map gets no inline comments: wrong anchors cost a 422.
        return FileDiff(path, annotatable=False)
    if len(patch) != 1:
        return FileDiff(path, annotatable=False)
    return _file_diff(path, patch[0])


def _file_diff(path: str, pf) -> FileDiff:
    hunks: list[frozenset[int]] = []
    added: set[int] = set()
    for hunk in pf:
        right = set()
        for line in hunk:
            if line.target_line_no is None:
                continue
            if line.is_added or line.is_context:
                right.add(line.target_line_no)
                if line.is_added:
                    added.add(line.target_line_no)
        if right:
            hunks.append(frozenset(right))
    # No hunk parsed from a non-empty patch: we cannot map it, so no inline comments.
    return FileDiff(path, tuple(hunks), frozenset(added), annotatable=bool(hunks))


_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def reverse_patch(new_text: str, patch: str | None) -> str | None:
    """The old side of a file from its new text and the files endpoint's hunk-only patch.

    The PR's patch is taken against the merge base, so this is the merge-base version,
    read without a request. Every context and added line is checked against ``new_text``
    and every hunk header against the line counts: any mismatch (a patch GitHub cut short,
    line endings it normalised) gives None, and the caller reads the file instead.
    """
    if not patch:
        return None
    new = new_text.split("\n")
    new_nl = new_text.endswith("\n")
    if new_nl or new_text == "":
        new.pop()
    old: list[str] = []
    old_marker = False  # "\ No newline at end of file" after an old-side line
    j = 0  # next line of ``new`` (0-based)
    last = ""
    counts: list[int] | None = None  # remaining old, new lines of the current hunk
    for raw in patch.split("\n"):
        m = _HUNK.match(raw)
        if m:
            if counts and any(counts):
                return None
            o_start, o_len = int(m.group(1)), int(m.group(2) or 1)
            n_start, n_len = int(m.group(3)), int(m.group(4) or 1)
            first_new = n_start - 1 if n_len else n_start
            if first_new < j or first_new > len(new):
                return None
            old += new[j:first_new]
            j = first_new
            if len(old) != (o_start - 1 if o_len else o_start):
                return None
            counts = [o_len, n_len]
            continue
        if counts is None:
            if raw.startswith(("diff ", "index ", "--- ", "+++ ")) or raw == "":
                continue
            return None
        tag, body = raw[:1], raw[1:]
        if tag == "\\":
            old_marker = old_marker or last in ("-", " ")
            continue
        if tag in (" ", "+"):
            if j >= len(new) or new[j] != body or counts[1] == 0:
                return None
            j += 1
            counts[1] -= 1
        if tag in (" ", "-"):
            if counts[0] == 0:
                return None
            old.append(body)
            counts[0] -= 1
        if tag not in (" ", "+", "-"):
            if raw == "" and not any(counts):
                continue  # the trailing newline of the patch text
            return None
        last = tag
    if counts is None or any(counts):
        return None
    tail = new[j:]
    old += tail
    # the old file ends like the new one when both end in the same untouched lines
    old_nl = new_nl if tail else not old_marker
    return "\n".join(old) + ("\n" if old and old_nl else "")
