"""Suppression comments.

``# dockerdiet ignore=DT101,DT105  # reason`` applies to the next instruction (blank
lines and other comments may sit between), ``# dockerdiet global ignore=DT101`` to
the whole file. hadolint's ``# hadolint ignore=DL3009`` and ``global ignore`` are read
too; the engine maps DL codes to the rules that share them.
"""

import bisect

from bot.model.dockerfile import Comment, Dockerfile
from bot.model.records import Record, field
from bot.model.text import Span

TOOLS = ("dockerdiet", "hadolint")


class Suppression(Record):
    __slots__ = ()
    _fields = ("tool", "codes", "is_global", "comment", "target")
    tool = field(0, "str: dockerdiet | hadolint")
    codes = field(1, "tuple[str, ...]: upper case, as written")
    is_global = field(2, "bool")
    comment = field(3, "Comment")
    target = field(4, "int | None: index of the instruction it covers; None for global or dangling")

    def __new__(cls, tool, codes, is_global, comment, target):
        return tuple.__new__(cls, (tool, codes, is_global, comment, target))

    @property
    def span(self) -> Span:
        return self.comment.span


def split_codes(rest: str) -> tuple[tuple[str, ...], str]:
    """Codes after ``ignore=`` up to the first word that is not a code, and the rest
    (usually ``# reason``)."""
    out = []
    i = 0
    while i < len(rest):
        j = i
        while j < len(rest) and rest[j] in ", \t":
            j += 1
        k = j
        while k < len(rest) and rest[k] not in ", \t":
            k += 1
        chunk = rest[j:k]
        letters = chunk.rstrip("0123456789")
        if not (2 <= len(letters) <= 3 and letters.isalpha() and len(chunk) > len(letters)):
            break
        out.append(chunk.upper())
        i = k
    return tuple(out), rest[i:]


def parse_suppressions(df: Dockerfile) -> list[Suppression]:
    starts = [ins.span.start.line for ins in df.instructions]
    found = []
    for comment in df.comments:
        words = comment.text.split(None, 1)
        if len(words) < 2 or words[0].lower() not in TOOLS:
            continue
        tool, rest = words[0].lower(), words[1].lstrip()
        is_global = False
        if rest.lower().startswith("global"):
            is_global, rest = True, rest[6:].lstrip()
        if not rest.lower().startswith("ignore="):
            continue
        codes, _ = split_codes(rest[7:])
        if not codes:
            continue
        target = None
        if not is_global:
            i = bisect.bisect_right(starts, comment.line)
            target = df.instructions[i].index if i < len(starts) else None
        found.append(Suppression(tool, codes, is_global, comment, target))
    return found
