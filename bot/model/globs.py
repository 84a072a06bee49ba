"""Path globs as the configuration and the action's ``paths`` input write them: ``**``
crosses directories (``**/`` also matches no directory), ``*`` and ``?`` stay within one."""

from __future__ import annotations

import re


def glob_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression a path must match in full."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))
