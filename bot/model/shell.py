"""The shell inside RUN, parsed with tree-sitter-bash into commands with positions.

Rules ask questions of :class:`Command` objects ("an ``apt-get`` with argument
``install``, and does it have ``--no-install-recommends``?") instead of matching
text. tree-sitter always returns a tree; where it had to recover from broken
input the script is marked ``ok=False`` and rules offer no fix there.
"""

from __future__ import annotations

import functools
import os
import re
import sys

from typing import Any, Callable, Iterable, TypeVar

from bot.model.dockerfile import Dockerfile, Instruction, Logical
from bot.model.records import Record, field
from bot.model.text import Span

_PARSER = None
T = TypeVar("T")
OPERATORS = frozenset(("&&", "||", ";", "|", "|&", "&", ";;"))
# Nodes whose words are not arguments of the command they sit in.
_REDIRECTS = frozenset(("file_redirect", "heredoc_redirect", "herestring_redirect"))
_DYNAMIC = frozenset(("simple_expansion", "expansion", "command_substitution", "process_substitution", "arithmetic_expansion"))
SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh", "/bin/sh", "/bin/bash", "/bin/ash", "/usr/bin/env"))


def _bash_language():
    """The grammar's ``language()`` pointer. The package's ``__init__`` imports
    importlib.resources for query files we never use (8 ms of start-up), so load
    its compiled binding directly when it is where the wheel puts it."""
    import importlib.machinery  # not importlib.util: its import costs more than the rest

    spec = importlib.machinery.PathFinder.find_spec("tree_sitter_bash")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = f"{folder}/_binding{suffix}"
            if os.path.exists(path):
                loader = importlib.machinery.ExtensionFileLoader("tree_sitter_bash._binding", path)
                module = loader.create_module(importlib.machinery.ModuleSpec(loader.name, loader, origin=path))
                loader.exec_module(module)
                return module.language()
    import tree_sitter_bash

    return tree_sitter_bash.language()


def _parser():
    global _PARSER
    if _PARSER is None:
        from tree_sitter import Language, Parser

        _PARSER = Parser(Language(_bash_language()))
    return _PARSER


class _KindNames(dict):
    """A node's kind id -> its type name, read from the grammar once per id. ``node.type``
    makes a new string on every read (and a set look-up hashes it anew); ``node.kind_id`` is
    an int, and the grammar names each id once: ``_kind_names()[n.kind_id] == n.type``."""

    def __init__(self, language) -> None:
        super().__init__()
        self.language = language

    def __missing__(self, kind_id: int) -> str:
        name = self[kind_id] = sys.intern(self.language.node_kind_for_id(kind_id))
        return name


_KINDS: _KindNames | None = None


def _kind_names() -> _KindNames:
    global _KINDS
    if _KINDS is None:
        _KINDS = _KindNames(_parser().language)
    return _KINDS


# script bytes -> tree-sitter's tree of them. A fifth of a corpus run's parses repeat one:
# runs_last checks the text a fix makes, and the fixed file's RUN is that text; the same
# RUN line recurs across files. A tree is never edited here, so it is shared.
_TREES: dict = {}
_TREES_KEPT = 4096


def parse_tree(src: bytes):
    """tree-sitter-bash's tree of ``src``, parsed once per text."""
    tree = _TREES.get(src)
    if tree is None:
        if len(_TREES) >= _TREES_KEPT:
            _TREES.clear()
        tree = _TREES[src] = _parser().parse(src)
    return tree


class _Where:
    """Where a word is, turned into a Span only when asked: most words never are,
    and positions are the largest cost of modelling a RUN."""

    __slots__ = ("df", "logical", "start", "end", "_span")

    def __init__(self, df: Dockerfile, logical: Logical, start: int, end: int) -> None:
        self.df, self.logical, self.start, self.end, self._span = df, logical, start, end, None

    def span(self) -> Span:
        if self._span is None:
            self._span = self.df.logical_span(self.logical, self.start, self.end)
        return self._span

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Where) and (self.logical, self.start, self.end) == (other.logical, other.start, other.end)

    def __hash__(self) -> int:
        return hash((self.start, self.end))


