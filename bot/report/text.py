"""Terminal output: ``path:line:col: DT101 [name] message``, a hint line per fix."""

from __future__ import annotations

from bot.engine import LintResult
from bot.model.findings import Finding, Safety, Severity

MAX_SHARE_LINES = 20
_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", Severity.STYLE: "2"}


def _c(code: str, text: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def format_size(f: Finding) -> str:
    if f.estimate is None:
        return ""
    format_estimate, format_rebuild, is_build_time = _size_formatters()
    return format_rebuild(f.estimate) if is_build_time(f) else format_estimate(f.estimate)


_SIZE_FORMATTERS: tuple = ()


def _size_formatters() -> tuple:
    """format_estimate, format_rebuild and is_build_time, imported at the first estimate shown
    (a check without one never loads the size model): an import statement run for each
    finding costs more than the formatting (a module without ``__path__`` asked for one)."""
    global _SIZE_FORMATTERS
    if not _SIZE_FORMATTERS:
        from bot.estimate.format import format_estimate, format_rebuild
        from bot.estimate.totals import is_build_time

        _SIZE_FORMATTERS = (format_estimate, format_rebuild, is_build_time)
    return _SIZE_FORMATTERS


def finding_line(f: Finding, colour: bool = False, sizes: dict | None = None) -> str:
    """``sizes``: format_size's answers so far, by (bytes_low, bytes_high, is build time), all
    the text depends on: a report shows the same few estimates many times (half of the corpus')."""
    loc = f"{f.path}:{f.span.start.line}:{f.span.start.column}:"
    code = _c(_COLOURS[f.severity], f.rule_id, colour)
    if sizes is None or f.estimate is None:
        size = format_size(f)
    else:
        is_build_time = _size_formatters()[2]
        key = (f.estimate.bytes_low, f.estimate.bytes_high, is_build_time(f))
        size = sizes.get(key)
        if size is None:
            size = sizes[key] = format_size(f)
    line = f"{_c('1', loc, colour)} {code} [{f.rule_name}] {f.message}"
    if size:
        line += f" ({size})"
    return line


def hint_line(f: Finding) -> str | None:
    if f.fix is None:
        return None
    if f.fix.safety is Safety.SAFE:
        return f"  = fix (safe, `dockerdiet fix`): {f.fix.title}"
    if f.fix.safety is Safety.REVIEW:
        return f"  = fix (review, `dockerdiet fix --unsafe`): {f.fix.title} ({f.fix.reason})"
    return f"  = suggestion: {f.fix.title}"


def render(result: LintResult, colour: bool = False, show_fixes: bool = True) -> str:
    out: list[str] = []
    sizes: dict = {}
    for r in result.files:
        if r.error:
            out.append(f"{r.path}: error: {r.error}")
            continue
        for f in r.findings:
            out.append(finding_line(f, colour, sizes))
            hint = hint_line(f) if show_fixes else None
            if hint:
                out.append(hint)
    return "\n".join(out) + ("\n" if out else "")


def summary_line(result: LintResult) -> str:
    findings = result.findings
    n = len(findings)
    fixable = sum(1 for f in findings if f.fix is not None and f.fix.safety is Safety.SAFE)
    files = sum(1 for r in result.files if r.findings)
    if not n:
        return f"No findings in {len(result.files)} file(s)."
    text = f"Found {n} finding(s) in {files} of {len(result.files)} file(s)"
    if fixable:
        text += f"; {fixable} fixable with `dockerdiet fix`"
    return text + "."


def statistics(result: LintResult) -> str:
    """Counts per rule with the estimated savings (overlapping claims counted once)."""
    from collections import Counter

    findings = result.findings
    counts = Counter(f.rule_id for f in findings)
    names = {f.rule_id: f.rule_name for f in findings}
    fixable = Counter(f.rule_id for f in findings if f.fix is not None and f.fix.edits)
    lines = []
    for rule_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        fix = f"  [{fixable[rule_id]} fixable]" if fixable[rule_id] else ""
        lines.append(f"{n:6d}  {rule_id}  {names[rule_id]}{fix}")
    if any(f.estimate for f in findings):
        from bot.estimate import totals
        from bot.estimate.format import REBUILD_LABEL, format_range, format_share
        from bot.estimate.totals import file_total, image_findings

        t = totals(findings)
        shown = [r for r in result.files if image_findings(r.findings)]  # those whose totals count any
        if t.count:
            per_file = [file_total(r.findings, r.base_size) for r in result.files]
            low, high = sum(lo for lo, _ in per_file), sum(hi for _, hi in per_file)
            lines.append(f"Estimated avoidable size: {format_range(low, high)}")
        for r in shown[:MAX_SHARE_LINES]:
            lines.append(f"  {r.path}: {format_share(r.findings, r.base_size, r.base_image)}")
        if len(shown) > MAX_SHARE_LINES:
            lines.append(f"  ... and {len(shown) - MAX_SHARE_LINES} more file(s)")
        if t.rebuild_count:
            lines.append(f"{REBUILD_LABEL}: {format_range(t.rebuild_low, t.rebuild_high)}")
    lines.append(f"{len(findings)} finding(s) in {sum(1 for r in result.files if r.findings)} of {len(result.files)} file(s)")
    return "\n".join(lines) + "\n"
