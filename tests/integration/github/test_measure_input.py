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
    run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "buildah"},
                     extra_env={"GITHUB_WORKSPACE": str(ws), "DOCKERDIET_MEASURE_ROOT": ROOT}, timeout=1500)
    print(f"buildah-backed action run: {time.monotonic() - t0:.1f} s")
    assert run.code == 0, run.stdout + run.stderr
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
