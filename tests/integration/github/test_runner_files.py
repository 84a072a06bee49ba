"""What the action leaves for the runner: files in the workspace the runner's user owns,
and a loud failure when a runner file command cannot be written."""

from __future__ import annotations

import os
import stat

import pytest

from tests.integration.github.conftest import run_action

HEAD = {"Dockerfile": "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n"}


def test_an_unwritable_output_file_is_a_warning_and_a_failing_step(fake, tmp_path):
    fake.open_pull(1, {}, HEAD)
    blocked = tmp_path / "file_commands"
    blocked.mkdir()  # a directory where the runner's file should be: open() fails even for root
    run = run_action(fake, tmp_path, 1, extra_env={"GITHUB_OUTPUT": str(blocked)})
    assert run.code == 2, run.stdout
    warning = [ln for ln in run.stdout.splitlines() if ln.startswith("::warning")]
    assert len(warning) == 1 and f"could not write the step outputs (GITHUB_OUTPUT={blocked})" in warning[0]
    assert "dockerdiet outcome: posted" in run.summary  # the other file is still written
    assert len(fake.reviews_of(1)) == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root, as a container action runs")
def test_report_in_the_workspace_belongs_to_the_workspace_owner(fake, tmp_path):
    fake.open_pull(1, {}, HEAD)
    ws = tmp_path / "workspace"
    ws.mkdir()
    os.chown(ws, 1001, 1001)  # the runner's user on GitHub's hosted runners
    run = run_action(fake, tmp_path, 1, extra_env={"GITHUB_WORKSPACE": str(ws)})
    assert run.code == 0, run.stdout
    st = (ws / "dockerdiet-report.json").stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1001, 1001, 0o644)
    assert run.outputs["report_path"] == "dockerdiet-report.json"
