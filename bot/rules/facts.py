"""Shared knowledge about commands, so rules agree on what a command does.

Claims name the bytes a finding is about (see SizeHint.claims): rules that talk
about the same files must build the same claim here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Collection, Iterable, Sequence

from bot.model.dockerfile import Dockerfile, Instruction
from bot.model.findings import STAGE_CLAIM
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript, Word, _Where, command_fact
from bot.model.stages import join_path, workdir_at  # noqa: F401  (re-exported for the rules)
from bot.model.words import split_words
from bot.rules.tool_options import CURL, PIP_INSTALL_VALUES, WGET, Getopt

class LazyPattern:
    """A regular expression compiled on its first use, then called as the compiled one
    (``.fullmatch``, ``.split``, ...): a module-level ``re.compile`` costs every import of
    a rule, also on files that never need it, and ``re.split(text, ...)`` at a call site
    looks the pattern up again on every call."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern, self.flags = pattern, flags

    def __getattr__(self, name: str):
        # only reached while the instance has no such attribute: the compiled pattern's
        # method is kept on it, so later calls go straight to that method
        method = getattr(re.compile(self.pattern, self.flags), name)
        setattr(self, name, method)
        return method


APT = frozenset(("apt-get", "apt"))
PIP = frozenset(("pip", "pip3", "pip2")) | frozenset(f"pip3.{n}" for n in range(6, 16))
# pip and python as programs: pip, pip3, pip3.12, python3.11 (the command's base name)
PIP_NAME = LazyPattern(r"pip(\d+(\.\d+)?)?$")
PYTHON_NAME = LazyPattern(r"python(\d+(\.\d+)?)?$")
APT_LISTS = "/var/lib/apt/lists"


def removes(cmd: Command, path: str, home: str = "/root", inside: bool = False) -> bool:
    """``rm`` (or ``find PATH -delete``) of ``path``, its contents, or a parent of it;
    with ``inside``, a directory inside ``path`` counts too (a cache whose content
    directory, ``_cacache`` or ``v6``, goes is cleaned). ``~`` and ``$HOME`` mean ``home``."""
    path = path.rstrip("/")
    if cmd.program == "rm":
        for text, in_home in _rm_operands(cmd):
            target = _rm_target(normalise_home(text, home)) if in_home else text
            if target and (path == target or path.startswith(target + "/") or (inside and target.startswith(path + "/"))):
                return True
    if cmd.program == "find" and cmd.has_option("-delete"):
        return any(normalise_home(w.text, home).rstrip("/") == path for w in cmd.positionals())
    return False


_HOME_WORDS = ("~", "$HOME", "${HOME}")  # what means $HOME alone or before a "/" (normalise_home, _rm_operands)
_HOME_PREFIXES = tuple(h + "/" for h in _HOME_WORDS)


@command_fact  # rm's operands, asked for each cache directory of each kind by DT101, DT103-DT109 and DT201
def _rm_operands(cmd: Command) -> tuple[tuple[str, bool], ...]:
    """(what an operand removes, False) for each positional; (its text, True) for one in
    ``$HOME``, whose target depends on the home ``removes`` is given."""
    out = []
    for w in cmd.positionals():
        in_home = w.text in _HOME_WORDS or w.text.startswith(_HOME_PREFIXES)
        out.append((w.text, True) if in_home else (_rm_target(w.text), False))
    return tuple(out)


def _rm_target(text: str) -> str:
    """The path an rm operand removes: without trailing slashes, and ``dir/*`` as ``dir``."""
    target = text.rstrip("/")
    return target[:-2] if target.endswith("/*") else target


def removes_apt_lists(cmd: Command) -> bool:
    if cmd.program in APT and cmd.subcommand() in ("distclean", "dist-clean"):
        return True
    return removes(cmd, APT_LISTS)


def apt_lists_claim(update_run: Instruction) -> str:
    """The apt lists written by the RUN that ran ``apt-get update``."""
    return f"apt-lists@{update_run.index}"


def layer_claim(kind: str, run: Instruction) -> str:
    """Generic: the files of ``kind`` written by one RUN."""
    return f"{kind}@{run.index}"


