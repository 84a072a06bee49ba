"""Measured waste of real images built by a Docker engine (BuildKit history, docker save).

Run with an engine reachable, e.g. ``eval "$(../shared/tools/docker_engine.sh start)"``;
the base image must already be in the engine (no registry is reached). The pip cache's
expected size is read back from the image itself with ``find``, independently of the
layer analysis.
"""

from __future__ import annotations

import subprocess

import pytest

from bot.measure.engines import BuildRequest, MeasureError, make_engine
from bot.measure.layers.inspection import inspect_built

pytestmark = pytest.mark.docker
BASE = "python:3.12.8-slim-bookworm"
DOCKERFILE = f"""FROM {BASE}
RUN pip install idna==3.10 && mkdir -p /root/.cache/pip/http-v2 \\
 && dd if=/dev/urandom of=/root/.cache/pip/http-v2/planted bs=1K count=512 status=none
RUN dd if=/dev/urandom of=/big bs=1K count=4096 status=none
RUN rm /big
"""
# pip here installs from a local index, so its own cache is tiny: the RUN adds a planted
# 512 kB entry to it; the expected total is still read back from the image


@pytest.fixture(scope="module")
def docker():
    try:
        eng = make_engine("docker")
    except MeasureError as e:
        pytest.skip(f"no Docker engine: {e}")
    if eng.runner(["docker", "image", "inspect", BASE]).returncode != 0:
        pytest.skip(f"{BASE} is not in the engine (no registry here)")
    return eng


def test_pip_cache_and_removed_file_in_a_docker_build(docker, tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    out = docker.build(BuildRequest(str(tmp_path / "Dockerfile"), str(tmp_path)))
    assert out.ok, out.log[-2000:]
    insp = inspect_built(docker, out.image_id, DOCKERFILE, "Dockerfile")
    listed = subprocess.run(["docker", "run", "--rm", out.image_id, "find", "/root/.cache/pip", "-type", "f",
                             "-printf", "%s\\n"], capture_output=True, text=True, check=True).stdout.split()
    cache = sum(int(n) for n in listed)
    assert cache >= 512 * 1024
    pip = next(m for m in insp.measured if m.kind == "pip-cache")
    assert pip.finding.rule_id == "DT105" and pip.merged == ("DT702",) and pip.wrote == (2, 3)
    assert pip.bytes == cache
    big = next(m for m in insp.measured if m.kind == "removed")
    assert big.wrote == (4, 4) and big.removed_by == (5, 5) and big.bytes == 4096 * 1024
