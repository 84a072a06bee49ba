"""More work the engine and rules skip or keep (speed, issue 12; see test_rule_shortcuts): each
shortcut answers as the code it replaced, here kept as a reference."""

import pytest
from hypothesis import given, settings, strategies as st

from bot import engine, rules as catalogue
from bot.model.dockerfile import parse
from tests.rules.test_rule_shortcuts import _corpus

# ---------------------------------------------------------------------------- the rule loop's plan

WORDS = sorted({w for words in catalogue.TRIGGERS.values() if words for w in words}) + ["FROM", "ENV", "xyz"]


def _ran_before(ids: list[str], said: frozenset[str]) -> list[str]:
    """The rules the engine's loop ran before it followed a plan."""
    return [i for i in ids if i not in catalogue.RUN_BY_ENGINE and catalogue.may_report(i, said)]


def _runs_by_plan(plan, said: frozenset[str]) -> list[str]:
    return [rule_id for rule_id, words in plan if words is None or not said.isdisjoint(words)]


@given(st.lists(st.sampled_from(sorted(catalogue.NAMES)), unique=True),
       st.frozensets(st.sampled_from(WORDS)))
@settings(max_examples=300, deadline=None)
def test_the_plan_runs_the_rules_the_loop_ran(chosen: list[str], said: frozenset[str]) -> None:
    ids = [i for i in catalogue.NAMES if i in chosen]
    assert _runs_by_plan(catalogue.plan(ids), said) == _ran_before(ids, said)


@pytest.mark.parametrize("select,ignore", [((), ()), (("DT2",), ()), ((), ("DT105", "DT4")), (("ALL",), ("DT901",))])
def test_the_plan_on_corpus_files(select, ignore) -> None:
    ids, plan = engine._rule_ids(engine.Options(select=select, ignore=ignore), "Dockerfile")
    assert ids == catalogue.static_ids(list(select), list(ignore))
    for text in _corpus(60):
        said = catalogue.says(parse(text))
        assert _runs_by_plan(plan, said) == _ran_before(ids, said)
