from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript
from bot.model.words import expand
from bot.rules.tool_options import GIT_CLONE_VALUES
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import append_command
from bot.rules.facts import (
    PIP_NAME,
    PYTHON_NAME,
    WRAPPERS,
    command_dirs,
    join_path,
    operands,
    option_value,
    path_within,
    resolve,
    rm_covers,
    unwrap,
)

RUNNERS = frozenset(("sh", "bash", "dash", "ash"))
# Directories that are never a build tree of their own (an unpack or clone into them
# installs, it does not leave a tree behind)
SYSTEM = frozenset(("/", "/usr", "/usr/local", "/usr/src", "/opt", "/tmp", "/var", "/var/tmp", "/srv", "/home",
                    "/root", "/etc", "/usr/share", "/usr/lib", "/usr/local/lib", "/usr/local/src", "/app"))  # fmt: skip


# the programs a tree comes from (_clone, _unpacks), and the wrappers that may run them (unwrap)
TREE_PROGRAMS = frozenset(("git", "unzip", "tar", "bsdtar")) | WRAPPERS


class Tree(Record):
    __slots__ = ()
    _fields = ("path", "source", "url", "at")
    path = field(0, "str: absolute, normalised")
    source = field(1, 'str: "git clone" | "tar" | "unzip"')
    url = field(2, 'str: the clone URL ("" for archives)')
    at = field(3, "int: index of the command that made it")

    def __new__(cls, path, source, url, at):
        return tuple.__new__(cls, (path, source, url, at))


def _clone(cmd: Command, cwd: str, home: str) -> Tree | None:
    """``git clone [opts] URL [DIR]`` -> the directory it creates."""
    if cmd.program != "git" or cmd.subcommand() != "clone":
        return None
    args = cmd.args[1:] if cmd.args and cmd.args[0].text == "clone" else cmd.args
    words = [w for w in operands(args, GIT_CLONE_VALUES) if w.text != "clone"]
    if not words or any(w.dynamic for w in words[:2]):
        return None
    url = words[0].text
    name = words[1].text if len(words) > 1 else url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = name[:-4] if len(words) == 1 and name.endswith(".git") else name
    path = resolve(name, cwd, home)
    return Tree(path, "git clone", url, 0) if path else None


def _unpacks(cmd: Command) -> str | None:
    """``tar x...`` or ``unzip``: the kind, None for other commands."""
    if cmd.program == "unzip":
        return "unzip"
    if cmd.program in ("tar", "bsdtar"):
        first = cmd.args[0].text if cmd.args else ""
        if cmd.has_option("-x", "--extract", "--get") or (first and not first.startswith("-") and "x" in first):
            return "tar"
    return None


def _installs(cmd: Command, cwd: str, home: str, tree: str) -> bool:
    """A command that installs what the tree builds elsewhere (so the tree is no longer
    needed): ``make install``, ``python setup.py install``, ``pip install .``, ``cmake
    --install``, ``go install``, ``cargo install --path``, or the tree's own installer."""
    inside = bool(cwd) and path_within(cwd, tree)
    words = [w.text for w in cmd.positionals()]
    prog = cmd.program
    if prog in ("make", "gmake", "ninja", "meson", "checkinstall"):
        at = option_value(cmd, "-C")
        where = resolve(at.text, cwd, home) if at is not None and not at.dynamic else cwd
        installs = prog == "checkinstall" or any(w in ("install", "install-strip", "altinstall") for w in words)
        return installs and bool(where) and path_within(where, tree)
    if PYTHON_NAME.fullmatch(prog):
        return inside and "setup.py" in words and "install" in words and "develop" not in words
    if PIP_NAME.fullmatch(prog) or (PYTHON_NAME.fullmatch(prog) and words[:1] == ["pip"]):
        if cmd.has_option("-e", "--editable") or "install" not in words:
            return False
        targets = [resolve(w, cwd, home) for w in words[words.index("install") + 1 :] if w.startswith((".", "/"))]
        return any(t and path_within(t, tree) for t in targets)
    if prog == "cmake" and cmd.has_option("--install"):
        where = option_value(cmd, "--install")
        return where is not None and bool(resolve(where.text, cwd, home)) and path_within(resolve(where.text, cwd, home), tree)
    if prog in ("go", "cargo") and words[:1] == ["install"]:
        return inside and (prog == "go" or cmd.has_option("--path"))
    if prog in RUNNERS and words:
        script = resolve(words[0], cwd, home)
        return bool(script) and path_within(script, tree) and script.rsplit("/", 1)[-1].startswith("install")
    if "/" in cmd.name:
        program = resolve(cmd.name, cwd, home)
        if prog == "setup.py":  # ./setup.py install
            return bool(program) and path_within(program, tree) and "install" in words and "develop" not in words
        return bool(program) and path_within(program, tree) and prog.startswith("install")
    return False


