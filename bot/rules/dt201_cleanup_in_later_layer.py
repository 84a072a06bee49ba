from __future__ import annotations

from typing import Callable, Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import append_command, delete_instruction
from bot.rules.facts import (
    APT,
    PIP,
    and_chain,
    apt_lists_claim,
    archive_claim,
    cache_claim,
    command_dirs,
    copy_args,
    command_text,
    downloads,
    is_archive,
    is_url,
    layer_claim,
    path_within,
    removes_apt_lists,
    removes_dir,
    resolve,
    rm_covers,
    shell_effects,
    short_name,
)
from bot.rules.managers import APT_FAMILY, MANAGERS, cleans, fetches, verb

# instructions that neither touch the file system nor change how a command runs
NEUTRAL = frozenset(("LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT"))
RPM = frozenset(p for p, m in MANAGERS.items() if m.family in ("dnf", "microdnf"))
CONDA = frozenset(("conda", "mamba", "micromamba"))
REMOVERS = frozenset(("rm", "find"))  # the programs removes() and removes_dir() hold for


class Where(Record):
    """What a check needs to know about the place a command runs."""

    __slots__ = ()
    _fields = ("home", "env", "run", "ctx")
    home = field(0, "str")
    env = field(1, "dict")
    run = field(2, "Instruction")
    ctx = field(3, "Context")

    def __new__(cls, home, env, run, ctx):
        return tuple.__new__(cls, (home, env, run, ctx))


class Kind(Record):
    """One sort of leftover files: who writes them, who removes them."""

    __slots__ = ()
    _fields = ("name", "label", "creates", "cleans", "mounted", "claim", "cleaners", "writes")
    name = field(0, "str: a hints kind")
    label = field(1, 'str: for messages: "the apt lists were written ..."')
    creates = field(2, "Callable[[Command, Where], bool]")
    cleans = field(3, "Callable[[Command, Where], bool]")
    mounted = field(4, "Callable[[Where], bool]: a cache mount keeps them out of the layer")
    claim = field(5, "Callable[[Instruction], str]")
    # every program ``cleans`` can hold for: a script that runs none of them cleans nothing of this kind
    cleaners = field(6, "frozenset[str]")
    # whether ``creates`` can hold for a command of this program: where no earlier RUN runs one, none wrote the files
    writes = field(7, "Callable[[str], bool]")

    def __new__(cls, name, label, creates, cleans, mounted, claim, cleaners, writes):
        return tuple.__new__(cls, (name, label, creates, cleans, mounted, claim, cleaners, writes))


def _sub(cmd: Command, programs, subs) -> bool:
    return cmd.program in programs and cmd.subcommand() in subs


def _pip_install(cmd: Command) -> bool:
    if cmd.program in PIP:
        return cmd.subcommand() == "install"
    words = cmd.words
    return cmd.program.startswith("python") and words[:3] == ["-m", "pip", "install"]


def _pip_cache_on(cmd: Command, w: Where) -> bool:
    return _pip_install(cmd) and not cmd.has_option("--no-cache-dir") and not w.env.get("PIP_NO_CACHE_DIR")


def _yarn_dirs(w: Where) -> tuple[str, ...]:
    return ("/usr/local/share/.cache/yarn", f"{w.home}/.cache/yarn")


