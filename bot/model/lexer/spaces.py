"""White space as Go's ``unicode.IsSpace`` and BuildKit's ``reWhitespace`` see it.

Python's ``str.isspace`` also counts the ASCII separators U+001C..U+001F, which Go does
not, so BuildKit's trimming is spelled out here.
"""

from __future__ import annotations

import re

GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# splitCommand splits the keyword from its arguments on these only (no NBSP)
WORD_BREAK = re.compile(r"[\t\v\f\r ]+")


def lead(text: str, pos: int = 0) -> int:
    """Index of the first non-space character at or after ``pos`` >= 0 (Go's unicode.IsSpace)."""
    # a strip and two lengths: cheaper than a regular expression's match object
    rest = text[pos:] if pos else text
    return len(text) - len(rest.lstrip(GO_SPACE))


def trim_end(text: str, end: int | None = None) -> int:
    """Index just past the last non-space character of ``text[:end]``."""
    return len(text[:end].rstrip(GO_SPACE)) if end is not None else len(text.rstrip(GO_SPACE))
