"""GitHub-flavoured Markdown for review comments and the review summary (pure).

Everything shown here may contain pull-request text (instruction snippets in messages,
replacement lines in suggestions), so prose is HTML-escaped and every code block gets a
fence longer than any backtick run inside it: PR text can never close our fence or forge
our hidden marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from bot.estimate.format import format_bytes, format_estimate, format_range as _range
from bot.model.findings import Finding, Safety, SizeEstimate
from bot.report.ruledocs import rule_url

BODY_BUDGET = 60_000  # GitHub rejects bodies above 65,536 characters
COMMENT_LIMIT = 65_536
JOB_SUMMARY_BUDGET = 1_000_000  # GitHub allows 1 MiB per step; counted in UTF-8 bytes
FOLD_ROWS = 10  # a longer per-finding table is folded in <details>

_BACKTICKS = re.compile(r"`+")


def fence_for(text: str, char: str = "`") -> str:
    runs = [len(m) for m in _BACKTICKS.findall(text)] if char == "`" else []
    return char * max(3, max(runs, default=0) + 1)


def code_block(text: str, info: str = "") -> str:
    """A fenced block; empty text gives an empty block (a suggestion that deletes)."""
    fence = fence_for(text)
    body = text if not text or text.endswith("\n") else text + "\n"
    return f"{fence}{info}\n{body}{fence}"


def escape_prose(text: str) -> str:
    """Escape text for Markdown prose on one line: no raw HTML (so no forged markers).

    Code spans stay verbatim (entities would show literally inside them and HTML is
    inert there); a backtick run without its closing run is plain text.
    """
    text = " ".join(text.split())
    out: list[str] = []
    i = 0
    while i < len(text):
        m = _BACKTICKS.match(text, i)
        if m:
            run = m.group(0)
            close = re.compile(r"(?<!`)" + run + r"(?!`)")
            end = close.search(text, m.end())
            if end:
                out.append(text[i:end.end()])
                i = end.end()
                continue
            out.append(run)
            i = m.end()
            continue
        ch = text[i]
        out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}.get(ch, ch))
        i += 1
    return "".join(out)


def escape_cell(text: str) -> str:
    return escape_prose(text).replace("|", "\\|")


def format_range(low: int, high: int) -> str:
    """"≈ 20 MB (15–25 MB)" for a total."""
    if low == high:
        return format_bytes(low)
    return f"≈ {format_bytes((low + high) // 2)} ({_range(low, high)})"


def estimate_text(finding: Finding) -> str:
    """One line: the size impact with its basis, or why it is unknown."""
    est = finding.estimate
    if est is None:
        return "size impact unknown" + (f": {finding.estimate_note}" if finding.estimate_note else "")
    return f"{format_estimate(est)}: {est.basis}"


def short_estimate(est: SizeEstimate | None) -> str:
    if est is None:
        return "unknown"
    return format_range(est.bytes_low, est.bytes_high)


def estimate_cell(finding: Finding) -> str:
    """The table's saving: image bytes, or (DT601) what a rebuild downloads again."""
    from bot.estimate.totals import is_build_time

    text = short_estimate(finding.estimate)
    return f"{text} per rebuild (build time)" if finding.estimate is not None and is_build_time(finding) else text


def rebuild_total(findings: Iterable[Finding]) -> tuple[int, int, int]:
    """Rebuild downloads (build time), apart from the image bytes of ``savings_total``."""
    from bot.estimate.totals import totals

    t = totals(findings)
    return t.rebuild_low, t.rebuild_high, t.rebuild_count


def rule_why(rule_id: str) -> str:
    """The first paragraph of the rule's "Why is this bad?" section, when rules exist."""
    try:
        from bot.rules import by_id
        rule = by_id().get(rule_id)
    except Exception:  # noqa: BLE001 - a broken rule module must not cost the review
        return ""
    text = getattr(rule, "explanation", "") or ""
    match = re.search(r"#+\s*Why is this bad\??\s*\n(.*?)(?:\n\s*\n|\n#|\Z)", text, re.S)
    return " ".join(match.group(1).split()) if match else ""


@dataclass(frozen=True, slots=True)
class CommentParts:
    """What one inline comment shows besides the finding itself."""

    suggestion: str | None = None  # exact replacement of the commented lines
    proposal: str = ""  # a fix we cannot offer as a suggestion (shown as a diff)
    note: str = ""  # e.g. "the suggestion in the DT101 comment also applies this fix"
    marker: str = ""
    saving: tuple[int, int, Sequence[str]] | None = None  # what the suggestion saves, when it fixes several
    caveats: tuple[str, ...] = ()  # what to check for the review fixes the suggestion also applies