def base_claim(from_ins: Instruction) -> str:
    """What the base image of this FROM holds beyond a lighter image of the same runtime:
    a slim or JRE swap (DT401) and a runtime stage (DT402) both remove it."""
    return f"base-image@{from_ins.index}"


def stage_claim(from_ins: Instruction) -> str:
    """Everything the stage of this FROM builds, which a multi-stage rewrite leaves in the
    builder; only the rewrite claims it, so it supersedes findings about parts of it."""
    return f"{STAGE_CLAIM}@{from_ins.index}"


# ------------------------------------------------------------------ COPY/ADD and paths
# (added for DT202/DT206/DT403/DT501: what a COPY/ADD writes, and where)

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz",
                    ".tar.zst", ".zip", ".deb", ".rpm", ".whl", ".apk", ".7z", ".gz", ".xz", ".bz2")
# ADD extracts these when they come from the build context (not from a URL)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def is_url(src: str) -> bool:
    return src.startswith(("http://", "https://", "git@")) or src.startswith("git://")


class CopyArgs(Record):
    """A COPY/ADD as words: sources, destination, and their positions in ``ins.body``."""

    __slots__ = ()
    _fields = ("sources", "dest", "source_offsets", "heredoc", "dest_offset")
    sources = field(0, "tuple[str, ...]")
    dest = field(1, "str")
    source_offsets = field(2, "tuple[tuple[int, int], ...]: (start, end) in ins.body, () for exec form")
    heredoc = field(3, "bool")
    dest_offset = field(4, "tuple[int, int]")

    def __new__(cls, sources, dest, source_offsets, heredoc=False, dest_offset=(0, 0)):
        return tuple.__new__(cls, (sources, dest, source_offsets, heredoc, dest_offset))


def copy_args(df: Dockerfile, ins: Instruction) -> CopyArgs | None:
    """Sources and destination of a COPY/ADD, or None when malformed."""
    if ins.keyword not in ("COPY", "ADD"):
        return None
    return _copy_args(ins.json_args, ins.body.text, df.escape)


@lru_cache(maxsize=1024)  # a dozen rules ask of each COPY; the answer depends on its text alone
def _copy_args(json_args: tuple[str, ...] | None, body: str, escape: str) -> CopyArgs | None:
    if json_args is not None:
        if len(json_args) < 2:
            return None
        return CopyArgs(tuple(json_args[:-1]), json_args[-1], ())
    words = split_words(body, escape)
    if len(words) < 2:
        return None
    heredoc = any(w.text.startswith("<<") for w in words[:-1])
    return CopyArgs(tuple(w.text for w in words[:-1]), words[-1].text,
                    tuple((w.start, w.end) for w in words[:-1]), heredoc, (words[-1].start, words[-1].end))


def path_within(path: str, parent: str) -> bool:
    """``path`` is ``parent`` or inside it (both normalised absolute paths)."""
    return path == parent or parent == "/" or path.startswith(parent.rstrip("/") + "/")


# ------------------------------------------------------------------ package caches
# (added for DT106-DT109 and DT208: where package managers keep their caches)


def operands(args: Iterable[Word], takes_value: Collection[str] = (), dash: bool = False) -> list[Word]:
    """The words of ``args`` that are neither options nor the value of an option listed in
    ``takes_value`` (``--prefix app install x`` -> ``install x``). A lone ``-`` (stdin)
    is an operand with ``dash``, else it is dropped like an option. The one option parse
    the rules share; each tool's table of options that take a value lives with the tool
    (managers.py, caches.py)."""
    out: list[Word] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a.text.startswith("-") and not (dash and a.text == "-"):
            skip = a.text in takes_value
        else:
            out.append(a)
    return out


def program_args(cmd: Command, takes_value: Collection[str] = frozenset()) -> list[Word]:
    """A command's operands, a lone ``-`` among them (``npm --prefix app install`` -> ``install``)."""
    return operands(cmd.args, takes_value, dash=True)


def assigned(cmd: Command) -> dict[str, str]:
    """The variables a command sets for itself: ``X=1 pip install`` (and ``env X=1 ...``
    once unwrapped) -> ``{"X": "1"}``, values as written."""
    return dict(a.partition("=")[::2] for a in cmd.assignments)


