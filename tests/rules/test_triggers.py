"""Rule triggers (rules.TRIGGERS): the engine skips a rule on a file that does not say any of
its words, so each rule must find nothing on such a file. Checked by running every rule
unskipped on every example and corpus file."""

from __future__ import annotations

import pytest

from bot import rules as catalogue
from bot.engine import Options, analyse_text, build_context_for
from bot.model.dockerfile import parse
from bot.rules.base import BuildContext, Context, Invalid

from tests.conftest import corpus_files, requires_corpus

RULES = [r for r in catalogue.static_rules() if r.id not in catalogue.RUN_BY_ENGINE]


def _unskipped(text: str, path: str, build_context: BuildContext | None) -> list[tuple[str, str]]:
    """(rule id, message) of every static rule's findings, each rule run whatever the file says."""
    ctx = Context(parse(text, path), path, build_context)
    return [(rule.id, f.message) for rule in RULES for f in rule().check(ctx)]


def test_every_rule_has_an_entry_of_keywords_or_lower_case_words():
    assert set(catalogue.TRIGGERS) == set(catalogue.NAMES)
    for words in catalogue.TRIGGERS.values():
        assert words is None or (words and all(w.strip() == w and (w.islower() or w.isupper()) for w in words))


EXAMPLES = [(rule, ex) for rule in RULES for ex in rule.examples if isinstance(ex, Invalid)]


@pytest.mark.parametrize("rule,example", EXAMPLES, ids=[f"{r.id}-{i}" for i, (r, _) in enumerate(EXAMPLES)])
def test_every_invalid_example_says_its_rules_words(rule, example):
    bc = BuildContext.of_example(example.context) if example.context is not None else None
    said = catalogue.says(parse(example.code))
    for rule_id, message in _unskipped(example.code, "Dockerfile", bc):
        assert catalogue.may_report(rule_id, said), (rule_id, message)


@requires_corpus
def test_no_corpus_finding_comes_from_a_rule_its_file_would_skip():
    skipped = 0
    for path in corpus_files():
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        said = catalogue.says(parse(text, path))
        for rule_id, message in _unskipped(text, path, build_context_for(path)):
            assert catalogue.may_report(rule_id, said), (path, rule_id, message)
        skipped += sum(not catalogue.may_report(r.id, said) for r in RULES)
    assert skipped > 5000  # the words do skip rules: most files use one or two package managers


def test_says_reads_words_as_the_shell_would_join_them():
    said = catalogue.says(parse('FROM debian\nRUN ap\\\nt-get update && "ya"rn && n\\pm ci\nCOPY <<EOF /x\ncomposer\nEOF\n'))
    assert said == {"FROM", "RUN", "COPY", "apt", "yarn", "npm", "composer"}
    assert not catalogue.may_report("DT105", catalogue.says(parse("FROM debian\n# pip install x\nRUN echo hi\n")))


def test_keywords_are_instructions_not_words():
    apt = catalogue.says(parse("FROM ubuntu\nRUN add-apt-repository ppa:x/y\n"))
    assert not catalogue.may_report("DT301", apt) and catalogue.may_report("DT101", apt)
    assert catalogue.may_report("DT403", catalogue.says(parse("FROM a AS b\nFROM c\nONBUILD COPY --from=b / /\n")))


def test_a_pragma_for_a_rule_the_file_skips_is_still_unused():
    res = analyse_text("Dockerfile", "FROM debian:12\n# dockerdiet ignore=DT106\nRUN echo hi\n", Options(estimate=False))
    assert ["DT106" in f.message for f in res.findings if f.rule_id == "DT901"] == [True]
