"""The precision gate's verdicts (bench/precision_sample.py, read by hand) stay honest:
each wrong verdict names the test at its general cause, and a wrong finding stays gone."""

from __future__ import annotations

import csv
import os

import pytest

from bot.engine import Options, analyse_file
from tests.conftest import CORPUS, requires_corpus

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COLUMNS = ["file", "line", "rule", "verdict", "reason", "sample", "test"]
OPEN = "open:"  # a cause in a rule another branch owns: reported, not yet fixed here
# A finding that stands but was judged wrong for the fix it carried: the test at the cause
# checks the fix, and the finding itself may still be reported.
FIX_ONLY = "fix:"


def _rows() -> list[dict[str, str]]:
    with open(os.path.join(HERE, "verdicts.csv"), encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


ROWS = _rows()
WRONG_FINDINGS = [r for r in ROWS if r["verdict"] == "wrong" and not r["sample"].endswith("-fix")
                  and not r["test"].startswith(FIX_ONLY)]


def test_rows_are_well_formed():
    assert ROWS
    for r in ROWS:
        assert r["file"].endswith("Dockerfile") and r["line"].isdigit(), r
        assert all(code.startswith("DT") and len(code) == 5 for code in r["rule"].split("+")), r
        assert r["verdict"] in ("right", "wrong") and r["reason"], r
    samples = [r["sample"] for r in ROWS]
    assert len(samples) == len(set(samples))


def test_every_wrong_verdict_names_a_test_that_exists():
    for r in (r for r in ROWS if r["verdict"] == "wrong"):
        target = r["test"]
        assert target, f"{r['sample']}: a wrong verdict needs a test at its general cause"
        if target.startswith(OPEN):
            continue
        target = target.removeprefix(FIX_ONLY)
        path, _, name = target.partition("::")
        with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
            assert f"def {name}(" in fh.read(), target


@requires_corpus
@pytest.mark.parametrize(
    "row",
    [pytest.param(r, id=r["sample"], marks=[pytest.mark.xfail(strict=True, reason=r["test"])] if r["test"].startswith(OPEN) else [])
     for r in WRONG_FINDINGS],
)
def test_a_wrong_finding_is_not_reported_any_more(row):
    result = analyse_file(os.path.join(CORPUS, row["file"]), Options(estimate=False))
    same = [f for f in result.findings if f.rule_id == row["rule"] and f.span.start.line == int(row["line"])]
    assert not same, [f.message for f in same]
