"""The catalogue's own rules: ids, names, docs, examples, fixes, generated docs."""

from __future__ import annotations

import re
import sys

import pytest

from bot.report import ruledocs
from bot.rules import all_rules
from bot.rules.base import DOC_HEADINGS, Invalid, Valid
from bot.model.findings import Safety
from tests.conftest import ROOT
from tests.rules.harness import run

RULES = all_rules()


def test_ids_unique_and_well_formed():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"DT\d{3}", i) for i in ids)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_declaration(rule):
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name) and not rule.name.startswith(("no-", "avoid-"))
    module = sys.modules[rule.__module__].__name__.rsplit(".", 1)[-1]
    assert module == f"{rule.id.lower()}_{rule.name.replace('-', '_')}", module
    for heading in DOC_HEADINGS:
        assert f"## {heading}" in rule.explanation, f"{rule.id} docs lack '## {heading}'"
    assert rule.summary and not rule.summary.endswith(".")
    if rule.measured:
        _measured_declaration(rule)
        return
    assert any(isinstance(e, Valid) for e in rule.examples), "needs a Valid example"
    assert any(isinstance(e, Invalid) for e in rule.examples), "needs an Invalid example"
    # fix availability is proven by examples, never only declared
    if rule.fix_safety in (Safety.SAFE, Safety.REVIEW):
        assert rule.fixable(), f"{rule.id} declares {rule.fix_safety} fixes but no example shows one"
    if rule.fixable():
        assert rule.fix_safety in (Safety.SAFE, Safety.REVIEW)


def _measured_declaration(rule):
    """The measured family (DT7xx) is found in built layers: a static example cannot show it.

    Honest instead of faked examples: no examples at all, no static finding ever, no fix
    declared, a DT7xx id, a "-measured" name, and a kind of measured waste that produces it
    (tests/measure/layers test those with synthetic layer tars and real builds)."""
    from bot.measure.layers.findings import RULE_OF_FAMILY

    assert rule.id.startswith("DT7") and rule.name.endswith("-measured")
    assert rule.examples == () and rule.fix_safety is None and not rule.fixable()
    assert rule.id in RULE_OF_FAMILY.values(), f"{rule.id}: no measured waste produces it"
    assert "dockerdiet measure" in rule.explanation and "dockerdiet inspect" in rule.explanation
    assert run(rule, "FROM debian:12\nRUN pip install flask && rm -rf /big\nRUN rm /x\n") == []


def test_only_the_measured_family_is_measured():
    assert {r.id for r in RULES if r.measured} == {r.id for r in RULES if r.id.startswith("DT7")}


def test_generated_docs_are_fresh():
    assert ruledocs.sync(ROOT, check=True) == [], "run `dockerdiet docs` and commit the result"


def test_catalogue_lists_every_rule_module_on_disk():
    import os

    from bot import rules

    on_disk = sorted(f[:-3] for f in os.listdir(os.path.dirname(rules.__file__)) if f.startswith("dt") and f.endswith(".py"))
    assert list(rules.MODULES) == on_disk


def test_catalogue_reads_ids_names_and_defaults_from_module_names():
    """The catalogue selects rules without importing them: what it reads from the module
    names and its two tables must be what the classes declare."""
    from bot import rules

    assert rules.NAMES == {r.id: r.name for r in RULES}
    assert rules.OFF_BY_DEFAULT == {r.id for r in RULES if not r.default_enabled}
    assert {r.id for r in RULES if r.measured} == {i for i in rules.NAMES if i.startswith(rules.MEASURED_PREFIX)}
    assert [r.id for r in rules.select()] == [r.id for r in RULES if r.default_enabled]


def test_a_check_imports_only_the_rule_modules_it_runs():
    import subprocess

    code = (
        "import sys\n"
        "from bot.engine import Options, analyse_text\n"
        "analyse_text('Dockerfile', 'FROM debian:12\\nRUN apt-get install -y curl\\n', Options(select=('DT102',), estimate=False))\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('bot.rules.dt'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["bot.rules.dt102_apt_recommends_installed"]
