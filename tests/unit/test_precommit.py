"""The pre-commit hooks: their file pattern and their entry, run as pre-commit would."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import yaml

from tests.conftest import ROOT

HOOKS = {h["id"]: h for h in yaml.safe_load(open(os.path.join(ROOT, ".pre-commit-hooks.yaml")))}
BAD = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"


def test_file_pattern_matches_dockerfiles_only():
    pattern = re.compile(HOOKS["dockerdiet"]["files"])
    for name in ("Dockerfile", "svc/Dockerfile", "Dockerfile.dev", "api.Dockerfile", "x/Containerfile"):
        assert pattern.search(name), name
    for name in ("Dockerfile/readme.md", "docs/dockerfile.md", "Dockerfiles.txt", "setup.py"):
        assert not pattern.search(name), name


def run_hook(hook_id: str, files: list[str]) -> subprocess.CompletedProcess:
    # pre-commit runs `entry` with the matching file names appended, from the repo root
    argv = shlex.split(HOOKS[hook_id]["entry"])
    exe = os.path.join(os.path.dirname(sys.executable), argv[0])
    cmd = [exe, *argv[1:]] if os.path.exists(exe) else [sys.executable, "-m", "bot", *argv[1:]]
    return subprocess.run(cmd + files, capture_output=True, text=True)


def test_check_hook_fails_on_findings_and_passes_clean_files(tmp_path):
    bad, good = tmp_path / "Dockerfile", tmp_path / "ok.Dockerfile"
    bad.write_text(BAD)
    good.write_text("FROM debian:12-slim\nRUN echo hi\n")
    proc = run_hook("dockerdiet", [str(bad), str(good)])
    assert proc.returncode == 1 and "DT101" in proc.stdout
    assert run_hook("dockerdiet", [str(good)]).returncode == 0


def test_fix_hook_rewrites_the_file(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text(BAD)
    run_hook("dockerdiet-fix", [str(bad)])
    assert "rm -rf /var/lib/apt/lists/*" in bad.read_text()