PREFIX_OPTIONS = ("--prefix", "--root", "--home", "--install-dir", "--exec-prefix", "--target", "-t")
PREFIX_ASSIGN = ("PREFIX=", "DESTDIR=", "-DCMAKE_INSTALL_PREFIX=", "INSTALL_DIR=", "prefix=")


def _installs_into(cmd: Command, cwd: str, home: str, tree: str, env: dict[str, str]) -> bool:
    """An install location (``--prefix``, ``DESTDIR=``, ...) inside the tree, or one we
    cannot resolve: removing the tree could remove what was installed."""
    values = [a.partition("=")[2] for a in cmd.assignments if a.startswith(PREFIX_ASSIGN)]
    args = cmd.args
    for i, a in enumerate(args):
        t = a.text
        if t in PREFIX_OPTIONS and i + 1 < len(args):
            values.append(args[i + 1].raw)
        elif t.startswith(tuple(o + "=" for o in PREFIX_OPTIONS) + PREFIX_ASSIGN):
            values.append(a.raw.partition("=")[2])
    for value in values:
        text, known = expand(value.strip("\"'"), env)
        where = resolve(text, cwd, home) if known else ""
        if not where or path_within(where, tree):
            return True
    return False


def _workdir(ctx: Context, ins: Instruction) -> str:
    """The working directory of a RUN ("" when unknown)."""
    return ctx.workdir(ins) or ""


def _trees(script: ShellScript, start: str, home: str) -> list[Tree]:
    """Trees cloned or unpacked by the script: a clone names its directory; an unpack
    counts through the first ``cd`` into a new directory below where it ran."""
    dirs = command_dirs(script, start)
    out: list[Tree] = []
    for i, outer in enumerate(script.commands):
        cmd, cwd = unwrap(outer), dirs[i]
        if outer.depth:
            continue
        cloned = _clone(cmd, cwd, home)
        if cloned is not None:
            out.append(cloned._replace(at=i))
            continue
        kind = _unpacks(cmd)
        if kind is None or not cwd:
            continue
        target = option_value(cmd, "-C", "--directory", "-d")
        base = resolve(target.text, cwd, home) if target is not None and not target.dynamic else cwd
        if not base:
            continue
        for j in range(i + 1, len(script.commands)):
            nxt = dirs[j + 1] if j + 1 < len(dirs) else ""
            if script.commands[j].program == "cd" and nxt and nxt != base and path_within(nxt, base):
                top = join_path(base, nxt[len(base.rstrip("/")) + 1 :].split("/", 1)[0])
                out.append(Tree(top, kind, "", i))
                break
    return out


def _mentions(ctx: Context, ins: Instruction, path: str) -> bool:
    """A later instruction of the image names the tree (its WORKDIR, CMD, a RUN, ENV PATH)."""
    for other in ctx.after(ins):
        if path in other.body.text:
            return True
    return False


class BuildTreeLeftInLayer(Rule):
    id = "DT209"
    name = "build-tree-left-in-layer"
    severity = Severity.WARNING
    summary = "a source tree cloned or unpacked, built and installed from, then left in the layer"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds a `RUN`, in a stage that reaches the final image, that clones a repository