_new_tuple = tuple.__new__  # a record without its own __new__ (one Python call less)


class Word(Record):
    __slots__ = ()
    _fields = ("text", "raw", "where", "dynamic")
    text = field(0, "str: quotes removed where static")
    raw = field(1, "str")
    where = field(2, "Span | _Where")
    dynamic = field(3, "bool: contains $VAR, $(...), ...")

    def __new__(cls, text, raw, where, dynamic):
        return tuple.__new__(cls, (text, raw, where, dynamic))

    @property
    def span(self) -> Span:
        where = self.where
        return where if isinstance(where, Span) else where.span()


class _CommandFields(Record):
    __slots__ = ()
    _fields = ("name", "args", "where", "name_where", "operator_before", "depth", "assignments", "end", "program")
    name = field(0, 'str: as written: "apt-get", "/usr/bin/pip3"')
    args = field(1, "tuple[Word, ...]")
    where = field(2, "Span | _Where")
    name_where = field(3, "Span | _Where")
    operator_before = field(4, 'str: "", "&&", "||", ";", "|", "&", "\\n"')
    depth = field(5, "int: 0 in the RUN's top-level list, more inside (...), if, $(...), ...")
    assignments = field(6, "tuple[str, ...]: VAR=value prefixes")
    end = field(7, "int: logical offset just past the command, for insertions")
    program = field(8, "str: the base name: ``/usr/bin/pip3`` -> ``pip3`` (rules ask it often)")

    def __new__(cls, name, args, where, name_where, operator_before, depth, assignments=(), end=0, program=""):
        return tuple.__new__(cls, (name, args, where, name_where, operator_before, depth, assignments, end, program))


_UNSET: Any = object()  # command_fact's "not asked yet": None may be an answer


def command_fact(fn: Callable[[_CommandFields], T]) -> Callable[[_CommandFields], T]:
    """Memoise ``fn(cmd)``, a pure fact of one Command (annotated by its fields: a string
    annotation would be compiled at import), in the command's ``__dict__``: rules
    ask the same facts of the same few commands many times. The answer is shared, so it
    must be immutable, and must not hold the command (a cycle would outlive the file)."""
    key = f"_{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def fact(cmd: _CommandFields) -> T:
        memo = cmd.__dict__
        # a third of the asks are a command's first: a look-up with a default, not a raised KeyError
        found = memo.get(key, _UNSET)
        if found is _UNSET:
            found = memo[key] = fn(cmd)
        return found

    return fact


class Command(_CommandFields):
    # No __slots__ = (): a Command keeps in its __dict__ what rules ask of it again and again
    # (command_fact: positionals, subcommand), made on first use; a Command never changes,
    # and _replace makes a new one with nothing kept.

    @property
    def span(self) -> Span:
        where = self.where
        return where if isinstance(where, Span) else where.span()

    @property
    def name_span(self) -> Span:
        where = self.name_where
        return where if isinstance(where, Span) else where.span()

    def __new__(cls, name: str, args, span: Span, name_span: Span, operator_before: str, depth: int,
                assignments: tuple[str, ...] = (), end: int = 0) -> "Command":
        program = name.rsplit("/", 1)[-1]
        return tuple.__new__(cls, (name, args, span, name_span, operator_before, depth, assignments, end, program))

    @property
    def words(self) -> list[str]:
        return [a.text for a in self.args]

    def options(self) -> set[str]:
        """Option words, with short clusters split: ``-qy`` gives ``-q`` and ``-y``."""
        out: set[str] = set()
        for a in self.args:
            t = a.text
            if t.startswith("--"):
                out.add(t.split("=", 1)[0])
            elif t.startswith("-") and len(t) > 1:
                out.add(t)
                out.update(["-" + c for c in t[1:] if c.isalpha()])  # a list: no generator resumed per letter
        return out

    def has_option(self, *names: str) -> bool:
        opts = self.options()
        return any(n in opts for n in names)

    def positionals(self) -> list[Word]:
        return list(self._positional_words())

    @command_fact
    def _positional_words(self) -> tuple[Word, ...]:
        # a list comprehension, not a generator: one frame per command, not a resume per argument
        return tuple([a for a in self.args if not a.text.startswith("-")])

    @command_fact
    def subcommand(self) -> str:
        """First positional argument: ``apt-get -y install x`` -> ``install``."""
        p = self._positional_words()
        return p[0].text if p else ""

    def arg(self, text: str) -> Word | None:
        for a in self.args:
            if a.text == text:
                return a
        return None


