"""Plan the review (pure) and carry it out (the only part that calls GitHub).

``plan`` decides everything from data: which new findings get inline comments (RIGHT
lines inside one hunk, at most ``max_comments`` live ones), which suggestions to offer
(whole lines, merged when two fixes touch the same lines, never a no-op), what goes into
the review body, which of our earlier comments are now fixed. ``execute`` re-reads the
head, posts ONE review, and never blindly re-POSTs: after an ambiguous failure it looks
for this run's marker first.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Sequence, TextIO

from bot.github.diff import FileDiff
from bot.github.records import RemoteComment, RemoteReview
from bot.github.suggestion import LineFix, finding_lines, line_fix, merge_edits, suggestable
from bot.model.findings import Finding
from bot.model.text import Edit
from bot.report.markdown import (BODY_BUDGET, CommentParts, SummaryRow, comment_body, rule_why,
                                 savings_total, summary_markdown)

MARKER_PREFIX = "<!-- dockerdiet:v1 "
_TRAILING_MARKER = re.compile(r"<!-- dockerdiet:v1 ([^<>\n]*?) -->\s*\Z")
MAX_SUGGESTION_LINES = 40


# ------------------------------------------------------------------------- markers
def comment_marker(fp: str, rule_id: str, run: str, state: str = "") -> str:
    extra = f" state={state}" if state else ""
    return f"<!-- dockerdiet:v1 fp={fp} rule={rule_id} run={run}{extra} -->"


def summary_marker(head_sha: str, run: str) -> str:
    return f"<!-- dockerdiet:v1 summary head={head_sha} run={run} -->"


def parse_marker(body: str) -> dict[str, str] | None:
    """The marker that ENDS the body (ours always does), as key=value pairs.

    Only the trailing marker counts, so a marker-like string quoted from a Dockerfile
    earlier in the body (inside a suggestion block, say) is never mistaken for ours.
    """
    m = _TRAILING_MARKER.search(body)
    if not m:
        return None
    fields: dict[str, str] = {}
    for token in m.group(1).split():
        key, _, value = token.partition("=")
        fields[key] = value if value else "true"
    return fields


def is_ours(login: str, user_type: str, bot_login: str = "") -> bool:
    """Marker first, identity second: a human pasting a marker is not us."""
    return login == bot_login if bot_login else user_type == "Bot"


# ------------------------------------------------------------------------- inputs
@dataclass(frozen=True, slots=True)
class AnalysedFile:
    path: str  # path at head
    text: str  # head text
    findings: tuple[Finding, ...]
    base_fingerprints: frozenset[str]
    diff: FileDiff
    note: str = ""  # why the file gets no inline comments, shown in the summary


@dataclass(frozen=True, slots=True)
class Existing:
    comments: tuple[RemoteComment, ...] = ()
    reviews: tuple[RemoteReview, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanOptions:
    head_sha: str
    run_nonce: str
    max_comments: int = 30
    bot_login: str = ""
    changed_paths: frozenset[str] = frozenset()  # every file path of the PR
    notes: tuple[str, ...] = ()
    title: str = "dockerdiet: image size review"
    budget: int = BODY_BUDGET


# ------------------------------------------------------------------------- outputs
@dataclass(frozen=True, slots=True)
class PlannedComment:
    path: str
    line: int
    start_line: int | None
    body: str
    fingerprint: str
    rule_id: str
    suggestion: str | None

    def api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "side": "RIGHT", "body": self.body}
        if self.start_line is not None and self.start_line < self.line:
            out["start_line"] = self.start_line
            out["start_side"] = "RIGHT"
        return out


@dataclass(frozen=True, slots=True)
class CommentUpdate:
    comment_id: int
    node_id: str
    body: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    head_sha: str
    run_nonce: str
    comments: tuple[PlannedComment, ...]
    body: str  # review body with its marker
    fallback_body: str  # every finding in the body, no inline comments (after a 422)
    summary: str  # the same report for the job summary (no marker)
    resolved: tuple[CommentUpdate, ...]
    post_review: bool
    summary_update: tuple[int, str] | None  # (review id, new body) when nothing new is posted
    rows: tuple[SummaryRow, ...]
    already_commented: int = 0

    @property
    def findings(self) -> list[Finding]:
        return [r.finding for r in self.rows]

    @property
    def new_findings(self) -> list[Finding]:
        return [r.finding for r in self.rows if r.new]

    def to_json(self) -> dict[str, Any]:
        return {
            "head_sha": self.head_sha,
            "post_review": self.post_review,
            "comments": [c.api() for c in self.comments],
            "resolved": [u.comment_id for u in self.resolved],
            "summary_update": self.summary_update[0] if self.summary_update else None,
            "rows": [{"path": r.finding.path, "rule": r.finding.rule_id, "line": r.finding.span.start.line,
                      "new": r.new, "where": r.where} for r in self.rows],
        }


# ------------------------------------------------------------------------- planning
@dataclass
class _Slot:
    finding: Finding
    file: AnalysedFile
    start: int
    end: int
    fix: LineFix | None = None
    edits: tuple[Edit, ...] = ()
    notes: list[str] = field(default_factory=list)
    proposal: str = ""


def fingerprint_of(f: Finding) -> str:
    if f.fingerprint:
        return f.fingerprint
    # The engine always fills it; hand-made findings in tests may not.
    raw = "\x1f".join((f.rule_id, f.path, f.stage, f.anchor_text or f.message))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def plan(files: Sequence[AnalysedFile], existing: Existing, options: PlanOptions,
         why: Callable[[str], str] = rule_why) -> ReviewPlan:
    ours = [c for c in existing.comments
            if (m := parse_marker(c.body)) and "fp" in m and is_ours(c.user_login, c.user_type, options.bot_login)]
    live_fps: set[str] = set()
    live_count = 0
    for c in ours:
        m = parse_marker(c.body) or {}
        if m.get("state") != "fixed" and c.line is not None:
            live_fps.add(m["fp"])
            live_count += 1
    budget = max(0, options.max_comments - live_count)

    rows: dict[int, SummaryRow] = {}
    order: list[tuple[Finding, AnalysedFile]] = []
    candidates: list[tuple[Finding, AnalysedFile]] = []
    already = 0
    for file in files:
        for f in file.findings:
            order.append((f, file))
            fp = fingerprint_of(f)
            new = fp not in file.base_fingerprints
            if not new:
                rows[id(f)] = _row(f, file, False, "already on the base branch")
            elif fp in live_fps:
                already += 1
                rows[id(f)] = SummaryRow(f, True, "commented earlier")
            elif not file.diff.annotatable:
                rows[id(f)] = _row(f, file, True, file.note or "no diff to comment on")
            else:
                candidates.append((f, file))

    slots: list[_Slot] = []
    # Most severe and largest first, so the cap keeps what matters.
    candidates.sort(key=lambda pair: (-pair[0].severity.rank,
                                      -(pair[0].estimate.bytes_high if pair[0].estimate else 0),
                                      pair[0].path, pair[0].span.start))
    for f, file in candidates:
        slot = _place(f, file, slots)
        if slot is None:
            rows[id(f)] = _row(f, file, True, "outside the diff")
        elif len(slots) >= budget:
            rows[id(f)] = _row(f, file, True, "over the inline comment limit")
        else:
            slots.append(slot)
            rows[id(f)] = SummaryRow(f, True, "inline")

    comments = tuple(_render(s, options, why) for s in sorted(slots, key=lambda s: (s.finding.path, s.start, s.end)))
    ordered_rows = tuple(rows[id(f)] for f, _ in order)

    head_fps = {fingerprint_of(f) for f, _ in order}
    analysed = {f.path for f in files}
    resolved = []
    short = options.head_sha[:7]
    for c in ours:
        m = parse_marker(c.body) or {}
        if m.get("state") == "fixed" or m["fp"] in head_fps:
            continue
        if c.path in analysed or c.path not in options.changed_paths:
            resolved.append(CommentUpdate(c.id, c.node_id, resolved_body(c.body, m, short), m["fp"]))

    notes = list(options.notes)
    if already:
        notes.append(f"{already} finding(s) already have an inline comment from an earlier run.")
    if resolved:
        notes.append(f"{len(resolved)} earlier comment(s) marked resolved: their findings are gone.")
    marker = summary_marker(options.head_sha, options.run_nonce)
    title = options.title
    summary = summary_markdown(ordered_rows, title=title, notes=notes, budget=options.budget - len(marker) - 2,
                               files_analysed=len(files))
    body = f"{summary}\n\n{marker}"
    fallback_rows = tuple(_row(r.finding, _file_of(r.finding, files), r.new, "listed here (inline comments were rejected)")
                          if r.where == "inline" else r for r in ordered_rows)
    fallback = summary_markdown(fallback_rows, title=title, notes=notes, budget=options.budget - len(marker) - 2,
                                files_analysed=len(files)) + f"\n\n{marker}"

    previous = [r for r in existing.reviews
                if (m := parse_marker(r.body)) and "summary" in m and is_ours(r.user_login, r.user_type, options.bot_login)]
    post = bool(comments) or (not previous and bool(ordered_rows))
    update = None
    if not post and previous:
        last = previous[-1]
        if (parse_marker(last.body) or {}).get("head") != options.head_sha:
            update = (last.id, body)
    return ReviewPlan(options.head_sha, options.run_nonce, comments, body, fallback, summary, tuple(resolved),
                      post, update, ordered_rows, already)


def resolved_body(body: str, marker: dict[str, str], short_sha: str) -> str:
    text = _TRAILING_MARKER.sub("", body).rstrip()
    new_marker = comment_marker(marker.get("fp", ""), marker.get("rule", ""), marker.get("run", ""), "fixed")
    return (f"> [!NOTE]\n> **Resolved** in {short_sha}: dockerdiet no longer finds this.\n\n"
            f"{text}\n\n{new_marker}")


def _file_of(f: Finding, files: Sequence[AnalysedFile]) -> AnalysedFile:
    return next(file for file in files if f in file.findings)


def _row(f: Finding, file: AnalysedFile, new: bool, where: str) -> SummaryRow:
    proposal = ""
    if suggestable(f):
        lf = line_fix(file.text, f.fix.edits)  # type: ignore[union-attr]
        if lf is not None:
            proposal = lf.as_diff(f.path)
    return SummaryRow(f, new, where, proposal)


def _place(f: Finding, file: AnalysedFile, slots: list[_Slot]) -> _Slot | None:
    """Where the comment goes and what it suggests; None when no line is commentable."""
    diff = file.diff
    f_start, f_end = finding_lines(f)
    if suggestable(f):
        edits = tuple(f.fix.edits)  # type: ignore[union-attr]
        lf = _anchored_fix(file, edits, (f_start, f_end))
        if lf is not None:
            clash = [s for s in slots if s.file.path == file.path and s.fix is not None
                     and s.fix.start <= lf.end and lf.start <= s.fix.end]
            if not clash:
                return _Slot(f, file, lf.start, lf.end, lf, edits)
            host = clash[0]
            merged = merge_edits(host.edits, edits) if len(clash) == 1 else None
            if merged is not None:
                both = _anchored_fix(file, merged, (min(host.start, f_start), max(host.end, f_end)))
                others = [s for s in slots if s is not host and s.file.path == file.path and s.fix is not None
                          and both is not None and s.fix.start <= both.end and both.start <= s.fix.end]
                if both is not None and not others:
                    host.fix, host.edits, host.start, host.end = both, merged, both.start, both.end
                    host.notes.append(f"This suggestion also applies the fix for {f.rule_id}.")
                    slot = _plain_slot(f, file)
                    if slot is not None:
                        slot.notes.append(f"The suggestion in the {host.finding.rule_id} comment on these "
                                          f"lines also applies this fix.")
                    return slot
            slot = _plain_slot(f, file)
            if slot is not None:
                slot.proposal = lf.as_diff(f.path)
                slot.notes.append(f"Not offered as a one-click suggestion: it touches the same lines as the "
                                  f"{host.finding.rule_id} suggestion; apply that one first.")
            return slot
        slot = _plain_slot(f, file)
        if slot is not None:
            plain = line_fix(file.text, edits)
            if plain is not None:
                slot.proposal = plain.as_diff(f.path)
                slot.notes.append("The fix reaches lines outside this diff, so it is shown as a diff "
                                  "instead of a suggestion.")
        return slot
    if f_end < f_start or not diff.hunks:
        return None
    return _plain_slot(f, file)


def _anchored_fix(file: AnalysedFile, edits: Sequence[Edit], cover: tuple[int, int]) -> LineFix | None:
    """The fix widened to the finding's lines when that stays in one hunk, else just the fix."""
    lf = line_fix(file.text, edits)
    if lf is None:
        return None
    wide_start, wide_end = min(lf.start, cover[0]), max(lf.end, cover[1])
    if (wide_start, wide_end) != (lf.start, lf.end) and wide_end - wide_start < MAX_SUGGESTION_LINES \
            and file.diff.can_anchor(wide_start, wide_end):
        wide = line_fix(file.text, edits, cover=(wide_start, wide_end))
        if wide is not None:
            return wide
    if lf.end - lf.start < MAX_SUGGESTION_LINES and file.diff.can_anchor(lf.start, lf.end):
        return lf
    return None


