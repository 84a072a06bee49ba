"""Before/after pairing, per-finding attribution, rendering, engine command lines, CLI errors."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from bot.measure.cli import EXIT_USAGE, add_arguments, run
from bot.measure.engines import BuildRequest, Engine, MeasureError, make_engine
from bot.measure.pair import measure_findings, pair_rows
from bot.measure.render import human, render_text
from bot.measure.result import (
    STATUS_AFTER_FAILED, BuildFailure, InstructionLayer, MeasuredImage, MeasureResult,
)
from bot.model.findings import Finding, Fix, Safety, Severity
from bot.model.text import Edit, Position, Span


def layer(line, keyword, text, size, end=None):
    return InstructionLayer(line, end or line, keyword, text, size, size // 2 if size else 0, size == 0)


def test_pairing_follows_edits_merges_and_insertions():
    before = [layer(2, "RUN", "RUN apt-get update", 20), layer(3, "RUN", "RUN apt-get install -y x", 50),
              layer(4, "WORKDIR", "WORKDIR /app", 0)]
    after = [layer(2, "RUN", "RUN apt-get update && apt-get install -y x && rm", 30),
             layer(3, "WORKDIR", "WORKDIR /app", 0)]
    rows = pair_rows(before, after)
    assert [(r.before and r.before.line, r.after and r.after.line, r.delta) for r in rows] == [
        (2, 2, -10), (3, None, 50), (4, 3, 0)]
    assert sum(r.delta for r in rows) == 40


def test_pairing_of_an_added_instruction():
    rows = pair_rows([layer(2, "RUN", "RUN a", 5)], [layer(2, "USER", "USER app", 0), layer(3, "RUN", "RUN b", 3)])
    assert [(r.before is None, r.after.keyword, r.delta) for r in rows] == [(True, "USER", 0), (False, "RUN", 2)]


def _finding(rule, line, fp, edit_line=None):
    el = edit_line or line
    fix = Fix("fix it", (Edit(Span(Position(el, 5), Position(el, 5)), " x"),), Safety.SAFE)
    return Finding(rule, rule.lower(), Severity.WARNING, "Dockerfile",
                   Span(Position(line, 1), Position(line, 10)), "msg", fix=fix, fingerprint=fp)


def test_findings_on_the_same_layer_are_measured_jointly():
    rows = pair_rows([layer(2, "RUN", "RUN a", 100), layer(3, "RUN", "RUN b", 10)],
                     [layer(2, "RUN", "RUN a2", 40), layer(3, "RUN", "RUN b", 10)])
    fs = [_finding("DT101", 2, "f1"), _finding("DT102", 2, "f2"), _finding("DT201", 3, "f3", edit_line=2)]
    got = measure_findings(fs, {"f1", "f2"}, rows, measured=True)
    assert [(m.rule_id, m.measured, m.shared_with, m.applied) for m in got] == [
        ("DT101", 60, ("DT102",), True), ("DT102", 60, ("DT101",), True), ("DT201", None, (), False)]


def test_span_lines_treats_the_end_as_exclusive():
    assert Span(Position(2, 1), Position(4, 1)).lines == (2, 3)
    assert Span(Position(2, 5), Position(2, 9)).lines == (2, 2)
    assert Span(Position(2, 1), Position(2, 1)).lines == (2, 2)  # an insertion point


def test_human_sizes():
    assert human(19_868_160) == "19.9 MB"
    assert human(-1500, signed=True) == "-1.5 kB"
    assert human(None) == "-"


def _image(size, layers):
    return MeasuredImage("sha256:x", 1.0, 0.5, size, size // 2, 1000, 500, 0, tuple(layers))


def test_text_report_shows_a_broken_fix_prominently():
    before = _image(1100, [layer(2, "RUN", "RUN a", 100)])
    fail = BuildFailure(2, 2, "RUN a --broken", ("E: Unable to locate package", "exit status 100"), 3.0)
    r = MeasureResult("Dockerfile", "buildah", False, STATUS_AFTER_FAILED, before, None, None, fail, (), (),
                      "FROM x\nRUN a --broken\n", "a fix breaks this build")
    text = render_text(r)
    assert "FIX BREAKS THE BUILD" in text
    assert "failing instruction (line 2): RUN a --broken" in text
    assert "| E: Unable to locate package" in text
    data = json.loads(json.dumps(r.to_json()))
    assert data["status"] == "after-failed" and data["saved"] is None
    assert data["after_failure"]["line"] == 2


class FakeRunner:
    """Stands in for subprocess.run at the CLI boundary; records the commands."""

    def __init__(self, returncode=0, stdout="", stderr=""):
        self.calls: list[list[str]] = []
        self.rc, self.out, self.err = returncode, stdout, stderr

    def __call__(self, cmd, **kw):
        import subprocess

        self.calls.append(cmd)
        return subprocess.CompletedProcess(cmd, self.rc, self.out, self.err)


def test_engine_command_lines():
    req = BuildRequest("/t/Dockerfile", "/ctx", "app", (("V", "1"),), "never", ("--network=host",))
    bud = Engine("buildah", "buildah", root="/r", isolation="chroot").build_command(req, "/t/iid")
    assert bud[:8] == ["buildah", "--root", "/r/storage", "--runroot", "/r/run", "--storage-driver", "overlay", "bud"]
    assert "--layers" in bud and "--pull=never" in bud and ["--isolation", "chroot"] == bud[bud.index("--isolation"):bud.index("--isolation") + 2]
    assert bud[-3:] == ["V=1", "--network=host", "/ctx"] and ["--target", "app"] == bud[bud.index("--target"):bud.index("--target") + 2]
    docker = Engine("docker", "docker").build_command(req, "/t/iid")
    assert docker[:3] == ["docker", "build", "--progress=plain"] and "--pull=never" not in docker
    assert Engine("docker", "docker").export_command("sha256:x", "/t/i.tar") == ["docker", "save", "-o", "/t/i.tar", "sha256:x"]
    assert Engine("podman", "podman").export_command("sha256:x", "/t/oci")[-3:] == ["gzip", "sha256:x", "oci:/t/oci:image"]


def test_failed_build_becomes_an_outcome_not_an_exception(tmp_path):
    log = 'STEP 2/2: RUN false\nError: building at STEP "RUN false": exit status 1\n'
    eng = Engine("buildah", "buildah", runner=FakeRunner(1, "", log))
    out = eng.build(BuildRequest(str(tmp_path / "Dockerfile"), str(tmp_path)))
    assert not out.ok and out.failure.instruction_text == "RUN false"


def test_engine_detection_prefers_a_reachable_docker_then_podman():
    runner = FakeRunner(1)  # docker daemon unreachable
    which = {"docker": "/usr/bin/docker", "podman": "/usr/bin/podman"}.get
    assert make_engine(None, runner, which).name == "podman"
    with pytest.raises(MeasureError, match="engine is not reachable.*docker.sock"):
        make_engine("docker", runner, which)
    with pytest.raises(MeasureError, match="no container engine found"):
        make_engine(None, runner, lambda _: None)
    with pytest.raises(MeasureError, match="'buildah' not found"):
        make_engine("buildah", runner, lambda _: None)


def _args(argv):
    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(argv)


def test_cli_missing_engine_is_exit_2_with_a_message(tmp_path, monkeypatch):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    err = io.StringIO()
    assert run(_args([str(df)]), io.StringIO(), err) == EXIT_USAGE
    assert "no container engine found" in err.getvalue()


def test_cli_bad_build_arg_and_unreadable_file(tmp_path):
    err = io.StringIO()
    assert run(_args(["--build-arg", "NOEQUALS", str(tmp_path / "x")]), io.StringIO(), err) == EXIT_USAGE
    assert "expected KEY=VALUE" in err.getvalue()
    err = io.StringIO()
    assert run(_args([str(tmp_path / "missing")]), io.StringIO(), err) == EXIT_USAGE
    assert "cannot read" in err.getvalue()