class ShellScript(Record):
    __slots__ = ()
    _fields = ("logical", "commands", "ok", "end", "has_comment", "source", "plain")
    logical = field(0, "Logical")
    commands = field(1, "tuple[Command, ...]")
    ok = field(2, "bool: parsed without error nodes")
    end = field(3, "int: logical offset after the last statement (before a trailing comment)")
    has_comment = field(4, "bool")
    source = field(5, "bytes | None: the script's bytes, which ``root`` parses (None: exec form, no shell)")
    # simple commands joined by && || ; | and nothing else (see _plain_commands): read without a tree,
    # and facts of the tree can be read from the commands
    plain = field(6, "bool")

    def __new__(cls, logical, commands, ok, end, has_comment=False, source=None, plain=False):
        return tuple.__new__(cls, (logical, commands, ok, end, has_comment, source, plain))

    @property
    def root(self) -> Any:
        """tree-sitter's root node of the script, for facts the command list does not keep
        (None in exec form). Parsed when first asked: a plain script's commands are read
        without a tree (see _plain_script)."""
        return None if self.source is None else parse_tree(self.source).root_node

    def find(self, *programs: str, sub: str | None = None) -> list[Command]:
        """Commands whose program is one of ``programs`` (and first positional ``sub``)."""
        return [
            c
            for c in self.commands
            if c.program in programs and (sub is None or c.subcommand() == sub)
        ]

    def top_level(self) -> list[Command]:
        return [c for c in self.commands if c.depth == 0]


def _unquote(node, src: bytes, kinds: _KindNames) -> tuple[str, bool]:
    t = kinds[node.kind_id]
    if t == "raw_string":
        return src[node.start_byte + 1 : node.end_byte - 1].decode("utf-8", "replace"), False
    if t == "string":
        parts, dynamic = [], False
        for c in node.named_children:
            if kinds[c.kind_id] in _DYNAMIC:
                dynamic = True
        inner = src[node.start_byte + 1 : node.end_byte - 1].decode("utf-8", "replace")
        parts.append(inner)
        return "".join(parts), dynamic
    if t == "concatenation":
        out, dynamic = [], False
        for c in node.children:
            text, d = _unquote(c, src, kinds)
            out.append(text)
            dynamic = dynamic or d
        return "".join(out), dynamic
    if t in _DYNAMIC:
        return src[node.start_byte : node.end_byte].decode("utf-8", "replace"), True
    text = src[node.start_byte : node.end_byte].decode("utf-8", "replace")
    if t == "word" and "\\" in text:
        text = text.replace("\\\n", "").replace("\\", "")
    return text, False


# children of a command that are not its arguments
_NOT_ARGUMENTS = _REDIRECTS | {"comment"}
# nodes whose commands sit at the depth of the node itself
_SAME_DEPTH = frozenset(("list", "pipeline", "redirected_statement", "negated_command"))


