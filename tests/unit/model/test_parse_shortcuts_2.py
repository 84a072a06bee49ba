"""The parser's shortcuts (round 4) against the plain computations they stand for.

Each shortcut is switched off by putting the plain code back in its place; the parse of
generated and corpus Dockerfiles must then be the same, record for record.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import dockerfile
from bot.model.dockerfile import Logical, _Assembler, parse, reparse
from tests.conftest import corpus_files, requires_corpus


def _plain_one_line(self, chars, start, i, indent):
    """_Assembler._one_line as it was: every line through _node."""
    logical = Logical(chars, range(start, start + len(chars) + 1))
    return self._node(logical, len(self.df.instructions), nested=False, line=i)[0]


def snapshot(df) -> tuple:
    """Everything a parse gives, as comparable values."""
    stages = [(s.index, s.from_instruction, s.base, s.image, s.name, s.parent, s.instructions) for s in df.stages]
    return (df.instructions, df.comments, df.errors, stages, df.global_args, df.reaches_final, df._marks,
            df._lexed_errors, df.directive_lines, df.escape, df.directives)


def plain(monkeypatch: pytest.MonkeyPatch, text: str):
    with monkeypatch.context() as m:
        m.setattr(_Assembler, "_one_line", _plain_one_line)
        return parse(text)


KEYWORDS = st.sampled_from(["RUN", "run", "Copy", "ADD", "FROM", "ENV", "ARG", "LABEL", "CMD", "ENTRYPOINT", "SHELL",
                            "WORKDIR", "USER", "EXPOSE", "VOLUME", "STOPSIGNAL", "MAINTAINER", "HEALTHCHECK",
                            "ONBUILD", "onbuild run", "ONBUILD ONBUILD", "BOGUS", "-", "\\", "--x"])
ARGUMENTS = st.sampled_from(["", " ", "a", "a b", "a AS b", "x=1 y=2", "x 1 2", "[\"a\", \"b\"]", "[1]", "[\"a\"",
                             "--from=s a /b", "--link a b", "--mount=type=cache,target=/c echo", "-- x", "--", "--bad x",
                             "NONE", "CMD true", "--interval=1s CMD x", "<<EOF", "cat <<-E x", "'q q' \"d\"",
                             "a\\", "a \\\\", "\u00a0x", "\x1cx", "=v", "a=\"\" b", "1stage"])
SPACES = st.sampled_from(["", " ", "  ", "\t", " \t", "\u3000", "\v"])
LINE = st.one_of(
    st.builds(lambda lead, kw, sep, args, tail: f"{lead}{kw}{sep}{args}{tail}", SPACES, KEYWORDS,
              st.sampled_from([" ", "\t", "  ", "\f", "\u00a0", ""]), ARGUMENTS, SPACES),
    st.sampled_from(["# c", "", "  ", "EOF", "E", "\tx", "FROM a AS s"]),
)


@st.composite
def dockerfiles(draw) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    head = draw(st.sampled_from(["", "# escape=`" + nl, "# syntax=x" + nl]))
    lines = draw(st.lists(LINE, max_size=10))
    return head + nl.join(lines) + draw(st.sampled_from(["", nl]))


@settings(max_examples=400, deadline=None)
@given(dockerfiles())
def test_one_line_instructions_parse_as_node_reads_them(text):
    with pytest.MonkeyPatch.context() as m:
        expected = snapshot(plain(m, text))
    assert snapshot(parse(text)) == expected


@requires_corpus
def test_one_line_shortcut_matches_on_the_corpus(monkeypatch):
    for path in corpus_files():
        with open(path, encoding="utf-8") as f:
            text = f.read().lstrip("\ufeff")
        assert snapshot(parse(text, path)) == snapshot(plain(monkeypatch, text)), path


def test_the_shortcut_is_taken_for_plain_lines_and_not_for_onbuild_or_flags(monkeypatch):
    seen = []
    node = _Assembler._node
    monkeypatch.setattr(_Assembler, "_node", lambda self, logical, *a, **k: seen.append(logical.text) or node(self, logical, *a, **k))
    parse("FROM a\nRUN echo hi\nCOPY --from=a x y\nONBUILD RUN x\nCMD [\"a\"]\n")
    assert seen == ["COPY --from=a x y", "ONBUILD RUN x", "RUN x"]


def test_reparse_after_the_shortcut_equals_a_fresh_parse():
    text = "FROM a\nRUN one\n# c\nRUN two \\\n  more\nENV A=1\n"
    df = parse(text)
    new = text.replace("RUN two", "RUN two three")
    assert snapshot(reparse(df, new, new.index("RUN two") + 7)) == snapshot(parse(new))
    assert dockerfile._ONE_LINE_KEYWORDS == dockerfile.INSTRUCTIONS - {"ONBUILD"}
