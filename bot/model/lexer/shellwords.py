"""BuildKit's shell-word splitter, as far as heredoc detection needs it.

BuildKit finds heredocs by splitting the whole instruction line into words with its
shell lexer (quotes and escapes kept, unset variables left as written), then testing
each word against ``^(\\d*)<<(-?)\\s*([^<]*)$``. Quoting therefore hides a marker
(``RUN echo "<<EOF"``), ``<<`` swallows the blanks after it (``cat << EOF`` is one word),
and a line the lexer rejects (an unclosed quote) has no heredoc at all.

Differences from BuildKit, kept on purpose: no environment is ever set (every variable
is unset), and BuildKit's reuse of one word buffer inside ``${...}`` (which drops the
text before a ``${x:-y}`` in the same word) is not reproduced.
"""

from __future__ import annotations

from bot.model.lexer.spaces import GO_SPACE

_ESCAPE = "\\"  # heredoc detection always uses backslash, whatever the escape directive
_SPECIAL = "@*#?-$!0"


class ShellSyntaxError(Exception):
    pass


class _Words:
    __slots__ = ("buf", "words", "in_word")

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in GO_SPACE:
            if self.in_word and any(self.buf):
                self.words.append("".join(self.buf))
                self.buf = []
                self.in_word = False
        else:
            self.buf.append(ch)
            self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw(self, text: str) -> None:
        self.buf.append(text)
        self.in_word = True

    def result(self) -> list[str]:
        if any(self.buf):
            self.words.append("".join(self.buf))
            self.buf = []
            self.in_word = False
        return self.words


class _Lexer:
    def __init__(self, text: str, raw_quotes: bool, raw_escapes: bool) -> None:
        self.s = text
        self.pos = 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes

    def peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1 if ch else 0
        return ch

    def stop_on(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = saved

    def _stop_on(self, stop: str) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while self.peek():
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result), words.result()
            if ch == "$":
                tmp = self.dollar()
                result.append(tmp)
                words.add_string(tmp)
            elif ch in "<'\"":
                tmp = self.heredoc_marker() if ch == "<" else self.single() if ch == "'" else self.double()
                result.append(tmp)
                words.add_raw(tmp)
            else:
                self.next()
                if ch == _ESCAPE:
                    if self.raw_escapes:
                        words.add_raw(ch)
                        result.append(ch)
                    ch = self.next()
                    if not ch:
                        break
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop:
            raise ShellSyntaxError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.result()

    def single(self) -> str:
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while True:
            ch = self.next()
            if not ch:
                raise ShellSyntaxError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double(self) -> str:
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while True:
            ch = self.peek()
            if not ch:
                raise ShellSyntaxError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            self.next()
            if ch == _ESCAPE:
                if self.raw_escapes:
                    out.append(ch)
                nxt = self.peek()
                if not nxt:
                    continue
                if nxt in ('"', "$", _ESCAPE):
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        start = self.pos
        ch = self.peek()
        if ch and ch.isdecimal():
            while self.peek() and self.peek().isdecimal():
                self.next()
            return self.s[start:self.pos]
        if ch and ch in _SPECIAL:
            return self.next()
        while self.peek() and (self.peek().isalpha() or self.peek().isdecimal() or self.peek() == "_"):
            self.next()
        return self.s[start:self.pos]

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            return "$" + name if name else "$"
        self.next()
        if not self.peek():
            raise ShellSyntaxError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise ShellSyntaxError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return "${" + name + "}"
        mods = ch
        null_is_unset = ch == ":"
        if null_is_unset:
            ch = self.next()
            mods += ch
        if null_is_unset or (ch and ch in "+-?#%"):
            raw = ch in ("#", "%") and bool(ch)
            if null_is_unset and raw:
                raise ShellSyntaxError(f"unsupported modifier ({mods}) in substitution")
            word = self._closed("}", raw)
            return "${" + name + mods + word + "}"
        if ch == "/":
            if self.peek() == "/":
                self.next()
            pattern = self._closed("/", True)
            replacement = self._closed("}", True)
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        raise ShellSyntaxError(f"unsupported modifier ({mods}) in substitution")

    def _closed(self, stop: str, raw_escapes: bool) -> str:
        try:
            return self.stop_on(stop, raw_escapes)[0]
        except ShellSyntaxError:
            if not self.peek():
                raise ShellSyntaxError(f"syntax error: missing '{stop}'") from None
            raise

    def heredoc_marker(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        start = self.pos
        while self.peek() in ("\t", "\r", " ") and self.peek():
            self.next()
        return "<<" + self.s[start:self.pos]


def split_words(text: str, raw_quotes: bool = False, raw_escapes: bool = False) -> list[str]:
    """The words of ``text`` as BuildKit's ``ProcessWords`` gives them; raises ShellSyntaxError."""
    lexer = _Lexer(text, raw_quotes, raw_escapes)
    return lexer.stop_on("", raw_escapes)[1]