def option_value(cmd: Command, *names: str) -> Word | None:
    """The value of ``--name VALUE`` / ``--name=VALUE`` (the last one wins)."""
    found = None
    args = cmd.args
    for i, a in enumerate(args):
        for n in names:
            if a.text == n and i + 1 < len(args):
                found = args[i + 1]
            elif n.startswith("--") and a.text.startswith(n + "="):
                found = Word(a.text[len(n) + 1 :], a.raw, a.span, a.dynamic)
    return found


def starts_after(cmd: Command, other: Command) -> bool:
    """``cmd.span.start > other.span.start``, compared by offset when both are in one logical line
    (offsets and file positions come in the same order): a command's position is worked out
    from its offset on first use, and most commands' never are."""
    a, b = cmd.where, other.where
    if type(a) is _Where and type(b) is _Where and a.logical is b.logical:
        return a.start > b.start
    return cmd.span.start > other.span.start


def user_at(before: Iterable[Instruction], escape: str = "\\") -> str:
    """The USER in force (from instructions nearest first); "root" when none is set."""
    for other in before:
        if other.keyword == "USER":
            words = other.words(escape)
            return words[0].text.split(":", 1)[0] if words else "root"
    return "root"


def home_dir(user: str, env: dict[str, str]) -> str:
    """$HOME of a RUN: an ENV HOME wins, else root's or the usual /home/<user>."""
    if env.get("HOME", "").startswith("/"):
        return env["HOME"].rstrip("/") or "/"
    if user in ("root", "0", ""):
        return "/root"
    return f"/home/{user}"


def normalise_home(text: str, home: str) -> str:
    """``~/.npm``, ``$HOME/.npm``, ``${HOME}/.npm`` -> ``<home>/.npm``."""
    for prefix in _HOME_PREFIXES:
        if text.startswith(prefix):
            return home.rstrip("/") + "/" + text[len(prefix) :]
    if text in _HOME_WORDS:
        return home
    return text


def removes_dir(cmd: Command, path: str, home: str = "/root") -> bool:
    """``rm`` of ``path``, a parent of it, its contents, or a directory inside it."""
    return removes(cmd, path, home, inside=True)


def mount_overlaps(targets: Iterable[str], path: str) -> bool:
    """A cache/tmpfs mount on ``path``, a parent, or a directory inside it."""
    path = path.rstrip("/") or "/"
    return any(path == t or path_within(path, t) or path_within(t, path) for t in targets)


def cache_claim(kind: str, run: Instruction) -> str:
    """A package-manager cache written by one RUN; ``kind`` is the SizeHint kind
    (``hints.NPM_CACHE``) so DT106-DT109 and DT201 name the same bytes alike."""
    return layer_claim(kind, run)


# ------------------------------------------------------------------ shell shape
# (added for DT201/DT203/DT204/DT205: what a script leaves behind for commands that
# follow it, and whether two scripts can be joined with &&)

# Builtins that change the shell a later command would run in.
CWD_BUILTINS = frozenset(("cd", "pushd", "popd"))
SHELL_BUILTINS = frozenset((
    "exit", "return", "exec", "trap", "set", "shopt", "alias", "unalias", "ulimit", "umask",
    "source", ".", "eval", "builtin", "enable", "shift", "read", "mapfile", "readarray", "let",
    "hash", "wait", "getopts", "command", "newgrp",
))
_STATE_NODES = {"declaration_command": "env", "unset_command": "env", "function_definition": "function"}
# these run in their own (sub)shell: nothing inside leaks out
_ISOLATED = frozenset(("subshell", "command_substitution", "process_substitution"))


def _tree(script: ShellScript):
    if script.root is not None:
        return script.root
    from bot.model.shell import _parser  # exec form keeps no tree

    return _parser().parse(script.logical.text.encode("utf-8")).root_node


