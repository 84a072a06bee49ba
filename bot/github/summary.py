"""The job summary and the JSON report the action leaves behind.

The job summary needs no permission, so it always carries the full report: on a fork
PR with a read-only token it is where the findings live.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from bot.report.markdown import SummaryRow, line_range, rebuild_total, savings_total

FORK_HINT = (
    "**Inline review not possible:** the token cannot write to this pull request (a fork PR on "
    "`pull_request` gets a read-only token). To get inline suggestions, run dockerdiet on "
    "`pull_request_target` (safe: it reads files through the API and never runs PR code) or use the "
    "`workflow_run` two-workflow setup; see the README."
)


def job_summary(report: str, *, status: str = "", hint: str = "") -> str:
    parts = [report]
    if hint:
        parts.append(hint)
    if status:
        parts.append(f"_{status}_")
    return "\n\n".join(parts) + "\n"


def json_report(rows: Sequence[SummaryRow], *, repo: str, number: int, head_sha: str, base_sha: str,
                outcome: str, notes: Sequence[str] = (), measured: dict[str, Any] | None = None) -> dict[str, Any]:
    new = [r.finding for r in rows if r.new]
    low, high = savings_total(new)
    r_low, r_high, _ = rebuild_total(new)
    return {
        "tool": "dockerdiet",
        "version": 1,
        "repository": repo,
        "pull_request": number,
        "head_sha": head_sha,
        "base_sha": base_sha,
        "outcome": outcome,
        "notes": list(notes),
        "totals": {"findings": len(rows), "new_findings": len(new),
                   "new_savings_bytes_low": low, "new_savings_bytes_high": high,
                   # build time, not image bytes: what rebuilds download again (DT601)
                   "new_rebuild_download_bytes_low": r_low, "new_rebuild_download_bytes_high": r_high},
        "findings": [_finding_json(r) for r in rows],
        "measured": measured,  # real builds (the measure input); None when not measured
    }


def _finding_json(row: SummaryRow) -> dict[str, Any]:
    f = row.finding
    return {
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "severity": f.severity.value,
        "path": f.path,
        "start": {"line": f.span.start.line, "column": f.span.start.column},
        "end": {"line": f.span.end.line, "column": f.span.end.column},
        "lines": line_range(f),
        "message": f.message,
        "fingerprint": f.fingerprint,
        "new": row.new,
        "where": row.where,
        "fix": None if f.fix is None else {"title": f.fix.title, "safety": f.fix.safety.value},
        "estimate": f.estimate.to_json() if f.estimate else None,
        "estimate_note": f.estimate_note,
    }


def dump(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False) + "\n"
