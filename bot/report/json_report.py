"""The JSON report: the contract other tools depend on (``"version": 1``)."""

from __future__ import annotations

import json
from typing import Any

from bot.engine import FileResult, LintResult
from bot.model.findings import Finding
from bot.model.text import Span

VERSION = 1


def span_json(span: Span) -> dict[str, int]:
    return {
        "line": span.start.line,
        "column": span.start.column,
        "end_line": span.end.line,
        "end_column": span.end.column,
    }


def finding_json(f: Finding) -> dict[str, Any]:
    fix = None
    if f.fix is not None:
        fix = {
            "safety": f.fix.safety.value,
            "title": f.fix.title,
            "reason": f.fix.reason,
            "edits": [{**span_json(e.span), "text": e.text} for e in f.fix.edits],
        }
        if f.fix.proposal:
            fix["proposal"] = f.fix.proposal
    return {
        "rule": f.rule_id,
        "name": f.rule_name,
        "severity": f.severity.value,
        **span_json(f.span),
        "message": f.message,
        "stage": f.stage,
        "fingerprint": f.fingerprint,
        "fix": fix,
        "estimate": f.estimate.to_json() if f.estimate else None,
        "estimate_note": f.estimate_note or None,
    }


def file_json(r: FileResult) -> dict[str, Any]:
    out: dict[str, Any] = {"path": r.path, "findings": [finding_json(f) for f in r.findings]}
    if r.error:
        out["error"] = r.error
    elif r.base_image and any(f.estimate for f in r.findings):
        from bot.estimate.totals import image_share, totals

        t = totals(r.findings)
        share = image_share(r.findings, r.base_size)
        low, high = (share.low, share.high) if share else (t.bytes_low, t.bytes_high)
        out["image"] = {
            "base": r.base_image,
            "base_size": r.base_size.to_json() if r.base_size else None,
            "avoidable": {"bytes_low": low, "bytes_high": high},
        }
        if t.rebuild_count:  # build time, not image bytes
            out["rebuild_download"] = {"bytes_low": t.rebuild_low, "bytes_high": t.rebuild_high}
        if share is not None:  # the image holds at least its base and the waste in its layers
            out["image"]["at_least"] = {"bytes_low": share.image_low, "bytes_high": share.image_high}
            out["image"]["capped"] = share.capped
    return out


def render(result: LintResult, totals: dict[str, Any] | None = None) -> str:
    doc: dict[str, Any] = {"version": VERSION, "files": [file_json(r) for r in result.files]}
    if totals is not None:
        doc["totals"] = totals
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
