"""The ``measure`` input, end to end: the real ``python -m bot.action`` subprocess, the fake
GitHub, and a workspace that is a real git repository whose HEAD is the PR's head commit.

Measuring executes the PR's Dockerfile, so the fast tests check every refusal (fork on a
privileged trigger, workspace at another commit, no engine) and that ``measure: false``
runs none of it; one test really builds with buildah.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time
from pathlib import Path

import pytest

from bot.report.markdown import format_bytes
from tests.integration.github.conftest import TOKEN, run_action

APT_LISTS = ("FROM debian:bookworm-slim\n"
             "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
             'CMD ["curl", "--version"]\n')
BASE = 'FROM debian:bookworm-slim\nCMD ["bash"]\n'
GIT = "/usr/bin/git" if os.path.exists("/usr/bin/git") else "git"


def git_workspace(path: Path, tree: dict[str, str]) -> str:
    """A real repository holding ``tree`` in one commit; returns the commit SHA."""
    path.mkdir(parents=True)
    for name, text in tree.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for cmd in (["init", "-q"], ["add", "-A"],
                ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "head"]):
        subprocess.run([GIT, "-C", str(path), *cmd], check=True, env=env, capture_output=True)
    return subprocess.run([GIT, "-C", str(path), "rev-parse", "HEAD"], check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def spy_path(tmp_path: Path, *, engines: bool) -> tuple[str, Path]:
    """A PATH holding a ``git`` that logs each call (then runs the real git) and, with
    ``engines``, docker/podman/buildah stand-ins that log and fail: the log shows whether
    measuring code ran at all."""
    bin_dir, log = tmp_path / "spy-bin", tmp_path / "spy.log"
    bin_dir.mkdir()
    scripts = {"git": f'echo "git $*" >> "{log}"\nexec {GIT} "$@"\n'}
    if engines:
        for name in ("docker", "podman", "buildah"):
            scripts[name] = f'echo "{name} $*" >> "{log}"\n/usr/bin/env >> "{log}.env"\nexit 1\n'
    for name, body in scripts.items():
        p = bin_dir / name
        p.write_text("#!/bin/sh\n" + body)
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return str(bin_dir), log


def posts_and_puts(fake, number: int) -> tuple[int, int]:
    reviews = f"/repos/{fake.repo}/pulls/{number}/reviews"
    posts = [r for r in fake.requests if r["method"] == "POST" and r["path"].rstrip("/") == reviews]
    puts = [r for r in fake.requests if r["method"] == "PUT" and r["path"].startswith(reviews + "/")]
    return len(posts), len(puts)


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie stays until init reaps it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return not re.search(r"^State:\s+[ZX]", status, re.M)


def report_of(workspace: Path) -> dict:
    return json.loads((workspace / "dockerdiet-report.json").read_text())


def test_measure_false_runs_no_measuring_code(fake, tmp_path):
    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": APT_LISTS})
    fake.open_pull(1, {"Dockerfile": BASE}, {"Dockerfile": APT_LISTS}, head_sha=sha)
    path, log = spy_path(tmp_path, engines=True)
    run = run_action(fake, tmp_path, 1, inputs={"measure": "false"},
                     extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout + run.stderr
    assert not log.exists(), log.read_text()  # neither git nor an engine was started
    assert "measur" not in run.stdout.lower() and "Measured" not in run.summary
    assert "measured_savings_bytes" not in run.outputs
    assert report_of(ws)["measured"] is None
    assert posts_and_puts(fake, 1) == (1, 0)


def test_fork_on_pull_request_target_is_refused_with_a_warning(fake, tmp_path):
    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": APT_LISTS})
    fake.open_pull(1, {"Dockerfile": BASE}, {"Dockerfile": APT_LISTS}, head_sha=sha, head_repo="evil/app")
    path, log = spy_path(tmp_path, engines=True)
    run = run_action(fake, tmp_path, 1, event="pull_request_target", inputs={"measure": "true"},
                     extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout + run.stderr
    warning = next(line for line in run.stdout.splitlines() if line.startswith("::warning"))
    assert "fork (evil/app)" in warning and "pull_request_target" in warning
    assert not log.exists(), log.read_text()  # refused before looking at the workspace or an engine
    assert "Measuring skipped: this pull request comes from a fork (evil/app)" in run.summary
    assert "measured_savings_bytes" not in run.outputs
    assert posts_and_puts(fake, 1) == (1, 1)  # the review stands; its body gets the note by an edit
    body = fake.reviews_of(1)[0]["body"]
    assert "comes from a fork" in body and re.search(r"<!-- dockerdiet:v2 summary [^>]*-->\s*\Z", body)


def test_fork_on_pull_request_is_not_refused(fake, tmp_path):
    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": APT_LISTS})
    fake.open_pull(1, {"Dockerfile": BASE}, {"Dockerfile": APT_LISTS}, head_sha=sha, head_repo="evil/app")
    path, log = spy_path(tmp_path, engines=True)
    run = run_action(fake, tmp_path, 1, event="pull_request", inputs={"measure": "true"},
                     extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout + run.stderr
    assert "comes from a fork" not in run.summary
    # It went on to the workspace and an engine (docker has no daemon; podman's stand-in fails the build).
    logged = log.read_text()
    assert "rev-parse HEAD" in logged and re.search(r"^podman .*build", logged, re.M), logged
    assert "the head version does not build" in run.summary
    assert "measured_savings_bytes" not in run.outputs
    engine_env = Path(f"{log}.env").read_text()
    assert "GITHUB_REPOSITORY=" in engine_env and TOKEN not in engine_env  # the build never sees the token


def test_workspace_at_another_commit_is_not_measured(fake, tmp_path):
    ws = tmp_path / "ws"
    git_workspace(ws, {"Dockerfile": APT_LISTS})
    pull = fake.open_pull(1, {"Dockerfile": BASE}, {"Dockerfile": APT_LISTS})  # a different head SHA
    path, log = spy_path(tmp_path, engines=True)
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true"},
                     extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout + run.stderr
    ws_sha = subprocess.run([GIT, "-C", str(ws), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert (f"the workspace holds commit `{ws_sha[:7]}`, not the analysed head `{pull.head_sha[:7]}`"
            in run.summary)
    assert "ref: ${{ github.event.pull_request.head.sha }}" in run.summary
    logged = log.read_text()
    assert "rev-parse HEAD" in logged and not re.search(r"^(docker|podman|buildah) ", logged, re.M)
    assert "measured_savings_bytes" not in run.outputs
    assert posts_and_puts(fake, 1) == (1, 1)


def test_no_engine_gives_a_note_and_keeps_the_exit_code(fake, tmp_path):
    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": APT_LISTS})
    fake.open_pull(1, {"Dockerfile": BASE}, {"Dockerfile": APT_LISTS}, head_sha=sha)
    path, _ = spy_path(tmp_path, engines=False)  # git only: no docker, podman or buildah
    base = run_action(fake, tmp_path, 1, inputs={"fail_on": "warning"}, run_id="1",
                      extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "fail_on": "warning"}, run_id="2",
                     extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    assert run.code == base.code == 1, run.stdout + run.stderr  # fail_on decides, measuring does not
    assert "no container engine found" in run.summary and "install docker, podman or buildah" in run.summary
    assert any(line.startswith("::warning") and "no container engine" in line for line in run.stdout.splitlines())
    assert "measured_savings_bytes" not in run.outputs
    measured = report_of(ws)["measured"]
    assert measured["measured"] is False and measured["files"] == []
    assert len(fake.reviews_of(1)) == 1
    # A re-run edits the same review again: still one measured section, no second review.
    again = run_action(fake, tmp_path, 1, inputs={"measure": "true"}, run_id="3",
                       extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    assert again.code == 0, again.stdout
    body = fake.reviews_of(1)[0]["body"]
    assert len(fake.reviews_of(1)) == 1 and body.count("<!-- dockerdiet:measured -->") == 1
    assert "no container engine found" in body
    assert re.search(r"<!-- dockerdiet:v2 summary [^>]*-->\s*\Z", body)


def test_bad_measure_timeout_is_an_input_error(fake, tmp_path):
    fake.open_pull(1, {}, {"Dockerfile": APT_LISTS})
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_timeout": "soon"})
    assert run.code == 2 and "input measure_timeout" in run.stdout
    assert fake.reviews_of(1) == []


@pytest.mark.buildah
def test_buildah_measures_head_fixed_and_base_and_edits_the_one_review(fake, tmp_path):
    from tests.measure.conftest import _skip_reason
    from tests.measure.helpers import ROOT

    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": APT_LISTS})
    fake.open_pull(1, {"Dockerfile": BASE}, {"Dockerfile": APT_LISTS}, head_sha=sha)
    t0 = time.monotonic()
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "buildah",
                                                "fail_on": "measured-waste>1MB"},
                     extra_env={"GITHUB_WORKSPACE": str(ws), "DOCKERDIET_MEASURE_ROOT": ROOT}, timeout=1500)
    print(f"buildah-backed action run: {time.monotonic() - t0:.1f} s")
    assert run.code == 1, run.stdout + run.stderr  # the apt lists are measured waste above 1 MB
    measured = report_of(ws)["measured"]
    assert measured["engine"] == "buildah" and measured["head_sha"] == sha, measured
    (f,) = measured["files"]
    assert f["status"] == "ok" and "DT101" in f["fixes"], f
    assert f["estimate_low"] <= f["saved"] <= f["estimate_high"], f  # DT101: 18-22 MB estimated
    assert f["base_size"] < f["fixed_size"] < f["head_size"]  # curl added, lists removed
    assert run.outputs["measured_savings_bytes"] == str(f["saved"]) == str(measured["savings_bytes"])
    assert f"**Measured saving of the safe fixes: {format_bytes(f['saved'])}**" in run.summary
    # Exactly one review; its body got the measurements by one edit, marker still last.
    assert len(fake.reviews_of(1)) == 1 and posts_and_puts(fake, 1) == (1, 1)
    body = fake.reviews_of(1)[0]["body"]
    assert format_bytes(f["saved"]) in body and "| `Dockerfile` |" in body
    assert re.search(r"<!-- dockerdiet:v2 summary head=" + sha + r" [^>]*-->\s*\Z", body)
    # The head image's layers: the apt lists are DT101's bytes, measured, on line 2.
    (lists,) = [w for w in f["waste"] if w["kind"] == "apt-lists"]
    print(f"measured apt lists: {lists['bytes']} B; all measured waste: {f['waste_bytes']} B")
    assert lists["rule_id"] == "DT101" and lists["merged"] == ["DT702"] and lists["line"] == 2
    assert 5_000_000 < lists["bytes"] <= f["waste_bytes"] == measured["waste_bytes"]
    assert f"failing: {format_bytes(f['waste_bytes'])} of measured waste" in run.stdout
    (line2,) = [r for r in f["lines"] if r["line"] == 2]
    assert lists["bytes"] <= line2["waste"] < line2["added"]
    for text in (run.summary, body):
        row2 = next(line for line in text.splitlines() if line.startswith("| 2 |"))
        assert "`RUN apt-get update" in row2 and row2.endswith(f"| {format_bytes(line2['waste'])} |")


def test_time_budget_stops_the_build_and_skips_the_rest(fake, tmp_path):
    head = {"a/Dockerfile": APT_LISTS, "b/Dockerfile": APT_LISTS}
    ws = tmp_path / "ws"
    sha = git_workspace(ws, head)
    fake.open_pull(1, {}, head, head_sha=sha)
    path, log = spy_path(tmp_path, engines=False)
    hang = Path(path) / "buildah"
    # A build that hangs, with a RUN step of its own: the budget must stop both.
    pid_file = tmp_path / "run-step.pid"
    hang.write_text(f'#!/bin/sh\necho "buildah $*" >> "{log}"\n/bin/sleep 120 &\necho $! > "{pid_file}"\n'
                    '/bin/sleep 120\n')
    hang.chmod(0o755)
    # The run's own 60 s timeout fails the test if the hanging build is waited for.
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "buildah",
                                                "measure_timeout": "2"},
                     extra_env={"PATH": path, "GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout + run.stderr
    assert not running(int(pid_file.read_text()))  # the engine's child was killed with it
    measured = report_of(ws)["measured"]
    (first,) = measured["files"]
    assert first["path"] == "a/Dockerfile" and first["status"] == "skipped"
    assert "time budget of 2 s ran out" in first["note"]
    assert "measure_timeout, 2 s) ran out; not measured: b/Dockerfile" in run.summary
    assert "measured_savings_bytes" not in run.outputs
    assert len(fake.reviews_of(1)) == 1


def test_workspace_head_without_git_reads_the_repository_like_git(tmp_path, monkeypatch):
    """The action's image has no git: .git/HEAD is read directly, with the same answer."""
    from bot.github.measured import workspace_head

    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": BASE})
    with_git = workspace_head(str(ws))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert with_git == workspace_head(str(ws)) == (sha, "")  # branch: a loose ref
    subprocess.run([GIT, "-C", str(ws), "pack-refs", "--all"], check=True, capture_output=True)
    assert workspace_head(str(ws)) == (sha, "")  # packed ref
    subprocess.run([GIT, "-C", str(ws), "checkout", "-q", "--detach"], check=True, capture_output=True)
    assert workspace_head(str(ws)) == (sha, "")  # detached, as actions/checkout of a SHA leaves it
    plain = tmp_path / "plain"
    plain.mkdir()
    found, why = workspace_head(str(plain))
    assert found == "" and "not a git checkout" in why


