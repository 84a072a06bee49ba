"""The parser's shortcuts (round 4) against the plain computations they stand for.

Each shortcut is switched off by putting the plain code back in its place; the parse of
generated and corpus Dockerfiles must then be the same, record for record.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import dockerfile
from bot.model.dockerfile import Dockerfile, Logical, _Assembler, parse, reparse
from bot.model.stages import _stage_from, assign_stages
from bot.model.words import key_values, split_words
from tests.conftest import corpus_files, requires_corpus


def _plain_one_line(self, chars, start, i, indent):
    """_Assembler._one_line as it was: every line through _node."""
    logical = Logical(chars, range(start, start + len(chars) + 1))
    return self._node(logical, len(self.df.instructions), nested=False, line=i)[0]


def _plain_assign_stages(df):
    """stages.assign_stages as it was: a list of every instruction built again."""
    errors = []
    env = dict(df.global_args)
    placed = []
    for ins in df.instructions:
        if ins.keyword == "FROM":
            df.stages.append(_stage_from(df, ins, env))  # the old loop's own lines, moved there
        elif not df.stages:
            if ins.keyword == "ARG":
                for k, v in key_values(split_words(ins.body.text, df.escape)):
                    df.global_args[k] = v
                    env[k] = v
            else:
                errors.append((ins.keyword_span, f"{ins.keyword} before the first FROM: no build stage in current context"))
            placed.append(ins)
            continue
        idx = len(df.stages) - 1
        if ins.stage != idx or (ins.inner is not None and ins.inner.stage != idx):
            inner = ins.inner._replace(stage=idx) if ins.inner is not None else None
            ins = ins._replace(stage=idx, inner=inner)
        if ins.keyword == "FROM":
            df.stages[idx].from_instruction = ins
        df.stages[idx].instructions.append(ins)
        placed.append(ins)
    df.instructions[:] = placed
    return errors


_init = _Assembler.__init__


def _plain_init(self, *args, **kwargs):
    """_Assembler.__init__, with every line's end asked whether it continues."""
    _init(self, *args, **kwargs)
    self.may_continue = ("",)  # every text ends with ""


def _plain_continued(self, i, start, kept):
    """_Assembler._continued as it was: (offset, text) pairs, offsets one piece at a time."""
    from bot.model.lexer.lines import continuation_cut, is_blank_or_comment

    pieces = [(start, kept)]
    last, j, cut = i, i + 1, 0
    while cut >= 0:
        while j < len(self.contents) and is_blank_or_comment(self.contents[j]):
            j += 1
        if j >= len(self.contents):
            break
        pieces.append((self.starts[j], self.contents[j]))
        last, j = j, j + 1
        cut = continuation_cut(pieces[-1][1], self.df.escape)
        if cut >= 0:
            pieces[-1] = (pieces[-1][0], pieces[-1][1][:cut])
    if len(pieces) == 1:
        self.open_at_end = i  # (as the parser: no resuming after this line, see _Assembler.run)
        return last, Logical(kept, range(start, start + len(kept) + 1))
    offsets = []
    for first, text in pieces:
        offsets.extend(range(first, first + len(text)))
    offsets.append(offsets[-1] + 1 if offsets else self.starts[last] + len(self.contents[last]))
    return last, Logical("".join(text for _, text in pieces), tuple(offsets))


# each shortcut: where it lives, and the plain code it stands for
PLAIN = {
    "continued": (_Assembler, "_continued", _plain_continued),
    "one_line": (_Assembler, "_one_line", _plain_one_line),
    "assign_stages": (dockerfile, "assign_stages", _plain_assign_stages),
    "shell_form": (_Assembler, "_arguments", _Assembler._read_arguments),
    "may_continue": (_Assembler, "__init__", _plain_init),
}


def snapshot(df) -> tuple:
    """Everything a parse gives, as comparable values."""
    stages = [(s.index, s.from_instruction, s.base, s.image, s.name, s.parent, s.instructions) for s in df.stages]
    return (df.instructions, df.comments, df.errors, stages, df.global_args, df.reaches_final, df._marks,
            df._lexed_errors, df.directive_lines, df.escape, df.directives)


