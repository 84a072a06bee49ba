"""Parser directives (``# escape=``, ``# syntax=``, ``# check=``) at the top of a file.

BuildKit reads them until the first line that is not one: a blank line, an instruction,
an ordinary comment, or a comment naming an unknown directive all end the block. A
repeated directive, or an escape other than backslash or backtick, fails the build.
"""

from __future__ import annotations

import re
from typing import Sequence

from bot.model.lexer.spaces import lead
from bot.model.records import Record, field

KNOWN = ("syntax", "escape", "check")
# Kept as text: re compiles it on first use, not at import (start-up time).
# Go's RE2 ``\s`` is ASCII [\t\n\f\r ]; the value is lazy up to trailing space
_DIRECTIVE = r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z"


class Directives(Record):
    __slots__ = ()
    _fields = ("values", "escape", "count", "error")
    values = field(0, "dict[str, str]")
    escape = field(1, "str")
    count = field(2, "int: how many leading lines are directives")
    error = field(3, "tuple[int, str] | None: (0-based line, BuildKit's reason)")

    def __new__(cls, values, escape, count, error):
        return tuple.__new__(cls, (values, escape, count, error))


def read_directives(lines: Sequence[str]) -> Directives:
    """The directives at the top of the physical lines ``lines`` (their contents)."""
    values: dict[str, str] = {}
    escape = "\\"
    for i, line in enumerate(lines):
        token = line[lead(line):]
        if not token.startswith("#"):
            break
        rest = token[1:]
        m = re.match(_DIRECTIVE, rest[lead(rest):])
        if not m:
            break
        name = m.group(1).lower()
        if name not in KNOWN:
            break
        if name in values:
            return Directives(values, escape, i, (i, f"only one {name} parser directive can be used"))
        value = m.group(2)
        if name == "escape":
            if value not in ("\\", "`"):
                return Directives(values, escape, i, (i, f"invalid escape token '{value}' does not match ` or \\"))
            escape = value
        values[name] = value
    else:
        i = len(lines)
    return Directives(values, escape, i, None)
