"""A real Docker engine: skipped, with the reason, where none answers.

.ci/run starts one with tools/docker_engine.sh when it runs as root on Debian (dockerd 20.10,
no registry: the base images and the action image's base images are local stand-ins the
script makes, each labelled docker-engine.standin with what it really is).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE_SH = ROOT / "tools" / "docker_engine.sh"
BASES = ("debian:bookworm-slim", "debian:bookworm")


def docker(*args: str, check: bool = True, timeout: float = 900, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc


def engine_script(*args: str) -> None:
    """tools/docker_engine.sh (idempotent; cached images cost a second or two)."""
    proc = subprocess.run([str(ENGINE_SH), *args], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise AssertionError(f"docker_engine.sh {' '.join(args)} failed: {proc.stderr[-2000:]}")


def _skip_reason() -> str | None:
    if shutil.which("docker") is None:
        return "no docker CLI on PATH (.ci/run starts an engine with tools/docker_engine.sh as root on Debian)"
    proc = docker("version", "--format", "{{.Server.Version}}", check=False, timeout=30)
    if proc.returncode != 0:
        return f"no Docker engine answers (DOCKER_HOST={os.environ.get('DOCKER_HOST', 'unset')}): " \
               f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}"
    missing = [b for b in BASES if docker("image", "inspect", b, check=False).returncode != 0]
    if missing and os.geteuid() == 0:
        engine_script("base")
    elif missing:
        return f"base images {missing} missing and not root to make them (tools/docker_engine.sh base)"
    return None


@pytest.fixture(scope="session")
def docker_ready() -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


def standin(tag: str) -> str:
    """What the local image ``tag`` really is (its docker-engine.standin label)."""
    return docker("image", "inspect", "--format", '{{index .Config.Labels "docker-engine.standin"}}', tag).stdout.strip()