class _Walker:
    """Reads the commands of one script's tree, in order. Each node attribute read makes
    a Python object: types are read as kind ids (see _KindNames), and an ASCII script's
    words are cut from its text (byte offsets are character offsets there)."""

    def __init__(self, df: Dockerfile, logical: Logical, src: bytes) -> None:
        self.df, self.logical, self.src = df, logical, src
        self.ascii = len(src) == len(logical.text)
        self.kinds = _kind_names()
        self.commands: list[Command] = []
        self.pending = ""
        self.last_end = 0  # byte offset just past the last command read

    def char(self, byte: int) -> int:
        if self.ascii:
            return byte
        return len(self.src[:byte].decode("utf-8", "replace"))

    def where(self, node) -> _Where:
        return _Where(self.df, self.logical, self.char(node.start_byte), self.char(node.end_byte))

    def text(self, start: int, end: int) -> str:
        """The script's text between two byte offsets."""
        if self.ascii:
            return self.logical.text[start:end]
        return self.src[start:end].decode("utf-8", "replace")

    def walk(self, node, depth: int) -> None:
        kinds = self.kinds
        for child in node.children:
            t = kinds[child.kind_id]
            if t in OPERATORS:
                self.pending = t
            elif t == "command":
                self.command(child, depth)
            elif t == "comment":
                continue
            elif child.child_count:
                self.walk(child, depth + (t not in _SAME_DEPTH))

    def command(self, node, depth: int) -> None:
        name_node = None
        args: list[Word] = []
        assignments: list[str] = []
        nested: list = []
        # every word of every RUN passes here: each node attribute is read once (each read
        # makes a Python object), and a plain word is unquoted from its raw text
        src, df, logical, kinds, ascii = self.src, self.df, self.logical, self.kinds, self.ascii
        for c in node.children:
            t = kinds[c.kind_id]
            if t == "command_name":
                name_node = c
            elif t == "variable_assignment":
                assignments.append(self.text(c.start_byte, c.end_byte))
            elif name_node is not None and c.is_named and t not in _NOT_ARGUMENTS:
                start, end = c.start_byte, c.end_byte
                raw = logical.text[start:end] if ascii else src[start:end].decode("utf-8", "replace")
                if t == "word":  # as _unquote does
                    text, dynamic = (raw.replace("\\\n", "").replace("\\", "") if "\\" in raw else raw), False
                else:
                    text, dynamic = _unquote(c, src, kinds)
                where = _Where(df, logical, start, end) if ascii else self.where(c)
                args.append(_new_tuple(Word, (text, raw, where, dynamic)))
                if dynamic:
                    nested.append(c)
        if name_node is None:
            return
        name_children = name_node.children
        name, _ = _unquote(name_children[0] if name_children else name_node, src, kinds)
        start, end = node.start_byte, node.end_byte
        op = self.pending
        # a command on a later line than the last one read (a node's row counts the b"\n" before it)
        if not op and self.commands and src.find(b"\n", self.last_end, start) != -1:
            op = "\n"
        self.pending = ""
        self.last_end = end
        if ascii:  # byte offsets are character offsets: no conversion call per offset
            where, name_where = _Where(df, logical, start, end), \
                _Where(df, logical, name_node.start_byte, name_node.end_byte)
        else:
            end, where, name_where = self.char(end), self.where(node), self.where(name_node)
        # tuple.__new__ directly, with the program Command.__new__ would take: one Python call less per command
        self.commands.append(_new_tuple(Command, (name, tuple(args), where, name_where, op, depth, tuple(assignments),
                                                  end, name.rsplit("/", 1)[-1])))
        for c in nested:  # $(...) inside arguments run too
            saved = self.pending
            self.walk(c, depth + 1)
            self.pending = saved


# A plain script: words of these characters, joined by && || ; | (most RUN lines are).
# Its commands are read from its words alone, with no tree: tree-sitter-bash's tree of
# such a script is one list or pipeline of simple commands, all at depth 0
# (tests/unit/model/test_shell_shortcuts.py holds the two readings equal).
_PLAIN_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=+,@%*-"
_PLAIN_OPERATORS = frozenset(("&&", "||", ";", "|"))


@functools.cache  # compiled on first use: a file without RUN never needs them (start-up time)
def _plain_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """A plain text (a set look-up per character, where str.strip scans the set), its
    tokens, a VAR=value prefix, and a command name (tree-sitter-bash reads some others
    apart: ``a@1``, ``- x``)."""
    return (re.compile(f"[{re.escape(_PLAIN_CHARACTERS)} \t&|;]*"), re.compile(r"[^ \t&|;]+|&&|\|\||[;|&]"),
            re.compile(r"[A-Za-z_][A-Za-z0-9_]*=[^=]*"), re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./-]*"))