def plain(monkeypatch: pytest.MonkeyPatch, text: str, shortcuts=tuple(PLAIN), old=None, unchanged: int = 0):
    """The parse of ``text`` (a reparse of ``old`` when given) with the ``shortcuts`` off."""
    with monkeypatch.context() as m:
        for name in shortcuts:
            m.setattr(*PLAIN[name])
        return reparse(old, text, unchanged) if old is not None else parse(text)


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
@given(dockerfiles(), st.sampled_from([(name,) for name in PLAIN] + [tuple(PLAIN)]))
def test_each_shortcut_parses_as_the_plain_code(text, shortcuts):
    with pytest.MonkeyPatch.context() as m:
        expected = snapshot(plain(m, text, shortcuts))
    assert snapshot(parse(text)) == expected


@settings(max_examples=200, deadline=None)
@given(dockerfiles(), st.integers(0, 200), st.sampled_from(["", "RUN x\n", "\\\n", "FROM b\n", "# c\n", "ARG A=1\n"]))
def test_a_reparse_with_the_shortcuts_equals_the_plain_reparse(text, at, insert):
    at = min(at, len(text))
    new = text[:at] + insert + text[at:]
    with pytest.MonkeyPatch.context() as m:
        expected = snapshot(plain(m, new, old=plain(m, text), unchanged=at))
    assert snapshot(reparse(parse(text), new, at)) == expected


@settings(max_examples=200, deadline=None)
@given(dockerfiles(), st.lists(st.integers(-1, 3), min_size=12, max_size=12))
def test_assign_stages_numbers_instructions_as_the_plain_code_also_when_the_parser_did_not(text, numbers):
    parsed = parse(text)
    results = []
    for assign in (assign_stages, _plain_assign_stages):
        df = Dockerfile(parsed.path, text, parsed.index, parsed.escape, dict(parsed.directives))
        df.instructions = [i._replace(stage=numbers[n % 12],
                                      inner=i.inner._replace(stage=numbers[-n % 12]) if i.inner is not None else None)
                           for n, i in enumerate(parsed.instructions)]
        results.append((assign(df), snapshot(df)))
    assert results[0] == results[1]


@requires_corpus
def test_the_shortcuts_parse_the_corpus_as_the_plain_code(monkeypatch):
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


def test_the_legacy_fingerprint_is_made_only_when_a_v1_marker_asks(monkeypatch):
    import bot.identity
    from bot.engine import Options, analyse_text

    def refuse(f):
        raise AssertionError("legacy fingerprint made for a check")

    monkeypatch.setattr(bot.identity, "legacy_fingerprint", refuse)
    findings = analyse_text("Dockerfile", "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\n",
                            Options(estimate=False)).findings
    assert findings and all(f.fingerprint for f in findings)
    assert "legacy_fingerprint" not in findings[0]._fields


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab \r\n", max_size=30), st.integers(0, 40), st.integers(0, 5), st.text(alphabet="x\n", max_size=3))
def test_apply_edits_with_the_callers_line_index_is_apply_edits(text, at, length, insert):
    from bot.model.text import Edit, LineIndex, Span, apply_edits

    index = LineIndex(text)
    a, b = min(at, len(text)), min(at + length, len(text))
    edits = [Edit(Span(index.position(a), index.position(b)), insert)]
    try:
        expected = apply_edits(text, edits)
    except ValueError as exc:  # a position inside a \r\n: the same refusal either way
        with pytest.raises(ValueError, match=str(exc)):
            apply_edits(text, edits, index)
        return
    assert apply_edits(text, edits, index) == expected
    assert apply_edits(text, edits, LineIndex(text + "\nmore")) == expected  # another text's index is not used


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a \r\n\t#")), max_size=30))
def test_line_contents_are_the_physical_lines_and_leave_the_index_alone(text):
    from bot.model.lexer.lines import line_contents
    from bot.model.text import LineIndex

    index = LineIndex(text)
    contents = line_contents(text, index.pieces)
    expected = [raw.rstrip("\r") for raw in text.split("\n")]
    if len(expected) > 1 and text.endswith("\n"):
        expected.pop()
    assert contents == expected and contents is not index.pieces
    assert index.pieces == text.split("\n")  # the parser's lines are a copy: the index keeps its own
    assert len(parse(text).index.starts) == len(text.split("\n"))


