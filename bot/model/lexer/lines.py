"""Physical lines and BuildKit's line continuation.

A line continues when, after trailing blanks, it ends with the escape character that is
not itself escaped (``ENV C=trailing\\\\`` does not continue). Inside a continuation,
comment lines and blank lines are skipped; the kept pieces are joined with nothing
between them, each continuation line with its own leading white space.
"""

from __future__ import annotations

from itertools import repeat
from typing import Sequence

from bot.model.lexer.spaces import GO_SPACE
from bot.model.text import LineIndex
from bot.model.records import Record, field

_new_tuple = tuple.__new__


class PhysicalLine(Record):
    __slots__ = ()
    _fields = ("start", "content")
    start = field(0, "int: file offset of the first character")
    content = field(1, 'str: without the line ending (any trailing \\r and \\n)')

    def __new__(cls, start, content):
        return tuple.__new__(cls, (start, content))


def physical_lines(text: str, starts: Sequence[int] | None = None,
                   pieces: list[str] | None = None) -> list[PhysicalLine]:
    """The lines of ``text``; ``starts``, the offset after each ``\n`` with 0 first
    (``LineIndex.starts``), and ``pieces``, ``text.split("\n")`` (``LineIndex.pieces``),
    spare finding them again when the caller has them."""
    if starts is None:
        starts = LineIndex(text).starts
    # tuple.__new__ through map: no Python call (nor loop step) per line
    return list(map(_new_tuple, repeat(PhysicalLine), zip(starts, line_contents(text, pieces))))


def line_contents(text: str, pieces: list[str] | None = None) -> list[str]:
    """The ``content`` of each of the physical lines of ``text``; ``pieces`` as for
    :func:`physical_lines` (a new list, never ``pieces`` itself)."""
    if pieces is None:
        pieces = text.split("\n")
    if "\r" in text:  # most files have none: no strip per line
        contents = [piece.rstrip("\r") for piece in pieces]
    else:
        contents = pieces[:]
    if len(contents) > 1 and text.endswith("\n"):
        contents.pop()  # the empty piece after the final newline is not a line
    return contents


def continuation_cut(token: str, escape: str) -> int:
    """Where the kept text of a continued line ends, or -1 when the line does not continue.

    BuildKit's rule is the regular expression ``([^E])E[ \\t]*$|^E[ \\t]*$`` for escape E:
    the escape must follow a character other than itself, or stand alone.
    """
    s = token.rstrip(" \t")
    if not s.endswith(escape):
        return -1
    if len(s) == 1:
        return 0
    if s[-2] == escape:
        return -1
    return len(s) - 1


def is_blank_or_comment(content: str) -> bool:
    """A line a continuation skips: blank (Go's white space only) or a ``#`` comment."""
    token = content.lstrip(GO_SPACE)
    return not token or token[0] == "#"