KINDS = (
    Kind(
        hints.APT_LISTS,
        "the apt lists",
        lambda c, w: verb(c, "apt") == "update",
        lambda c, w: removes_apt_lists(c),
        lambda w: w.ctx.mounts_cover(w.run, "/var/lib/apt/lists"),
        apt_lists_claim,
        APT | REMOVERS,
        APT_FAMILY.__contains__,  # verb(c, "apt") holds for these
    ),
    Kind(
        hints.PIP_CACHE,
        "the pip cache",
        _pip_cache_on,
        lambda c, w: removes_dir(c, f"{w.home}/.cache/pip", w.home) or _sub(c, PIP, ("cache",)),
        lambda w: w.ctx.mounts_cover(w.run, f"{w.home}/.cache/pip"),
        lambda run: cache_claim(hints.PIP_CACHE, run),
        PIP | REMOVERS,
        lambda p: p in PIP or p.startswith("python"),  # _pip_install
    ),
    Kind(
        hints.NPM_CACHE,
        "the npm cache",
        lambda c, w: _sub(c, ("npm",), ("install", "i", "ci", "add", "update")),
        lambda c, w: removes_dir(c, f"{w.home}/.npm", w.home) or _sub(c, ("npm",), ("cache",)),
        lambda w: w.ctx.mounts_cover(w.run, f"{w.home}/.npm"),
        lambda run: cache_claim(hints.NPM_CACHE, run),
        frozenset(("npm",)) | REMOVERS,
        lambda p: p == "npm",
    ),
    Kind(
        hints.YARN_CACHE,
        "the yarn cache",
        lambda c, w: _sub(c, ("yarn",), ("", "install", "add", "global")),
        lambda c, w: any(removes_dir(c, d, w.home) for d in _yarn_dirs(w)) or _sub(c, ("yarn",), ("cache",)),
        lambda w: any(w.ctx.mounts_cover(w.run, d) for d in _yarn_dirs(w)),
        lambda run: cache_claim(hints.YARN_CACHE, run),
        frozenset(("yarn",)) | REMOVERS,
        lambda p: p == "yarn",
    ),
    Kind(
        hints.RPM_CACHE,
        "the package manager cache",
        lambda c, w: c.program in RPM and fetches(c),
        lambda c, w: cleans(c, "dnf") or cleans(c, "microdnf"),
        lambda w: w.ctx.mounts_cover(w.run, "/var/cache/yum") or w.ctx.mounts_cover(w.run, "/var/cache/dnf"),
        lambda run: cache_claim(hints.RPM_CACHE, run),
        RPM | REMOVERS,  # cleans(): a dnf/microdnf family clean, or an rm/find
        RPM.__contains__,
    ),
    Kind(
        hints.APK_CACHE,
        "the apk cache",
        lambda c, w: _sub(c, ("apk",), ("update",)) or (_sub(c, ("apk",), ("add",)) and not c.has_option("--no-cache")),
        lambda c, w: removes_dir(c, "/var/cache/apk") or _sub(c, ("apk",), ("cache",)),
        lambda w: w.ctx.mounts_cover(w.run, "/var/cache/apk"),
        lambda run: cache_claim(hints.APK_CACHE, run),
        frozenset(("apk",)) | REMOVERS,
        lambda p: p == "apk",
    ),
    Kind(
        hints.CONDA_CACHE,
        "the conda package cache",
        lambda c, w: _sub(c, CONDA, ("install", "create", "update")),
        lambda c, w: _sub(c, CONDA, ("clean",)),
        lambda w: False,
        lambda run: cache_claim(hints.CONDA_CACHE, run),
        CONDA,
        CONDA.__contains__,
    ),
)


def is_cleanup(cmd: Command) -> bool:
    """Commands that only delete: a RUN made of these alone is a pure cleanup layer."""
    if cmd.program == "rm":
        return True
    if cmd.program == "find":
        return cmd.has_option("-delete")
    return (
        verb(cmd, "apt") in ("clean", "autoclean", "distclean", "dist-clean")
        or verb(cmd) == "clean" and cmd.program in RPM
        or _sub(cmd, CONDA | {"yarn"}, ("clean", "cache"))
        or _sub(cmd, ("npm",), ("cache",))
        or _sub(cmd, PIP, ("cache",))
        or _sub(cmd, ("apk",), ("cache", "del"))
    )


class LaterCleanup(Record):
    """A command that removes files an earlier layer wrote."""

    __slots__ = ()
    _fields = ("command", "kind", "label", "creators", "claims", "params")
    command = field(0, "Command")
    kind = field(1, "str")
    label = field(2, "str")
    creators = field(3, "tuple[Instruction, ...]: nearest first")
    claims = field(4, "tuple[str, ...]")
    params = field(5, "dict")

    def __new__(cls, command, kind, label, creators, claims, params):
        return tuple.__new__(cls, (command, kind, label, creators, claims, params))


SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh"))


def _runs_script(cmd: Command) -> bool:
    """A script we cannot see into (``curl ... | bash``, ``./install.sh``) may write
    anything, so a cleanup after it may be cleaning its own files."""
    return cmd.program in SHELLS or "/" in cmd.name


SETUP_WORDS = ("setup", "install", "bootstrap", "nodesource", "repo")