def comment_body(finding: Finding, parts: CommentParts, why: str = "") -> str:
    """At a glance: rule, problem, impact, the suggestion, the caveat; the why folded."""
    lines = [
        f"**{finding.rule_id}** [{finding.rule_name}]({rule_url(finding.rule_id)}): "
        f"{escape_prose(finding.message)}",
        "",
        f"**Impact:** {escape_prose(_impact(finding, parts))}",
    ]
    fix = finding.fix
    cautions = ([fix.reason] if fix is not None and fix.safety is Safety.REVIEW and fix.reason else [])
    cautions += list(parts.caveats) if parts.suggestion is not None else []
    if cautions:
        lines += ["", "> [!CAUTION]\n> Check before applying: " + "<br>".join(escape_prose(c) for c in cautions)]
    if fix is not None:
        if parts.suggestion is not None:
            lines += ["", f"**Suggested fix:** {escape_prose(fix.title)}", "", code_block(parts.suggestion, "suggestion")]
        elif parts.proposal:
            lines += ["", f"**Fix:** {escape_prose(fix.title)}", "", "<details><summary>Proposed change</summary>",
                      "", code_block(parts.proposal, "diff"), "", "</details>"]
        elif fix.safety is Safety.DISPLAY_ONLY and fix.proposal:
            lines += ["", f"**Fix:** {escape_prose(fix.title)}", "", code_block(fix.proposal)]
        else:
            lines += ["", f"**Fix:** {escape_prose(fix.title)}"]
    if parts.note:
        lines += ["", f"_{escape_prose(parts.note)}_"]
    details = []
    if why:
        details.append(escape_prose(why))
    if finding.estimate is not None:
        details.append(f"Estimate basis: {escape_prose(finding.estimate.basis)}")
    if details:
        lines += ["", "<details><summary>Why this matters</summary>", "", "\n\n".join(details), "", "</details>"]
    if parts.marker:
        lines += ["", parts.marker]
    return "\n".join(lines)


def _impact(finding: Finding, parts: CommentParts) -> str:
    if parts.suggestion is not None and parts.saving is not None:
        low, high, rules = parts.saving
        if high:
            return (f"applying this suggestion saves {format_range(low, high)} (the sum of the estimates of the "
                    f"findings it fixes: {', '.join(rules)})")
    est = finding.estimate
    if est is None:
        return "size impact unknown" + (f": {finding.estimate_note}" if finding.estimate_note else "")
    from bot.estimate.totals import is_build_time

    if is_build_time(finding):
        from bot.estimate.format import format_rebuild

        return f"no image bytes; {format_rebuild(est)} (build time)"
    return format_estimate(est)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    finding: Finding
    new: bool
    where: str  # "inline", "already commented", "outside the diff", "over the comment cap", ...
    proposal: str = ""  # diff of the fix, for findings not commented inline


def line_range(finding: Finding) -> str:
    start, end = finding.span.lines
    return f"{start}" if end <= start else f"{start}–{end}"


def savings_total(findings: Iterable[Finding]) -> tuple[int, int]:
    """Sum of estimates, counting bytes that several findings claim once (estimate/'s model)."""
    from bot.estimate.totals import totals

    t = totals(findings)
    return t.bytes_low, t.bytes_high


