"""A Dockerfile parsed once into stages and instructions with exact positions.

dockerfile-parse joins continuations and collapses whitespace, so it cannot give
columns, and it misreads heredocs; this lexer follows BuildKit's own rules instead
(parser directives, escape character, continuation lines that skip comments and
blank lines, heredocs, ONBUILD) and keeps, for every character of an instruction's
logical text, the offset it came from in the file.

Nothing here raises on bad input: problems become :class:`ParseError` records that
the engine reports as DT900, and the rest of the file is still modelled.
"""

from __future__ import annotations

import bisect
from itertools import chain
from operator import add
from typing import Sequence

from bot.model.lexer import arguments
from bot.model.lexer.arguments import INSTRUCTIONS
from bot.model.lexer.directives import read_directives
from bot.model.lexer.flags import FlagWord, read_flags
from bot.model.lexer.heredocs import Marker, markers_in_line
from bot.model.lexer.lines import continuation_cut, is_blank_or_comment, line_contents
from bot.model.lexer.shellwords import ShellSyntaxError
from bot.model.lexer.spaces import GO_SPACE, WORD_BREAK, lead
from bot.model.records import Record, field
from bot.model.stages import Stage, assign_stages, reaching_stages
from bot.model.text import LineIndex, Position, Span
from bot.model.words import RawWord, split_words

__all__ = ["INSTRUCTIONS", "Comment", "Dockerfile", "Flag", "Heredoc", "Instruction", "Logical", "ParseError",
           "Stage", "parse"]
_new_tuple = tuple.__new__
HEREDOC_INSTRUCTIONS = frozenset(("RUN", "COPY", "ADD"))
# the keywords whose instruction check (arguments.check) is their flags' check alone
_FLAGS_ONLY_CHECKED = frozenset(("RUN", "CMD", "ENTRYPOINT"))
_JSON_FORMS = frozenset(("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"))
# the keywords _Assembler._one_line reads itself (ONBUILD holds an instruction of its own)
_ONE_LINE_KEYWORDS = INSTRUCTIONS - {"ONBUILD"}