@settings(max_examples=200, deadline=None)
@given(dockerfiles())
def test_stage_of_is_the_stage_numbered_or_none(text):
    df = parse(text)
    assert df._stage_at[:-1] == tuple(df.stages)
    for ins in df.instructions:
        for number in range(-1, len(df.stages) + 3):
            moved = ins._replace(stage=number)
            expected = df.stages[number] if 0 <= number < len(df.stages) else None
            assert df.stage_of(moved) is expected


def test_a_shell_form_run_with_a_bracket_is_still_read_by_dispatch():
    df = parse('FROM a\nRUN [ -f x ] && echo\nRUN ["a", 1]\nCMD ["a"]\nENTRYPOINT x\nRUN\n')
    assert [i.json_args for i in df.instructions] == [None, None, None, ("a",), None, None]
    assert [e.message for e in df.errors] == ["when using JSON array syntax, arrays must be comprised of strings only"]


PARAM_VALUES = st.one_of(st.sampled_from(["", " a  b ", "python:3.12-slim", "x"]), st.integers(0, 3), st.none())


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["path", "url", "ecosystem", "manager", "cleaned", "ignore_file", "uid",
                                        "from_image", "into_image", "bytes", "packages", "kind"]), PARAM_VALUES),
       st.sampled_from(["", "s"]), st.sampled_from(["", "id\x1ex"]), st.sampled_from(["", "0123abcd"]))
def test_identity_shortcuts_give_what_the_long_way_gives(params, subject, identity, fp):
    from bot.identity import _identified, _named_by_params, _NAMING_PARAMS
    from bot.engine import Options, analyse_text

    # a hint whose params name nothing: the parts the loop would find are none
    if _NAMING_PARAMS.isdisjoint(params):
        assert _named_by_params(params) == []
    f = analyse_text("Dockerfile", "FROM debian\nRUN apt-get install -y curl\n", Options(estimate=False)).findings[0]
    assert _identified(f, subject, identity, fp) == f.with_(subject=subject, identity=identity, fingerprint=fp)


def test_assign_finds_the_instructions_also_out_of_file_order():
    from bot.engine import Options, analyse_text
    from bot.identity import assign
    from bot.rules.base import Context

    text = "FROM debian AS a\nRUN apt-get install -y curl\nFROM debian\nRUN apt-get install -y git\nCOPY --from=a / /\n"
    result = analyse_text("Dockerfile", text, Options(estimate=False))
    ctx = Context(parse(text), "Dockerfile")
    plain = assign(ctx, result.findings)
    ctx.df.instructions.reverse()
    assert assign(ctx, result.findings) == plain == list(result.findings)


def _plain_offset(index, pos):
    """LineIndex.offset as it was: every position checked against line_end."""
    from bot.model.text import LineIndex

    if not 1 <= pos.line <= len(index.starts):
        raise ValueError(f"line {pos.line} outside 1..{len(index.starts)}")
    start = index.starts[pos.line - 1]
    off = start + pos.column - 1
    if not start <= off <= LineIndex.line_end(index, pos.line):
        raise ValueError(f"column {pos.column} outside line {pos.line}")
    return off


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab\r\n")), max_size=20))
def test_offset_is_the_checked_offset(text):
    from bot.model.text import LineIndex, Position

    index = LineIndex(text)
    for line in range(0, index.line_count + 2):
        for column in range(-1, 8):
            pos = Position(line, column)
            try:
                expected = _plain_offset(index, pos)
            except ValueError as exc:
                with pytest.raises(ValueError, match=str(exc)):
                    index.offset(pos)
                continue
            assert index.offset(pos) == expected


@settings(max_examples=200, deadline=None)
@given(dockerfiles())
def test_reaching_stages_is_the_walk_back_from_the_final_stage(text):
    from bot.model.stages import _reached, reaching_stages

    df = parse(text)
    assert reaching_stages(df) == (_reached(df) if df.stages else frozenset())


@pytest.mark.parametrize("text", ["FROM a\nRUN a \\\n\\\n b\n", "FROM a\nRUN a \\\n  \\  \n# c\n\n b \\\n", "RUN \\\n",
                                  "FROM a\nRUN a \\\r\n b\\\\\r\n", "# escape=`\nFROM a\nRUN a `\n b\\\n c `\n"])
def test_continued_lines_read_as_the_plain_code(text, monkeypatch):
    assert snapshot(parse(text)) == snapshot(plain(monkeypatch, text, ("continued",)))