def _setup_script(cmd: Command) -> bool:
    """A setup script, which may run the package manager itself (NodeSource's run
    ``apt-get update``): one piped into a shell or run by ``sh -c``, or a script whose name
    says setup/install/bootstrap. Build scripts (``./configure``, ``sh autogen.sh``) are not."""
    words = [w.text for w in cmd.args if not w.text.startswith("-") or w.text in ("-", "-c", "-s")]
    if cmd.program in SHELLS:
        if not words or words[0] in ("-", "-c", "-s") or cmd.operator_before == "|":
            return True
        name = words[0].rsplit("/", 1)[-1].lower()
    elif cmd.program.endswith(".sh"):
        name = cmd.program.lower()
    else:
        return False
    return any(w in name for w in SETUP_WORDS)


def _where(ctx: Context, run: Instruction) -> Where:
    return Where(ctx.home(run), ctx.env(run), run, ctx)


def _leaves(ctx: Context, run: Instruction, kind: Kind) -> bool:
    """This RUN writes files of ``kind`` and does not remove them itself."""
    w = _where(ctx, run)
    if kind.mounted(w):
        return False
    for script in ctx.scripts(run):
        created = False
        for cmd in script.commands:
            if kind.creates(cmd, w):
                created = True
            elif created and kind.cleans(cmd, w):
                created = False
        if created:
            return True
    return False


def _removes_kind(ctx: Context, run: Instruction, kind: Kind) -> bool:
    """This RUN ends with no files of ``kind`` from before it: it cleans them (after any
    it wrote itself)."""
    w = _where(ctx, run)
    for script in ctx.scripts(run):
        cleaned = False
        for cmd in script.commands:
            if kind.creates(cmd, w):
                cleaned = False
            elif kind.cleans(cmd, w):
                cleaned = True
        if cleaned:
            return True
    return False


def _creators(ctx: Context, earlier: list[Instruction], kind: Kind) -> tuple[Instruction, ...]:
    """The earlier RUNs (nearest first) whose files of ``kind`` a cleanup now would
    remove: back to the first RUN that already cleaned them. A RUN that runs a script we
    cannot see into may have written them too: then nothing is blamed (the script's own
    files may be what is cleaned, issue 13)."""
    out: list[Instruction] = []
    for r in earlier:
        if _leaves(ctx, r, kind):
            out.append(r)
            continue
        if _removes_kind(ctx, r, kind):
            break
        if not out and any(_setup_script(c) for s in ctx.scripts(r) for c in s.commands):
            return ()
    return tuple(out)


def _downloads_left(ctx: Context, run: Instruction) -> list[tuple[str, str]]:
    """(absolute path, url) of files curl/wget wrote in this RUN and did not remove."""
    w = _where(ctx, run)
    start = ctx.workdir(run) or ""
    out = []
    for script in ctx.scripts(run):
        dirs = command_dirs(script, start)
        for i, cmd in enumerate(script.commands):
            for d in downloads(cmd):
                path = resolve(d.target, dirs[i], w.home) if d.static else ""
                if not path or ctx.mounts_cover(run, path):
                    continue
                removed = [rm_covers(c, path, dirs[j], w.home) for j, c in enumerate(script.commands) if j > i]
                if not any(r is not False for r in removed) and not any(
                    c.program == "mv" for c in script.commands[i + 1 :]
                ):
                    out.append((path, d.url))
    return out


# the instructions whose files a later cleanup may remove: what each check below blames
WRITERS = frozenset(("RUN", "COPY", "ADD"))