def shell_effects(script: ShellScript) -> frozenset[str]:
    """What the script leaves in its shell for a command appended after it: ``cwd``
    (cd), ``env`` (assignments, export, unset, read), ``function``, ``shell`` (set,
    source, exit, exec, alias, umask, ...) and ``background`` (a trailing or inner ``&``)."""
    found: set[str] = set()
    if script.plain:  # simple commands alone (no &, declaration, function, bare assignment): their names tell
        for cmd in script.commands:
            if cmd.program in CWD_BUILTINS:
                found.add("cwd")
            elif cmd.program in SHELL_BUILTINS:
                found.add("shell" if cmd.program != "read" else "env")
        return frozenset(found)

    def walk(node, parent_type: str) -> None:
        for child in node.children:
            t = child.type
            if t in _ISOLATED:
                continue
            if t == "&":
                found.add("background")
            elif t in _STATE_NODES:
                found.add(_STATE_NODES[t])
            elif t == "variable_assignment" and node.type != "command":
                found.add("env")
            elif t == "command":
                name = child.child_by_field_name("name")
                text = name.text.decode("utf-8", "replace").rsplit("/", 1)[-1] if name is not None else ""
                if text in CWD_BUILTINS:
                    found.add("cwd")
                elif text in SHELL_BUILTINS:
                    found.add("shell" if text != "read" else "env")
            if child.child_count:
                walk(child, t)

    walk(_tree(script), "program")
    if not script.ok:
        found.add("shell")  # a script we could not fully read: assume the worst
    return frozenset(found)


def and_chain(script: ShellScript) -> bool:
    """One top-level statement whose lists use ``&&`` only (pipes inside are fine), so
    ``prefix && script`` fails exactly when either part fails."""
    if script.plain:  # one statement unless a ';' splits it; a '||' breaks the chain
        return all(c.operator_before in ("", "&&", "|") for c in script.commands)
    root = _tree(script)
    statements = [c for c in root.named_children if c.type != "comment"]
    if len(statements) != 1 or any(c.type in (";", "&", "\n") for c in root.children):
        return False
    node = statements[0]
    while node.type == "list":
        if any(c.type in ("||", ";", "&") for c in node.children):
            return False
        node = node.named_children[0]
    return True


def single_command(script: ShellScript) -> Command | None:
    """The command of a script that is one simple command (with redirections and
    ``$(...)`` arguments allowed), as hadolint's DL3059 counts it; else None."""
    top = script.top_level()
    if len(top) != 1:  # asked first: most scripts fail here, and the tree below is walked node by node
        return None
    if script.plain:  # one command and no operator: the whole script
        return top[0]
    root = _tree(script)
    statements = [c for c in root.named_children if c.type != "comment"]
    if len(statements) != 1 or any(c.type in (";", "&") for c in root.children):
        return None
    node = statements[0]
    if node.type == "redirected_statement":
        node = node.named_children[0] if node.named_children else node
    if node.type != "command":
        return None
    return top[0]


# ------------------------------------------------------------------ downloads
# (DT205 and DT201: files that curl/wget write, and what consumes them)

class Download(Record):
    """A file that ``curl``/``wget`` writes: ``target`` as written (relative to the
    command's working directory unless absolute); ``static`` when no variable is in it."""

    __slots__ = ()
    _fields = ("command", "url", "target", "static")
    command = field(0, "Command")
    url = field(1, "str")
    target = field(2, "str")
    static = field(3, "bool")

    def __new__(cls, command, url, target, static):
        return tuple.__new__(cls, (command, url, target, static))


class Option(Record):
    __slots__ = ()
    _fields = ("name", "value")
    name = field(0, 'str: as written: "-o", "--output" (a cluster gives one per letter)')
    value = field(1, "Word | None: a value in the same word keeps that word's place")

    def __new__(cls, name, value):
        return tuple.__new__(cls, (name, value))


def getopt(args: Sequence[Word], table: Getopt) -> tuple[list[Option], list[Word]]:
    """The options and the operands of a getopt-style tool's arguments (see
    ``tool_options.Getopt``)."""
    opts: list[Option] = []
    operands: list[Word] = []
    i = 0
    while i < len(args):
        a = args[i]
        t = a.text
        if t == "--":
            operands += args[i + 1 :]
            break
        if t.startswith("--"):
            name, eq, value = t.partition("=")
            if eq:
                opts.append(Option(name, Word(value, a.raw, a.where, a.dynamic)))
            elif name in table.value_long and i + 1 < len(args):
                i += 1
                opts.append(Option(name, args[i]))
            else:
                opts.append(Option(name, None))
        elif t.startswith("-") and len(t) > 1:
            for j, c in enumerate(t[1:], 1):
                if c not in table.value_short:
                    opts.append(Option("-" + c, None))
                    continue
                rest = t[j + 1 :]
                if rest:
                    opts.append(Option("-" + c, Word(rest, a.raw, a.where, a.dynamic)))
                elif i + 1 < len(args):
                    i += 1
                    opts.append(Option("-" + c, args[i]))
                else:
                    opts.append(Option("-" + c, None))
                break
        else:
            operands.append(a)
        i += 1
    return opts, operands


