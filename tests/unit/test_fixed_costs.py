"""Per-run and per-file work a check does only when its result is used (start-up time, issue 12)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot import cli
from bot.engine import LintResult, OnDemandEstimator, Options, analyse_text, make_estimator
from bot.report import json_report, text

from tests.conftest import ROOT, corpus_files, requires_corpus
from tests.unit.test_layers import _check_loads, _loaded

CLEAN = 'FROM python:3.12-slim\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n'
UNPRICED = CLEAN.replace("COPY", "# dockerdiet ignore=DT101\nCOPY")  # DT901: an unused pragma, no size
PRICED = "FROM ubuntu:22.04\nRUN apt-get update\nRUN apt-get install -y curl\n"


def test_a_clean_check_never_loads_the_size_model(tmp_path):
    code, _, modules = _check_loads(tmp_path, CLEAN)
    assert code == 0
    assert _loaded(modules, ("bot.estimate",)) == []
    assert "bot.model.pragmas" not in modules  # no comment, so no pragma


def test_a_file_with_comments_still_has_its_pragmas_read(tmp_path):
    code, _, modules = _check_loads(tmp_path, UNPRICED)
    assert code == 1 and "bot.model.pragmas" in modules  # DT901: the pragma was read, and is unused


def test_the_on_demand_estimator_is_made_when_first_asked_and_answers_as_a_made_one():
    lazy = OnDemandEstimator()
    assert lazy._estimator is None
    made = make_estimator()
    for ref in ("python:3.12-slim", "ubuntu:22.04", "scratch", "node:20", "no-such/image:1"):
        assert lazy.base_image_size(ref) == made.base_image_size(ref)
    assert lazy._estimator is not None
    with_lazy = analyse_text("Dockerfile", PRICED, estimator=OnDemandEstimator())
    with_made = analyse_text("Dockerfile", PRICED, estimator=make_estimator())
    assert with_lazy == with_made and any(f.estimate for f in with_lazy.findings)


def test_the_base_size_is_looked_up_only_beside_an_estimated_finding():
    priced = analyse_text("Dockerfile", PRICED)
    assert priced.base_size == make_estimator().base_image_size("ubuntu:22.04") is not None
    clean = analyse_text("Dockerfile", CLEAN)
    assert clean.base_image == "python:3.12-slim" and clean.findings == () and clean.base_size is None
    unpriced = analyse_text("Dockerfile", UNPRICED)
    assert unpriced.findings and not any(f.estimate for f in unpriced.findings) and unpriced.base_size is None


def test_reports_of_files_without_an_estimated_finding_do_not_depend_on_the_base_size():
    """What the lookup skipped was never shown: json's ``image`` and --statistics' shares are
    stated only beside an estimated finding."""
    for source in (CLEAN, UNPRICED):
        result = analyse_text("Dockerfile", source)
        assert result.base_size is None
        sized = result._replace(base_size=make_estimator().base_image_size(result.base_image))
        assert sized.base_size is not None
        for render in (json_report.render, text.statistics):
            assert render(LintResult((result,))) == render(LintResult((sized,)))
    assert Options().estimate  # the analyses above ran with estimates on


def test_pragmas_naming_only_our_rules_do_without_the_hadolint_map(monkeypatch):
    from bot import engine, rules

    text = "FROM ubuntu:22.04\n# dockerdiet ignore=DT101\nRUN apt-get update && apt-get install -y curl\n"
    expected = analyse_text("Dockerfile", text, Options(estimate=False))
    assert "DT101" not in {f.rule_id for f in expected.findings}

    def no_map():
        raise AssertionError("the DL map imports every rule")

    monkeypatch.setattr(rules, "hadolint_map", no_map)
    assert analyse_text("Dockerfile", text, Options(estimate=False)) == expected
    df = engine.parse(text)
    assert engine.unsuppressed(df, list(expected.findings)) == list(expected.findings)


def test_hadolint_codes_still_suppress_the_rules_that_share_them():
    text = "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y curl\n"
    said = {f.rule_id for f in analyse_text("Dockerfile", text, Options(estimate=False)).findings}
    assert "DT101" in said
    from bot import rules

    codes = sorted(code for code, ids in rules.hadolint_map().items() if "DT101" in ids)
    assert codes  # DT101 shares a DL code
    quiet = text.replace("RUN", f"# hadolint ignore={codes[0]}\nRUN")
    assert "DT101" not in {f.rule_id for f in analyse_text("Dockerfile", quiet, Options(estimate=False)).findings}


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["check"],
        ["check", "x", "--format", "json", "--no-estimate", "--select", "DT1,DT2", "-q"],
        ["check", "--format=sarif", "-fjson", "--no-est", "a", "b"],
        ["check", "--", "-x"],
        ["check", "--format", "bogus"],
        ["check", "--bogus"],
        ["check", "a", "--version"],
        ["check", "--help"],
        ["fix", "--diff", "--unsafe", "a", "b"],
        ["fix", "--select"],
        ["review", "--base", "origin/main", "--max-comments", "3"],
        ["review", "--max-comments", "many"],
        ["review"],
        ["action"],
        ["action", "now"],
        ["explain"],
        ["explain", "DT101", "DT102"],
        ["docs", "--check", "--root", "r"],
        ["config", "p", "--config", "c"],
        ["rules"],
        ["rules", "extra"],
        ["--version"],
        ["nonsense"],
    ],
)
def test_arguments_parse_as_the_whole_parser_parses_them(argv, capsys):
    """parse_arguments gives a subcommand's arguments to its parser alone: every outcome
    (values, exit code, what is printed) must be the whole parser's."""

    def outcome(parse):
        try:
            result = vars(parse(argv))
        except SystemExit as exc:
            result = exc.code
        return result, capsys.readouterr()

    assert outcome(cli.parse_arguments) == outcome(cli.build_parser().parse_args)


