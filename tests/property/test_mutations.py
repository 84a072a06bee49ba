"""Mutated real Dockerfiles never crash the engine; positions stay inside the file and
fixes stay idempotent (hypothesis drops, duplicates and breaks lines)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import Options, analyse_text, fix_source
from bot.model.dockerfile import parse
from bot.model.source import Source
from bot.model.text import LineIndex
from tests.conftest import corpus_files, requires_corpus

FILES = corpus_files()
TEXTS = []
for _p in FILES[::4]:
    try:
        TEXTS.append(open(_p, encoding="utf-8").read())
    except UnicodeDecodeError:
        pass

INSERTS = ["\\", "\\\n", '"', "'", "<<EOF\n", "<<-EOF", "\nEOF\n", "&&", "|", ";", "$(", "`", "#", "\r\n", "\t", "[", "--mount=type=cache,target=/var/lib/apt ", "RUN ", "\nFROM scratch\n", "\u00e9"]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(TEXTS))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["drop", "dup", "insert", "swap"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if kind == "drop" and len(lines) > 1:
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            line = lines[i]
            k = draw(st.integers(0, len(line)))
            lines[i] = line[:k] + draw(st.sampled_from(INSERTS)) + line[k:]
    return "\n".join(lines)


@requires_corpus
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_never_crash_and_fixes_are_idempotent(text):
    result = analyse_text("Dockerfile", text, Options(estimate=False))
    index = LineIndex(text)
    for f in result.findings:
        for pos in (f.span.start, f.span.end):
            index.offset(pos)  # raises if the position is outside the file
        if f.fix is not None:
            for e in f.fix.edits:
                index.offset(e.span.start)
                index.offset(e.span.end)
    outcome = fix_source(Source("Dockerfile", text), Options(estimate=False), unsafe=True)
    assert len(parse(outcome.fixed).errors) <= len(parse(text).errors)
    again = fix_source(Source("Dockerfile", outcome.fixed), Options(estimate=False), unsafe=True)
    assert again.fixed == outcome.fixed