# ------------------------------------------------------------------------- measured waste
def standin_buildah(tmp_path: Path) -> str:
    """A PATH whose ``buildah`` "builds" by writing an image id and "pushes" the synthetic
    image of tests/measure/layers/test_inspect.py (its waste is known to the byte), so the
    action's whole measured path (build, export, layer analysis, rendering, fail_on) runs
    without an engine."""
    import sys

    bin_dir = tmp_path / "standin-bin"
    bin_dir.mkdir()
    script = bin_dir / "buildah"
    script.write_text(f"""#!{sys.executable}
import hashlib, sys
args = sys.argv[1:]
if "bud" in args:
    text = open(args[args.index("-f") + 1], "rb").read()
    open(args[args.index("--iidfile") + 1], "w").write("sha256:" + hashlib.sha256(text).hexdigest())
elif "push" in args:
    from tests.measure.layers.synth import layer_bytes, oci_layout
    from tests.measure.layers.test_inspect import HISTORY, LAYERS
    oci_layout(args[-1].split(":")[1], [layer_bytes(m) for m in LAYERS], [h for h in HISTORY if "CMD" not in h])
""")
    script.chmod(0o755)
    return f"{bin_dir}:{os.environ.get('PATH', '')}"


def _planted(fake, tmp_path, base_extra: dict[str, str] | None = None) -> tuple[Path, dict[str, str]]:
    from tests.measure.layers.test_inspect import DOCKERFILE

    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": DOCKERFILE, **(base_extra or {})})
    fake.open_pull(1, {**(base_extra or {})}, {"Dockerfile": DOCKERFILE, **(base_extra or {})}, head_sha=sha)
    return ws, {"PATH": standin_buildah(tmp_path), "GITHUB_WORKSPACE": str(ws)}


