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


# What one small file's `check` may load (start-up time, issue 12): not the report formats it
# did not choose, not the GitHub or measure layers, not the measured rules, not gzip; without
# findings, not the apt layer model; never OpenSSL (hashlib), nor the rules whose trigger words the
# file does not say. And no compile() at all:
# typing.NamedTuple compiles every string annotation, and the first compile() builds the ast
# module's types, so a module defining NamedTuples does without `from __future__ import annotations`.
_STARTUP_PROBE = """
import builtins, contextlib, io, sys
calls = []
_compile = builtins.compile
def counting(source, *args, **kwargs):
    if isinstance(source, str):  # not a module's source (bytes) compiled because its .pyc is stale
        calls.append(source[:80])
    return _compile(source, *args, **kwargs)
builtins.compile = counting
import bot.cli
with contextlib.redirect_stdout(io.StringIO()):
    code = bot.cli.main(["check", sys.argv[1]])
print(code)
print(";".join(calls))
print(",".join(sorted(sys.modules)))
"""
NEVER_ON_CHECK = ("bot.github", "bot.measure", "bot.report.json_report", "bot.report.sarif", "bot.report.rdjson",
                  "bot.report.annotations", "bot.report.markdown", "bot.estimate.lookups", "gzip")


def _check_loads(tmp_path, text: str) -> tuple[int, str, set[str]]:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    out = subprocess.run([sys.executable, "-c", _STARTUP_PROBE, str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    code, calls, modules = out.stdout.split("\n")[:3]
    return int(code), calls, set(modules.split(","))


def _loaded(modules: set[str], prefixes) -> list[str]:
    return sorted(m for m in modules if m.startswith(tuple(prefixes)))


def test_a_small_check_with_findings_loads_only_what_it_uses(tmp_path):
    code, calls, modules = _check_loads(tmp_path, "FROM ubuntu\nRUN apt-get update\nRUN apt-get install -y curl\n")
    assert code == 1 and "bot.estimate.layers.graph" in modules  # findings, priced by the layer model
    assert calls == ""
    assert "json" not in modules and "zlib" not in modules  # the graph's files are plain text
    assert _loaded(modules, NEVER_ON_CHECK) == []
    assert _loaded(modules, ("bot.rules.dt7",)) == []
    # a rule whose words the file does not say is not imported (rules.TRIGGERS); fingerprints
    # use CPython's own SHA-256, not OpenSSL's
    assert _loaded(modules, ("bot.rules.dt105", "bot.rules.dt106", "bot.rules.dt5", "hashlib", "_hashlib")) == []
    assert "shutil" not in modules  # argparse's formatters are told the terminal's width
    assert "bot.rules.dt101_apt_lists_left_in_layer" in modules


def test_a_clean_small_check_loads_neither_the_layer_model_nor_openssl(tmp_path):
    code, calls, modules = _check_loads(tmp_path, 'FROM python:3.12-slim\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n')
    assert code == 0 and calls == ""
    assert _loaded(modules, (*NEVER_ON_CHECK, "bot.estimate.layers", "hashlib", "_hashlib")) == []
