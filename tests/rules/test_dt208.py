"""DT208 edge cases: how useradd reads its options, and where hadolint's DL3046 differs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.model import hints
from bot.rules.dt208_useradd_lastlog_in_layer import UseraddLastlogInLayer as DT208
from tests.rules.harness import fixed_text, run

BASE = "FROM ubuntu:20.04\n"

# (useradd arguments, DT208 fires, DL3046 fires, why they differ)
CASES = [
    ("-u 123456 app", True, True, ""),
    ("-u 100000 app", True, True, ""),
    ("-u 99999 app", False, False, ""),
    ("-r -u 123456 app", True, True, ""),
    ("-ru 123456 app", True, True, "cluster ending in u takes the next word"),
    ("-lu 123456 app", False, False, ""),
    ("-u 123456 --no-log-init app", False, False, ""),
    ("-u123456 app", True, False, "hadolint wrong: getopt reads -u123456 as -u 123456"),
    ("--uid 123456 app", True, False, "hadolint wrong: it only reads the value of -u"),
    ("--uid=123456 app", True, False, "hadolint wrong: same"),
    ("-u 000001 app", False, True, "hadolint wrong: it counts characters; this is UID 1"),
    ("-u ${UID} app", False, True, "unknowable: hadolint counts the 6 characters of `${UID}`"),
    ("-u=123456 app", False, False, "useradd rejects the UID '=123456'"),
]


@pytest.mark.parametrize("args,fires,_hadolint,_why", CASES)
def test_uid_forms(args, fires, _hadolint, _why):
    assert bool(run(DT208, f"{BASE}RUN useradd {args}\n")) == fires


HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


@pytest.mark.skipif(not Path(HADOLINT).exists(), reason="hadolint not installed")
@pytest.mark.parametrize("args,_fires,hadolint,_why", CASES)
def test_hadolint_behaves_as_documented(tmp_path, args, _fires, hadolint, _why):
    """Keeps the disagreement table above honest against the pinned hadolint."""
    path = tmp_path / "Dockerfile"
    path.write_text(f"{BASE}RUN useradd {args}\n")
    out = subprocess.run([HADOLINT, "--no-fail", "-f", "json", str(path)], capture_output=True, text=True).stdout
    assert ("DL3046" in {d["code"] for d in json.loads(out)}) == hadolint


def test_uid_from_env_and_global_arg_defaults():
    assert run(DT208, "ARG APP_UID=1000000\nFROM ubuntu:20.04\nARG APP_UID\nRUN useradd -u $APP_UID app\n")
    assert run(DT208, f"{BASE}ENV APP_UID=200000\nRUN useradd -u \"$APP_UID\" app\n")
    assert not run(DT208, f"{BASE}ARG APP_UID=1000\nRUN useradd -u ${{APP_UID}} app\n")


def test_value_of_another_option_is_not_read_as_l():
    # -c takes "-l" as its comment: no --no-log-init here
    assert run(DT208, f'{BASE}RUN useradd -c "-l" -u 123456 app\n')


def test_fix_after_a_full_path_and_hint():
    code = f"{BASE}RUN /usr/sbin/useradd -m -u 1000000 app\n"
    (f,) = run(DT208, code)
    assert f.hint.kind == hints.LASTLOG
    assert f.hint.params == {"uid": 1000000, "base_image": "ubuntu:20.04"}
    assert fixed_text(DT208, code) == f"{BASE}RUN /usr/sbin/useradd -l -m -u 1000000 app\n"


def test_values_of_long_options_are_not_read_as_options():
    assert not run(DT208, f'{BASE}RUN useradd --comment "-u 123456" app\n')
    assert run(DT208, f'{BASE}RUN useradd --comment "-l" --uid 123456 app\n')