class Logical(Record):
    """Text with continuations and skipped lines removed, mapped back to the file.

    ``offsets[i]`` is the file offset of ``text[i]``; one extra entry holds the
    offset just past the last character.
    """

    __slots__ = ()
    _fields = ("text", "offsets")
    text = field(0, "str")
    # a ``range`` when the text is one unbroken run of the file (a one-line instruction,
    # most of them): it costs nothing per character, where a tuple holds one int for each
    offsets = field(1, "Sequence[int]")

    def __new__(cls, text, offsets):
        return tuple.__new__(cls, (text, offsets))

    def file_range(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            o = self.offsets[start]
            return o, o
        return self.offsets[start], self.offsets[end - 1] + 1

    def slice(self, start: int, end: int | None = None) -> "Logical":
        end = len(self.text) if end is None else end
        offsets = self.offsets
        if type(offsets) is range and 0 <= start <= len(self.text) and 0 <= end <= len(self.text):
            # a slice of one run is a run: from offsets[start], one entry per character plus the end
            first = offsets[start]
            # tuple.__new__ directly: the record's own __new__ is one more Python call per slice
            return _new_tuple(Logical, (self.text[start:end], range(first, first + max(end - start, 0) + 1)))
        return Logical(self.text[start:end], tuple(offsets[start:end]) + (self.file_range(start, end)[1],))


class Flag(Record):
    __slots__ = ()
    _fields = ("name", "value", "span")
    name = field(0, "str: without the leading dashes")
    value = field(1, "str | None")
    span = field(2, "Span")

    def __new__(cls, name, value, span):
        return tuple.__new__(cls, (name, value, span))


class Heredoc(Record):
    __slots__ = ()
    _fields = ("word", "strip_tabs", "quoted", "body", "span", "closed")
    word = field(0, "str")
    strip_tabs = field(1, "bool: <<-")
    quoted = field(2, 'bool: <<"EOF": no expansion inside')
    body = field(3, 'Logical: the lines between marker and terminator, \\r removed')
    span = field(4, "Span: from the first body line to the end of the terminator line")
    closed = field(5, "bool")

    def __new__(cls, word, strip_tabs, quoted, body, span, closed):
        return tuple.__new__(cls, (word, strip_tabs, quoted, body, span, closed))


class Instruction(Record):
    __slots__ = ()
    _fields = ("keyword", "index", "span", "keyword_span", "args", "flags", "body", "heredocs", "json_args", "inner",
               "stage")
    keyword = field(0, "str: upper case")
    index = field(1, "int: order in the file, ONBUILD inner instructions share their parent's")
    span = field(2, "Span: keyword start .. end of the last line (incl. heredoc terminators)")
    keyword_span = field(3, "Span")
    args = field(4, "Logical: everything after the keyword and its whitespace")
    flags = field(5, "tuple[Flag, ...]")
    body = field(6, "Logical: args after the flags")
    heredocs = field(7, "tuple[Heredoc, ...]")
    json_args = field(8, "tuple[str, ...] | None: exec form")
    inner = field(9, "Instruction | None: the instruction an ONBUILD wraps")
    stage = field(10, "int: index of the stage, -1 before the first FROM")

    def __new__(cls, keyword, index, span, keyword_span, args, flags, body, heredocs=(), json_args=None, inner=None,
                stage=-1):
        return tuple.__new__(cls, (keyword, index, span, keyword_span, args, flags, body, heredocs, json_args, inner,
                                   stage))

    @property
    def line(self) -> int:
        return self.span.start.line

    @property
    def end_line(self) -> int:
        return self.span.end.line

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flag_values(self, name: str) -> list[str]:
        return [f.value or "" for f in self.flags if f.name == name]

    @property
    def normalized(self) -> str:
        """Whitespace-collapsed text, stable across re-indentation: fingerprints use it."""
        parts = [self.keyword] + [f"--{f.name}={f.value}" for f in self.flags] + self.body.text.split()
        parts += [h.body.text for h in self.heredocs]
        return " ".join(parts)

    def words(self, escape: str = "\\") -> list[RawWord]:
        """Dockerfile words of the body (for COPY, ENV, ...), offsets into ``body``."""
        return split_words(self.body.text, escape)

    def effective(self) -> "Instruction":
        """The instruction that runs: the inner one for ONBUILD."""
        return self.inner if self.inner is not None else self


class Comment(Record):
    __slots__ = ()
    _fields = ("line", "text", "span")
    line = field(0, "int")
    text = field(1, "str: without the leading '#', stripped")
    span = field(2, "Span")

    def __new__(cls, line, text, span):
        return tuple.__new__(cls, (line, text, span))


class ParseError(Record):
    __slots__ = ()
    _fields = ("span", "message", "phase")
    span = field(0, "Span")
    message = field(1, "str: BuildKit's reason, in its words")
    phase = field(2, "int: 0: the parser fails on it (BuildKit stops there first); 1: an instruction check")

    def __new__(cls, span, message, phase=1):
        return tuple.__new__(cls, (span, message, phase))


class Dockerfile:
    __slots__ = ("path", "text", "index", "escape", "directives", "directive_lines", "instructions", "comments",
                 "stages", "global_args", "errors", "reaches_final", "_posix", "_marks", "_lexed_errors", "_effective",
                 "_stage_at")

    def __init__(self, path: str, text: str, index: LineIndex, escape: str, directives: dict[str, str]) -> None:
        self.path = path
        self.text = text
        self.index = index
        self.escape = escape
        self.directives = directives
        self.directive_lines = 0  # the parser directives are the first lines of the file
        self.instructions: list[Instruction] = []
        self.comments: list[Comment] = []
        self.stages: list[Stage] = []
        self.global_args: dict[str, str] = {}
        self.errors: list[ParseError] = []
        self.reaches_final: frozenset[int] = frozenset()
        self._posix: dict[int, bool] = {}  # stage index -> is_posix_shell, once the file is parsed
        # (line, instructions, comments, errors) as the parser reached each line that starts an
        # instruction or a comment: where reparse() may pick up
        self._marks: list[tuple[int, int, int, int]] = []
        self._lexed_errors = 0  # how many of the errors the lexer made, before stage assignment adds its own
        self._effective: tuple[Instruction, ...] | None = None  # all_instructions(), once asked (after the parse)
        self._stage_at: tuple[Stage | None, ...] = (None,)  # for stage_of(): the stages, then None (set by _finish)

    def __repr__(self) -> str:
        return f"Dockerfile({self.path!r}, {len(self.instructions)} instructions, {len(self.stages)} stages)"

    def span(self, start: int, end: int) -> Span:
        position = self.index.position
        if 0 <= start <= end:
            # offsets in order give positions in order: Span's own check (one more Python
            # call, for each span of the parse and of every finding) has nothing to catch
            return _new_tuple(Span, (position(start), position(end)))
        return Span(position(start), position(end))

    def logical_span(self, logical: Logical, start: int, end: int) -> Span:
        a, b = logical.file_range(start, end)
        return self.span(a, b)

    def stage_of(self, instruction: Instruction) -> Stage | None:
        # asked ~14K times in a corpus run: one look-up in (*stages, None), where the
        # stage numbers -1 (before the first FROM; the least there is) and len(stages) find None
        try:
            return self._stage_at[instruction.stage]
        except IndexError:  # a number past them
            return None

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_named(self, ref: str) -> Stage | None:
        """A stage by alias or index, as ``FROM x`` or ``COPY --from=x`` names it."""
        ref = ref.lower()
        for s in self.stages:
            if s.name and s.name == ref:
                return s
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def in_final_image(self, instruction: Instruction) -> bool:
        return instruction.stage in self.reaches_final

    def all_instructions(self) -> tuple[Instruction, ...]:
        """Every instruction, with the inner ones of ONBUILD in place of the wrapper."""
        # kept: each rule's selection of instructions starts here, and a parsed file never changes
        found = self._effective
        if found is None:
            found = self._effective = tuple(map(Instruction.effective, self.instructions))
        return found

    def is_posix_shell(self, stage: Stage | None) -> bool:
        """False for Windows-style files (backtick escape, or SHELL set to pwsh/cmd)."""
        if self.escape != "\\":
            return False
        if stage is None:
            return True
        # asked for every RUN (and every RUN of every modelled image): a stage's answer is kept
        found = self._posix.get(stage.index)
        if found is None:
            found = self._posix[stage.index] = not any(
                ins.keyword == "SHELL" and ins.json_args
                and ins.json_args[0].lower().rsplit("/", 1)[-1].rsplit("\\", 1)[-1].startswith(("pwsh", "powershell", "cmd"))
                for ins in stage.instructions)  # fmt: skip
        return found


class _Assembler:
    """Walks the physical lines as BuildKit's parser does and builds the instructions."""

    def __init__(self, df: Dockerfile, contents: list[str], tail: "_Tail | None" = None) -> None:
        self.df = df
        # the physical lines (see lexer.lines): their text, and the file offset each starts at
        # (two lists, not a PhysicalLine per line: one tuple less for each line of each parse)
        self.contents = contents
        self.starts = df.index.starts
        # how a line that continues ends (continuation_cut's rule): others need not be asked
        self.may_continue = (df.escape, " ", "\t")
        # the stage the instructions read next belong to, numbered as assign_stages does (-1
        # before the first FROM): set as each Instruction is made, not by a copy of each later
        self.stage = sum(1 for ins in df.instructions if ins.keyword == "FROM") - 1
        self.tail = tail
        # the first line from which the rest of the file is a parsed file's rest: none for a parse
        self.tail_line = tail.first_line if tail is not None else len(contents)
        # the line of an instruction whose continuation ran through comments and blank lines to
        # the end of the file: it ends on its own line only because nothing follows it
        self.open_at_end: int | None = None

    def run(self, start: int) -> None:
        n_lines = len(self.contents)
        i = self._read(start, min(self.tail_line, n_lines))
        spliced = False
        while i < n_lines and not spliced:  # in the end the text shares with the old parse (a reparse)
            spliced = self.tail.splice(self, i)  # the rest of the file taken, moved, from the old parse
            if not spliced:
                i = self._read(i, i + 1)
        if not spliced:
            self.df._lexed_errors = len(self.df.errors)
        if self.open_at_end is not None:
            # that instruction looked at every later line: a reparse must not resume after it
            marks = self.df._marks
            del marks[bisect.bisect_right(marks, self.open_at_end, key=_mark_line):]

    def _read(self, i: int, stop: int) -> int:
        """Read the lines from ``i`` on, up to the first one at or past ``stop`` that does
        not continue what came before it; return its index."""
        contents, df = self.contents, self.df
        # the lists the parse fills (the same lists until it ends)
        marks, instructions, comments, errors = df._marks, df.instructions, df.comments, df.errors
        while i < stop:
            content = contents[i]
            # one strip of Go's white space tells a blank line, a comment and the indent apart
            token = content.lstrip(GO_SPACE)
            if not token:
                i += 1
                continue
            # what the lines before i made of the file; they never look past line i - 1
            marks.append((i, len(instructions), len(comments), len(errors)))
            indent = len(content) - len(token)
            if token[0] == "#":
                # tuple.__new__ directly: the record's own __new__ is one more Python call per comment
                comments.append(_new_tuple(Comment, (i + 1, token[1:].strip(),
                                                     _on_line(i + 1, indent + 1, len(content) + 1))))
                i += 1
            else:
                i = self._instruction(i, indent)
        return i

    def _instruction(self, i: int, indent: int) -> int:
        """Join a logical line from line ``i`` (its first non-space at ``indent``); return
        the index of the next unread line."""
        df = self.df
        chars = self.contents[i][indent:]
        start = self.starts[i] + indent
        cut = continuation_cut(chars, df.escape) if chars.endswith(self.may_continue) else -1
        if cut < 0:  # one line, as most instructions are
            last = i
            ins = self._one_line(chars, start, i, indent)
        else:
            last, logical = self._continued(i, start, chars[:cut])
            chars = logical.text
            ins = self._node(logical, len(df.instructions), nested=False)[0]
        next_line = last + 1
        if ins is None:
            return next_line
        target = ins.inner if ins.inner is not None else ins
        if target.keyword in HEREDOC_INSTRUCTIONS and target.json_args is None and "<<" in chars:
            try:
                markers = markers_in_line(chars)
            except ShellSyntaxError as exc:
                df.errors.append(ParseError(ins.keyword_span, str(exc), 0))
                markers = []
            if markers:
                end_offset = self.starts[last] + len(self.contents[last])
                heredocs, next_line, end_offset = self._heredocs(markers, next_line, end_offset, ins.span.start)
                span = Span(target.span.start, df.index.position(end_offset))
                target = target._replace(heredocs=heredocs, span=span)
                if ins.inner is not None:
                    ins = ins._replace(inner=target, span=Span(ins.span.start, span.end))
                else:
                    ins = target
        df.instructions.append(ins)
        if ins.keyword == "FROM":
            self.stage += 1
        return next_line

    def _continued(self, i: int, start: int, kept: str) -> tuple[int, Logical]:
        """The logical line that line ``i`` continues (its text from ``start`` on, up to its
        escape character, is ``kept``) and the index of its last line."""
        contents, starts, escape = self.contents, self.starts, self.df.escape
        n_lines = len(contents)
        texts, firsts = [kept], [start]  # each kept piece and the offset it starts at
        last = i
        j = i + 1
        cut = 0
        while cut >= 0:
            # BuildKit skips comment and blank lines inside a continuation
            while j < n_lines and is_blank_or_comment(contents[j]):
                j += 1
            if j >= n_lines:
                break
            content = contents[j]
            cut = continuation_cut(content, escape)
            texts.append(content[:cut] if cut >= 0 else content)
            firsts.append(starts[j])
            last = j
            j += 1
        if len(texts) == 1:  # the file ends after the escape character: still one run
            self.open_at_end = i
            return last, Logical(kept, range(start, start + len(kept) + 1))
        end_offset = starts[last] + len(contents[last])
        # each piece's run of offsets, one after the other (map and chain: no loop step per piece)
        offsets = list(chain.from_iterable(map(range, firsts, map(add, firsts, map(len, texts)))))
        offsets.append(offsets[-1] + 1 if offsets else end_offset)
        return last, Logical("".join(texts), tuple(offsets))

    def _one_line(self, chars: str, start: int, i: int, indent: int) -> Instruction | None:
        """:meth:`_node` for the top-level instruction ``chars``, all of line ``i`` from its
        first non-space (at ``indent``, file offset ``start``) on. Most instructions are one
        line without flags: their positions are columns of that line, their text one run of
        the file (see Logical.offsets), and none is made twice; the others go to _node."""
        e = len(chars.rstrip(GO_SPACE))  # chars starts with a non-space: e > 0
        brk = WORD_BREAK.search(chars, 0, e)
        if brk is not None:
            kw_end, a = brk.span()
            keyword = chars[:kw_end].upper()
            if keyword in _ONE_LINE_KEYWORDS and not chars.startswith("--", a):
                line, column = i + 1, indent + 1
                keyword_start = _new_tuple(Position, (line, column))
                keyword_span = _new_tuple(Span, (keyword_start, _new_tuple(Position, (line, column + kw_end))))
                args = _new_tuple(Logical, (chars[a:e], range(start + a, start + e + 1)))
                json_args = self._arguments(keyword, args.text, [], keyword_span, nested=False)
                span = _new_tuple(Span, (keyword_start, _new_tuple(Position, (line, column + e))))
                stage = self.stage + 1 if keyword == "FROM" else self.stage
                # tuple.__new__ directly: the record's own __new__ is one more Python call per instruction
                return _new_tuple(Instruction, (keyword, len(self.df.instructions), span, keyword_span, args, (), args,
                                                (), json_args, None, stage))
        logical = _new_tuple(Logical, (chars, range(start, start + len(chars) + 1)))
        return self._node(logical, len(self.df.instructions), nested=False, line=i)[0]

    def _node(self, logical: Logical, index: int, nested: bool, line: int = -1) -> tuple[Instruction | None, str]:
        """The instruction of one logical line (BuildKit's newNodeFromLine plus its checks)
        and the keyword as written; None for an unknown keyword. ``line``: the index of the
        physical line that holds all of ``logical``, -1 when it spans several."""
        df, text = self.df, logical.text
        # a top-level line starts at its first non-space (only an ONBUILD trigger, or a line of just
        # the escape character, may not): lead() is a call per instruction with nothing to skip
        s = lead(text) if text[:1] in GO_SPACE else 0
        e = len(text.rstrip(GO_SPACE))  # trim_end(text), without the call
        brk = WORD_BREAK.search(text, s, e)
        kw_end = brk.start() if brk else e
        word = text[s:kw_end]
        keyword = word.upper()
        keyword_span = self._keyword_span(logical, s, kw_end, line)
        if keyword not in INSTRUCTIONS:
            if not nested:  # BuildKit runs no checks on an ONBUILD trigger before it fires
                shown = word[:40] if word else "(nothing)"
                df.errors.append(ParseError(keyword_span, f"unknown instruction: {shown}"))
            return None, word
        a = brk.end() if brk else e
        offsets = logical.offsets
        if type(offsets) is range:  # Logical.slice's shortcut for one run, without its call and checks (a <= e)
            first = offsets[a]
            args = _new_tuple(Logical, (text[a:e], range(first, first + e - a + 1)))  # starts and ends with a non-space
        else:
            args = logical.slice(a, e)
        if args.text.startswith("--"):
            flag_words, body_at = read_flags(args.text, df.escape)
            body = args.slice(lead(args.text, body_at), len(args.text))
        else:
            flag_words, body = [], args
        flags = tuple(Flag(w.text[2:].partition("=")[0],
                           w.text.partition("=")[2] if "=" in w.text else None,
                           df.logical_span(args, w.start, w.end)) for w in flag_words) if flag_words else ()
        inner = None
        if keyword == "ONBUILD":
            inner, trigger = self._node(body, index, nested=True, line=line) if body.text else (None, "")
            error = None if nested else arguments.check("ONBUILD", arguments.Arguments((), False, None),
                                                        flag_words, trigger)
            if error:
                df.errors.append(ParseError(keyword_span, error))
            json_args = None
        else:
            json_args = self._arguments(keyword, body.text, flag_words, keyword_span, nested)
        end = logical.offsets[e - 1] + 1 if e > s else logical.offsets[s]
        # the instruction starts where its keyword does: logical.offsets[s] (the extra last
        # entry when s is past the text)
        # end >= logical.offsets[s], where the keyword starts: no need for Span's order check
        if line >= 0:  # on the keyword's line: its position is known, no look-up
            end_position = _new_tuple(Position, (line + 1, end - self.starts[line] + 1))
        else:
            end_position = df.index.position(end)
        span = _new_tuple(Span, (keyword_span.start, end_position))
        if inner is not None:
            span = Span(span.start, max(span.end, inner.span.end))
        stage = self.stage + 1 if keyword == "FROM" and not nested else self.stage
        # tuple.__new__ directly: the record's own __new__ is one more Python call per instruction
        return _new_tuple(Instruction, (keyword, index, span, keyword_span, args, flags, body, (), json_args, inner,
                                        stage)), word

    def _arguments(self, keyword: str, text: str, flag_words: list[FlagWord], keyword_span: Span,
                   nested: bool) -> tuple[str, ...] | None:
        """BuildKit's reading and checks of the arguments ``text`` after the flags of a
        ``keyword`` other than ONBUILD: its reasons go to the file's errors; the exec form's
        words are returned (None for the shell form)."""
        if not flag_words and keyword in _FLAGS_ONLY_CHECKED and "[" not in text:
            return None  # the shell form (most RUN lines): dispatch takes it as is, and there is nothing to check
        return self._read_arguments(keyword, text, flag_words, keyword_span, nested)

    def _read_arguments(self, keyword: str, text: str, flag_words: list[FlagWord], keyword_span: Span,
                        nested: bool) -> tuple[str, ...] | None:
        """:meth:`_arguments` the long way, through BuildKit's dispatch and checks."""
        parsed = arguments.dispatch(keyword, text, self.df.escape)
        if parsed.error:
            self.df.errors.append(ParseError(keyword_span, parsed.error, 0))
        elif not nested and (flag_words or keyword not in _FLAGS_ONLY_CHECKED):
            # check() looks only at the flags of _FLAGS_ONLY_CHECKED (RUN: the most common line)
            error = arguments.check(keyword, parsed, flag_words)
            if error:
                self.df.errors.append(ParseError(keyword_span, error))
        return tuple(parsed.words) if parsed.json and keyword in _JSON_FORMS else None

    def _keyword_span(self, logical: Logical, s: int, kw_end: int, line: int = -1) -> Span:
        """The span of the keyword ``logical.text[s:kw_end]`` (one character wide when
        empty, nothing at the end of the text); ``line`` as for :meth:`_node`."""
        if s >= len(logical.text):
            return self.df.logical_span(logical, s, s)
        stop = max(kw_end, s + 1)
        offsets = logical.offsets
        if offsets[stop - 1] - offsets[s] != stop - 1 - s:  # a continuation inside the keyword
            return self.df.logical_span(logical, s, stop)
        # one run of the file lies on one line (a run never crosses a continuation): the
        # end is the start moved along that line, no second position to look up
        if line >= 0:  # on a known line: the column is the offset from the line's start
            column = offsets[s] - self.starts[line] + 1
            return _on_line(line + 1, column, column + stop - s)
        start = self.df.index.position(offsets[s])
        return _new_tuple(Span, (start, _new_tuple(Position, (start.line, start.column + stop - s))))

    def _heredocs(self, markers: list[Marker], line: int, end_offset: int,
                  instruction_start: Position) -> tuple[tuple[Heredoc, ...], int, int]:
        df, contents, starts = self.df, self.contents, self.starts
        found = []
        for marker in markers:
            first = line
            chars: list[str] = []
            offsets: list[int] = []
            closed = False
            while line < len(contents):
                content, start = contents[line], starts[line]
                line += 1
                check = content.lstrip("\t") if marker.strip_tabs else content
                if check == marker.name:
                    closed = True
                    end_offset = start + len(content)
                    break
                chars.append(content + "\n")
                offsets.extend(range(start, start + len(content) + 1))
                end_offset = start + len(content)
            body = Logical("".join(chars), tuple(offsets) + ((offsets[-1] + 1) if offsets else end_offset,))
            start_off = starts[first] if first < len(contents) else end_offset
            span = Span(df.index.position(start_off), df.index.position(end_offset))
            if not closed:  # BuildKit names the instruction's lines
                df.errors.append(ParseError(Span(instruction_start, span.end), f"unterminated heredoc: <<{marker.name} is never closed "
                                                  f"(no line {marker.name!r})", 0))
            found.append(Heredoc(marker.name, marker.strip_tabs, marker.quoted, body, span, closed))
        return tuple(found), line, end_offset


def parse(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text (BOM already removed). Never raises on bad input."""
    return _parse(text, path, None)


def _parse(text: str, path: str, old: Dockerfile | None) -> Dockerfile:
    """Parse ``text``, with the end it shares with the ``old`` parse taken from it (see
    :class:`_Tail`) when the escape character is the same."""
    index = LineIndex(text)
    contents = line_contents(text, index.pieces)
    directives = read_directives(contents)
    df = Dockerfile(path, text, index, directives.escape, directives.values)
    df.directive_lines = directives.count
    if directives.error:
        at, message = directives.error
        df.errors.append(ParseError(df.span(index.starts[at], index.starts[at] + len(contents[at])), message, 0))
    tail = _Tail.after(old, df, 0) if old is not None and old.escape == df.escape else None
    _Assembler(df, contents, tail).run(directives.count)
    return _finish(df, len(contents))


def reparse(df: Dockerfile, text: str, unchanged: int) -> Dockerfile:
    """``parse(text, df.path)`` for a ``text`` that equals ``df.text`` before offset
    ``unchanged`` (a fix applied to it): the instructions, comments and errors of the
    whole lines before that offset are taken from ``df``, and the parser resumes at the
    first line that starts after them. Past the edit, where the two texts end alike, the
    first line both parses reach between instructions ends the reading: the rest is
    ``df``'s, moved by the edit's length (see :class:`_Tail`). The size model prices each
    fix on the fixed file; a fix changes a RUN or two, on average 40% of the way into the
    file in the corpus."""
    index = LineIndex(text)
    contents = line_contents(text, index.pieces)
    # the directives end at line directive_lines, which read_directives looked at too
    floor = df.directive_lines + 1
    # the last mark on a line that starts at or before ``unchanged`` (the marks go by line)
    last_line = min(bisect.bisect_right(index.starts, unchanged), len(contents)) - 1
    at = bisect.bisect_right(df._marks, last_line, key=_mark_line) - 1
    mark = df._marks[at] if at >= 0 and df._marks[at][0] >= floor else None
    if mark is None or unchanged > len(df.text) or not text.startswith(df.text[:unchanged]):
        return _parse(text, df.path, df)  # an edit on the directives or the first instruction: read them again
    line, n_instructions, n_comments, n_errors = mark
    new = Dockerfile(df.path, text, index, df.escape, dict(df.directives))
    new.directive_lines = df.directive_lines
    # positions before ``unchanged`` are the same in both texts, and stage fields are set
    # afresh by assign_stages below
    new.instructions = df.instructions[:n_instructions]
    new.comments = df.comments[:n_comments]
    new.errors = df.errors[:n_errors]
    new._marks = df._marks[:at]  # those of the lines before ``line``
    _Assembler(new, contents, _Tail.after(df, new, unchanged)).run(line)
    return _finish(new, len(contents))


def _common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common end of ``a`` and ``b``, at most ``limit``: all of
    it after an edit that only inserts, else a binary search, each probe one copy and one
    comparison (in C)."""
    if b.endswith(a[len(a) - limit :]):
        return limit
    low, high = 0, limit - 1
    while low < high:
        mid = (low + high + 1) // 2
        if b.endswith(a[len(a) - mid :]):
            low = mid
        else:
            high = mid - 1
    return low


class _Tail:
    """The rest of an earlier parse, for the lines after an edit.

    Reading a line that starts an instruction or a comment depends only on the text from
    there on (and the escape character): when the new text from such a line on is the
    old text from a line the old parse also reached between instructions, the old parse's
    instructions, comments and errors from there on are the new ones, moved by the
    edit's length (offsets) and line count (positions; columns stay), numbered on from
    the new ones before them.
    """

    __slots__ = ("old", "chars", "lines", "first_line")

    def __init__(self, old: Dockerfile, chars: int, lines: int, first_line: int) -> None:
        self.old = old
        self.chars = chars  # what the edit adds to each offset after it
        self.lines = lines  # and to each line number
        self.first_line = first_line  # the first line of the new text in the common end

    @classmethod
    def after(cls, old: Dockerfile, new: Dockerfile, unchanged: int) -> "_Tail | None":
        common = _common_suffix(new.text, old.text, min(len(new.text), len(old.text)) - unchanged)
        if not common:
            return None
        starts = new.index.starts
        return cls(old, len(new.text) - len(old.text), len(starts) - len(old.index.starts),
                   bisect.bisect_left(starts, len(new.text) - common))

    def splice(self, assembler: "_Assembler", i: int) -> bool:
        """Complete the new parse with the old one's rest from new line ``i`` on, if the old
        parse reached that line between instructions too; else False."""
        old, new = self.old, assembler.df
        old_line = i - self.lines
        if old.index.starts[old_line] != assembler.starts[i] - self.chars:
            return False  # the line ends alike but starts otherwise: not the old line
        at = bisect.bisect_left(old._marks, old_line, key=_mark_line)
        if at == len(old._marks) or old._marks[at][0] != old_line:
            return False
        _, n_instructions, n_comments, n_errors = old._marks[at]
        first = len(new.instructions) - n_instructions
        for ins in old.instructions[n_instructions:]:
            # numbered and staged as the assembler would: assign_stages corrects the rest
            stage = assembler.stage
            if ins.keyword == "FROM":
                assembler.stage += 1
            new.instructions.append(self._instruction(ins, len(new.instructions), assembler.stage, stage))
        if self.lines:
            new.comments.extend(_new_tuple(Comment, (c.line + self.lines, c.text, self._span(c.span)))
                                for c in old.comments[n_comments:])
            new.errors.extend(_new_tuple(ParseError, (self._span(e.span), e.message, e.phase))
                              for e in old.errors[n_errors : old._lexed_errors])
        else:  # an edit within a line (three in four of a corpus run's): the positions stay, and the records
            new.comments.extend(old.comments[n_comments:])
            new.errors.extend(old.errors[n_errors : old._lexed_errors])
        new._lexed_errors = len(new.errors)
        n_comments, n_errors = len(new.comments) - len(old.comments), len(new.errors) - old._lexed_errors
        new._marks.extend((line + self.lines, ins + first, com + n_comments, err + n_errors)
                          for line, ins, com, err in old._marks[at:])
        return True

    def _instruction(self, ins: Instruction, index: int, stage: int, inner_stage: int) -> Instruction:
        inner = ins.inner
        if inner is not None:
            inner = self._instruction(inner, index, inner_stage, inner_stage)
        args = self._logical(ins.args)
        body = args if ins.body is ins.args else self._logical(ins.body)
        if self.lines:
            span, keyword_span = self._span(ins.span), self._span(ins.keyword_span)
            flags = tuple(_new_tuple(Flag, (f.name, f.value, self._span(f.span))) for f in ins.flags) if ins.flags else ()
        else:  # an edit within a line: every position after it stays
            span, keyword_span, flags = ins.span, ins.keyword_span, ins.flags
        heredocs = tuple(h._replace(body=self._logical(h.body), span=self._span(h.span))
                         for h in ins.heredocs) if ins.heredocs else ()
        return _new_tuple(Instruction, (ins.keyword, index, span, keyword_span, args, flags, body, heredocs,
                                        ins.json_args, inner, stage))

    def _logical(self, logical: Logical) -> Logical:
        offsets, by = logical.offsets, self.chars
        if type(offsets) is range:  # one run stays one run (see Logical.offsets)
            moved: Sequence[int] = range(offsets.start + by, offsets.stop + by)
        else:
            moved = tuple(map(by.__add__, offsets))  # int.__add__ through map: no Python call per offset
        return _new_tuple(Logical, (logical.text, moved))

    def _span(self, span: Span) -> Span:
        start, end, lines = span.start, span.end, self.lines
        if not lines:
            return span
        return _new_tuple(Span, (_new_tuple(Position, (start.line + lines, start.column)),
                                 _new_tuple(Position, (end.line + lines, end.column))))


def _on_line(line: int, start_column: int, end_column: int) -> Span:
    """The span of columns ``start_column`` to ``end_column`` (>= start) of line ``line``:
    built with tuple.__new__, no Span or Position check (one Python call each)."""
    return _new_tuple(Span, (_new_tuple(Position, (line, start_column)), _new_tuple(Position, (line, end_column))))


def _mark_line(mark: tuple[int, int, int, int]) -> int:
    return mark[0]


def _finish(df: Dockerfile, n_lines: int) -> Dockerfile:
    if not df.instructions and not df.errors:  # BuildKit names the last line it read
        last = df.index.position(df.index.starts[n_lines - 1]) if n_lines else Position(1, 1)
        df.errors.append(ParseError(Span(last, last), "file with no instructions", 0))
    for span, message in assign_stages(df):
        df.errors.append(ParseError(span, message))
    df.reaches_final = reaching_stages(df)
    df._stage_at = (*df.stages, None)
    return df
