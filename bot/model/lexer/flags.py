"""Builder flags (``RUN --mount=...``, ``COPY --from=...``) as BuildKit reads and checks them.

Reading (``extractBuilderFlags``): words that start with ``--`` at the front of the
arguments, quotes removed and the escape character honoured; a bare ``--`` ends them.
Checking (``BFlags.Parse``): each instruction knows its flags and their types; an
unknown flag, a repeated single-valued flag or a missing value fails the build.
"""

from __future__ import annotations

from bot.model.lexer.spaces import GO_SPACE
from bot.model.records import Record, field


class FlagWord(Record):
    __slots__ = ()
    _fields = ("text", "start", "end")
    text = field(0, 'str: "--name=value" with quotes removed')
    start = field(1, "int: offsets into the text the flags were read from")
    end = field(2, "int")

    def __new__(cls, text, start, end):
        return tuple.__new__(cls, (text, start, end))


def read_flags(text: str, escape: str) -> tuple[list[FlagWord], int]:
    """The flag words at the front of ``text`` and the offset where the arguments begin."""
    words: list[FlagWord] = []
    n = len(text)
    pos = 0
    while True:
        while pos < n and text[pos] in GO_SPACE:
            pos += 1
        if pos >= n:
            return words, n
        if not text.startswith("--", pos):
            return words, pos
        start, buf, quote, blank_ok = pos, [], "", False
        while pos < n:
            ch = text[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == escape:
                    if pos + 1 == n:
                        quote = ""
                        pos += 1
                        continue
                    pos += 1
                    buf.append(text[pos])
                else:
                    buf.append(ch)
            elif ch in GO_SPACE:
                break
            elif ch in "'\"":
                quote, blank_ok = ch, True
            elif ch == escape:
                if pos + 1 < n:
                    pos += 1
                    buf.append(text[pos])
            else:
                buf.append(ch)
            pos += 1
        word = "".join(buf)
        if word == "--":
            return words, pos if pos < n else n
        if blank_ok or word:
            words.append(FlagWord(word, start, pos))


# name -> "bool" | "string" | "strings", per instruction (BuildKit's instructions/parse.go)
_ALLOWED: dict[str, dict[str, str]] = {
    "ADD": {"chown": "string", "chmod": "string", "link": "bool", "keep-git-dir": "bool", "checksum": "string",
            "unpack": "bool", "exclude": "strings"},
    "COPY": {"chown": "string", "from": "string", "chmod": "string", "link": "bool", "exclude": "strings",
             "parents": "bool"},
    "FROM": {"platform": "string"},
    "RUN": {"mount": "strings", "network": "string", "security": "string", "device": "strings"},
    "HEALTHCHECK": {"interval": "string", "timeout": "string", "start-period": "string", "start-interval": "string",
                    "retries": "string"},
}
# BuildKit never checks the flags of these (ARG, STOPSIGNAL; HEALTHCHECK NONE is handled by the caller)
UNCHECKED = frozenset(("ARG", "STOPSIGNAL"))


def check_flags(keyword: str, words: list[FlagWord]) -> str | None:
    """BuildKit's reason for rejecting these flags on ``keyword``, or None."""
    allowed = _ALLOWED.get(keyword, {})
    used: set[str] = set()
    for w in words:
        flag, eq, value = w.text.partition("=")
        name = flag[2:]
        kind = allowed.get(name)
        if kind is None:
            return f"unknown flag: {flag}"
        if name in used and kind != "strings":
            return f"duplicate flag specified: {flag}"
        used.add(name)
        if kind == "bool":
            if eq and not value:
                return f"missing a value on flag: {flag}"
            if value.lower() not in ("true", "false", ""):
                return f"expecting boolean value for flag {flag}, not: {value}"
        elif not eq:
            return f"missing a value on flag: {flag}"
    return None