def _plain_slot(f: Finding, file: AnalysedFile) -> _Slot | None:
    start, end = finding_lines(f)
    clipped = file.diff.clip(start, end)
    if clipped is None:
        return None
    return _Slot(f, file, clipped[0], clipped[1])


def _render(slot: _Slot, options: PlanOptions, why: Callable[[str], str]) -> PlannedComment:
    f = slot.finding
    fp = fingerprint_of(f)
    parts = CommentParts(
        suggestion=slot.fix.replacement if slot.fix is not None else None,
        proposal=slot.proposal,
        note=" ".join(slot.notes),
        marker=comment_marker(fp, f.rule_id, options.run_nonce),
    )
    body = comment_body(f, parts, why(f.rule_id))
    start = slot.start if slot.start < slot.end else None
    return PlannedComment(f.path, slot.end, start, body, fp, f.rule_id, parts.suggestion)


# ------------------------------------------------------------------------- execution
class Outcome(str, Enum):
    POSTED = "posted"  # a new review
    UPDATED = "updated"  # only edits (resolved comments, summary)
    NOTHING = "nothing"  # nothing new to say
    HEAD_MOVED = "head-moved"  # a newer push: the newer run reviews it


def execute(plan: ReviewPlan, client, number: int, out: TextIO, *, minimize: bool = True,
            resolve_threads: bool = False) -> Outcome:
    """Carry out the plan. Raises client errors (Forbidden, ApiError) for the caller."""
    from bot.github.client import ApiError, Unprocessable

    if not (plan.post_review or plan.resolved or plan.summary_update):
        return Outcome.NOTHING
    if client.pull(number).head_sha != plan.head_sha:
        print("dockerdiet: the pull request moved to a newer commit; not posting (the newer run will)", file=out)
        return Outcome.HEAD_MOVED
    for update in plan.resolved:
        client.edit_comment(update.comment_id, update.body)
        if minimize and update.node_id:
            try:
                client.minimize(update.node_id)
            except ApiError as exc:  # minimising is a nicety; permissions vary
                print(f"dockerdiet: could not minimise a resolved comment ({exc.status})", file=out)
    if resolve_threads and plan.resolved:
        _resolve_threads(plan, client, number, out)
    if not plan.post_review:
        if plan.summary_update:
            client.edit_review(number, plan.summary_update[0], plan.summary_update[1])
        return Outcome.UPDATED
    comments = [c.api() for c in plan.comments]
    try:
        _post_once(plan, client, number, plan.body, comments, out)
    except Unprocessable as exc:
        print(f"dockerdiet: GitHub rejected the review (422): {'; '.join(exc.errors) or exc.message}", file=out)
        if client.pull(number).head_sha != plan.head_sha:
            print("dockerdiet: the pull request moved meanwhile; not retrying", file=out)
            return Outcome.HEAD_MOVED
        print("dockerdiet: retrying once with every finding in the review body", file=out)
        _post_once(plan, client, number, plan.fallback_body, [], out)
    return Outcome.POSTED


