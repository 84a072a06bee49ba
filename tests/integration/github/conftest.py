"""Drive the real entrypoint (``python -m bot.action``) against the fake GitHub."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.github_server import FakeGitHub  # noqa: E402

TOKEN = "ghs_fakeTOKEN1234567890secret"


@dataclass
class ActionRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    report: dict | None


def parse_outputs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delim = line.split("<<", 1)
            value = []
            for inner in lines:
                if inner == delim:
                    break
                value.append(inner)
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
    return out


def run_action(fake: FakeGitHub, tmp_path: Path, number: int, *, event: str = "pull_request",
               inputs: dict[str, str] | None = None, run_id: str = "100", attempt: str = "1",
               payload: dict | None = None, extra_env: dict[str, str] | None = None,
               timeout: float = 60) -> ActionRun:
    work = tmp_path / f"run-{run_id}-{attempt}"
    work.mkdir(parents=True, exist_ok=True)
    pull = fake.pulls.get(number)
    if payload is None:
        payload = {"pull_request": {"number": number, "head": {"sha": pull.head_sha}}}
    event_path = work / "event.json"
    event_path.write_text(json.dumps(payload))
    (work / "output").write_text("")
    (work / "summary.md").write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "GITHUB_API_URL": fake.url,
        "GITHUB_REPOSITORY": fake.repo,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_SHA": "0" * 40,
        "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": attempt,
        "GITHUB_OUTPUT": str(work / "output"),
        "GITHUB_STEP_SUMMARY": str(work / "summary.md"),
        "GITHUB_WORKSPACE": str(work),
        "INPUT_GITHUB_TOKEN": TOKEN,
        "INPUT_ONLINE": "false",
        "DOCKERDIET_SECONDS_BETWEEN_REQUESTS": "0",
        "DOCKERDIET_SECONDS_BETWEEN_WRITES": "0",
        "DOCKERDIET_BACKOFF_FACTOR": "0.01",
        "DOCKERDIET_REREAD_DELAYS": "0,0.05,0.1",
    }
    for key, value in (inputs or {}).items():
        env[f"INPUT_{key.upper()}"] = value
    env.update(extra_env or {})
    proc = subprocess.run([sys.executable, "-m", "bot.action"], env=env, cwd=work, capture_output=True,
                          text=True, timeout=timeout)
    report_file = work / "dockerdiet-report.json"
    return ActionRun(proc.returncode, proc.stdout, proc.stderr, parse_outputs((work / "output").read_text()),
                     (work / "summary.md").read_text(),
                     json.loads(report_file.read_text()) if report_file.exists() else None)


def suggestion_of(body: str) -> str | None:
    """The text of the ```suggestion block of a comment body."""
    m = re.search(r"^(`{3,})suggestion\n(.*?)^\1$", body, re.S | re.M)
    return None if m is None else m.group(2)


def apply_suggestion(text: str, comment: dict, replacement: str) -> str:
    lines = text.split("\n")
    start = (comment["start_line"] or comment["line"]) - 1
    new = replacement[:-1].split("\n") if replacement else []
    return "\n".join(lines[:start] + new + lines[comment["line"]:])


@pytest.fixture
def fake():
    with FakeGitHub() as server:
        yield server