def url_basename(url: str) -> str:
    """The file name ``curl -O`` / ``wget`` give a download: the URL path's last part."""
    path = url.split("://", 1)[-1]
    path = path.split("#", 1)[0]
    if "?" in path:
        return ""  # wget keeps the query in the name, curl drops it: no single answer
    if "/" not in path:
        return ""
    return path.rsplit("/", 1)[-1]


def downloads(cmd: Command) -> list[Download]:
    """Files written by a ``curl``/``wget`` command (nothing for output to stdout)."""
    if cmd.program == "curl":
        opts, pos = getopt(cmd.args, CURL)
        urls = [w for w in pos if "://" in w.text] + [v for n, v in opts if n == "--url" and v and v.text]
        names = {n for n, _ in opts}
        if len(urls) != 1 or "-J" in names or "--remote-header-name" in names:
            return []
        url = urls[0]
        out = [v.text for n, v in opts if n in ("-o", "--output") and v and v.text]
        if out:
            target = out[-1]
        elif names & {"-O", "--remote-name", "--remote-name-all"}:
            target = url_basename(url.text)
            outdir = [v.text for n, v in opts if n == "--output-dir" and v and v.text]
            if target and outdir:
                target = outdir[-1].rstrip("/") + "/" + target
        else:
            return []
    elif cmd.program == "wget":
        opts, pos = getopt(cmd.args, WGET)
        urls = [w for w in pos if "://" in w.text]
        names = {n for n, _ in opts}
        if not urls or names & {"-r", "--recursive", "-i", "--input-file", "-m", "--mirror", "--content-disposition"}:
            return []
        out = [v.text for n, v in opts if n in ("-O", "--output-document") and v and v.text]
        url = urls[0]
        if out:
            target = out[-1]
        elif len(urls) == 1:
            target = url_basename(url.text)
            prefix = [v.text for n, v in opts if n in ("-P", "--directory-prefix") and v and v.text]
            if target and prefix:
                target = prefix[-1].rstrip("/") + "/" + target
        else:
            return []
    else:
        return []
    if not target or target == "-" or target.startswith("/dev/"):
        return []
    return [Download(cmd, url.text, target, "$" not in target and "`" not in target)]


# Commands that read a downloaded file and leave it behind as waste once done.
_EXTRACTORS = frozenset(("unzip", "7z", "7za", "bsdtar", "cpio"))
_RUNNERS = frozenset(("sh", "bash", "dash", "ash", "zsh", "python", "python3", "python2", "perl", "ruby", "php"))
_PKG_INSTALL = {
    "dpkg": ("-i", "--install"),
    "rpm": ("-i", "-U", "--install", "--upgrade", "-F", "--freshen"),
}


def consumes(cmd: Command, matches) -> bool:
    """``cmd`` extracts, installs, runs or copies a file for which ``matches(word)`` holds:
    the download is not the product, so keeping it is waste."""
    prog = cmd.program
    args = [a for a in cmd.args]
    if matches(Word(cmd.name, cmd.name, cmd.name_span, "$" in cmd.name)) and "/" in cmd.name:
        return True  # ./installer.sh, /tmp/install
    if prog == "tar":
        first = args[0].text if args else ""
        extract = cmd.has_option("-x", "--extract", "--get") or (
            first and not first.startswith("-") and "x" in first and first.isalpha()
        )
        files = [Word(a.text[7:], a.raw, a.span, a.dynamic) if a.text.startswith("--file=") else a for a in args]
        return bool(extract) and any(matches(a) for a in files)
    if prog in _EXTRACTORS or prog in _RUNNERS or prog.startswith("python"):
        return any(matches(a) for a in cmd.positionals())
    if prog in _PKG_INSTALL:
        return cmd.has_option(*_PKG_INSTALL[prog]) and any(matches(a) for a in cmd.positionals())
    if prog in APT | {"yum", "dnf", "microdnf", "zypper", "gdebi"} | PIP | {"npm"}:
        return cmd.subcommand() in ("install", "localinstall", "reinstall", "i", "") and any(
            matches(a) for a in cmd.positionals()
        )
    if prog in ("apk",) and cmd.subcommand() == "add":
        return any(matches(a) for a in cmd.positionals())
    if prog in ("cp", "install"):
        sources = [a for a in cmd.positionals()][:-1]
        return any(matches(a) for a in sources)
    return False