RESOLVE_HINT = ("dockerdiet: cannot resolve review threads with this token (Resource not accessible by "
                "integration): give the job `permissions: contents: write`, or set resolve_threads: false")


def _resolve_threads(plan: ReviewPlan, client, number: int, out: TextIO) -> None:
    """Resolve the threads of our fixed comments (opt-in: needs contents: write).

    A nicety like minimising: any failure is logged and the run carries on.
    """
    from bot.github.client import ApiError

    try:
        threads = client.review_threads(number)
        for update in plan.resolved:
            thread = threads.get(update.comment_id)
            if thread is not None and not thread[1]:
                client.resolve_thread(thread[0])
    except ApiError as exc:
        if exc.status == 403 or any("not accessible" in e.lower() for e in (exc.message, *exc.errors)):
            print(RESOLVE_HINT, file=out)
        else:
            print(f"dockerdiet: could not resolve review threads ({exc.status or 'no response'} {exc.message})",
                  file=out)


def _post_once(plan: ReviewPlan, client, number: int, body: str, comments: list[dict], out: TextIO) -> None:
    """POST the review; after an ambiguous failure, re-POST only if it did not land."""
    from bot.github.client import Ambiguous

    for attempt in (1, 2):
        try:
            client.create_review(number, plan.head_sha, body, comments)
            return
        except Ambiguous as exc:
            print(f"dockerdiet: posting the review failed ambiguously ({exc}); checking whether it landed",
                  file=out)
            if _landed(plan, client, number):
                print("dockerdiet: the review was created despite the error; not posting again", file=out)
                return
            if attempt == 2:
                raise


def _landed(plan: ReviewPlan, client, number: int) -> bool:
    for review in client.reviews(number):
        m = parse_marker(review.body) or {}
        if "summary" in m and m.get("run") == plan.run_nonce and m.get("head") == plan.head_sha:
            return True
    return False


def savings_of_new(plan: ReviewPlan) -> tuple[int, int]:
    return savings_total(plan.new_findings)
