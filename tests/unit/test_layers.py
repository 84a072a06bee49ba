"""The architecture is a contract: model -> rules -> estimate -> engine -> report -> github/cli."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_imports_point_down_only():
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter not installed")
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_path_imports_no_network_or_github_libraries():
    code = (
        "import sys, io, contextlib\n"
        "import bot.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    bot.cli.main(['check', {os.path.join(ROOT, 'examples')!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('github', 'requests', 'urllib3', 'unidiff', 'dockerfile_parse', 'yaml'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
