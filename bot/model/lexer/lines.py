"""Physical lines and BuildKit's line continuation.

A line continues when, after trailing blanks, it ends with the escape character that is
not itself escaped (``ENV C=trailing\\\\`` does not continue). Inside a continuation,
comment lines and blank lines are skipped; the kept pieces are joined with nothing
between them, each continuation line with its own leading white space.
"""

# No `from __future__ import annotations` here: typing.NamedTuple compiles every string annotation (start-up time).

from typing import NamedTuple

from bot.model.lexer.spaces import GO_SPACE


class PhysicalLine(NamedTuple):
    start: int  # file offset of the first character
    content: str  # without the line ending (any trailing \r and \n)


def physical_lines(text: str) -> list[PhysicalLine]:
    out = []
    pos = 0
    for raw in text.split("\n"):
        out.append(PhysicalLine(pos, raw.rstrip("\r")))
        pos += len(raw) + 1
    if len(out) > 1 and out[-1].content == "" and text.endswith("\n"):
        out.pop()  # the empty piece after the final newline is not a line
    return out


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


def is_comment(content: str) -> bool:
    return content.lstrip(GO_SPACE).startswith("#")


def is_blank(content: str) -> bool:
    return not content.strip(GO_SPACE)