def test_measured_waste_and_line_table_reach_the_summary_and_the_review(fake, tmp_path):
    from tests.measure.layers.test_inspect import BLOB

    # min-saving 0: DT105's estimate shows, so there is a review to edit
    ws, env = _planted(fake, tmp_path, {".dockerdiet.toml": "min-saving = 0\n"})
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "buildah"}, extra_env=env)
    assert run.code == 0, run.stdout + run.stderr
    planted = 500_000 + 300_000 + 70_000 + 9800 + len(BLOB)  # removed, pip cache, .git, build tree, duplicate
    measured = report_of(ws)["measured"]
    (f,) = measured["files"]
    assert f["waste_bytes"] == measured["waste_bytes"] == planted, f
    dt701 = next(w for w in f["waste"] if w["rule_id"] == "DT701")
    assert (dt701["line"], dt701["bytes"], dt701["removed_by"]) == (2, 500_000, [3, 3])
    pip = next(w for w in f["waste"] if w["kind"] == "pip-cache")  # the static DT105 carries the bytes
    assert (pip["rule_id"], pip["merged"], pip["bytes"]) == ("DT105", ["DT702"], 300_000)
    rows = {r["line"]: r for r in f["lines"]}
    assert rows[2]["waste"] == 500_000 and rows[2]["added"] > 500_000 and rows[3]["waste"] == 0
    for text in (run.summary, fake.reviews_of(1)[0]["body"]):
        assert f"**Measured waste on the changed Dockerfiles' lines: {format_bytes(planted)}**" in text
        assert "#### Measured waste in `Dockerfile`" in text
        assert "| Line | Instruction | Bytes this line adds | Of which waste |" in text
        row2 = next(line for line in text.splitlines() if line.startswith("| 2 |"))
        assert "`RUN make big`" in row2 and row2.endswith(f"| {format_bytes(500_000)} |")
        assert next(line for line in text.splitlines() if line.startswith("| 3 |")).endswith("| – |")
        assert "- line 2: **DT701**" in text and "by line 3 (RUN)" in text
    assert len(fake.reviews_of(1)) == 1 and posts_and_puts(fake, 1) == (1, 1)


