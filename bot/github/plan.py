"""Plan the review (pure apart from re-checking suggestions with the engine).

``plan`` decides everything from data: which of our earlier comments still stand (and
whether their body must be updated in place), which are fixed, which new findings get
inline comments (RIGHT lines inside one hunk, at most ``max_comments`` live ones), the
verified suggestions they carry, and the review body and job summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from bot.github.inputs import AnalysedFile, Existing
from bot.github.markers import (comment_marker, identity_id, is_ours, parse_marker, strip_marker,
                                summary_marker)
from bot.github.placement import FilePlacer, Slot
from bot.github.reconcile import Match, live, reconcile
from bot.model.findings import Finding, Safety, Severity
from bot.report.markdown import (BODY_BUDGET, COMMENT_LIMIT, JOB_SUMMARY_BUDGET, CommentParts, SummaryRow,
                                 comment_body, rule_why, savings_total, summary_markdown)

__all__ = ["AnalysedFile", "Existing", "PlanOptions", "PlannedComment", "CommentUpdate", "ReviewPlan", "plan",
           "fingerprint_of", "resolved_body"]


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
    summary_budget: int = JOB_SUMMARY_BUDGET
    info_inline: bool = False  # info findings (DT204) inline too; by default only in the summary
    report_path: str = "dockerdiet-report.json"


@dataclass(frozen=True, slots=True)
class PlannedComment:
    path: str
    line: int
    start_line: int | None
    body: str
    fingerprint: str
    rule_id: str
    suggestion: str | None
    fixes: tuple[str, ...] = ()  # fingerprints of the findings the suggestion fixes (verified)

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
    resolved: bool = True  # False: the finding stands, only its text changed


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    head_sha: str
    run_nonce: str
    comments: tuple[PlannedComment, ...]
    body: str  # review body with its marker
    fallback_body: str  # every finding in the body, no inline comments (after a 422)
    summary: str  # the full report for the job summary (no marker)
    resolved: tuple[CommentUpdate, ...]
    post_review: bool
    summary_update: tuple[int, str] | None  # (review id, new body) when nothing new is posted
    rows: tuple[SummaryRow, ...]
    already_commented: int = 0
    updated: tuple[CommentUpdate, ...] = ()  # earlier comments whose finding stands, new text

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
            "updated": [u.comment_id for u in self.updated],
            "summary_update": self.summary_update[0] if self.summary_update else None,
            "rows": [{"path": r.finding.path, "rule": r.finding.rule_id, "line": r.finding.span.start.line,
                      "new": r.new, "where": r.where} for r in self.rows],
        }


def fingerprint_of(f: Finding) -> str:
    return f.fingerprint


def _priority(f: Finding):
    """Most severe and largest first, so the cap keeps what matters."""
    return (-f.severity.rank, -(f.estimate.bytes_high if f.estimate else 0), f.path, f.span.start)


def plan(files: Sequence[AnalysedFile], existing: Existing, options: PlanOptions,
         why: Callable[[str], str] = rule_why) -> ReviewPlan:
    ours = [c for c in existing.comments
            if (m := parse_marker(c.body)) and "fp" in m and is_ours(c.user_login, c.user_type, options.bot_login)]
    rec = reconcile(ours, files, options.changed_paths)
    live_count = sum(1 for m in rec.kept if not m.comment.outdated) + sum(
        1 for c in rec.untouched if not c.outdated and live(parse_marker(c.body) or {}))
    budget = max(0, options.max_comments - live_count)
    placers = {f.path: FilePlacer(f) for f in files}
    kept_by_finding = {id(m.finding): m for m in rec.kept}

    updated = [u for m in rec.kept if (u := _kept_update(m, placers[m.file.path], options, why)) is not None]

    rows: dict[int, SummaryRow] = {}
    order: list[tuple[Finding, AnalysedFile]] = []
    candidates: list[tuple[Finding, AnalysedFile]] = []
    for file in files:
        for f in file.findings:
            order.append((f, file))
            new = f.fingerprint not in file.base_fingerprints
            if id(f) in kept_by_finding:
                rows[id(f)] = SummaryRow(f, new, "commented earlier")
            elif not new:
                rows[id(f)] = _row(f, placers[file.path], False, "already on the base branch")
            elif f.severity.rank <= Severity.INFO.rank and not options.info_inline:
                rows[id(f)] = _row(f, placers[file.path], True, f"listed here ({f.severity.value})")
            elif not file.diff.annotatable:
                rows[id(f)] = _row(f, placers[file.path], True, file.note or "no diff to comment on")
            else:
                candidates.append((f, file))

    slots: list[Slot] = []
    for f, file in sorted(candidates, key=lambda pair: _priority(pair[0])):
        if len(slots) >= budget:
            rows[id(f)] = _row(f, placers[file.path], True, "over the inline comment limit")
            continue
        slot = placers[file.path].place(f)
        if slot is None:
            rows[id(f)] = _row(f, placers[file.path], True, "outside the diff")
        else:
            slots.append(slot)
            rows[id(f)] = SummaryRow(f, True, "inline")

    comments = tuple(_render(s, options, why) for s in sorted(slots, key=lambda s: (s.finding.path, s.start, s.end)))
    ordered_rows = tuple(rows[id(f)] for f, _ in order)
    short = options.head_sha[:7]
    resolved = tuple(CommentUpdate(c.id, c.node_id, resolved_body(c.body, m, short), m["fp"]) for c, m in rec.fixed)

    notes = list(options.notes)
    if rec.kept:
        notes.append(f"{len(rec.kept)} finding(s) already have an inline comment from an earlier run.")
    if resolved:
        notes.append(f"{len(resolved)} earlier comment(s) marked resolved: their findings are gone.")
    marker = summary_marker(options.head_sha, options.run_nonce)
    room = options.budget - len(marker) - 2
    summary_args = dict(title=options.title, notes=notes, files_analysed=len(files), bases=_bases(files))
    body = summary_markdown(ordered_rows, budget=room, **summary_args) + f"\n\n{marker}"
    fallback_rows = tuple(_row(r.finding, placers[r.finding.path], r.new, "listed here (inline comments were rejected)")
                          if r.where == "inline" else r for r in ordered_rows)
    fallback = summary_markdown(fallback_rows, budget=room, **summary_args) + f"\n\n{marker}"
    summary = summary_markdown(ordered_rows, budget=options.summary_budget, full=True,
                               report_path=options.report_path, **summary_args)

    previous = [r for r in existing.reviews
                if (m := parse_marker(r.body)) and "summary" in m and is_ours(r.user_login, r.user_type, options.bot_login)]
    this_head = [r for r in previous if (parse_marker(r.body) or {}).get("head") == options.head_sha]
    # One review per head: a re-run on the same head (after a 422 fallback too) posts nothing.
    post = not this_head and (bool(comments) or (not previous and bool(ordered_rows)))
    update = None
    if not post and previous and not this_head:
        update = (previous[-1].id, body)
    return ReviewPlan(options.head_sha, options.run_nonce, comments, body, fallback, summary, resolved,
                      post, update, ordered_rows, len(rec.kept), tuple(updated))


def _bases(files: Sequence[AnalysedFile]) -> dict:
    """The final stage's base image size per file with estimated findings (for the share column)."""
    if not any(f.estimate for file in files for f in file.findings):
        return {}
    from bot.engine import final_base, make_estimator

    estimator = make_estimator(False)
    return {file.path: final_base(file.text, estimator)[1] for file in files
            if any(f.estimate for f in file.findings)}


