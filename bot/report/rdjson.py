"""reviewdog's diagnostic format (rdjson / rdjsonl), with suggestions.

``dockerdiet check -f rdjson | reviewdog -f=rdjson -reporter=github-pr-review``.
rdjson columns count UTF-8 bytes, so positions are converted from code points.
"""

from __future__ import annotations

import json
from typing import Any

from bot.engine import FileResult, LintResult
from bot.model.findings import Finding, Safety, Severity
from bot.model.text import LineIndex, Position
from bot.report.ruledocs import rule_url

SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO", Severity.STYLE: "INFO"}
SOURCE = {"name": "dockerdiet", "url": "https://github.com/dockerdiet/dockerdiet"}


def _pos(index: LineIndex, pos: Position) -> dict[str, int]:
    line = index.line_text(pos.line) if pos.line <= index.line_count else ""
    return {"line": pos.line, "column": len(line[: pos.column - 1].encode("utf-8")) + 1}


def diagnostic(f: Finding, index: LineIndex) -> dict[str, Any]:
    rng = {"start": _pos(index, f.span.start), "end": _pos(index, f.span.end)}
    message = f.message
    if f.estimate is not None:
        from bot.estimate.format import format_estimate

        message += f" ({format_estimate(f.estimate)})"
    d: dict[str, Any] = {
        "message": message,
        "location": {"path": f.path, "range": rng},
        "severity": SEVERITY[f.severity],
        "source": SOURCE,
        "code": {"value": f.rule_id, "url": rule_url(f.rule_id)},
    }
    if f.fix is not None and f.fix.edits:
        if f.fix.safety is Safety.REVIEW:
            d["message"] += f"; the suggested fix needs review: {f.fix.reason}"
        d["suggestions"] = [
            {"range": {"start": _pos(index, e.span.start), "end": _pos(index, e.span.end)}, "text": e.text}
            for e in f.fix.edits
        ]
    return d


def _diagnostics(r: FileResult) -> list[dict[str, Any]]:
    index = LineIndex(r.source_text)
    return [diagnostic(f, index) for f in r.findings]


def render(result: LintResult) -> str:
    diags = [d for r in result.files for d in _diagnostics(r)]
    return json.dumps({"source": SOURCE, "diagnostics": diags}, indent=2, ensure_ascii=False) + "\n"


def render_lines(result: LintResult) -> str:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for r in result.files for d in _diagnostics(r))