def later_cleanups(ctx: Context, run: Instruction) -> list[LaterCleanup]:
    """The cleanup commands of ``run`` that remove what earlier layers wrote."""
    out: list[LaterCleanup] = []
    earlier: list[Instruction] | None = None  # the RUNs before this one, nearest first, listed at the first cleaner
    run_before: set[str] = set()  # the programs those RUNs run
    downloads_left_earlier = None  # (RUN, _downloads_left) of each earlier RUN, listed at the first rm
    if not any(i.keyword in WRITERS for i in ctx.before(run)):
        return out  # (an image's first RUN, often with the cleanup of its own install): nothing earlier left files
    for script in ctx.scripts(run):
        if not any(map(_may_clean, script.commands)):
            continue  # nothing here removes anything (most RUNs): every check below starts from a clean
        programs = {c.program for c in script.commands}
        if earlier is None:
            earlier = [i for i in ctx.before(run) if i.keyword == "RUN"]
            run_before = {c.program for r in earlier for s in ctx.scripts(r) for c in s.commands}
        w = _where(ctx, run)
        out.extend(_kind_cleanups(ctx, script, w, earlier, run_before))
        # only rm removes downloads and copied trees, only apk a virtual package (the findings keep this order)
        dirs = command_dirs(script, ctx.workdir(run) or "") if "rm" in programs else []
        if "rm" in programs:
            if downloads_left_earlier is None:
                downloads_left_earlier = [(r, _downloads_left(ctx, r)) for r in earlier]
            out.extend(_download_removals(script, dirs, w.home, downloads_left_earlier))
        if "apk" in programs:  # apk del of a virtual package
            out.extend(_virtual_removals(ctx, run, script, earlier))
        if "rm" in programs:
            out.extend(_copied_removals(ctx, run, script, dirs, w.home))
    return out


def _kind_cleanups(ctx: Context, script: ShellScript, w: Where, earlier: list[Instruction],
                   run_before: set[str]) -> list[LaterCleanup]:
    """The first clean of each Kind in ``script`` that no command of its own wrote before,
    blamed on the earlier RUNs that left those files (``run_before``: the programs they run)."""
    out: list[LaterCleanup] = []
    # up to the first command that runs a script we cannot see into (it may write anything)
    seen = next((j for j, c in enumerate(script.commands) if _runs_script(c)), len(script.commands))
    commands = script.commands[:seen]
    programs = {c.program for c in commands}
    for kind in KINDS:
        if programs.isdisjoint(kind.cleaners):
            continue  # no command here can clean this kind
        if not any(map(kind.writes, run_before)):
            continue  # no earlier RUN can have written such files: none is to blame
        for cmd in commands:
            if kind.creates(cmd, w):
                break  # this RUN wrote such files itself before cleaning them
            if cmd.program not in kind.cleaners or not kind.cleans(cmd, w):
                continue
            creators = _creators(ctx, earlier, kind)
            if creators:
                params = {"base_image": ctx.base_image(ctx.stage(w.run))}
                if kind.name == hints.RPM_CACHE:
                    params["manager"] = cmd.program if cmd.program in RPM else "yum"
                out.append(LaterCleanup(cmd, kind.name, kind.label, creators,
                                        tuple(kind.claim(r) for r in creators), params))
            break
    return out


def _download_removals(script: ShellScript, dirs: list[str], home: str,
                       downloads_left_earlier: list[tuple[Instruction, list[tuple[str, str]]]]) -> list[LaterCleanup]:
    """``rm`` of a file curl/wget wrote in an earlier RUN and left there (not one this
    script downloaded again before removing it)."""
    out: list[LaterCleanup] = []
    written: set[str] = set()
    for j, cmd in enumerate(script.commands):
        for d in downloads(cmd):
            written.add(resolve(d.target, dirs[j], home))
        if cmd.program != "rm":
            continue
        for r, left in downloads_left_earlier:
            for path, url in left:
                if path in written or not rm_covers(cmd, path, dirs[j], home):
                    continue
                out.append(LaterCleanup(cmd, hints.ARCHIVE_LEFT, f"`{short_name(path.rsplit('/', 1)[-1], 24)}`", (r,),
                                        (archive_claim(path, r),), {"url": url, "path": path}))
    return out


# Every program a Kind's ``cleans`` can hold for (its ``cleaners``): rm and find (removes,
# removes_dir), the package managers' own clean subcommands (apt, pip, npm, yarn,
# dnf/yum/microdnf, apk, conda); ``apk del`` (virtual packages) and ``rm`` (downloads,
# copied trees) are among them.
CLEANERS = frozenset().union(*(k.cleaners for k in KINDS))
# What the cleaners other than rm and find clean with: ``apt-get distclean``, ``pip cache``,
# ``dnf clean`` (its verb), ``apk del`` of a virtual package, ...
CLEAN_VERBS = frozenset(("clean", "cache", "distclean", "dist-clean", "del"))