(`git clone`) or unpacks an archive (`tar x`, `unzip`, then `cd` into the new
directory), installs from that tree (`make install`, `python setup.py install`,
`pip install <tree>`, `cmake --install`, `go install`, `cargo install --path`, or the
tree's own `install` script) and does not remove the tree in the same `RUN`.

## Why is this bad?
Once installed, the source tree is dead weight: sources, object files, the build
directory and, for a clone, the whole `.git` history. A build of a C library or a
language runtime easily leaves 50-500 MB. Removing it in a later `RUN` frees nothing.

## Example
```dockerfile
FROM debian:12
RUN git clone https://github.com/example/tool /tmp/tool \\
    && cd /tmp/tool && ./configure && make && make install
```

## Use instead
```dockerfile
FROM debian:12
RUN git clone https://github.com/example/tool /tmp/tool \\
    && cd /tmp/tool && ./configure && make && make install \\
    && rm -rf /tmp/tool
```
Better still: build in a separate stage and copy the installed files.

## Fix safety
Review: `rm -rf <tree>` runs at the end of the same `RUN`. Check that nothing installed
points back into the tree (a symlink, an egg-link, a config file naming it). Offered
only when the tree's absolute path is known. Not reported when a later instruction
names the tree (a `WORKDIR`, `CMD`, `RUN` or `ENV` using it) or an `ENV` in force does,
when the install goes into the tree (`--prefix`, `DESTDIR=`, `PREFIX=` inside it or not
resolvable), when the tree is the
working directory, a system directory or where the `RUN` started, when the install is
editable (`pip install -e`), or in builder stages.

## Size impact
The tree's sources and build outputs: unknown without the repository or archive.
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN git clone https://github.com/example/tool /tmp/tool && cd /tmp/tool && make install\n",
            fixed="FROM debian:12\nRUN git clone https://github.com/example/tool /tmp/tool && cd /tmp/tool && make install"
            " && rm -rf /tmp/tool\n",
            at="2:5-2:56",
        ),
        Invalid(
            "FROM debian:12\nWORKDIR /usr/src\nRUN curl -fsSL https://example.org/stunnel-5.72.tar.gz | tar xz \\\n"
            "    && cd stunnel-5.72 && ./configure && make && make install\n",
            fixed="FROM debian:12\nWORKDIR /usr/src\nRUN curl -fsSL https://example.org/stunnel-5.72.tar.gz | tar xz \\\n"
            "    && cd stunnel-5.72 && ./configure && make && make install \\\n    && rm -rf /usr/src/stunnel-5.72\n",
            message="/usr/src/stunnel-5.72",
        ),
        Invalid(
            "FROM python:3.12\nRUN cd /tmp && git clone https://github.com/example/lib.git && pip install ./lib\n",
            fixed="FROM python:3.12\nRUN cd /tmp && git clone https://github.com/example/lib.git && pip install ./lib"
            " && rm -rf /tmp/lib\n",
        ),
        Valid("FROM debian:12\nRUN git clone https://github.com/example/tool /tmp/tool && cd /tmp/tool && make install"
              " && rm -rf /tmp/tool\n"),
        Valid("FROM debian:12\nRUN cd /tmp && git clone https://github.com/example/tool && cd tool && make install"
              " && cd / && rm -rf /tmp/*\n"),
        Valid(
            "FROM python:3.12\nRUN git clone https://github.com/example/app /srv/app && pip install -e /srv/app\n",
            note="an editable install keeps using the tree",
        ),
        Valid(
            "FROM node:20\nRUN git clone https://github.com/example/app /srv/app && cd /srv/app && npm ci\n"
            "WORKDIR /srv/app\nCMD [\"node\", \"index.js\"]\n",
            note="the clone is the application: nothing is installed elsewhere and it is used later",
        ),
        Valid("FROM debian:12\nRUN git clone https://github.com/example/tool /tmp/tool && cd /tmp/tool && make\n",
              note="built but not installed: the tree holds the result"),
        Valid(
            "FROM debian:12\nRUN git clone https://github.com/example/tool /opt/tool && cd /opt/tool && make install\n"
            "ENV PATH=/opt/tool/bin:$PATH\n",
            note="a later instruction names the tree",
        ),
        Valid(
            "FROM debian:12 AS build\nRUN git clone https://github.com/example/tool /tmp/tool && cd /tmp/tool && make install\n"
            "FROM debian:12-slim\nCOPY --from=build /usr/local/bin/tool /usr/local/bin/tool\n",
            note="a builder stage: its layers do not reach the final image",
        ),
        Valid(
            "FROM debian:12\nENV SOFT=/soft\nWORKDIR $SOFT\nRUN wget https://example.org/htslib-1.15.tar.bz2 && tar jxf "
            "htslib-1.15.tar.bz2 && cd htslib-1.15 && ./configure --prefix $SOFT/htslib-1.15 && make && make install\n",
            note="installed into the tree itself",
        ),
        Invalid(
            "FROM debian:12\nENV SOFT=/soft\nWORKDIR $SOFT\nRUN wget https://example.org/htslib-1.15.tar.bz2 && tar jxf "
            "htslib-1.15.tar.bz2 && cd htslib-1.15 && ./configure --prefix /usr/local && make && make install\n",
            message="/soft/htslib-1.15",
            fixed="FROM debian:12\nENV SOFT=/soft\nWORKDIR $SOFT\nRUN wget https://example.org/htslib-1.15.tar.bz2 && tar jxf "
            "htslib-1.15.tar.bz2 && cd htslib-1.15 && ./configure --prefix /usr/local && make && make install"
            " && rm -rf /soft/htslib-1.15\n",
            note="a WORKDIR from ENV is followed",
        ),
        Valid("FROM node:20\nRUN tar xzf /tmp/node.tgz -C /usr/local --strip-components=1\n",
              note="an unpack into a system directory installs, it leaves no tree"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            if not any(c.program in TREE_PROGRAMS for script in ctx.scripts(ins) for c in script.commands):
                continue  # nothing clones or unpacks (most RUNs): no tree, no need of the RUN's WORKDIR and HOME
            start = _workdir(ctx, ins)
            home = ctx.home(ins)
            for script in ctx.scripts(ins):
                if not script.ok:
                    continue
                for tree in _trees(script, start, home):
                    finding = self._check_tree(ctx, ins, script, tree, start, home)
                    if finding is not None:
                        yield finding

    def _check_tree(self, ctx: Context, ins: Instruction, script: ShellScript, tree: Tree, start: str,
                    home: str) -> Finding | None:  # fmt: skip
        path = tree.path
        if path in SYSTEM or (start and path_within(start, path)) or ctx.mounts_cover(ins, path):
            return None
        dirs = command_dirs(script, start)
        later = list(enumerate(script.commands))[tree.at + 1 :]
        if not any(_installs(unwrap(c), dirs[i], home, path) for i, c in later):
            return None
        env = ctx.env(ins)
        if any(_installs_into(unwrap(c), dirs[i], home, path, env) for i, c in later):
            return None
        if any(path_within(p, path) for value in env.values() for p in value.split(":") if p.startswith("/")):
            return None  # an ENV names the tree (PATH, a *_HOME): it is meant to stay
        for i, c in later:
            covers = rm_covers(unwrap(c), path, dirs[i], home)
            if covers or covers is None:  # removed, or a removal we cannot resolve: do less
                return None
        if _mentions(ctx, ins, path):
            return None
        fix = None
        edit = append_command(ctx.df, ins, script, f"rm -rf {path}")
        if edit is not None:
            fix = Fix(f"Remove {path} in the same RUN", (edit,), Safety.REVIEW,
                      f"check that nothing installed still points into {path} (a symlink, an egg-link, a config file)")  # fmt: skip
        cmd = script.commands[tree.at]
        shown = path if len(path) <= 40 else "…" + path[-39:]
        return ctx.finding(
            self,
            ins,
            cmd.span,
            f"`{tree.source}` leaves the built tree {shown} in this layer; remove it in the same RUN",
            fix=fix,
            hint=SizeHint(hints.BUILD_TREE, {"path": path, "url": tree.url}, (f"build-tree:{path}@{ins.index}",)),
        )