def test_fail_on_measured_waste_input_fails_above_the_limit_only(fake, tmp_path):
    from tests.measure.layers.test_inspect import BLOB

    ws, env = _planted(fake, tmp_path)
    planted = 500_000 + 300_000 + 70_000 + 9800 + len(BLOB)
    over = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "buildah",
                                                 "fail_on": "measured-waste>800kB"}, run_id="1", extra_env=env)
    assert over.code == 1, over.stdout + over.stderr
    assert (f"failing: {format_bytes(planted)} of measured waste in the head images "
            f"(threshold {format_bytes(800_000)})") in over.stdout
    under = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "buildah",
                                                  "fail_on": "measured-waste>1MB"}, run_id="2", extra_env=env)
    assert under.code == 0, under.stdout + under.stderr
    # Without measuring nothing can decide it: a warning, never a silent pass.
    off = run_action(fake, tmp_path, 1, inputs={"fail_on": "measured-waste>1kB"}, run_id="3", extra_env=env)
    assert off.code == 0
    assert any(line.startswith("::warning title=dockerdiet fail_on::") and "no head image's layers were read"
               in line for line in off.stdout.splitlines()), off.stdout


def test_fail_on_measured_waste_from_the_base_branch_configuration(fake, tmp_path):
    ws, env = _planted(fake, tmp_path, {".dockerdiet.toml": 'fail-on = "measured-waste>800kB"\n'})
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "buildah"}, extra_env=env)
    assert run.code == 1, run.stdout + run.stderr
    assert "of measured waste in the head images" in run.stdout


def test_bad_measured_waste_input_is_an_input_error(fake, tmp_path):
    fake.open_pull(1, {}, {"Dockerfile": APT_LISTS})
    run = run_action(fake, tmp_path, 1, inputs={"fail_on": "measured-waste>lots"})
    assert run.code == 2 and "input fail_on" in run.stdout and "measured-waste>50MB" in run.stdout
