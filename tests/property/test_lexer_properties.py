"""Invariants of the lexer over Dockerfiles generated from a grammar of BuildKit's constructs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model.dockerfile import _FLAGS_ONLY_CHECKED, INSTRUCTIONS, parse, reparse
from bot.model.text import LineIndex

WORDS = st.sampled_from(["a", "b", "-x", "$V", "${V:-d}", "'q q'", '"d d"', "x=1", "\\t", "&&", "|", ";", "/p/q"])
NEWLINE = st.sampled_from(["\n", "\r\n"])


@st.composite
def shell_line(draw):
    words = draw(st.lists(WORDS, min_size=1, max_size=5))
    return " ".join(words)


@st.composite
def run(draw, nl):
    parts = draw(st.lists(shell_line(), min_size=1, max_size=3))
    flags = draw(st.sampled_from(["", "--mount=type=cache,target=/c ", '--network="none" ', "-- "]))
    out = "RUN " + flags
    for i, part in enumerate(parts):
        out += part
        if i < len(parts) - 1:
            out += " \\" + nl
            out += draw(st.sampled_from(["", "# inner comment" + nl, nl, "   "]))
    return out + nl


@st.composite
def heredoc(draw, nl):
    name = draw(st.sampled_from(["EOF", "END", "x.txt"]))
    marker = draw(st.sampled_from(["<<", "<<-", "<< ", "<<'", '<<"']))
    close = "'" if marker == "<<'" else '"' if marker == '<<"' else ""
    keyword = draw(st.sampled_from(["RUN cat ", "COPY ", "RUN "]))
    dest = " /dst" if keyword == "COPY " else ""
    body = draw(st.lists(shell_line(), max_size=3))
    text = f"{keyword}{marker}{name}{close}{dest}{nl}"
    text += "".join(("\t" if marker == "<<-" else "") + b + nl for b in body)
    return text + name + nl


@st.composite
def instruction(draw, nl):
    kind = draw(st.sampled_from(["run", "heredoc", "env", "copy", "cmd", "comment", "blank", "quoted-marker"]))
    if kind == "run":
        return draw(run(nl))
    if kind == "heredoc":
        return draw(heredoc(nl))
    if kind == "env":
        return "ENV " + draw(st.sampled_from(["A=1", 'A="x y" B=2', "A b c", "C=trailing\\\\"])) + nl
    if kind == "copy":
        return "COPY " + draw(st.sampled_from(["", '--from="s" ', "--chown=a:b ", "--link "])) + "a /b" + nl
    if kind == "cmd":
        return "CMD " + draw(st.sampled_from(['["a", "b"]', "a b", "['a']"])) + nl
    if kind == "comment":
        return draw(st.sampled_from(["# note", "  # indented", "#"])) + nl
    if kind == "blank":
        return draw(st.sampled_from(["", "   ", "\t"])) + nl
    return "RUN echo " + draw(st.sampled_from(['"<<EOF"', "'<<EOF'", "\\<<EOF"])) + nl


@st.composite
def dockerfile(draw):
    nl = draw(NEWLINE)
    head = draw(st.sampled_from(["", "# syntax=docker/dockerfile:1" + nl, "# escape=\\" + nl]))
    body = draw(st.lists(instruction(nl), max_size=8))
    return head + "FROM a AS s" + nl + "".join(body)


def _line_kinds(text: str, df) -> list[str]:
    """What each physical line is part of: an instruction, a comment, a directive or blank."""
    index = LineIndex(text)
    kinds = ["?"] * index.line_count
    for n in range(df.directive_lines):
        kinds[n] = "directive"
    for c in df.comments:
        kinds[c.line - 1] = "comment" if kinds[c.line - 1] == "?" else "overlap"
    for ins in df.instructions:
        for line in range(ins.span.start.line, ins.span.end.line + 1):
            kinds[line - 1] = "instruction" if kinds[line - 1] == "?" else "overlap"
    for n, kind in enumerate(kinds):
        if kind == "?" and not index.line_text(n + 1).strip():
            kinds[n] = "blank"
    return kinds


@settings(max_examples=300, deadline=None)
@given(dockerfile())
def test_every_line_belongs_to_exactly_one_part(text):
    df = parse(text)
    assert not df.errors, [e.message for e in df.errors]
    kinds = _line_kinds(text, df)
    assert "overlap" not in kinds and "?" not in kinds, list(zip(text.splitlines(), kinds))
    starts = [ins.span.start for ins in df.instructions]
    assert starts == sorted(starts)
    for a, b in zip(df.instructions, df.instructions[1:]):
        assert a.span.end < b.span.start


@settings(max_examples=300, deadline=None)
@given(dockerfile())
def test_every_character_maps_back_to_the_file(text):
    df = parse(text)
    for ins in df.instructions:
        for logical in (ins.args, ins.body):
            for ch, offset in zip(logical.text, logical.offsets):
                assert text[offset] == ch
        for h in ins.heredocs:
            for ch, offset in zip(h.body.text, h.body.offsets):
                assert text[offset] == ch or (ch == "\n" and text[offset] in "\r\n")
        index = df.index
        assert index.position(index.offset(ins.span.start)) == ins.span.start
        assert index.position(index.offset(ins.span.end)) == ins.span.end


@settings(max_examples=200, deadline=None)
@given(dockerfile(), st.sampled_from(['"<<EOF"', "'<<EOF'", '"x <<EOF y"']))
def test_a_quoted_heredoc_marker_changes_nothing_after_it(text, quoted):
    plain = parse(text + "RUN echo EOF\nRUN apt-get update\n")
    marked = parse(text + f"RUN echo {quoted}\nRUN apt-get update\n")
    assert [(i.keyword, i.body.text) for i in plain.instructions][-1] == \
        [(i.keyword, i.body.text) for i in marked.instructions][-1] == ("RUN", "apt-get update")
    assert len(plain.instructions) == len(marked.instructions)


def _model(df) -> tuple:
    """Everything a parse produces, stages included."""
    stages = [(s.index, s.base, s.image, s.name, s.parent, s.instructions, s.from_instruction) for s in df.stages]
    return (df.text, df.escape, df.directives, df.directive_lines, df.instructions, df.comments, df.errors,
            stages, df.global_args, df.reaches_final)


EDITS = st.sampled_from(["", "x", " && rm -rf /var/lib/apt/lists/*", "\n", "\\\n", "\nRUN echo hi\n", "<<EOF\n",
                         "#", "# escape=`\n", "FROM y AS z\n", "\r\n", "ONBUILD RUN a\n", "EOF\n", "FOO x\n",
                         "COPY --chown=a:b --from=s a /b\n"])


@settings(max_examples=300, deadline=None)
@given(dockerfile(), st.data())
def test_reparse_after_an_edit_equals_a_full_parse(text, data):
    """The size model prices a fix by re-parsing from the fix's first edit on: what it
    gets must be the parse of the whole fixed text, wherever the edit falls (inside a
    continuation or a heredoc, on the directive lines, at the end)."""
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, min(6, len(text) - at)))
    fixed = text[:at] + data.draw(EDITS) + text[at + cut :]
    assert _model(reparse(parse(text), fixed, at)) == _model(parse(fixed))


@settings(max_examples=300, deadline=None)
@given(dockerfile(), st.data())
def test_reparse_of_a_reparse_equals_a_full_parse(text, data):
    """Two edits in turn (the second one before, inside or after the first): the rest of
    the file taken from the first reparse, moved twice, and the marks the second one
    resumes from, are what a parse gives."""
    df = parse(text)
    for _ in range(2):
        at = data.draw(st.integers(0, len(df.text)))
        cut = data.draw(st.integers(0, min(12, len(df.text) - at)))
        fixed = df.text[:at] + data.draw(st.one_of(EDITS, st.builds("".join, st.lists(EDITS, max_size=3)))) \
            + df.text[at + cut :]
        df, want = reparse(df, fixed, at), parse(fixed)
        assert _model(df) == _model(want)
        assert (df._marks, df._lexed_errors) == (want._marks, want._lexed_errors)


def test_a_reparse_reads_again_an_escape_left_open_before_comments_to_the_end():
    """A line ending in the escape, followed only by comments, is an instruction of its own
    because nothing follows: once a later line stops being a comment, the lines join. Found
    by the property above (a reparse resumed after the open line and kept its old error)."""
    first = reparse(parse("FROM a AS s\n"), "\\\n#FROM a AS s\n", 0)
    fixed = "\\\nx#FROM a AS s\n"
    for df in (first, parse(first.text)):
        again, want = reparse(df, fixed, 2), parse(fixed)
        assert _model(again) == _model(want)
        assert [e.message for e in again.errors] == ["unknown instruction: x#FROM"]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab\n", max_size=12), st.text(alphabet="ab\n", max_size=12), st.text(alphabet="ab\n", max_size=12),
       st.integers(0, 30))
def test_common_suffix_is_the_longest_common_end_within_the_limit(head, tail, other, limit):
    from bot.model.dockerfile import _common_suffix

    a, b = head + tail, other + tail
    limit = min(limit, len(a), len(b))
    longest = max(k for k in range(limit + 1) if a[len(a) - k :] == b[len(b) - k :])
    assert _common_suffix(a, b, limit) == longest


def test_reparse_reads_the_directives_again_when_an_edit_makes_one():
    """A line that now reads as a directive changes the escape of the whole file."""
    for text, at in (("FROM a\nRUN a \\\n b\n", 0), ("# syntax=x\nFROM a\nRUN a `\n b\n", 11)):
        fixed = text[:at] + "# escape=`\n" + text[at:]
        assert _model(reparse(parse(text), fixed, at)) == _model(parse(fixed))
        assert parse(fixed).escape == "`"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=$ \t\u3000\xa0\x1c\x1f'\"\\`")), max_size=20),
       st.sampled_from(["\\", "`"]))
def test_parse_words_shortcut_reads_as_the_character_loop(text, escape):
    from bot.model.lexer.arguments import _read_words, parse_words

    assert parse_words(text, escape) == _read_words(text, escape)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a \r\n\t#")), max_size=30))
def test_physical_lines_are_the_file_cut_at_each_newline(text):
    from bot.model.lexer.lines import physical_lines

    expected, pos = [], 0
    for raw in text.split("\n"):  # one line per piece, its \r endings dropped, offsets counted
        expected.append((pos, raw.rstrip("\r")))
        pos += len(raw) + 1
    if len(expected) > 1 and text.endswith("\n"):
        expected.pop()
    assert physical_lines(text) == expected
    assert physical_lines(text, LineIndex(text).starts) == expected
    index = LineIndex(text)
    assert physical_lines(text, index.starts, index.pieces) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a \r\n\t#\u2028")), max_size=30))
def test_line_starts_are_the_offsets_after_each_newline(text):
    # the running sums of LineIndex against the str.find loop it replaced
    starts, i = [0], text.find("\n")
    while i != -1:
        starts.append(i + 1)
        i = text.find("\n", i + 1)
    index = LineIndex(text)
    assert index.starts == starts
    assert index.pieces == text.split("\n")


@settings(max_examples=300, deadline=None)
@given(dockerfile())
def test_a_keyword_span_on_one_line_covers_the_keyword(text):
    df = parse(text)
    for ins in df.instructions:
        for node in (ins, ins.inner) if ins.inner is not None else (ins,):
            span = node.keyword_span
            if span.start.line == span.end.line:
                written = text[df.index.offset(span.start) : df.index.offset(span.end)]
                assert written.upper() == node.keyword


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a# \t\u3000\xa0\x1c\x85\n")), max_size=12), st.integers(0, 14))
def test_lead_skips_exactly_go_white_space(text, pos):
    import re

    from bot.model.lexer.spaces import GO_SPACE, lead

    assert lead(text, pos) == re.compile(f"[{GO_SPACE}]*").match(text, pos).end()


_SPACEY = st.text(alphabet=st.sampled_from(["a", "R", "-", "=", " ", "\t", "\xa0", "\u3000", "\x1c", "\\"]), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_SPACEY)
def test_the_parsers_lead_shortcut_is_lead(text):
    """_node skips lead() when the text starts with no Go space: the same index."""
    from bot.model.lexer.spaces import GO_SPACE, lead

    assert (lead(text) if text[:1] in GO_SPACE else 0) == lead(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_FLAGS_ONLY_CHECKED)), _SPACEY)
def test_instructions_the_parser_does_not_check_without_flags_pass_the_check(keyword, rest):
    """_node skips arguments.check for a RUN, CMD or ENTRYPOINT without flags: the
    check finds nothing there, whatever the arguments."""
    from bot.model.lexer import arguments

    parsed = arguments.dispatch(keyword, rest, "\\")
    assert arguments.check(keyword, parsed, []) is None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(INSTRUCTIONS)), _SPACEY | st.sampled_from(['["a", "b"]', '[1]', "[x", " [\"s\"]"]))
def test_dispatch_readings_are_arguments_records(keyword, rest):
    """dispatch builds its common readings with tuple.__new__: still Arguments records,
    with every field."""
    from bot.model.lexer import arguments

    parsed = arguments.dispatch(keyword, rest, "\\")
    assert type(parsed) is arguments.Arguments
    assert len(parsed) == len(arguments.Arguments._fields)
    assert type(parsed.words) is tuple


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "/", "$", "{", "=", " ", "\t", "\xa0"]), max_size=12))
def test_unquoted_words_are_the_blank_separated_runs_with_their_offsets(text):
    """split_words' plain path (no quote, no escape: words found by a regex, records made
    with tuple.__new__) gives RawWord records of each run between spaces and tabs."""
    from bot.model.words import RawWord, split_words

    expected, start = [], None
    for i, c in enumerate(text + " "):
        if c in " \t":
            if start is not None:
                expected.append(RawWord(text[start:i], start, i))
            start = None
        elif start is None:
            start = i
    words = split_words(text)
    assert words == expected and all(type(w) is RawWord for w in words)


ONE_LINERS = st.sampled_from(["  RUN echo ü", "\tCOPY a /b", "ONBUILD RUN y é", "  ONBUILD  COPY a /b", "ÜNKNOWN x",
                              "  # ä comment", "#", "RUN", "  FROM b AS t  ", "RUN a \\", "LABEL a=ß \\\n  b=1"])


@settings(max_examples=300, deadline=None)
@given(dockerfile(), st.lists(ONE_LINERS, max_size=6), NEWLINE)
def test_positions_read_off_the_line_are_the_index_look_ups(text, extra, nl):
    """The parser builds the positions of a one-line instruction and of a comment from
    the line it reads (no look-up): they are those LineIndex.position gives."""
    from unittest import mock

    from bot.model import dockerfile as model
    from bot.model.lexer.spaces import GO_SPACE
    from bot.model.text import Span

    text += nl.join(extra) + (nl if extra else "")
    df = parse(text)
    node = model._Assembler._node

    def looked_up(self, logical, index, nested, line=-1):  # the look-up path for every instruction
        return node(self, logical, index, nested)

    with mock.patch.object(model._Assembler, "_node", looked_up):
        old = parse(text)
    assert _model(df) == _model(old)
    position, starts = df.index.position, df.index.starts
    for c in df.comments:
        line = df.index.line_text(c.line)
        at = starts[c.line - 1] + len(line) - len(line.lstrip(GO_SPACE))
        assert c.span == Span(position(at), position(starts[c.line - 1] + len(line)))