def test_importing_the_cli_leaves_argparse_and_typing_for_later():
    """run() sets a check's collector pace before they are imported (see cli.run)."""
    code = "import sys, bot.cli\nprint(sorted(m for m in ('argparse', 'gettext', 'typing') if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_check_runs_at_the_relaxed_collector_pace_from_its_start(monkeypatch):
    import gc
    import os

    seen = []
    monkeypatch.setattr(cli, "main", lambda: seen.append(gc.get_threshold()) or 0)

    def hard_exit(code):
        raise SystemExit(code)

    monkeypatch.setattr(os, "_exit", hard_exit)
    before = gc.get_threshold()
    try:
        for argv in (["dockerdiet", "check", "x"], ["dockerdiet", "rules"]):
            gc.set_threshold(*before)
            monkeypatch.setattr(sys, "argv", argv)
            try:
                cli.run()
            except SystemExit as exc:
                seen.append(exc.code)
    finally:
        gc.set_threshold(*before)
    assert seen == [cli.CHECK_GC_THRESHOLD, 0, before, 0]


def _fix_as_before(source, options, unsafe, build_context, select=None):
    """fix_source as it was: every pass parses its text twice, and the last text is analysed again."""
    from bot import engine
    from bot.model.source import Source

    opts = options._replace(estimate=False, min_saving=0)
    text, applied, rejected = source.text, [], ""
    base_errors = len(engine.parse(text, source.path).errors)
    for _ in range(engine.MAX_FIX_PASSES):
        result = engine.analyse_source(Source(source.path, text, source.bom), opts, build_context)
        found = result.findings if select is None else [f for f in result.findings if select(f, text)]
        new_text, taken = engine.apply_fixes(text, [f for f in found if not engine._build_time(f)], unsafe)
        if not taken or new_text == text:
            new_text, taken = engine.apply_fixes(text, found, unsafe)
        if not taken or new_text == text:
            break
        if len(engine.parse(new_text, source.path).errors) > base_errors:
            rejected = "applying " + ", ".join(sorted({f.rule_id for f in taken})) + " would make the file unparseable"
            break
        text = new_text
        applied.extend(taken)
    final = engine.analyse_source(Source(source.path, text, source.bom), opts, build_context)
    return engine.FixOutcome(source.path, source.text, text, tuple(applied), final.findings, rejected)


@requires_corpus
@pytest.mark.parametrize("unsafe", [False, True])
def test_fixing_parses_and_analyses_each_text_once_and_fixes_as_before(unsafe, monkeypatch):
    from bot import engine
    from bot.model.source import read

    first_lines = lambda f, text: f.span.start.line <= 3  # noqa: E731  (a review fixes only some lines)
    parse = engine.parse
    changed = 0
    for path in corpus_files()[::9]:
        source = read(path)
        for select in (None, first_lines):
            expected = _fix_as_before(source, Options(), unsafe, engine.build_context_for(path), select)
            parsed: list[str] = []
            monkeypatch.setattr(engine, "parse", lambda text, p="Dockerfile": parsed.append(text) or parse(text, p))
            outcome = engine.fix_source(source, Options(), unsafe, engine.build_context_for(path), select)
            monkeypatch.setattr(engine, "parse", parse)
            assert outcome == expected, path
            assert len(parsed) == len(set(parsed)), path  # no text parsed twice
            changed += outcome.fixed != outcome.original
    assert changed > 10
