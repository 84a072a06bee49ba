"""More work rules skip or keep (speed, issue 12; see test_rule_shortcuts): a shortcut holds
only where the work it skips would have found nothing, and a kept answer is what a fresh
computation gives."""

import pytest

from bot.model.dockerfile import parse
from bot.rules.base import Context
from bot.rules.dt301_broad_copy_before_install import BroadCopyBeforeInstall, _broad_copy
from tests.rules.test_rule_shortcuts import _corpus

# ---------------------------------------------------------------------------- DT301

NO_BROAD = ("FROM node:20\nCOPY package.json .\nRUN npm ci\nCOPY --from=x . .\nRUN apt-get install -y git\n"
            "COPY src ./src\nRUN yarn\nFROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n")


@pytest.mark.parametrize("text", [NO_BROAD] + _corpus())
def test_dt301_a_stage_without_a_broad_copy_has_nothing_to_report(text: str) -> None:
    """check() skips such a stage: both of its checks, run anyway, find nothing there."""
    ctx = Context(parse(text), "Dockerfile")
    rule = BroadCopyBeforeInstall()
    skipped = 0
    for stage in ctx.stages():
        items = [i for i in stage.instructions if i.inner is None]
        broads = [_broad_copy(ctx, i) for i in items]
        if all(b is None for b in broads):
            skipped += 1
            assert list(rule._stage(ctx, items, broads)) == list(rule._system(ctx, items, broads)) == []
    if text == NO_BROAD:
        assert skipped == 1 and [f.span.start.line for f in rule.check(ctx)] == [9]