# words the grammar reads as more than a simple command's word (keywords, declarations)
_NOT_PLAIN = frozenset((
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "function",
    "select", "in", "time", "coproc", "declare", "typeset", "export", "readonly", "local", "unset", "unsetenv",
))


def _plain_commands(text: str) -> list[tuple[str, list[tuple[int, int, str]], int]] | None:
    """A plain script's commands (see _PLAIN_CHARACTERS): for each, the operator before it,
    its words (start, end, text) and the index of its name (VAR=value prefixes come
    before); None for any other script."""
    plain_text, plain_token, assignment, name = _plain_patterns()
    if not plain_text.fullmatch(text) or not text.strip(" \t"):
        return None  # a character of quoting, expansion, redirection, grouping, a comment, a line break: or empty
    commands: list[tuple[str, list[tuple[int, int, str]], int]] = []
    words: list[tuple[int, int, str]] = []  # the current command's
    before = ""  # the operator before the current command
    for m in plain_token.finditer(text):
        token = m[0]
        if token in _PLAIN_OPERATORS:
            if not _add_plain_command(words, before, commands, assignment, name):
                return None
            words, before = [], token
        elif token == "&" or token in _NOT_PLAIN:
            return None
        else:
            start, end = m.span()
            words.append((start, end, token))
    return commands if _add_plain_command(words, before, commands, assignment, name) else None


def _add_plain_command(words: list[tuple[int, int, str]], before: str,
                       commands: list[tuple[str, list[tuple[int, int, str]], int]],
                       assignment: re.Pattern, plain_name: re.Pattern) -> bool:
    """Appends one plain command's words (VAR=value prefixes, a name, arguments); False
    when they are not one (none, only assignments, a name the grammar reads apart)."""
    name = 0
    while name < len(words) and "=" in words[name][2]:
        if not assignment.fullmatch(words[name][2]):
            return False
        name += 1
    if name == len(words) or not plain_name.fullmatch(words[name][2]):
        return False
    commands.append((before, words, name))
    return True


def _plain_script(df: Dockerfile, logical: Logical, src: bytes) -> ShellScript | None:
    """The ShellScript of a plain script, read from its words; None for any other script."""
    plain = _plain_commands(logical.text)
    if plain is None:
        return None
    commands = []
    for before, words, name in plain:
        start, name_end, name_text = words[name]
        end = words[-1][1]
        # an ASCII text: word offsets are character offsets; a plain word is its own text
        args = tuple([_new_tuple(Word, (w, w, _Where(df, logical, a, b), False)) for a, b, w in words[name + 1 :]])
        commands.append(_new_tuple(Command, (
            name_text, args, _Where(df, logical, words[0][0], end), _Where(df, logical, start, name_end), before, 0,
            tuple([w for _, _, w in words[:name]]), end, name_text.rsplit("/", 1)[-1])))
    return _new_tuple(ShellScript, (logical, tuple(commands), True, commands[-1].end, False, src, True))


def parse_shell(df: Dockerfile, logical: Logical) -> ShellScript:
    src = logical.text.encode("utf-8")
    plain = _plain_script(df, logical, src)
    return plain if plain is not None else _tree_script(df, logical, src)


def _tree_script(df: Dockerfile, logical: Logical, src: bytes) -> ShellScript:
    """The ShellScript of any script, read from tree-sitter's tree of it."""
    root = parse_tree(src).root_node
    walker = _Walker(df, logical, src)
    walker.walk(root, 0)
    kinds = walker.kinds
    end = 0
    has_comment = False
    for child in root.children:
        if kinds[child.kind_id] == "comment":
            has_comment = True
        elif child.is_named:  # not a trailing ';' or '&': appending goes before those
            end = max(end, walker.char(child.end_byte))
    # tuple.__new__ directly: the record's own __new__ is one more Python call per script
    return _new_tuple(ShellScript, (logical, tuple(walker.commands), not root.has_error, end, has_comment, src, False))


