"""The size model re-parses each fixed file from the fix's first edit on (``reparse``):
over every real fix of the corpus, what it gets is the parse of the whole fixed text,
the marks a later reparse resumes from included."""

from __future__ import annotations

from bot.engine import Options, analyse_file, apply_fixes
from bot.model.dockerfile import parse, reparse
from bot.model.text import apply_edits
from tests.conftest import corpus_files, requires_corpus
from tests.property.test_lexer_properties import _model

pytestmark = requires_corpus


def _same_as_a_parse(df, fixed: str, unchanged: int) -> None:
    got, want = reparse(df, fixed, unchanged), parse(fixed, df.path)
    assert _model(got) == _model(want), (df.path, unchanged)
    assert (got._marks, got._lexed_errors) == (want._marks, want._lexed_errors), (df.path, unchanged)


def test_reparse_after_every_corpus_fix_equals_a_full_parse():
    checked = 0
    for path in corpus_files():
        result = analyse_file(path, Options(estimate=False))
        if result.error:
            continue
        df = parse(result.source_text, path)
        for f in result.findings:
            if f.fix is None or not f.fix.edits:
                continue
            unchanged = min(df.index.offset(e.span.start) for e in f.fix.edits)
            _same_as_a_parse(df, apply_edits(df.text, f.fix.edits), unchanged)
            checked += 1
        fixed, applied = apply_fixes(df.text, result.findings, unsafe=True)
        if applied:  # all of a file's fixes at once: `dockerdiet fix --unsafe`
            unchanged = min(df.index.offset(e.span.start) for f in applied for e in f.fix.edits)
            _same_as_a_parse(df, fixed, unchanged)
    assert checked > 300  # the corpus has fixes to price
