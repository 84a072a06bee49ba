"""Dockerfile-level word splitting and variable expansion (not shell: see shell.py).

Instructions other than RUN take whitespace-separated words with quotes
(``COPY "a b" /x``, ``ENV K="v 1"``) and ``$VAR`` / ``${VAR:-default}`` expansion.
This is Dockerfile syntax as BuildKit reads it, with positions kept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

from bot.model.records import Record, field


class RawWord(Record):
    __slots__ = ()
    _fields = ("text", "start", "end")
    text = field(0, "str: with quotes removed")
    start = field(1, "int: offset into the logical text the word came from")
    end = field(2, "int: offset into the logical text the word came from")

    def __new__(cls, text: str, start: int, end: int) -> "RawWord":
        return tuple.__new__(cls, (text, start, end))


def split_words(text: str, escape: str = "\\") -> list[RawWord]:
    return list(_split_words(text, escape))


_new_tuple = tuple.__new__
_PLAIN_WORD = re.compile(r"[^ \t]+")


@lru_cache(maxsize=4096)  # rules ask for the words of one instruction many times
def _split_words(text: str, escape: str) -> tuple[RawWord, ...]:
    if '"' not in text and "'" not in text and escape not in text:
        # the common case, with nothing to unquote: let the regex engine find the words
        # a list comprehension with tuple.__new__: no generator resume and no RawWord.__new__ call per word
        return tuple([_new_tuple(RawWord, (m.group(), m.start(), m.end())) for m in _PLAIN_WORD.finditer(text)])
    words: list[RawWord] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        start, buf, quote = i, [], ""
        while i < n:
            c = text[i]
            if quote:
                if c == quote:
                    quote = ""
                elif c == escape and quote == '"' and i + 1 < n and text[i + 1] in ('"', "$", escape):
                    # BuildKit keeps the escape inside double quotes unless it escapes ", $ or itself
                    i += 1
                    buf.append(text[i])
                else:
                    buf.append(c)
            elif c in "\"'":
                quote = c
            elif c in " \t":
                break
            elif c == escape and i + 1 < n:
                i += 1
                buf.append(text[i])
            else:
                buf.append(c)
            i += 1
        words.append(RawWord("".join(buf), start, i))
    return tuple(words)


def expand(text: str, env: Mapping[str, str]) -> tuple[str, bool]:
    """Expand ``$X``, ``${X}``, ``${X:-d}``, ``${X-d}``, ``${X:+a}``; report if all were known."""
    if "$" not in text:  # most values: nothing to expand (the loop below would copy them char by char)
        return text, True
    out: list[str] = []
    known = True
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        if text[i + 1] == "{":
            close = text.find("}", i + 2)
            if close == -1:
                out.append(text[i:])
                break
            body = text[i + 2 : close]
            name, op, arg = body, "", ""
            for candidate in (":-", ":+", "-", "+"):
                j = body.find(candidate)
                if j > 0:
                    name, op, arg = body[:j], candidate, body[j + len(candidate) :]
                    break
            value = env.get(name)
            if op in (":-", "-"):
                if value is None or (op == ":-" and value == ""):
                    value = arg
            elif op in (":+", "+"):
                value = arg if value else ""
            if value is None:
                known, value = False, ""
            out.append(value)
            i = close + 1
            continue
        j = i + 1
        while j < n and (text[j].isalnum() or text[j] == "_"):
            j += 1
        if j == i + 1:
            out.append(c)
            i += 1
            continue
        value = env.get(text[i + 1 : j])
        if value is None:
            known, value = False, ""
        out.append(value)
        i = j
    return "".join(out), known


def key_values(words: list[RawWord]) -> list[tuple[str, str]]:
    """``ENV``/``ARG``/``LABEL`` pairs: ``K=V`` words, or the legacy ``ENV K V w o r d s``."""
    if not words:
        return []
    if "=" not in words[0].text:
        if len(words) == 1:
            return [(words[0].text, "")]
        return [(words[0].text, " ".join(w.text for w in words[1:]))]
    pairs = []
    for w in words:
        k, _, v = w.text.partition("=")
        pairs.append((k, v))
    return pairs


def process_word(text: str, env: Mapping[str, str], escape: str = "\\") -> tuple[str, bool]:
    """One Dockerfile word as BuildKit reads the argument of WORKDIR (its whole rest of
    line, spaces kept): quotes removed, the escape character applied, ``$VAR`` expanded
    outside single quotes; report if every variable was known."""
    if "$" not in text and "'" not in text and '"' not in text and escape not in text:
        return text, True  # a plain word (most WORKDIRs): read as written
    out: list[str] = []
    pending: list[str] = []  # text still to expand
    known = True

    def flush() -> None:
        nonlocal known
        if pending:
            value, ok = expand("".join(pending), env)
            out.append(value)
            known = known and ok
            pending.clear()

    i, n, quote = 0, len(text), ""
    while i < n:
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = ""
            else:
                flush()
                out.append(c)
        elif c == escape and i + 1 < n and (not quote or text[i + 1] in ('"', "$", escape)):
            # escaped: literal (inside double quotes only before ", $ or the escape itself)
            flush()
            i += 1
            out.append(text[i])
        elif c == '"' or (c == "'" and not quote):
            quote = "" if quote == c else c
        else:
            pending.append(c)
        i += 1
    flush()
    return "".join(out), known