def _json_strings(body: Logical) -> list[tuple[int, int]] | None:
    """(start, end) logical offsets of each string literal of a JSON array, quotes
    included; None when the body is not a flat array of strings."""
    text = body.text
    out = []
    i = text.find("[")
    while i != -1 and i < len(text):
        i += 1
        while i < len(text) and text[i] in " \t,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return out
        if text[i] != '"':
            return None
        j = i + 1
        while j < len(text) and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        if j >= len(text):
            return None
        out.append((i, j + 1))
        i = j
    return out


def _exec_form(df: Dockerfile, ins: Instruction) -> list[ShellScript]:
    """``RUN ["apt-get", "update"]``: one command, no shell. ``RUN ["sh", "-c", "..."]``
    without escapes in the script: that script, parsed as shell."""
    args = ins.json_args or ()
    strings = _json_strings(ins.body)
    if not args or strings is None or len(strings) != len(args):
        return []
    if len(args) >= 3 and args[0] in SHELLS and args[1] == "-c":
        a, b = strings[2]
        if "\\" not in ins.body.text[a:b]:
            return [parse_shell(df, ins.body.slice(a + 1, b - 1))]
        return []
    words = []
    for value, (a, b) in zip(args, strings):
        words.append(Word(value, ins.body.text[a:b], df.logical_span(ins.body, a, b), False))
    first = words[0]
    cmd = Command(first.text, tuple(words[1:]), Span(first.span.start, words[-1].span.end), first.span, "", 0)
    # not ok: there is no shell to append commands to, so rules offer no fix here
    return [ShellScript(ins.body, (cmd,), False, strings[-1][1])]


_SHELL_NAMES = frozenset(("sh", "bash", "dash", "ash", "zsh"))


def run_scripts(df: Dockerfile, instruction: Instruction) -> Iterable[ShellScript]:
    """The shell scripts a RUN executes: its line, and heredoc bodies fed to a shell
    (``RUN <<EOF``, ``RUN <<EOF bash``). Non-POSIX shells give nothing; exec form
    gives its one command (marked not ok: nothing can be appended to it)."""
    ins = instruction.effective()
    if ins.keyword != "RUN" or not df.is_posix_shell(df.stage_of(ins)):
        return ()
    if ins.json_args is not None:
        return _exec_form(df, ins)
    if not ins.heredocs:
        return (parse_shell(df, ins.body),)
    rest = [w for w in ins.body.text.split() if not w.startswith("<<")]
    fed_to_shell = not rest or (rest[0].rsplit("/", 1)[-1] in _SHELL_NAMES and "-c" not in rest)
    if fed_to_shell:
        return tuple(parse_shell(df, h.body) for h in ins.heredocs)
    return (parse_shell(df, ins.body),)


def runs_last(script_text: str, appended_at: int) -> bool:
    """Whether the last command the shell would run at the top level of ``script_text``
    starts at or after character ``appended_at``. Fixes that append commands check
    their result with this: an unclosed shell heredoc or quote would otherwise swallow
    the new commands."""
    plain = _plain_commands(script_text)
    if plain is not None:  # ASCII: offsets are characters; the last command starts at its first word
        return plain[-1][1][0][0] >= len(script_text[:appended_at])
    return _runs_last_in_tree(script_text, appended_at)


def _runs_last_in_tree(script_text: str, appended_at: int) -> bool:
    """runs_last, read from tree-sitter's tree of any script."""
    src = script_text.encode("utf-8")
    root = parse_tree(src).root_node
    if root.has_error:
        return False
    last = None
    for child in root.children:
        if child.is_named and child.type != "comment":
            last = child
    while last is not None and last.type in ("list", "pipeline", "redirected_statement"):
        if any(c.type == "heredoc_redirect" for c in last.children):
            return False
        named = [c for c in last.children if c.is_named and c.type not in _REDIRECTS and c.type != "comment"]
        last = named[-1] if named else None
    if last is None or last.type != "command":
        return False
    return last.start_byte >= len(script_text[:appended_at].encode("utf-8"))
