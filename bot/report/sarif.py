"""SARIF 2.1.0 for GitHub code scanning: rules with help, full regions, real fixes,
the size estimate in ``properties`` and our own partial fingerprint."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from bot import __version__
from bot import rules as catalogue
from bot.engine import LintResult
from bot.model.findings import Finding, Severity
from bot.model.text import Span
from bot.report.json_report import finding_json
from bot.report.ruledocs import rule_section, rule_url

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.STYLE: "note"}


def _uri(path: str, base: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), base) if os.path.isabs(path) or base else path
    return quote(rel.replace(os.sep, "/"))


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    }


def _rule(rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.explanation.strip(), "markdown": rule_section(rule)},
        "helpUri": rule_url(rule.id),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": ["dockerfile", "image-size"], "hadolint": list(rule.hadolint)},
    }


def _result(f: Finding, index: dict[str, int], base: str) -> dict[str, Any]:
    uri = _uri(f.path, base)
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index[f.rule_id],
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": _region(f.span)}}],
        "partialFingerprints": {"dockerdiet/v1": f.fingerprint},
        "properties": {"estimate": finding_json(f)["estimate"], "stage": f.stage},
    }
    if f.estimate_note:
        result["properties"]["estimate_note"] = f.estimate_note
    if f.fix is not None and f.fix.edits:
        result["fixes"] = [
            {
                "description": {"text": f"{f.fix.title} ({f.fix.safety.value}{': ' + f.fix.reason if f.fix.reason else ''})"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": uri},
                        "replacements": [
                            {"deletedRegion": _region(e.span), "insertedContent": {"text": e.text}}
                            for e in f.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result


def render(result: LintResult, base: str = "") -> str:
    base = base or os.getcwd()
    rules = catalogue.all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockerdiet",
                        "version": __version__,
                        "informationUri": "https://github.com/dockerdiet/dockerdiet",
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index, base) for f in result.findings],
                "invocations": [
                    {
                        "executionSuccessful": not result.errors,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": f"{r.path}: {r.error}"}} for r in result.errors
                        ],
                    }
                ],
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
