"""Which words of a RUN/COPY/ADD line open a heredoc, and what its terminator is.

As BuildKit: split the line with the shell-word splitter (quotes kept), then a word
that starts with optional digits and ``<<`` opens one. The terminator is the rest of the
word with quotes removed (``<<eo'f'`` ends at ``eof``; ``<<'one two'`` at ``one two``;
``<<$EOF`` at ``$EOF``; ``<<EOF;`` at ``EOF;``); any quote in it turns expansion off.
"""

from __future__ import annotations

import re

from bot.model.lexer.shellwords import ShellSyntaxError, split_words
from bot.model.records import Record, field

# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
_MARKER = r"(\d*)<<(-?)[\t\n\f\r ]*([^<]*)\Z"


class Marker(Record):
    __slots__ = ()
    _fields = ("name", "strip_tabs", "quoted")
    name = field(0, "str: the terminator line")
    strip_tabs = field(1, "bool: <<-")
    quoted = field(2, "bool: some part was quoted: no expansion inside")

    def __new__(cls, name, strip_tabs, quoted):
        return tuple.__new__(cls, (name, strip_tabs, quoted))


def marker_of(word: str) -> Marker | None:
    """The heredoc a single word opens, or None; raises ShellSyntaxError as BuildKit fails."""
    m = re.match(_MARKER, word)
    if not m or not m.group(3):
        return None
    rest = m.group(3)
    words = split_words(rest)
    if len(words) != 1:
        return None
    raw = split_words(rest, raw_quotes=True)
    if len(raw) != 1:
        raise ShellSyntaxError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    quotes = words[0].count("'") + words[0].count('"')
    raw_quotes = raw[0].count("'") + raw[0].count('"')
    return Marker(words[0], m.group(2) == "-", quotes != raw_quotes)


def markers_in_line(line: str) -> list[Marker]:
    """Every heredoc a line opens, in order. A line the splitter rejects opens none."""
    try:
        words = split_words(line, raw_quotes=True, raw_escapes=True)
    except ShellSyntaxError:
        return []
    found = []
    for word in words:
        if "<<" in word:
            marker = marker_of(word)
            if marker is not None:
                found.append(marker)
    return found