_PACKAGE_SUFFIXES = (".deb", ".rpm", ".apk", ".whl", ".gem", ".egg", ".msi")
_SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".pl", ".rb", ".php", ".run", ".bin")
_UNPACKERS = frozenset(("tar", "gunzip", "unxz", "bunzip2", "gzip", "xz", "bzip2", "zstd")) | _EXTRACTORS


def file_kind(name: str) -> str:
    """``archive``, ``package``, ``script`` (an installer to run: a script suffix or
    none at all), or "" for anything else (a .js, .jar or .conf is the product)."""
    base = name.rsplit("/", 1)[-1].lower()
    if base.endswith(_PACKAGE_SUFFIXES):
        return "package"
    if is_archive(base):
        return "archive"
    if base.endswith(_SCRIPT_SUFFIXES) or "." not in base.lstrip("."):
        return "script"
    return ""


def consumer_kinds(cmd: Command) -> frozenset[str]:
    """The file kinds a consuming command unpacks or installs (``consumes``): a copy
    (cp, install) uses a file up without making it waste, so it takes none."""
    prog = cmd.program
    if prog in _UNPACKERS:
        return frozenset(("archive",))
    if prog in _RUNNERS or prog.startswith("python"):
        return frozenset(("script",))
    if prog in ("cp", "install"):
        return frozenset()
    if prog in _PKG_INSTALL or prog in APT | {"yum", "dnf", "microdnf", "zypper", "gdebi", "apk"} | PIP | {"npm"}:
        return frozenset(("package", "archive"))
    return frozenset(("script",))  # the file itself run: ./installer


def unpacks_or_installs(cmd: Command, matches, name: str) -> bool:
    """``consumes`` restricted to what the command does with a file of that kind: tar
    unpacks an archive, dpkg installs a .deb, sh runs an installer."""
    return consumes(cmd, matches) and file_kind(name) in consumer_kinds(cmd)


def archive_claim(path: str, run: Instruction) -> str:
    """A downloaded file left in the layer of one RUN (DT205 and DT201 share it)."""
    return f"archive:{path}@{run.index}"


# ------------------------------------------------------------------ wrapped commands
# (added for DT102-DT105: `sudo apt-get install`, `env X=1 pip install` run the inner tool)

WRAPPERS = frozenset(("sudo", "env", "nice", "nohup", "time", "exec", "command", "stdbuf", "ionice"))
# options of the wrappers above that take a separate value
_WRAPPER_VALUES = frozenset(("-u", "-g", "-C", "-D", "-p", "-r", "-t", "-U", "-h", "-n", "-c",
                             "--user", "--group", "--chdir", "--unset", "--adjustment"))  # fmt: skip


def unwrap(cmd: Command) -> Command:
    """The command a wrapper runs: ``sudo -E env PIP_X=1 pip install y`` -> ``pip install y``
    (env's assignments become the command's), or ``cmd`` itself. Spans stay the wrapper's."""
    seen = 0
    while cmd.program in WRAPPERS and seen < 4:
        seen += 1
        args = list(cmd.args)
        assignments = list(cmd.assignments)
        i = 0
        while i < len(args):
            t = args[i].text
            if t == "--":
                i += 1
                break
            if t.startswith("-") and len(t) > 1:
                i += 2 if t in _WRAPPER_VALUES else 1
                continue
            if cmd.program == "env" and "=" in t and not args[i].dynamic and t.split("=", 1)[0].isidentifier():
                assignments.append(t)
                i += 1
                continue
            break
        if i >= len(args) or args[i].dynamic:
            return cmd
        inner = args[i]
        cmd = Command(inner.text, tuple(args[i + 1 :]), cmd.span, inner.span, cmd.operator_before,
                      cmd.depth, tuple(assignments), cmd.end)
    return cmd



