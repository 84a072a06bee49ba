"""Positions, spans and text edits over a source file.

Lines and columns are 1-based; columns count Unicode code points; span ends are
exclusive (``start == end`` is an insertion point). A file's text is held without
its UTF-8 BOM; ``\\r\\n`` line endings stay in the text, and columns never count
the ``\\r``.
"""

from __future__ import annotations

import bisect
from itertools import accumulate
from typing import Iterable

from bot.model.records import Record, field

# Records are tuples written out (bot/model/records.py), not dataclasses or NamedTuples: both
# cost start-up time to define, and `dockerdiet check` imports some fifty records.


_new_tuple = tuple.__new__
_PLUS_ONE = (1).__add__


class Position(Record):  # ordered as (line, column)
    __slots__ = ()
    _fields = ("line", "column")
    line = field(0, "int: 1-based")
    column = field(1, "int: 1-based, in code points")

    def __new__(cls, line: int, column: int) -> "Position":
        return tuple.__new__(cls, (line, column))

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class Span(Record):
    __slots__ = ()
    _fields = ("start", "end")
    start = field(0, "Position")
    end = field(1, "Position: exclusive")

    def __new__(cls, start: Position, end: Position) -> "Span":
        if end < start:
            raise ValueError(f"span ends before it starts: {start}-{end}")
        return tuple.__new__(cls, (start, end))

    def contains(self, other: "Span") -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: "Span") -> bool:
        # Two insertions at one point overlap too: their order would be arbitrary.
        if self.start == self.end == other.start == other.end:
            return True
        return self.start < other.end and other.start < self.end

    @property
    def lines(self) -> tuple[int, int]:
        """The first and last line the span touches: a span that ends at column 1 of a
        later line (after a line break) stops on the line before."""
        last = self.end.line - 1 if self.end.column == 1 and self.end.line > self.start.line else self.end.line
        return self.start.line, last

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


class Edit(Record):
    """Replace ``span`` by ``text``; empty text deletes, an empty span inserts.

    ``text`` uses ``\\n`` line breaks; :func:`apply_edits` writes the file's own.
    """

    __slots__ = ()
    _fields = ("span", "text")
    span = field(0, "Span")
    text = field(1, "str")

    def __new__(cls, span: Span, text: str) -> "Edit":
        return tuple.__new__(cls, (span, text))


class LineIndex:
    """Converts between string offsets and positions for one text."""

    __slots__ = ("text", "_starts", "pieces")

    def __init__(self, text: str) -> None:
        self.text = text
        # the lines without their "\n" (a "\r" stays): the parser's physical lines reuse them
        self.pieces = pieces = text.split("\n")
        # each line starts one past the end of the one before: running sums of the lengths
        # plus one, all in C (a Python loop of str.find costs ~2K instructions a line:
        # find parses its arguments with PyArg_ParseTuple)
        starts = list(accumulate(map(_PLUS_ONE, map(len, pieces)), initial=0))
        starts.pop()  # the sum past the last piece starts no line
        self._starts = starts

    @property
    def starts(self) -> list[int]:
        """The offset each line starts at (read only)."""
        return self._starts

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def position(self, offset: int) -> Position:
        starts = self._starts
        line = bisect.bisect_right(starts, offset) - 1
        # tuple.__new__ directly: the record's own __new__ is one more Python call, and
        # every span of a parse and of each finding asks for two positions
        return _new_tuple(Position, (line + 1, offset - starts[line] + 1))

    def offset(self, pos: Position) -> int:
        starts, line = self._starts, pos.line
        if 1 <= line < len(starts):
            off = starts[line - 1] + pos.column - 1
            # before the last two characters of the line with its break: before any "\r\n",
            # within the line whatever line_end finds (no call to it)
            if starts[line - 1] <= off <= starts[line] - 2:
                return off
        if not 1 <= pos.line <= len(self._starts):
            raise ValueError(f"line {pos.line} outside 1..{len(self._starts)}")
        start = self._starts[pos.line - 1]
        off = start + pos.column - 1
        # A column may sit at the line end (before \r\n): that is where appends go.
        if not start <= off <= self.line_end(pos.line):
            raise ValueError(f"column {pos.column} outside line {pos.line}")
        return off

    def line_start(self, line: int) -> int:
        return self._starts[line - 1]

    def line_end(self, line: int) -> int:
        """Offset of the line's end, before any ``\\r\\n`` or ``\\n``."""
        if line == len(self._starts):
            return len(self.text)
        end = self._starts[line] - 1
        if end > self._starts[line - 1] and self.text[end - 1] == "\r":
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        return self.text[self._starts[line - 1] : self.line_end(line)]

    def end_position(self) -> Position:
        return self.position(len(self.text))


def newline_of(text: str) -> str:
    """The file's line ending: ``\\r\\n`` when its first line break is one."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def check_disjoint(edits: Iterable[Edit]) -> list[Edit]:
    """Sorted edits, or ValueError when two overlap."""
    ordered = sorted(edits)
    for a, b in zip(ordered, ordered[1:]):
        if a.span.overlaps(b.span):
            raise ValueError(f"overlapping edits at {a.span} and {b.span}")
    return ordered


def apply_edits(text: str, edits: Iterable[Edit], index: LineIndex | None = None) -> str:
    """Apply non-overlapping edits; inserted line breaks follow the file's style.
    ``index``: the LineIndex of ``text`` when the caller has it (a parsed file's)."""
    ordered = check_disjoint(edits)
    if not ordered:
        return text
    if index is None or index.text is not text:
        index = LineIndex(text)
    nl = newline_of(text)
    out: list[str] = []
    cursor = 0
    for edit in ordered:
        start = index.offset(edit.span.start)
        end = index.offset(edit.span.end)
        out.append(text[cursor:start])
        out.append(edit.text.replace("\n", nl) if nl != "\n" else edit.text)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
