"""Where each comment goes and which verified suggestion it carries.

Suggestions are the engine's own fixes: the suggestable findings of a file are grouped
by the lines their edits touch (overlapping ranges form one group), every fix of a group
is applied with ``engine.apply_fixes`` (the code behind ``dockerdiet fix``), and the
result is re-checked before it may be offered: the file still parses, each finding the
suggestion claims to fix is gone, and nothing new appears (findings compared by
identity without the occurrence index). A group that fails the re-check gets advice
without a suggestion. One comment per group carries the suggestion (GitHub applies one
suggestion per line in a batch); the others point to it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from bot.github.inputs import AnalysedFile
from bot.github.suggestion import LineFix, block_fix, edited_lines, finding_lines, real_lines, suggestable
from bot.model.findings import Finding, Severity

MAX_SUGGESTION_LINES = 40
CONFLICT = "Not offered as a suggestion: this fix conflicts with another fix on the same lines; apply that one first."


@dataclass
class Group:
    """Suggestable findings whose fixes touch overlapping lines."""

    members: list[Finding]
    start: int
    end: int
    fixed_text: str | None = None  # the file with the group's fixes applied, once verified
    fixes: tuple[Finding, ...] = ()  # the findings the verified suggestion fixes
    failure: str = ""  # why the re-check refused it
    host: Finding | None = None  # the finding whose comment carries the suggestion


@dataclass
class Slot:
    finding: Finding
    file: AnalysedFile
    start: int
    end: int
    fix: LineFix | None = None  # the verified suggestion this comment carries
    fixes: tuple[Finding, ...] = ()
    notes: list[str] = field(default_factory=list)
    proposal: str = ""


def key_of(f: Finding) -> str:
    """Identity without the occurrence index: what "the same finding" means across a fix."""
    return f.identity.rsplit("\x1e", 1)[0] if f.identity else f"{f.rule_id}\x1e{f.message}"


def lines_of(f: Finding) -> tuple[int, int]:
    """The lines a suggestion for ``f`` covers: its fix's and its own (the comment's anchor)."""
    a, b = edited_lines(f.fix.edits)  # type: ignore[union-attr]
    c, d = finding_lines(f)
    return min(a, c), max(b, d)


def groups_of(findings: Iterable[Finding]) -> list[Group]:
    """Overlapping fixes form one group. A style finding (DT601's cache mounts: a choice a
    team makes) stays in a group of its own, so adopting it never rides along in the
    suggestion of a size finding on the same RUN."""
    suggestable_ = [f for f in findings if suggestable(f)]
    spans = sorted(((lines_of(f), f) for f in suggestable_ if f.severity is not Severity.STYLE),
                   key=lambda p: (p[0], p[1].rule_id))  # fmt: skip
    out: list[Group] = []
    for (start, end), f in spans:
        if out and start <= out[-1].end:
            out[-1].members.append(f)
            out[-1].end = max(out[-1].end, end)
        else:
            out.append(Group([f], start, end))
    out += [Group([f], *lines_of(f)) for f in suggestable_ if f.severity is Severity.STYLE]
    return out


def check_fixed(path: str, text: str, fixed: str, claimed: Sequence[Finding], options=None,
                before: Sequence[Finding] | None = None) -> str:
    """"" when ``fixed`` parses, has none of ``claimed`` and adds no finding; else why not."""
    from bot.engine import Options, analyse_text

    opts = (options or Options())._replace(estimate=False, min_saving=0)
    if before is None:
        before = analyse_text(path, text, opts).findings
    result = analyse_text(path, fixed, opts)
    if result.error:
        return f"the result cannot be read ({result.error})"
    was, now, claims = Counter(map(key_of, before)), Counter(map(key_of, result.findings)), Counter(map(key_of, claimed))
    if sum(1 for f in result.findings if f.rule_id == "DT900") > sum(1 for f in before if f.rule_id == "DT900"):
        return "the result would not parse"
    for key in sorted(set(now) | set(was)):
        allowed = max(0, was[key] - claims[key])
        if now[key] > allowed:
            rule = key.split("\x1e", 1)[0]
            return f"{rule} would still be reported" if claims[key] else f"it would add a {rule} finding"
    return ""


class FilePlacer:
    """The groups and verified suggestions of one file, filled in as comments are placed."""

    def __init__(self, file: AnalysedFile) -> None:
        self.file = file
        self.groups = groups_of(file.findings)
        last = real_lines(file.text)
        for g in self.groups:
            g.end = min(g.end, last)
            g.start = min(g.start, g.end)
        self._before: Sequence[Finding] | None = None
        self._verified: set[int] = set()

    def group_of(self, f: Finding) -> Group | None:
        return next((g for g in self.groups if any(m is f for m in g.members)), None)

    def verified(self, g: Group) -> Group:
        """Apply the group's fixes with the engine's fix code and re-check the result once."""
        if id(g) in self._verified:
            return g
        self._verified.add(id(g))
        from bot.engine import Options, analyse_text, fix_source
        from bot.model.source import Source

        # As `dockerdiet fix --unsafe` does, pass after pass (fixes that touch apply in turn),
        # limited to the group's findings on the group's lines (which may shrink or grow)
        keys = {key_of(m) for m in g.members}
        lines = self.file.text.count("\n")

        def ours(f: Finding, text: str) -> bool:
            if key_of(f) not in keys or f.fix is None or not f.fix.edits:
                return False
            a, b = edited_lines(f.fix.edits)
            return g.start <= a and b <= g.end + max(0, text.count("\n") - lines)

        opts = (self.file.options or Options())._replace(estimate=False, min_saving=0)
        outcome = fix_source(Source(self.file.path, self.file.text), opts, unsafe=True, select=ours)
        fixed, applied = outcome.fixed, {key_of(f) for f in outcome.applied}
        taken = [m for m in g.members if key_of(m) in applied]
        if not taken or fixed == self.file.text:
            g.failure = outcome.rejected or "the fixes change nothing"
            return g
        if self._before is None:
            opts = (self.file.options or Options())._replace(estimate=False, min_saving=0)
            self._before = analyse_text(self.file.path, self.file.text, opts).findings
        g.failure = check_fixed(self.file.path, self.file.text, fixed, taken, self.file.options, self._before)
        if not g.failure:
            g.fixed_text, g.fixes = fixed, tuple(taken)
        return g

    def line_fix(self, g: Group, start: int, end: int) -> LineFix | None:
        """Lines ``start..end`` of the file after the group's fixes (the suggestion block)."""
        assert g.fixed_text is not None
        return block_fix(self.file.text, g.fixed_text, start, end, self.file.bom)

    def anchor(self, g: Group) -> tuple[int, int] | None:
        """The group's lines (every member's fix and own lines), when one hunk holds them."""
        if g.end - g.start < MAX_SUGGESTION_LINES and self.file.diff.can_anchor(g.start, g.end):
            return g.start, g.end
        return None

    def place(self, f: Finding) -> Slot | None:
        """Where the comment for a new finding goes; None when no line is commentable."""
        g = self.group_of(f) if suggestable(f) else None
        if g is None:
            return self._plain(f)
        self.verified(g)
        slot = self._plain(f)
        if g.failure:
            if slot is not None:
                slot.notes.append(_refused(g))
            return slot
        if g.host is not None:
            if slot is not None:
                slot.notes.append(_pointer(g, f))
            return slot
        if not any(x is f for x in g.fixes):
            if slot is not None:
                slot.notes.append(CONFLICT)
            return slot
        where = self.anchor(g)
        lf = self.line_fix(g, *where) if where is not None else None
        if lf is None:
            if slot is not None:
                whole = self.line_fix(g, g.start, g.end)
                slot.proposal = whole.as_diff(f.path) if whole is not None else ""
                slot.notes.append("The fix reaches lines outside this diff, so it is shown as a diff "
                                  "instead of a suggestion.")
            return slot
        g.host = f
        return Slot(f, self.file, lf.start, lf.end, lf, g.fixes)

    def adopt(self, f: Finding, start: int, end: int) -> tuple[LineFix | None, tuple[Finding, ...], str]:
        """For an earlier comment anchored on ``start..end``: the suggestion it may carry
        (when its lines cover its group's), or the note that replaces it."""
        g = self.group_of(f) if suggestable(f) else None
        if g is None:
            return None, (), ""
        self.verified(g)
        if g.failure:
            return None, (), _refused(g)
        if g.host is not None:
            return None, (), _pointer(g, f)
        if not any(x is f for x in g.fixes):
            return None, (), CONFLICT  # the same note as on the first run: a re-run edits nothing
        if start <= g.start and g.end <= end \
                and end - start < MAX_SUGGESTION_LINES:
            lf = self.line_fix(g, start, end)
            if lf is not None:
                g.host = f
                return lf, g.fixes, ""
        return None, (), ""

    def proposal(self, f: Finding) -> str:
        """A diff of the verified fix, for findings listed in the review body."""
        g = self.group_of(f) if suggestable(f) else None
        if g is None:
            return ""
        self.verified(g)
        if g.failure or not any(x is f for x in g.fixes):
            return ""
        lf = self.line_fix(g, g.start, g.end)
        return lf.as_diff(f.path) if lf is not None else ""

    def _plain(self, f: Finding) -> Slot | None:
        start, end = finding_lines(f)
        if end < start or not self.file.diff.hunks:
            return None
        clipped = self.file.diff.clip(start, end)
        if clipped is None:
            return None
        return Slot(f, self.file, clipped[0], clipped[1])


def _refused(g: Group) -> str:
    return f"No one-click suggestion: the fixes for these lines did not pass dockerdiet's re-check ({g.failure})."


def _pointer(g: Group, f: Finding) -> str:
    assert g.host is not None
    if any(x is f for x in g.fixes):
        return f"The suggestion in the {g.host.rule_id} comment on these lines also applies this fix."
    return (f"Not offered as a suggestion: this fix conflicts with the {g.host.rule_id} suggestion on these "
            "lines; apply that one first.")