def command_text(df: Dockerfile, script: ShellScript, cmd: Command) -> str:
    """A command's text as the shell reads it (continuations joined), without redirections."""
    import bisect

    start = bisect.bisect_left(script.logical.offsets, df.index.offset(cmd.span.start))
    return script.logical.text[start : cmd.end]


def command_dirs(script: ShellScript, start: str) -> list[str]:
    """The working directory each command of ``script`` runs in, in order: ``start``
    (the WORKDIR) changed by top-level ``cd``; "" once it is unknown (a variable,
    ``cd -``, a ``cd`` inside a subshell or branch we do not follow)."""
    out: list[str] = []
    cwd = start
    for cmd in script.commands:
        out.append(cwd)
        if cmd.program not in CWD_BUILTINS:
            continue
        pos = cmd.positionals()
        if cmd.depth != 0 or cmd.program != "cd" or len(pos) != 1 or pos[0].dynamic or pos[0].text in ("-", "~"):
            cwd = ""
        elif pos[0].text.startswith("/"):
            cwd = join_path("/", pos[0].text)
        else:
            cwd = join_path(cwd, pos[0].text) if cwd else ""
    return out


def resolve(text: str, cwd: str, home: str) -> str:
    """An absolute normalised path for a path word, or "" when it cannot be known."""
    text = normalise_home(text, home)
    if "$" in text or "`" in text:
        return ""
    if text.startswith("/"):
        return join_path("/", text) + ("/*" if text.endswith("/*") else "")
    return join_path(cwd, text) + ("/*" if text.endswith("/*") else "") if cwd else ""


def rm_covers(cmd: Command, path: str, cwd: str, home: str) -> bool | None:
    """Does this ``rm`` delete ``path`` (itself, a parent, or by a glob)? None when an
    argument cannot be resolved (a variable), so callers can stay quiet."""
    import fnmatch

    if cmd.program != "rm":
        return False
    unknown = False
    for w in cmd.positionals():
        target = resolve(w.text, cwd, home)
        if not target:
            unknown = True
            continue
        if target.endswith("/*"):
            target = target[:-2]
        if any(c in target for c in "*?["):
            if fnmatch.fnmatchcase(path, target) or any(
                fnmatch.fnmatchcase(parent, target) for parent in _parents(path)
            ):
                return True
            continue
        if path_within(path, target):
            return True
    return None if unknown else False


def _parents(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]