def _may_clean(cmd: Command) -> bool:
    """Whether some check of ``later_cleanups`` can hold for this command: a Kind's
    ``cleans``, ``apk del`` or an ``rm`` (most commands, even a package manager's install,
    are none)."""
    if cmd.program in REMOVERS:
        return True
    return cmd.program in CLEANERS and (cmd.subcommand() in CLEAN_VERBS or verb(cmd) in CLEAN_VERBS)


def _apk_virtual(cmd: Command) -> tuple[str, tuple[str, ...]] | None:
    """``apk add --virtual NAME pkgs`` / ``-t NAME``: (NAME, pkgs)."""
    if not _sub(cmd, ("apk",), ("add",)):
        return None
    args = [a.text for a in cmd.args]
    for i, a in enumerate(args):
        if a in ("--virtual", "-t") and i + 1 < len(args):
            name = args[i + 1]
            pkgs = tuple(x for x in args[i + 2 :] if not x.startswith("-"))
            return name, pkgs
        if a.startswith("--virtual="):
            return a.split("=", 1)[1], tuple(x for x in args[i + 1 :] if not x.startswith("-"))
    return None


def _apk_deleted(cmd: Command) -> set[str]:
    return {w.text for w in cmd.positionals()[1:]} if _sub(cmd, ("apk",), ("del",)) else set()


def _virtual_removals(ctx: Context, run: Instruction, script: ShellScript,
                      earlier: list[Instruction]) -> list[LaterCleanup]:  # fmt: skip
    """``apk del NAME`` of a virtual package an earlier RUN added and kept: the packages
    stay in that RUN's layer."""
    out: list[LaterCleanup] = []
    added_here: set[str] = set()
    for cmd in script.commands:
        virtual = _apk_virtual(cmd)
        if virtual:
            added_here.add(virtual[0])
        for name in sorted(_apk_deleted(cmd) - added_here):
            for r in earlier:  # nearest first: the RUN whose add is still in force
                state = _virtual_state(ctx, r, name)
                if state is None:
                    continue
                if state:
                    out.append(LaterCleanup(cmd, hints.BUILD_PACKAGES, f"the `{short_name(name, 20)}` packages",
                                            (r,), (layer_claim("build-packages", r),),
                                            {"manager": "apk", "packages": state, "base_image": ctx.base_image(ctx.stage(run))}))  # fmt: skip
                break
    return out


def _virtual_state(ctx: Context, run: Instruction, name: str) -> tuple[str, ...] | None:
    """The packages of virtual ``name`` this RUN leaves installed; () when it adds and
    deletes it, None when it does not touch it."""
    state = None
    for script in ctx.scripts(run):
        for cmd in script.commands:
            virtual = _apk_virtual(cmd)
            if virtual and virtual[0] == name:
                state = virtual[1] or ("?",)
            elif name in _apk_deleted(cmd):
                state = ()
    return state


def _copied_removals(ctx: Context, run: Instruction, script: ShellScript, dirs: list[str],
                     home: str) -> list[LaterCleanup]:  # fmt: skip
    """``rm -rf`` of a directory an earlier COPY/ADD brought in (or of part of it): the
    files stay in the COPY's layer. Not when a RUN in between may have written there."""
    out: list[LaterCleanup] = []
    stage = ctx.stage(run)
    if stage is None or not any(cmd.program == "rm" for cmd in script.commands):
        return out  # (only an rm removes what a COPY brought)
    between: list[Instruction] = []
    copies: list[tuple[Instruction, str]] = []
    for other in ctx.before(run):  # nearest first
        if other.keyword == "RUN":
            between.append(other)
            continue
        if other.keyword not in ("COPY", "ADD") or other.heredocs:
            continue
        args = copy_args(ctx.df, other)
        if args is None or len(args.sources) != 1:
            continue
        src = args.sources[0]
        if is_url(src) or is_archive(src) or "$" in src or "*" in src:
            continue  # URLs and archives are DT206's; patterns name unknown files
        if not (src in (".", "./") or src.endswith("/") or "." not in src.rstrip("/").rsplit("/", 1)[-1]):
            continue  # a single file: a small leftover at most
        dest = resolve(args.dest, ctx.workdir(other) or "", home)
        if not dest or dest == "/":
            continue
        if any(_may_write(ctx, r, dest) for r in between):
            continue
        copies.append((other, dest))
    for j, cmd in enumerate(script.commands):
        if cmd.program != "rm":
            continue
        for w in cmd.positionals():
            target = resolve(w.text, dirs[j], home)
            if not target:
                continue
            target = target[:-2] if target.endswith("/*") else target
            for copy, dest in copies:
                if target != dest and not target.startswith(dest.rstrip("/") + "/"):
                    continue
                if any(_writes_below(c, dirs[k], dest) for k, c in enumerate(script.commands[:j])):
                    break  # an earlier command of this RUN may have written what is removed
                shown = short_name(target, 30)
                out.append(LaterCleanup(cmd, hints.LATER_LAYER_CLEANUP, f"`{shown}`", (copy,),
                                        (f"copied:{target}@{copy.index}",), {"path": target}))
                break
    return out