def resolved_body(body: str, marker: dict[str, str], short_sha: str) -> str:
    text = strip_marker(body)
    new_marker = comment_marker(marker.get("fp", ""), marker.get("rule", ""), marker.get("run", ""), "fixed",
                                marker.get("id", ""))
    return (f"> [!NOTE]\n> **Resolved** in {short_sha}: dockerdiet no longer finds this.\n\n"
            f"{text}\n\n{new_marker}")


def _row(f: Finding, placer: FilePlacer, new: bool, where: str) -> SummaryRow:
    return SummaryRow(f, new, where, placer.proposal(f))


def _kept_update(m: Match, placer: FilePlacer, options: PlanOptions, why) -> CommentUpdate | None:
    """The earlier comment's body as this run would write it; None when only the run differs."""
    c, f = m.comment, m.finding
    slot = Slot(f, m.file, c.start_line or c.line or 0, c.line or 0)
    if c.outdated:
        slot.notes.append(f"The code under this comment changed; the finding is still there, now at line "
                          f"{f.span.start.line}.")
    else:
        lf, fixes, note = placer.adopt(f, c.start_line or c.line, c.line)
        slot.fix, slot.fixes = lf, fixes
        if note:
            slot.notes.append(note)
    planned = _render(slot, options, why)
    if m.marker.get("v") == "2" and m.marker.get("fp") == f.fingerprint \
            and strip_marker(planned.body) == strip_marker(c.body):
        return None
    return CommentUpdate(c.id, c.node_id, planned.body, f.fingerprint, resolved=False)


def _render(slot: Slot, options: PlanOptions, why: Callable[[str], str]) -> PlannedComment:
    f = slot.finding
    saving = None
    if slot.fix is not None and len(slot.fixes) > 1:
        low, high = savings_total(slot.fixes)
        saving = (low, high, sorted({x.rule_id for x in slot.fixes}))
    parts = CommentParts(
        suggestion=slot.fix.replacement if slot.fix is not None else None,
        proposal=slot.proposal,
        note=" ".join(slot.notes),
        marker=comment_marker(f.fingerprint, f.rule_id, options.run_nonce, ident=identity_id(f.identity)),
        saving=saving,
        caveats=tuple(f"{x.rule_id}: {x.fix.reason}" for x in slot.fixes
                      if x is not f and x.fix is not None and x.fix.safety is Safety.REVIEW and x.fix.reason),
    )
    body = comment_body(f, parts, why(f.rule_id))
    if len(body) > COMMENT_LIMIT:  # a huge line: advice without the block, never a rejected review
        parts = CommentParts(note="The suggestion is too long for a GitHub comment; run `dockerdiet fix`.",
                             marker=parts.marker)
        body = comment_body(f, parts, why(f.rule_id))
    start = slot.start if slot.start < slot.end else None
    fixes = tuple(x.fingerprint for x in slot.fixes) if slot.fix is not None else ()
    return PlannedComment(f.path, slot.end, start, body, f.fingerprint, f.rule_id, parts.suggestion, fixes)