def short_name(name: str, limit: int = 30) -> str:
    """A file name cut in the middle so messages stay short."""
    return name if len(name) <= limit else name[: limit // 2 - 1] + "…" + name[-(limit // 2 - 1) :]


# ------------------------------------------------------------------ what later steps need
# (DT102 keeps the recommends they need; DT401 offers -slim only where it can work)

COMPILERS = frozenset(("gcc", "cc", "g++", "c++", "clang", "clang++", "make", "cmake", "ninja", "configure"))
GO_BUILDS = frozenset(("build", "install", "test", "run", "get", "generate"))
GO_FETCHES = frozenset(("get", "install", "mod"))
GIT_FETCHES = frozenset(("clone", "fetch", "pull", "ls-remote", "submodule"))


class Need(Record):
    """Something a command needs from the image: ``https`` (CA certificates), ``compile``
    (a C compiler), ``cgo`` (go with cgo on), ``pip`` (a pip install, which compiles
    when no wheel fits), ``pybuild`` (a C extension built against Python's headers), ``git``, ``ssh`` (a git clone over ssh), ``xauth`` (xvfb-run), ``gpg`` (a PPA's signing key,
    imported by add-apt-repository with gpg-agent)."""

    __slots__ = ()
    _fields = ("kind", "why")
    kind = field(0, "str")
    why = field(1, 'str: the command, short: "`curl https://…`"')

    def __new__(cls, kind, why):
        return tuple.__new__(cls, (kind, why))


def _fetch_urls(cmd: Command) -> list[str]:
    return [w.text for w in cmd.args if "://" in w.text or w.text.startswith("git@")]


def command_needs(cmd: Command, env: dict[str, str] | None = None) -> list[Need]:
    """What one command needs that a slim image or a `--no-install-recommends` install
    may lack. ``env``: the ENV in force (for ``CGO_ENABLED``)."""
    cmd = unwrap(cmd)
    prog, words = cmd.program, cmd.words
    sub = next((w for w in words if not w.startswith("-")), "")
    out: list[Need] = []
    urls = _fetch_urls(cmd)
    if prog in ("curl", "wget") and any(u.startswith("https://") for u in urls):
        out.append(Need("https", f"`{prog} https://…`"))
    elif prog == "git":
        out.append(Need("git", "`git`"))
        if sub in GIT_FETCHES:
            if any(u.startswith(("git@", "ssh://")) for u in urls):
                out.append(Need("ssh", f"`git {sub}` over ssh"))
            if any(u.startswith("https://") for u in urls) or sub == "submodule":
                out.append(Need("https", f"`git {sub} https://…`"))
    elif prog == "bower" and sub == "install":
        out.append(Need("git", "`bower install`"))
    elif prog == "go" and sub in GO_BUILDS | GO_FETCHES:
        values = dict(env or {})
        values.update(a.split("=", 1) for a in cmd.assignments if "=" in a)
        if sub in GO_FETCHES:
            out.append(Need("https", f"`go {sub}`"))
        if sub == "get":
            out.append(Need("git", "`go get`"))
        if sub in GO_BUILDS and values.get("CGO_ENABLED", "").strip("\"'") != "0":
            out.append(Need("cgo", f"`go {sub}` with cgo"))
    elif prog in PIP and sub == "install":
        if not set(_pip_targets(words)) <= _PIP_ITSELF:
            out.append(Need("pip", f"`{prog} install`"))
        if any(u.startswith("git+") for u in words):
            out.append(Need("git", f"`{prog} install git+…`"))
            if any("git+https://" in u for u in words):
                out.append(Need("https", f"`{prog} install git+https://…`"))
    elif prog in COMPILERS or prog.startswith(("gcc-", "g++-")):
        out.append(Need("compile", f"`{prog}`"))
    elif prog in ("python", "python3") and "setup.py" in words and any(w in ("build", "install", "build_ext") for w in words):
        out += [Need("compile", "`setup.py build`"), Need("pybuild", "`setup.py build`")]
    elif prog == "xvfb-run":
        out.append(Need("xauth", "`xvfb-run`"))
    elif prog in ("add-apt-repository", "apt-add-repository") and any(w.startswith("ppa:") for w in words):
        out.append(Need("gpg", f"`{prog} ppa:…` imports the PPA's key"))
    return out


_PIP_ITSELF = frozenset(("pip", "setuptools", "wheel"))
# where a requirement's name ends (``flask>=2``, ``x[extra]``, ``y @ url``, ``z; marker``)
REQUIREMENT_NAME_END = LazyPattern(r"[<>=!~\[;@ ]")


def _pip_targets(words: list[str]) -> list[str]:
    """What a pip install installs, by name ("?" for a requirements file, an editable
    project or nothing known)."""
    out: list[str] = []
    takes_value = False
    for w in words[1:]:
        if takes_value:
            takes_value = False
        elif w.startswith("-"):
            name = w.split("=", 1)[0]
            if name in ("--requirement", "--editable") or w.startswith(("-r", "-e")):
                out.append("?")  # also -rfile and --requirement=file
            takes_value = w in PIP_INSTALL_VALUES
        else:
            out.append(REQUIREMENT_NAME_END.split(w, maxsplit=1)[0].lower())
    return out or ["?"]


def words_needs(words: list[str]) -> list[Need]:
    """Needs of a CMD/ENTRYPOINT, from its words (it runs in the final container)."""
    names = [w.rsplit("/", 1)[-1] for w in words]
    out = []
    if "xvfb-run" in names:
        out.append(Need("xauth", "`xvfb-run` at run time"))
    return out


def installs_dev_headers(packages: Iterable[str]) -> bool:
    """Any ``-dev``/``-devel`` package: the author expects something to compile against it."""
    return any(p.endswith(("-dev", "-devel")) for p in packages)
