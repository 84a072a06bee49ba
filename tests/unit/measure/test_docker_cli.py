"""The docker CLI as measuring meets it: which builder, setup problems vs broken
Dockerfiles, the legacy builder's flags and log, and the cleanup of a run's images."""

from __future__ import annotations

import subprocess

import pytest

from bot.measure.buildlog import failure_point
from bot.measure.engines import BUILDKIT, LEGACY, BuildRequest, Engine, MeasureError, _go_time, make_engine


class Script:
    """A fake CLI: answers by the command's first words, records every call."""

    def __init__(self, answers: dict[str, tuple[int, str, str]]):
        self.answers, self.calls = answers, []

    def __call__(self, cmd, **kw):
        self.calls.append(list(cmd))
        words = " ".join(cmd[1:])
        for prefix, (rc, out, err) in self.answers.items():
            if words.startswith(prefix):
                if callable(out):
                    out = out(cmd)
                return subprocess.CompletedProcess(cmd, rc, out, err)
        return subprocess.CompletedProcess(cmd, 0, "", "")


WHICH = {"docker": "/usr/bin/docker"}.get


@pytest.mark.parametrize("client, buildx_rc, builder", [
    ("26.1.5", 0, BUILDKIT),  # a new CLI with its plugin
    ("20.10.24", 1, BUILDKIT),  # BuildKit built into CLIs before 23.0
    ("27.3.1", 1, LEGACY),  # a new CLI without the plugin: the legacy builder, said
])
def test_builder_follows_the_cli(client, buildx_rc, builder, monkeypatch):
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    run = Script({"version": (0, f"{client} 20.10.24\n", ""), "buildx version": (buildx_rc, "", "")})
    eng = make_engine("docker", run, WHICH)
    assert eng.builder == builder
    assert ("buildx plugin" in eng.note) == (builder == LEGACY)
    cmd = eng.build_command(BuildRequest("/t/Dockerfile", "/ctx"), "/t/iid")
    assert ("--progress=plain" in cmd) == (builder == BUILDKIT)
    assert eng._env()["DOCKER_BUILDKIT"] == ("1" if builder == BUILDKIT else "0")


def test_docker_buildkit_0_forces_the_legacy_builder(monkeypatch):
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    eng = make_engine("docker", Script({"version": (0, "26.1.5 20.10.24\n", "")}), WHICH)
    assert eng.builder == LEGACY and "--force-rm" in eng.build_command(BuildRequest("D", "."), "i")


def test_unreachable_engine_names_the_socket_fix():
    run = Script({"version": (1, "26.1.5 ", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                                            "Is the docker daemon running?")})
    with pytest.raises(MeasureError, match=r"engine is not reachable.*Cannot connect.*-v /var/run/docker.sock"):
        make_engine("docker", run, WHICH)


@pytest.mark.parametrize("log, fix", [
    ("ERROR: BuildKit is enabled but the buildx component is missing or broken.\n"
     "       Install the buildx component to build images with BuildKit:\n"
     "       https://docs.docker.com/go/buildx/\n", "buildx plugin"),
    ("Step 2/2 : RUN --mount=type=cache,target=/root/.cache pip install x\n"
     "the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/\n", "needs BuildKit"),
    ("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n",
     "no permission"),
])
def test_a_cli_that_cannot_build_is_a_setup_error_not_a_broken_dockerfile(tmp_path, log, fix):
    eng = Engine("docker", "docker", runner=Script({"build": (1, "", log)}), housekeeping=Script({}))
    with pytest.raises(MeasureError, match=fix):
        eng.build(BuildRequest(str(tmp_path / "Dockerfile"), str(tmp_path)))


def test_a_broken_dockerfile_stays_a_build_failure_with_the_legacy_step(tmp_path):
    log = ("Step 1/3 : FROM debian:bookworm-slim\n ---> 33d6c598b24a\nStep 2/3 : RUN apt-get update\n"
           " ---> Running in be085419a35e\nRemoving intermediate container be085419a35e\n ---> 0ea48d4301cf\n"
           "Step 3/3 : RUN apt-get install -y no-such-package\n ---> Running in c9614c3058f5\n"
           "E: Unable to locate package no-such-package\n"
           "The command '/bin/sh -c apt-get install -y no-such-package' returned a non-zero code: 100\n")
    eng = Engine("docker", "docker", runner=Script({"build": (1, log, "")}), builder=LEGACY)
    out = eng.build(BuildRequest(str(tmp_path / "Dockerfile"), str(tmp_path)))
    assert not out.ok and out.failure.instruction_text == "RUN apt-get install -y no-such-package"
    assert eng.built == ["33d6c598b24a", "0ea48d4301cf"]  # the legacy builder's layer cache, for cleanup
    assert failure_point(log).tail[-1].startswith("The command")


def test_cleanup_removes_untagged_images_and_new_cache_records_only():
    listing = ("sha256:" + "a" * 64 + " debian:bookworm-slim\n"  # the base: tagged, stays
               "sha256:" + "b" * 64 + " <none>:<none>\n")
    cache = ("old1|2026-12-02 03:00:00.5 +0000 UTC\n"
             "new1*|2026-12-02 04:00:10.123456789 +0000 UTC\n")
    house = Script({"images": (0, listing, ""), "system df": (0, cache, "")})
    eng = Engine("docker", "docker", runner=Script({}), housekeeping=house)
    eng.started = _go_time("2026-12-02 04:00:05.0 +0000 UTC")
    eng.built = ["a" * 12, "sha256:" + "b" * 64]
    assert eng.cleanup() == "removed 1 image(s) and 1 build-cache record(s) of this run"
    calls = [" ".join(c[1:]) for c in house.calls]
    assert "rmi sha256:" + "b" * 64 in calls and not any(c.startswith("rmi") and "a" * 12 in c for c in calls)
    assert "builder prune --force --all --filter id=new1" in calls and not any("old1" in c for c in calls)
    assert eng.cleanup() == ""  # once


def test_go_time_reads_the_clis_timestamps():
    assert _go_time("2026-12-02 04:01:37.238697961 +0000 UTC") == pytest.approx(1796184097.238697)
    assert _go_time("2026-12-02 05:01:37 +0100 CET") == _go_time("2026-12-02 04:01:37.0 +0000 UTC")
    assert _go_time("garbage") is None
