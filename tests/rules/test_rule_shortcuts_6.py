"""More work the engine and rules skip or keep (speed, issue 12, round 4; see test_rule_shortcuts):
each shortcut answers as the code it replaced, here kept as a reference."""

import pytest
from hypothesis import given, settings, strategies as st

from bot import engine, rules as catalogue
from bot.engine import Options, analyse_text
from bot.model import hints
from bot.model.dockerfile import parse
from bot.model.findings import Confidence, Finding, Severity, SizeEstimate, SizeHint
from bot.model.text import Position, Span
from bot.report import text as text_report
from bot.rules import dt901_unused_suppression as dt901
from bot.rules.base import Context

from tests.conftest import requires_corpus
from tests.rules.test_rule_shortcuts import _corpus
from tests.unit.test_layers import _check_loads, _loaded

# ---------------------------------------------------------------------------- the rule loop

HEREDOCS = [
    "FROM debian:12\nRUN <<EOF\napt-get update\nEOF\n",
    "FROM python:3.12\nRUN <<EOF bash\npip install flask\nEOF\nCOPY <<EOF /etc/x\ncurl\nEOF\n",
    "FROM alpine\nONBUILD RUN apk add gcc\nRUN \"ap\"k add \\\n  curl\n",
]


def _says_before(df) -> frozenset[str]:
    """rules.says as it was (a generator per instruction for its heredocs), in one expression each."""
    keywords = {k for ins in df.instructions for k in (ins.keyword, ins.inner.keyword if ins.inner else ins.keyword)}
    text = "\n".join(p for ins in df.instructions for p in (ins.keyword, ins.args.text, *(h.body.text for h in ins.heredocs)))
    text = text.lower().replace('"', "").replace("'", "").replace("\\", "")
    return frozenset(keywords) | {w for w in catalogue._TEXT_WORDS if w in text}


@pytest.mark.parametrize("text", HEREDOCS + _corpus(200))
def test_says_says_what_it_said(text: str) -> None:
    df = parse(text)
    assert catalogue.says(df) == _says_before(df)


def test_heredoc_words_are_said():
    assert {"apt", "RUN"} <= catalogue.says(parse(HEREDOCS[0]))
    assert {"pip", "curl", "COPY"} <= catalogue.says(parse(HEREDOCS[1]))
    assert {"apk", "ONBUILD", "RUN"} <= catalogue.says(parse(HEREDOCS[2]))


def _fresh_rules(ctx: Context, plan) -> list:
    """The rule loop as it was: a new instance of each rule for each file."""
    said = catalogue.says(ctx.df)
    return [f for rule_id, words in plan if words is None or not said.isdisjoint(words)
            for f in catalogue.load(rule_id)().check(ctx)]


@requires_corpus
def test_one_rule_instance_serves_every_file():
    plan = catalogue.plan(catalogue.static_ids())
    texts = _corpus(300)
    for text in texts + texts[::-1]:  # a file checked after others, and again in another order
        shared = engine._run_rules(Context(parse(text), "Dockerfile"), plan)
        assert shared == _fresh_rules(Context(parse(text), "Dockerfile"), plan)
    # what makes this safe: a rule keeps nothing of a file on itself
    assert engine._CHECKS and all(vars(check.__self__) == {} for check in engine._CHECKS.values())

# ---------------------------------------------------------------------------- pragmas without importing every rule


def _hadolint_map_from_classes() -> dict[str, set[str]]:
    """The DL map as it was made: from every rule class's ``hadolint`` codes."""
    out: dict[str, set[str]] = {}
    for r in catalogue.all_rules():
        for code in r.hadolint:
            out.setdefault(code, set()).add(r.id)
    return out


def test_the_hadolint_table_is_the_rule_classes_codes():
    assert catalogue.hadolint_map() == _hadolint_map_from_classes()
    assert all(list(ids) == sorted(ids) for ids in catalogue.HADOLINT.values())


def test_dt901_knows_every_rule_id():
    assert dt901._all_ids() == set(catalogue.by_id()) == {r.id for r in catalogue.all_rules()}


def test_a_hadolint_pragma_does_not_import_every_rule(tmp_path):
    text = "FROM debian:12\n# hadolint ignore=DL3009,DL3008\nRUN apt-get update && apt-get install -y curl\n"
    _, _, modules = _check_loads(tmp_path, text)
    assert "bot.rules.dt101_apt_lists_left_in_layer" in modules  # the file says apt
    assert _loaded(modules, ("bot.rules.dt105", "bot.rules.dt403", "bot.rules.dt5")) == []
    said = {f.rule_id for f in analyse_text("Dockerfile", text, Options(estimate=False)).findings}
    assert "DT101" not in said and "DT203" not in said  # DL3009 is both
    assert "DT102" in said  # DL3008 is no rule of ours: nothing else is suppressed


