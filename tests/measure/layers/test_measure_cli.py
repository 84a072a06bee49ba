"""``dockerdiet measure`` reports the measured waste of the original image in every format.

The engine is a fake that "builds" by writing an image id and "exports" a synthetic OCI
layout, so the whole path (build, layer sizes, layer analysis, rendering) runs offline.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.measure import engines
from bot.measure.engines import Engine
from bot.measure.cli import EXIT_MEASURED_WASTE, EXIT_OK, EXIT_USAGE, main
from tests.measure.layers.synth import layer_bytes, oci_layout
from tests.measure.layers.test_inspect import DOCKERFILE, HISTORY, LAYERS


def _runner(cmd, **kw):
    if "bud" in cmd:
        with open(cmd[cmd.index("--iidfile") + 1], "w") as f:
            f.write("sha256:" + "ab" * 32)
    elif "push" in cmd:
        dest = cmd[-1].split(":")[1]
        oci_layout(dest, [layer_bytes(m) for m in LAYERS], [h for h in HISTORY if "CMD" not in h])
    return subprocess.CompletedProcess(cmd, 0, "", "")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "make_engine", lambda name=None, **kw: Engine("buildah", "buildah", _runner))
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def test_measure_json_carries_the_measured_waste(project, capsys):
    assert main([str(project / "Dockerfile"), "--format", "json"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    waste = doc["measured_waste"]
    dt701 = next(f for f in waste["findings"] if f["rule"] == "DT701")
    assert dt701["line"] == 2 and dt701["removed_by"] == {"line": 3, "end_line": 3}
    assert dt701["estimate"]["bytes_low"] == dt701["estimate"]["bytes_high"] == 500_000
    assert waste["waste_by_kind"]["removed"] == 500_000


def test_measure_text_and_sarif(project, capsys):
    assert main([str(project / "Dockerfile")]) == EXIT_OK
    text = capsys.readouterr().out
    assert "measured waste of the original image" in text and "DT701" in text and "by line 3" in text
    assert main([str(project / "Dockerfile"), "--format", "sarif"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    ids = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert {"DT701", "DT703", "DT704", "DT105"} <= ids
    dt105 = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "DT105")
    assert dt105["properties"]["estimate"]["source"] == "measured"


def test_measure_fails_on_measured_waste_from_the_config(project, capsys):
    (project / ".dockerdiet.toml").write_text('fail-on = "measured-waste>500kB"\n')
    assert main([str(project / "Dockerfile"), "--format", "json"]) == EXIT_MEASURED_WASTE
    assert main([str(project / "Dockerfile"), "--format", "json", "--fail-on", "measured-waste>2MB"]) == EXIT_OK
    assert main([str(project / "Dockerfile"), "--no-layers", "--format", "json"]) == EXIT_OK
    capsys.readouterr()


def test_a_broken_configuration_is_a_clear_usage_error(project, capsys):
    (project / ".dockerdiet.toml").write_text('fail-on = "sometimes"\n')
    assert main([str(project / "Dockerfile"), "--format", "json"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "dockerdiet measure: error:" in err and "Traceback" not in err
