"""Each instruction's arguments, read and checked as BuildKit does after the line is joined.

Two stages, as in BuildKit: the parser's dispatch reads the arguments by keyword (JSON
array or shell form, ``K=V`` pairs, whitespace words) and can already fail (a JSON
array that is not all strings, ``ENV`` without a value); then ``instructions`` checks
counts, flags and values (``WORKDIR`` with one argument, ``HEALTHCHECK`` types and
durations, ``FROM`` stage names, ``ONBUILD`` triggers, a heredoc as a destination).
The wording of every reason is BuildKit's.
"""

from __future__ import annotations

import functools
import re

from bot.model.lexer.flags import UNCHECKED, FlagWord, check_flags
from bot.model.lexer.heredocs import marker_of
from bot.model.lexer.shellwords import ShellSyntaxError
from bot.model.lexer.spaces import GO_SPACE, WORD_BREAK
from bot.model.records import Record, field

INSTRUCTIONS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD "
    "RUN SHELL STOPSIGNAL USER VOLUME WORKDIR".split()
)
_JSON_CAPABLE = frozenset(("ADD", "COPY", "VOLUME", "RUN", "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK"))
# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
_STAGE_NAME = r"[a-z][a-z0-9\-_.]*\Z"
_DURATION = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+\Z"
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# what parse_words must read character by character: quotes, both escape characters, and
# the ASCII separators U+001C..U+001F that str.split breaks on and Go does not
_PLAIN_WORDS_BREAKER = "[\\\\`'\"\x1c-\x1f]"
# the common readings are made with tuple.__new__: the record's own __new__ is one more Python call per line
_new_tuple = tuple.__new__
NOT_STRINGS = "when using JSON array syntax, arrays must be comprised of strings only"


class Arguments(Record):
    __slots__ = ()
    _fields = ("words", "json", "error")
    words = field(0, "tuple[str, ...]: BuildKit's argument list for the instruction")
    json = field(1, "bool: exec form")
    error = field(2, "str | None: BuildKit's reason for rejecting the instruction")

    def __new__(cls, words, json, error):
        return tuple.__new__(cls, (words, json, error))


def _no_constants(name: str):
    raise ValueError(name)  # Go's encoding/json has no NaN or Infinity


@functools.cache
def _json_decoder():
    """One decoder for every exec-form line: ``json.loads`` with an argument builds a new
    JSONDecoder (and its scanner) on each call. Made on first use: only exec-form
    instructions pay for importing json."""
    import json

    return json.JSONDecoder(parse_constant=_no_constants)