INERT = frozenset(("cd", "rm", "echo", "true", "set", "printf", "test", "[", "ls"))


def _writes_below(cmd: Command, cwd: str, dest: str) -> bool:
    """A command that may write below ``dest``: it runs there (or somewhere unknown), or
    names a path there."""
    if cmd.program in INERT:
        return False
    if not cwd or path_within(cwd, dest):
        return True
    return any(w.dynamic or path_within(resolve(w.text, cwd, "/root") or "/", dest) for w in cmd.args)


def _may_write(ctx: Context, run: Instruction, dest: str) -> bool:
    """A RUN that may have written below ``dest`` (runs in it, or names it)."""
    start = ctx.workdir(run)
    if not start or path_within(start, dest) or dest in run.body.text:
        return True
    for script in ctx.scripts(run):
        if not script.ok or any(d and path_within(d, dest) for d in command_dirs(script, start)):
            return True
        if any(not d for d in command_dirs(script, start)):
            return True
    return False


class CleanupInLaterLayer(Rule):
    id = "DT201"
    name = "cleanup-in-later-layer"
    severity = Severity.WARNING
    summary = "cleanup in a later RUN than the files it removes: saves nothing"
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds cleanup commands (`rm -rf /var/lib/apt/lists/*`, `apt-get clean`, `yum clean all`,
`npm cache clean`, `rm -rf /root/.cache/pip`, `rm /tmp/x.tar.gz`, ...) that run in a
later `RUN` than the one that wrote those files; `apk del NAME` of a virtual package an
earlier `RUN` added (`apk add --virtual NAME ...`) and kept; and `rm -rf` of a directory,
or part of one, that an earlier `COPY`/`ADD` brought in (`COPY . /app` then
`RUN rm -rf /app/tests`).

The files are blamed on the nearest earlier `RUN`s that left them, back to the first
`RUN` that already cleaned them. Nothing is blamed when a setup script (`curl ... | bash`,
`sh setup.sh`) ran in between, since it may have written the files itself; nor on a
`COPY` when a command that may write into the copied tree (one that runs there or names a
path in it) ran after it.

## Why is this bad?
Each `RUN` commits a layer, and layers only ever add: deleting a file in a later layer
hides it, but the bytes stay in the earlier layer and every pull still downloads
them. The cleanup looks like it saves space and saves nothing (it even adds a layer).

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl
RUN rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Safe, when offered: the cleanup `RUN` is deleted and its commands are appended with
`&&` to the `RUN` that wrote the files. That is offered only when the cleanup `RUN`
does nothing but clean (only `rm`, `find -delete`, `apk del` and cache-clean commands, joined
with `&&`), the writing `RUN` comes right before it in the same stage (only comments
and `LABEL`/`EXPOSE`/`CMD`/`ENTRYPOINT`/... between, which cannot see files), and
the writing `RUN` leaves no shell state that would change the cleanup (`export`, `set`,
`source`; a `cd` only matters for relative paths). Then the same commands run on the
same files; only the layer boundary moves. Otherwise the finding has no fix: moving
a cleanup past other work could delete files that work needs.

A removal of copied files has no fix: exclude them in `.dockerignore` or copy less.

