"""The action's image, built from the repository's Dockerfile and run the way GitHub runs a
container action, against the fake GitHub.

Stand-ins (no registry is reachable here): the Dockerfile's pinned python:<X.Y.Z>-slim-bookworm
is tools/docker_engine.sh's local Debian 12 base plus a CPython found on this machine (its
docker-engine.standin label says which, so the Python patch release differs from the tag),
and docker:<X.Y.Z>-cli is Debian's newer docker CLI with its buildx plugin at the official
image's paths. The engine is Debian 12's dockerd 20.10. Everything else is real: the image
build, `docker run` with GitHub's mounts and variables, the review posted over HTTP.
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
import yaml

from tests.docker.conftest import ROOT, docker, engine_script, standin
from tests.fakes.github_server import FakeGitHub
from tests.integration.github.conftest import TOKEN, parse_outputs
from tests.integration.github.test_measure_input import APT_LISTS, BASE, git_workspace

pytestmark = pytest.mark.docker
IMAGE = "dockerdiet-action:test"
RUNNER_UID = 1001  # the runner's user on GitHub's hosted runners
USERADD = "FROM debian:bookworm-slim\nRUN useradd -u 100000 app\nUSER app\n"


def pinned_bases() -> dict[str, str]:
    return dict(re.findall(r"^ARG (\w+_IMAGE)=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M))


@pytest.fixture(scope="session")
def action_image(docker_ready) -> str:
    bases = pinned_bases()
    recipes = {"PYTHON_IMAGE": "python-standin", "DOCKER_CLI_IMAGE": "docker-cli-standin"}
    for arg, tag in bases.items():
        if os.geteuid() == 0:
            engine_script(recipes[arg], tag)
        elif docker("image", "inspect", tag, check=False).returncode != 0:
            pytest.skip(f"{tag} missing and not root to make its stand-in (tools/docker_engine.sh)")
        label = standin(tag)
        assert "local stand-in" in label, f"{tag} is not the expected stand-in: {label!r}"
        print(f"{tag}: {label}")
    t0 = time.monotonic()
    docker("build", "-t", IMAGE, str(ROOT), env={**os.environ, "DOCKER_BUILDKIT": "1"}, timeout=1800)
    size = int(docker("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout)
    print(f"action image built in {time.monotonic() - t0:.1f} s, {size / 1e6:.1f} MB")
    return IMAGE


def runner_inputs(values: dict[str, str]) -> dict[str, str]:
    """Every input of action.yml as the runner passes it: its default unless given, named
    INPUT_ + the id upper-cased with spaces turned into underscores (dashes are kept)."""
    spec = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    env = {}
    for input_id, meta in spec.items():
        value = values.get(input_id, str(meta.get("default", "")))
        env["INPUT_" + input_id.replace(" ", "_").upper()] = value.replace("${{ github.token }}", TOKEN)
    return env


def run_as_github(image: str, fake: FakeGitHub, tmp: Path, workspace: Path, inputs: dict[str, str],
                  socket: bool = False) -> tuple[subprocess.CompletedProcess, dict[str, str], str, float]:
    """`docker run` with the runner's mounts, variables and file-command files (uid 1001, 0644)."""
    home, workflow, commands = tmp / "_github_home", tmp / "_github_workflow", tmp / "_runner_file_commands"
    for d in (home, workflow, commands):
        d.mkdir(exist_ok=True)
    pull = fake.pulls[1]
    (workflow / "event.json").write_text(json.dumps(
        {"action": "synchronize", "number": 1, "pull_request": {"number": 1, "head": {"sha": pull.head_sha}}}))
    files = {"GITHUB_OUTPUT": "set_output_0d5e", "GITHUB_STEP_SUMMARY": "step_summary_0d5e",
             "GITHUB_ENV": "set_env_0d5e", "GITHUB_STATE": "save_state_0d5e", "GITHUB_PATH": "add_path_0d5e"}
    for name in files.values():
        f = commands / name
        f.write_text("")
        os.chown(f, RUNNER_UID, RUNNER_UID)
        f.chmod(0o644)
    for p in [workspace, *workspace.rglob("*"), home, workflow, workflow / "event.json"]:
        os.lchown(p, RUNNER_UID, RUNNER_UID)
    env = {
        "HOME": "/github/home", "GITHUB_JOB": "review", "GITHUB_REF": "refs/pull/1/merge",
        "GITHUB_SHA": "0" * 40, "GITHUB_REPOSITORY": fake.repo, "GITHUB_REPOSITORY_OWNER": fake.repo.split("/")[0],
        "GITHUB_RUN_ID": "7", "GITHUB_RUN_NUMBER": "1", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_ACTOR": "octocat",
        "GITHUB_WORKFLOW": "dockerdiet", "GITHUB_HEAD_REF": "feature", "GITHUB_BASE_REF": "main",
        "GITHUB_EVENT_NAME": "pull_request", "GITHUB_SERVER_URL": fake.url, "GITHUB_API_URL": fake.url,
        "GITHUB_GRAPHQL_URL": fake.url + "/graphql", "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_ACTION": "__dockerdiet", "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_ACTIONS": "true", "CI": "true", "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
        "RUNNER_NAME": "GitHub Actions 2", "RUNNER_TEMP": "/home/runner/work/_temp",
        "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache", "RUNNER_WORKSPACE": "/home/runner/work/repo",
        **{k: f"/github/file_commands/{v}" for k, v in files.items()},
        **runner_inputs(inputs),
    }
    cmd = ["run", "--rm", "--network", "host", "--workdir", "/github/workspace",
           "-v", f"{workspace}:/github/workspace", "-v", f"{home}:/github/home",
           "-v", f"{workflow}:/github/workflow", "-v", f"{commands}:/github/file_commands"]
    if socket:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
        cmd += ["-v", f"{host}:/var/run/docker.sock"]
    for k, v in env.items():
        cmd += ["-e", f"{k}={v}"]
    t0 = time.monotonic()
    proc = docker(*cmd, image, check=False, timeout=1800)
    seconds = time.monotonic() - t0
    for name in files.values():  # the runner's files stay the runner's
        st = (commands / name).stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (RUNNER_UID, 0o644), name
    return (proc, parse_outputs((commands / files["GITHUB_OUTPUT"]).read_text()),
            (commands / files["GITHUB_STEP_SUMMARY"]).read_text(), seconds)