def test_an_unused_dockerdiet_pragma_does_not_import_every_rule(tmp_path):
    text = "FROM debian:12\n# dockerdiet ignore=DT105,DT999\nCOPY a /a\n"
    _, _, modules = _check_loads(tmp_path, text)
    # rules the file gives nothing to (no RUN, no apt, no pip): loaded only by an import of every rule
    assert _loaded(modules, ("bot.rules.dt105", "bot.rules.dt11", "bot.rules.dt204", "bot.rules.dt209")) == []
    found = [f for f in analyse_text("Dockerfile", text, Options(estimate=False)).findings if f.rule_id == "DT901"]
    assert len(found) == 1
    assert "DT105 reports nothing here" in found[0].message and "DT999 is an unknown code" in found[0].message


# ---------------------------------------------------------------------------- kept answers of Context

STAGES = [
    "ARG V=1\nFROM a AS one\nRUN x\nFROM one\nRUN y\nFROM b\nCOPY --from=one /x /x\n",
    "RUN before any FROM\nFROM scratch\n",
    "FROM a\nONBUILD RUN apt-get update\n",
]


@pytest.mark.parametrize("text", STAGES + _corpus(200))
def test_stage_and_base_image_answer_as_the_dockerfile_does(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    for _ in range(2):  # the second round answers from what the first kept
        for ins in list(df.instructions) + list(df.all_instructions()):
            assert ctx.stage(ins) is df.stage_of(ins)
        for stage in [*df.stages, None]:
            assert ctx.base_image(stage) == ("" if stage is None else ctx.lineage(stage)[-1].image)


# ---------------------------------------------------------------------------- analyse_source's own work


@pytest.mark.parametrize("text", _corpus(40))
def test_an_on_demand_estimator_prices_as_the_estimator_it_makes(text: str) -> None:
    on_demand = analyse_text("Dockerfile", text, Options(), estimator=engine.OnDemandEstimator())
    assert on_demand == analyse_text("Dockerfile", text, Options(), estimator=engine.make_estimator())


def test_a_clean_file_has_no_identities_to_assign():
    from bot import identity

    text = 'FROM python:3.12-slim\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n'
    assert identity.assign(Context(parse(text), "Dockerfile"), []) == []
    assert analyse_text("Dockerfile", text, Options()).findings == ()


# ---------------------------------------------------------------------------- the text report

_SIZES = st.sampled_from([0, 1, 999, 1000, 9_949, 9_950, 999_600, 1_000_000, 45_000_000, 10**9, 3 * 10**9])


@st.composite
def _priced(draw) -> Finding:
    low = draw(_SIZES)
    high = low + draw(_SIZES)
    est = None if draw(st.booleans()) and draw(st.booleans()) else SizeEstimate(
        low, high, draw(st.sampled_from(["a table", "measured"])), draw(st.sampled_from(list(Confidence))),
        draw(st.sampled_from(["table", "heuristic"])))
    kind = draw(st.sampled_from([hints.REBUILD_DOWNLOAD, hints.APT_LISTS]))
    at = Position(draw(st.integers(1, 9)), 1)
    return Finding("DT601", "cache-mount-available", Severity.STYLE, "Dockerfile", Span(at, at), "m",
                   hint=SizeHint(kind), estimate=est)


@given(st.lists(_priced(), max_size=12))
@settings(max_examples=300, deadline=None)
def test_a_report_line_with_kept_sizes_is_the_line_without(findings: list[Finding]) -> None:
    sizes: dict = {}
    for f in findings:  # the same bytes with another basis, confidence or kind: kept apart or alike as due
        assert text_report.finding_line(f, False, sizes) == text_report.finding_line(f)


@requires_corpus
@pytest.mark.parametrize("colour", [False, True])
def test_the_corpus_report_renders_as_line_by_line(colour: bool) -> None:
    results = tuple(analyse_text(f"{i}.Dockerfile", t, Options()) for i, t in enumerate(_corpus(80)))
    result = engine.LintResult(results)
    lines = []
    for f in result.findings:
        lines.append(text_report.finding_line(f, colour))
        hint = text_report.hint_line(f)
        if hint:
            lines.append(hint)
    assert text_report.render(result, colour=colour) == "\n".join(lines) + "\n"
    assert any(f.estimate is not None for f in result.findings)


def test_modules_the_engine_imports_on_first_use_are_the_imported_ones():
    import sys

    from bot.model import pragmas

    assert engine._module("bot.model.pragmas") is pragmas is sys.modules["bot.model.pragmas"]
    assert engine._module("bot.model.pragmas") is engine._module("bot.model.pragmas")


def test_home_answers_as_facts_home_dir():
    from bot.rules.facts import home_dir, user_at

    for text in ["FROM a\nUSER app\nRUN x\n", "FROM a\nENV HOME=/h\nRUN x\n", *_corpus(60)]:
        ctx = Context(parse(text), "Dockerfile")
        for ins in ctx.runs():
            assert ctx.home(ins) == home_dir(user_at(ctx.before(ins), ctx.df.escape), ctx.env(ins))
