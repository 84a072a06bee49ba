"""Merged suggestions over real Dockerfiles: for random subsets of the findings of a file,
the suggestion for a group of overlapping fixes, applied line-wise as GitHub applies it,
removes the findings it claims and adds none (or the re-check refuses to offer it)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import Options, analyse_text, apply_fixes
from bot.github.placement import check_fixed, groups_of
from bot.github.suggestion import block_fix, suggestable
from tests.conftest import corpus_files, requires_corpus

OPTS = Options(estimate=False)
CASES = []
for _p in corpus_files()[::3]:
    try:
        _text = open(_p, encoding="utf-8").read()
    except UnicodeDecodeError:
        continue
    _fs = [f for f in analyse_text("Dockerfile", _text, OPTS).findings if suggestable(f)]
    if len(_fs) >= 2:
        CASES.append((_text, _fs))


def github_apply(text: str, start: int, end: int, replacement: str) -> str:
    lines = text.split("\n")
    new = replacement.split("\n") if replacement else []
    return "\n".join(lines[:start - 1] + new + lines[end:])


def counts(findings) -> Counter:
    return Counter((f.rule_id, f.identity.split("\x1e")[1]) for f in findings)  # rule and stage key only


@requires_corpus
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_merged_suggestion_removes_what_it_claims_and_adds_nothing(data):
    text, findings = data.draw(st.sampled_from(CASES))
    subset = data.draw(st.lists(st.sampled_from(findings), min_size=1, max_size=len(findings), unique_by=id))
    group = data.draw(st.sampled_from(groups_of(subset)))
    fixed, taken = apply_fixes(text, group.members, unsafe=True)
    verdict = check_fixed("Dockerfile", text, fixed, taken, OPTS)
    if verdict:
        return  # refused: posted as advice without a suggestion
    block = block_fix(text, fixed, group.start, group.end)
    assert block is not None
    applied = github_apply(text, block.start, block.end, block.replacement)
    assert applied == fixed  # the block holds every edit: applying it is applying the fixes
    before = counts(analyse_text("Dockerfile", text, OPTS).findings)
    after = counts(analyse_text("Dockerfile", applied, OPTS).findings)
    claimed = counts(taken)
    for key in set(before) | set(after):
        assert after[key] <= max(0, before[key] - claimed[key]), (key, block.replacement)


@requires_corpus
def test_most_merged_suggestions_pass_the_recheck():
    """The re-check is not a blanket refusal: over the sampled corpus files, the group of
    all suggestable findings per overlapping range is offered in most cases."""
    offered = refused = 0
    for text, findings in CASES[:40]:
        for group in groups_of(findings):
            fixed, taken = apply_fixes(text, group.members, unsafe=True)
            if check_fixed("Dockerfile", text, fixed, taken, OPTS):
                refused += 1
            else:
                offered += 1
    assert offered > 2 * refused, (offered, refused)