def test_runner_input_names_follow_the_runners_rule():
    env = runner_inputs({"fail_on": "50MB"})
    assert env["INPUT_FAIL_ON"] == "50MB" and env["INPUT_GITHUB_TOKEN"] == TOKEN
    assert env["INPUT_MEASURE"] == "false" and env["INPUT_MAX_COMMENTS"] == "30"


def test_container_reviews_a_two_dockerfile_pr_then_measures_it(action_image, tmp_path):
    head = {"a/Dockerfile": APT_LISTS, "b/Dockerfile": USERADD}
    ws = tmp_path / "workspace"
    sha = git_workspace(ws, head)
    with FakeGitHub() as fake:
        fake.open_pull(1, {"a/Dockerfile": BASE}, head, head_sha=sha)
        proc, outputs, summary, seconds = run_as_github(action_image, fake, tmp_path, ws, {})
        print(f"containerised action run, 2 Dockerfiles, no measure: {seconds:.1f} s")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "2 Dockerfile(s) analysed" in proc.stdout
        (review,) = fake.reviews_of(1)
        assert "DT101" in review["body"] or any("DT101" in c["body"] for c in fake.comments_of(1))
        # DT101 on a/; b/'s useradd saves nothing on Debian 12, so its DT208 stays quiet (below 1 MB)
        assert outputs["outcome"] == "posted" and int(outputs["findings"]) >= 1
        assert "dockerdiet outcome: posted" in summary
        report = ws / "dockerdiet-report.json"
        st = report.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (RUNNER_UID, RUNNER_UID, 0o644)

        proc, outputs, summary, seconds = run_as_github(action_image, fake, tmp_path, ws, {"measure": "true"},
                                                        socket=True)
        print(f"containerised action run, 2 Dockerfiles, measure: {seconds:.1f} s")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "head version does not build" not in proc.stdout + summary
        measured = json.loads(report.read_text())["measured"]
        assert measured["engine"] == "docker" and measured["head_sha"] == sha, measured
        a, b = measured["files"]
        assert a["status"] == "ok" and "DT101" in a["fixes"], a
        assert a["estimate_low"] <= a["saved"] <= a["estimate_high"], a
        assert b["status"] == "ok" and abs(b["saved"]) < 100_000, b
        assert outputs["measured_savings_bytes"] == str(measured["savings_bytes"])
        assert re.search(r"measure cleanup: removed [1-9]\d* image\(s\)", proc.stdout), proc.stdout
        assert "docker's own layer sizes" in summary
        (review,) = fake.reviews_of(1)
        assert "### Measured image sizes" in review["body"]
        assert report.stat().st_uid == RUNNER_UID