def json_array(text: str) -> tuple[str, ...] | None:
    """The strings of a JSON array, None when ``text`` is not one; raises ValueError for
    a valid array holding anything but strings (BuildKit rejects that outright)."""
    if not text.startswith("["):
        text = text.lstrip(GO_SPACE)
        if not text.startswith("["):
            return None
    try:
        value = _json_decoder().decode(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        raise ValueError(NOT_STRINGS)
    return tuple(value)


def parse_words(text: str, escape: str) -> list[str]:
    """BuildKit's ``parseWords``: blank-separated words, quotes and escapes kept in them."""
    if not re.search(_PLAIN_WORDS_BREAKER, text):
        # no quote, no escape character of either kind, no space that only Python counts:
        # the loop below would split on blank runs and keep the rest, as str.split does
        return text.split()
    return _read_words(text, escape)


def _read_words(text: str, escape: str) -> list[str]:
    words: list[str] = []
    buf: list[str] = []
    quote = ""
    in_word = blank_ok = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        i += 1
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if i == n:
                    continue  # an escape at the very end is dropped
                buf.append(ch)
                ch = text[i]
                i += 1
            buf.append(ch)
        elif ch in GO_SPACE:
            if in_word and (blank_ok or buf):
                words.append("".join(buf))
            buf, blank_ok, in_word = [], False, False
        else:
            in_word = True
            if ch in "'\"":
                quote, blank_ok = ch, True
            elif ch == escape:
                if i == n:
                    continue
                buf.append(ch)
                ch = text[i]
                i += 1
            buf.append(ch)
    if in_word and (blank_ok or buf):
        words.append("".join(buf))
    return words


def _blank_split(text: str) -> list[str]:
    return WORD_BREAK.split(text) if text else []


def _name_values(keyword: str, rest: str, escape: str) -> tuple[list[str], str | None]:
    """``ENV``/``LABEL``: ``K=V`` words, or the legacy ``K value words`` form."""
    words = parse_words(rest, escape)
    if not words:
        return [], None
    if "=" not in words[0]:
        parts = WORD_BREAK.split(rest, maxsplit=1)
        if len(parts) < 2:
            return [], f"{keyword} must have two arguments"
        return [parts[0], parts[1], ""], None
    out: list[str] = []
    for w in words:
        if "=" not in w:
            return [], f"Syntax error - can't find = in \"{w}\". Must be of the form: name=value"
        k, _, v = w.partition("=")
        out += [k, v, "="]
    return out, None


def dispatch(keyword: str, rest: str, escape: str) -> Arguments:
    """The parser's reading of ``rest`` (arguments after the flags) for ``keyword``."""
    # the branches name disjoint keywords: the most common one (RUN) is asked first
    if keyword in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
        return _maybe_json(rest, as_list=False)
    if keyword in ("ENV", "LABEL"):
        words, err = _name_values(keyword, rest, escape)
        return Arguments(tuple(words), False, err)
    if keyword == "ARG":
        return Arguments(tuple(parse_words(rest, escape)), False, None)
    if keyword in ("EXPOSE", "FROM"):
        return _new_tuple(Arguments, (tuple(_blank_split(rest)), False, None))
    if keyword in ("MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR"):
        return _new_tuple(Arguments, ((rest,) if rest else (), False, None))
    if keyword == "HEALTHCHECK":
        sep = next((i for i, c in enumerate(rest) if c in GO_SPACE), len(rest))
        if sep == 0:
            return Arguments((), False, None)
        typ, cmd = rest[:sep], rest[sep:].lstrip(GO_SPACE)
        inner = _maybe_json(cmd, as_list=False)
        return Arguments((typ,) + inner.words, inner.json, inner.error)
    if keyword in ("ADD", "COPY", "VOLUME"):
        return _maybe_json(rest, as_list=True)
    return Arguments((), False, None)  # ONBUILD is read by the caller; unknown keywords are ignored here


def _maybe_json(rest: str, as_list: bool) -> Arguments:
    if not rest and not as_list:
        return Arguments((), False, None)
    if not rest.lstrip(GO_SPACE).startswith("["):  # shell form, most lines: no JSON to try
        return _new_tuple(Arguments, (tuple(_blank_split(rest)) if as_list else (rest,), False, None))
    try:
        array = json_array(rest)
    except ValueError as exc:
        return Arguments((), False, str(exc))
    if array is not None:
        return _new_tuple(Arguments, (array, True, None))
    return _new_tuple(Arguments, (tuple(_blank_split(rest)) if as_list else (rest,), False, None))


def _duration_error(flag: str, value: str) -> str | None:
    if not value:
        return None
    if value in ("0", "+0", "-0"):
        return None
    if not re.match(_DURATION, value):
        return f'time: invalid duration "{value}"'
    seconds = sum(float(num or 0) * _UNITS[unit] for num, unit in re.findall(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)", value))
    if value.startswith("-"):
        seconds = -seconds
    if seconds != 0 and seconds < 1e-3:
        return f'Interval "{flag}" cannot be less than 1ms'
    return None


def _healthcheck(args: tuple[str, ...], flags: list[FlagWord]) -> str | None:
    if not args:
        return "HEALTHCHECK requires at least one argument"
    typ = args[0].upper()
    if typ == "NONE":
        return "HEALTHCHECK NONE takes no arguments" if len(args) > 1 else None
    err = check_flags("HEALTHCHECK", flags)
    if err:
        return err
    if typ != "CMD":
        return f'Unknown type "{typ}" in HEALTHCHECK (try CMD)'
    if len(args) == 1:
        return "Missing command after HEALTHCHECK CMD"
    values = {}
    for f in flags:
        name, _, value = f.text.partition("=")
        values[name[2:]] = value
    for name in ("interval", "timeout", "start-period", "start-interval"):
        err = _duration_error(name, values.get(name, ""))
        if err:
            return err
    retries = values.get("retries", "")
    if retries:
        if not re.fullmatch(r"[-+]?\d+", retries) or not -(2**31) <= int(retries) < 2**31:
            return f'strconv.ParseInt: parsing "{retries}": invalid syntax'
        if int(retries) < 0:
            return f"--retries cannot be negative ({int(retries)})"
    return None


def check(keyword: str, args: Arguments, flags: list[FlagWord], trigger: str = "") -> str | None:
    """BuildKit's instruction-level reason to reject an instruction the parser accepted."""
    words, n = args.words, len(args.words)
    flag_error = check_flags(keyword, flags) if flags and keyword not in UNCHECKED else None

    # the branches name disjoint keywords: the most common ones (RUN, ...) are asked first
    if keyword in ("RUN", "CMD", "ENTRYPOINT"):
        return flag_error
    if keyword in ("ENV", "LABEL"):
        if flag_error:
            return flag_error
        if not words:
            return f"{keyword} requires at least one argument"
        if any(words[i] == "" for i in range(0, n, 3)):
            return f"{keyword} names can not be blank"
        return None
    if keyword in ("MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"):
        if n != 1:
            return f"{keyword} requires exactly one argument"
        return flag_error
    if keyword in ("ADD", "COPY"):
        if n < 2:
            return (f"{keyword} requires at least two arguments, but only one was provided. "
                    "Destination could not be determined")
        if flag_error:
            return flag_error
        try:
            dest_is_heredoc = marker_of(words[-1]) is not None
        except ShellSyntaxError:
            dest_is_heredoc = False
        return f"{keyword} cannot accept a heredoc as a destination" if dest_is_heredoc else None
    if keyword == "FROM":
        if n == 3 and words[1].lower() == "as":
            if not re.match(_STAGE_NAME, words[2].lower()):
                return (f'invalid name for build stage: "{words[2]}", '
                        "name can't start with a number or contain symbols")
        elif n != 1:
            return "FROM requires either one or three arguments"
        return flag_error
    if keyword == "ONBUILD":
        if not trigger:
            return "ONBUILD requires at least one argument"
        if flag_error:
            return flag_error
        t = trigger.upper()
        if t == "ONBUILD":
            return "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        if t in ("MAINTAINER", "FROM"):
            return f"{t} isn't allowed as an ONBUILD trigger"
        return None
    if keyword == "HEALTHCHECK":
        return _healthcheck(words, flags)
    if keyword in ("EXPOSE", "VOLUME"):
        if n == 0:
            return f"{keyword} requires at least one argument"
        if flag_error:
            return flag_error
        if keyword == "VOLUME" and any(not w.strip(GO_SPACE) for w in words):
            return "VOLUME specified can not be an empty string"
        return None
    if keyword == "ARG":
        if n == 0:
            return "ARG requires at least one argument"
        if any(w.startswith("=") for w in words):
            return "ARG names can not be blank"
        return None
    if keyword == "SHELL":
        if flag_error:
            return flag_error
        if n == 0:
            return "SHELL requires at least one argument"
        return None if args.json else "SHELL requires the arguments to be in JSON form"
    return f"unknown instruction: {keyword}"
