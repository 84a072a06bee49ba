"""Every example of every rule runs as a test, plain, as ONBUILD, and in a builder stage."""

from __future__ import annotations

import pytest

from bot.rules import all_rules
from bot.rules.base import Invalid

from tests.rules.harness import check_example, run

CASES = [(rule, i, ex) for rule in all_rules() for i, ex in enumerate(rule.examples)]


@pytest.mark.parametrize(
    "rule,index,example",
    CASES,
    ids=[f"{r.id}-{'invalid' if isinstance(e, Invalid) else 'valid'}-{i}" for r, i, e in CASES],
)
def test_example(rule, index, example):
    check_example(rule, example)


def _single_run_examples():
    for rule in all_rules():
        for i, ex in enumerate(rule.examples):
            lines = ex.code.splitlines(keepends=True)
            if ex.context is None and len(lines) == 2 and lines[0].startswith("FROM ") and lines[1].startswith("RUN "):
                yield rule, i, ex


ONBUILD = list(_single_run_examples())


@pytest.mark.parametrize("rule,index,example", ONBUILD, ids=[f"{r.id}-{i}" for r, i, _ in ONBUILD])
def test_example_as_onbuild(rule, index, example):
    """hadolint's convention: a RUN example means the same wrapped in ONBUILD."""
    first, run_line = example.code.splitlines(keepends=True)
    found = run(rule, first + "ONBUILD " + run_line)
    assert bool(found) == isinstance(example, Invalid)


@pytest.mark.parametrize("rule,index,example", ONBUILD, ids=[f"{r.id}-{i}" for r, i, _ in ONBUILD])
def test_example_in_builder_stage(rule, index, example):
    """Size rules stay silent in a stage whose layers never reach the final image."""
    first, run_line = example.code.splitlines(keepends=True)
    code = first.rstrip("\n") + " AS build\n" + run_line + "FROM scratch\nCOPY --from=build /out /out\n"
    found = run(rule, code)
    if rule.size_rule:
        assert not found
    else:
        assert bool(found) == isinstance(example, Invalid)