def summary_markdown(rows: Sequence[SummaryRow], *, title: str, notes: Sequence[str] = (),
                     budget: int = BODY_BUDGET, files_analysed: int = 0, full: bool = False,
                     report_path: str = "", bases: Mapping[str, SizeEstimate | None] | None = None) -> str:
    """Totals, a compact table per file, the per-finding table (folded when long), then
    collapsed fixes for findings not inline.

    ``budget`` counts UTF-8 bytes. Past it the text says how many findings it leaves out
    and where they are: the job summary (``full=False``, the review body) or the JSON
    report (``full=True``, the job summary itself). Rows are never silently dropped.
    """
    new = [r.finding for r in rows if r.new]
    old = [r.finding for r in rows if not r.new]
    new_low, new_high = savings_total(new)
    old_low, old_high = savings_total(old)
    head = [f"### {title}", ""]
    if not rows:
        head.append(f"No size or cache waste found in {files_analysed} Dockerfile(s). :tada:")
    else:
        head.append(
            f"**{len(rows)} finding(s)** in {len({r.finding.path for r in rows})} Dockerfile(s): "
            f"**{len(new)} new** in this pull request, {len(old)} already on the base branch."
        )
        head.append("")
        head.append(f"- Avoidable size added by this pull request: **{_total(new, new_low, new_high)}**")
        head.append(f"- Avoidable size already present: {_total(old, old_low, old_high)}")
        rebuild = [rebuild_total(new), rebuild_total(old)]
        if rebuild[0][2] or rebuild[1][2]:
            from bot.estimate.format import REBUILD_LABEL

            shown = [format_range(lo, hi) if n else "none" for lo, hi, n in rebuild]
            head.append(f"- {REBUILD_LABEL}: {shown[0]} new, {shown[1]} already present")
    for note in notes:
        head += ["", escape_prose(note)]
    out = "\n".join(head)
    if not rows:
        return out
    out += "\n\n" + _file_table(rows, bases or {})
    table_rows = [
        f"| `{escape_cell(r.finding.path)}` | [{r.finding.rule_id}]({rule_url(r.finding.rule_id)}) "
        f"{r.finding.rule_name} | {line_range(r.finding)} | {estimate_cell(r.finding)} | "
        f"{'new' if r.new else 'existing'}, {r.where} | {escape_cell(r.finding.message)} |"
        for r in rows
    ]
    details = [
        f"<details><summary>{r.finding.rule_id} in {escape_prose(r.finding.path)} "
        f"line {line_range(r.finding)}: {escape_prose(r.finding.fix.title)}</summary>\n\n"
        f"{code_block(r.proposal, 'diff')}\n\n</details>"
        for r in rows
        if r.proposal and r.finding.fix is not None
    ]
    fold = len(table_rows) > FOLD_ROWS
    opening = ["", f"<details><summary>Every finding ({len(table_rows)})</summary>", ""] if fold else [""]
    out += "\n" + "\n".join(opening + ["| File | Rule | Lines | Estimated saving | Status | Message |",
                                        "|---|---|---|---|---|---|"])
    closing = "\n\n</details>" if fold else ""
    size = _bytes(out) + _bytes(closing)
    reserve = 400  # room for the truncation note
    for i, row in enumerate(table_rows):
        if size + _bytes(row) + 1 > budget - reserve:
            return out + closing + _truncated(len(table_rows) - i, full, report_path)
        out += "\n" + row
        size += _bytes(row) + 1
    out += closing
    size = _bytes(out)
    if details:
        heading = "\n\n**Proposed fixes for findings not commented inline**\n"
        out += heading
        size += _bytes(heading)
        for i, block in enumerate(details):
            if size + _bytes(block) + 1 > budget - reserve:
                return out + f"\n\n_{len(details) - i} more proposed fix(es) left out to stay within GitHub's size limit._"
            out += "\n" + block
            size += _bytes(block) + 1
    return out


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _file_table(rows: Sequence[SummaryRow], bases: Mapping[str, SizeEstimate | None]) -> str:
    """Per file: findings, new, avoidable size (claims counted once, capped at the image),
    and its share of the image (estimate/totals.image_share: an upper bound, the image
    holds at least its base and the waste in its layers)."""
    paths: list[str] = []
    for r in rows:
        if r.finding.path not in paths:
            paths.append(r.finding.path)
    out = ["| File | Findings | New | Avoidable size | Share of the image |", "|---|---|---|---|---|"]
    for path in paths:
        mine = [r for r in rows if r.finding.path == path]
        fs = [r.finding for r in mine]
        from bot.estimate.totals import image_share

        low, high = savings_total(fs)
        got = image_share(fs, bases.get(path))
        if got is not None:
            low, high = got.low, got.high
        share = "unknown" if got is None or not got.midpoint else (
            "under 1%" if got.fraction < 0.01 else f"at most ≈ {got.fraction:.0%}")
        out.append(f"| `{escape_cell(path)}` | {len(mine)} | {sum(1 for r in mine if r.new)} | "
                   f"{_total(fs, low, high)} | {share} |")
    return "\n".join(out)


def _total(findings: Sequence[Finding], low: int, high: int) -> str:
    if not findings:
        return "none"
    unknown = sum(1 for f in findings if f.estimate is None)
    if unknown == len(findings):
        return "unknown (no estimate available)"
    text = format_range(low, high)
    return text + (f" (+{unknown} finding(s) without an estimate)" if unknown else "")


def _truncated(left: int, full: bool = False, report_path: str = "") -> str:
    where = (f"the JSON report (`{report_path or 'dockerdiet-report.json'}`, the `report_path` output) "
             "lists every finding" if full else "the job summary and the JSON report list every finding")
    return (f"\n\n_Truncated: {left} more finding(s) are not listed here to stay within "
            f"GitHub's size limit; {where}._")