## Size impact
The size of the files cleaned (apt lists, a cache, the downloaded file, the virtual
package's packages), counted once with the finding about the same bytes in the writing
layer (DT101, DT105, DT205, DT207, ...). Copied files: the size of that part of the build
context, unknown here.
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            at="3:5-3:32",
        ),
        Invalid(
            "FROM centos:7\nRUN yum install -y httpd \\\n    && yum install -y php\n"
            "LABEL maintainer=ops\n# clean\nRUN yum clean all && rm -rf /var/cache/yum\n",
            fixed="FROM centos:7\nRUN yum install -y httpd \\\n    && yum install -y php \\\n"
            "    && yum clean all && rm -rf /var/cache/yum\nLABEL maintainer=ops\n# clean\n",
            note="a LABEL between cannot see files; the continuation style is kept",
        ),
        Valid(
            "FROM python:3.12\nRUN pip install flask\nRUN pip install gunicorn && rm -rf /root/.cache/pip\n",
            note="the rm cleans the cache its own RUN wrote; line 2's cache is DT105's finding",
        ),
        Invalid(
            "FROM node:20\nWORKDIR /app\nRUN npm ci\nCOPY . .\nRUN npm cache clean --force\n",
            message="the npm cache from the RUN on line 3 stays in that layer",
            note="a COPY between: reported without a fix",
        ),
        Invalid(
            "FROM debian:12\nRUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz && tar xzf /tmp/app.tgz -C /opt\n"
            "RUN rm /tmp/app.tgz\n",
            fixed="FROM debian:12\nRUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz && tar xzf /tmp/app.tgz -C /opt"
            " && rm -f /tmp/app.tgz\n",
            message="`app.tgz` from the RUN on line 2",
            note="the moved rm gets -f: with other fixes applied the file may never be written",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nCOPY app /app\nRUN rm -rf /var/lib/apt/lists/*\n",
            note="a COPY between: reported without a fix",
        ),
        Valid("FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"),
        Valid(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
            "RUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/*\n",
            note="the rm cleans the lists its own RUN wrote (DT101 reports line 2)",
        ),
        Valid(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
            "RUN curl -fsSL https://deb.example.com/setup | bash - && rm -rf /var/lib/apt/lists/*\n",
            note="the script may run apt-get update itself: the rm may clean its own RUN's lists",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n"
            "RUN curl -fsSL https://deb.example.com/setup_20.x | bash -\nRUN rm -rf /var/lib/apt/lists/*\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
            "RUN curl -fsSL https://deb.example.com/setup_20.x | bash -\nRUN rm -rf /var/lib/apt/lists/*\n",
            at="3:5-3:32",
            note="issue 13: line 5 is not blamed on line 2 (its lists were removed on line 3); the setup script "
            "on line 4 may have written what line 5 cleans",
        ),
        Invalid(
            "FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && make install\n"
            "RUN apk del .build-deps\n",
            fixed="FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && make install"
            " && apk del .build-deps\n",
            message="the `.build-deps` packages from the RUN on line 2 stay",
            note="apk del of a virtual package in a later RUN: the packages stay in line 2's layer",
        ),
        Valid("FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc && make install && apk del .build-deps\n"),
        Invalid(
            "FROM python:3.12-slim\nCOPY . /app\nRUN rm -rf /app/tests && pip install --no-cache-dir /app\n",
            message="`/app/tests` came with the COPY on line 2",
            note="a tree an earlier COPY brought in: exclude it in .dockerignore instead (no fix)",
        ),
        Valid(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nRUN rm -rf /app/node_modules/.cache\n",
            note="a RUN in between works in the copied tree: the removed files may be its own",
        ),
        Valid(
            "FROM node:20\nCOPY . /app/\nWORKDIR /app\nRUN npm install --production && rm -r ./node_modules/x\n",
            note="the same RUN wrote below the copied tree before the rm",
        ),
        Valid(
            "FROM python:3.12-slim\nCOPY . /app\nRUN pip install --no-cache-dir /app && rm -rf /app/build\n",
            note="the install may have written /app/build itself",
        ),
        Valid("FROM debian:12\nCOPY setup.sh /tmp/setup.sh\nRUN sh /tmp/setup.sh && rm /tmp/setup.sh\n",
              note="a single copied file: a small leftover, not reported"),
        Valid("FROM python:3.12\nRUN pip install --no-cache-dir flask\nRUN rm -rf /root/.cache/pip\n",
              note="nothing cached earlier: the rm is useless but wastes nothing"),
        Valid(
            "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nRUN rm -rf /var/lib/apt/lists/*\n"
            "FROM debian:12-slim\nCOPY --from=build /usr/bin/gcc /usr/bin/gcc\n",
            note="a builder stage: its layers do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for run in ctx.runs(final_only=True):
            found = later_cleanups(ctx, run)
            fix = self._fix(ctx, run, found) if found else None
            for i, c in enumerate(found):
                creator = c.creators[0]
                yield ctx.finding(
                    self,
                    run,
                    c.command.span,
                    _message(c.label, creator.line, creator.keyword),
                    fix=fix if i == 0 else None,
                    hint=SizeHint(hints.LATER_LAYER_CLEANUP, {"cleaned": c.kind, **c.params}, c.claims),
                )

    def _fix(self, ctx: Context, run: Instruction, found: list[LaterCleanup]) -> Fix | None:
        script = only_cleanup(ctx, run)
        if script is None or run.flags:
            return None
        stage = ctx.stage(run)
        if stage is None:
            return None
        pos = next((i for i, x in enumerate(stage.instructions) if x is run), None)
        if pos is None:
            return None
        prev = None
        for other in reversed(stage.instructions[:pos]):
            if other.keyword == "RUN":
                prev = other
                break
            if other.keyword not in NEUTRAL:
                return None
        if prev is None or any(prev is not c.creators[0] for c in found):
            return None
        if _pragma_between(ctx, prev, run):
            return None
        scripts = ctx.scripts(prev)
        if len(scripts) != 1 or prev.json_args is not None or prev.inner is not None:
            return None
        effects = shell_effects(scripts[0])
        absolute = all(
            a.text.startswith(("-", "/")) and not a.dynamic for c in script.commands for a in c.args
        ) and all(c.program in ("rm", "find") for c in script.commands)
        if effects - {"cwd"} or ("cwd" in effects and not absolute):
            return None
        text = " && ".join(_forgiving(c, command_text(ctx.df, script, c)) for c in script.commands)
        append = append_command(ctx.df, prev, scripts[0], text)
        if append is None:
            return None
        return Fix("Move the cleanup into the RUN that wrote the files",
                   (append, delete_instruction(ctx.df, run)), Safety.SAFE)


def _forgiving(cmd, text: str) -> str:
    """The moved ``rm`` with ``-f``: once other fixes apply, what it removed may never be
    written (``pip install --no-cache-dir`` makes no cache), and a plain ``rm`` would then
    fail the build. Where the files exist, ``-f`` changes nothing."""
    if cmd.program != "rm" or not text.startswith("rm "):
        return text
    if any(a.text == "--force" or (a.text.startswith("-") and not a.text.startswith("--") and "f" in a.text)
           for a in cmd.args):
        return text
    rest = text[3:]
    if rest.startswith("-") and not rest.startswith("--"):  # rm -r x -> rm -rf x
        flags, _, operands = rest.partition(" ")
        return f"rm {flags}f {operands}"
    return "rm -f " + rest


def _message(label: str, line: int, keyword: str = "RUN") -> str:
    if keyword != "RUN":
        return f"{label} came with the {keyword} on line {line}: removing it later saves nothing"
    plural = label.endswith(("lists", "packages"))
    return (f"{label} from the RUN on line {line} {'stay' if plural else 'stays'} in that layer; "
            "removing later saves nothing")


def only_cleanup(ctx: Context, run: Instruction) -> ShellScript | None:
    """The script of a shell-form RUN that does nothing but delete files, else None."""
    scripts = ctx.scripts(run)
    if len(scripts) != 1 or run.json_args is not None or run.heredocs or run.inner is not None:
        return None
    script = scripts[0]
    if not script.ok or not script.commands or script.logical is not run.body:
        return None
    if any(c.depth != 0 or not is_cleanup(c) for c in script.commands):
        return None
    if not and_chain(script) or shell_effects(script):
        return None
    return script


def _pragma_between(ctx: Context, first: Instruction, second: Instruction) -> bool:
    return any(
        first.span.end.line < c.line < second.span.start.line and c.text.lower().startswith(("hadolint", "dockerdiet"))
        for c in ctx.df.comments
    )
