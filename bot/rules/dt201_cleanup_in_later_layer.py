from __future__ import annotations

from typing import Callable, Iterator, NamedTuple

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
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
    command_text,
    downloads,
    home_dir,
    removes_apt_lists,
    removes_dir,
    resolve,
    rm_covers,
    shell_effects,
    short_name,
    user_at,
    workdir_at,
)

# instructions that neither touch the file system nor change how a command runs
NEUTRAL = frozenset(("LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT"))
RPM = frozenset(("yum", "dnf", "microdnf"))
CONDA = frozenset(("conda", "mamba", "micromamba"))


class Where(NamedTuple):
    """What a check needs to know about the place a command runs."""

    home: str
    env: dict
    run: Instruction
    ctx: Context


class Kind(NamedTuple):
    """One sort of leftover files: who writes them, who removes them."""

    name: str  # a hints kind
    label: str  # for messages: "the apt lists were written ..."
    creates: Callable[[Command, Where], bool]
    cleans: Callable[[Command, Where], bool]
    mounted: Callable[[Where], bool]  # a cache mount keeps them out of the layer
    claim: Callable[[Instruction], str]


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
        lambda c, w: _sub(c, APT, ("update",)),
        lambda c, w: removes_apt_lists(c),
        lambda w: w.ctx.mounts_cover(w.run, "/var/lib/apt/lists"),
        apt_lists_claim,
    ),
    Kind(
        hints.PIP_CACHE,
        "the pip cache",
        _pip_cache_on,
        lambda c, w: removes_dir(c, f"{w.home}/.cache/pip", w.home) or _sub(c, PIP, ("cache",)),
        lambda w: w.ctx.mounts_cover(w.run, f"{w.home}/.cache/pip"),
        lambda run: cache_claim(hints.PIP_CACHE, run),
    ),
    Kind(
        hints.NPM_CACHE,
        "the npm cache",
        lambda c, w: _sub(c, ("npm",), ("install", "i", "ci", "add", "update")),
        lambda c, w: removes_dir(c, f"{w.home}/.npm", w.home) or _sub(c, ("npm",), ("cache",)),
        lambda w: w.ctx.mounts_cover(w.run, f"{w.home}/.npm"),
        lambda run: cache_claim(hints.NPM_CACHE, run),
    ),
    Kind(
        hints.YARN_CACHE,
        "the yarn cache",
        lambda c, w: _sub(c, ("yarn",), ("", "install", "add", "global")),
        lambda c, w: any(removes_dir(c, d, w.home) for d in _yarn_dirs(w)) or _sub(c, ("yarn",), ("cache",)),
        lambda w: any(w.ctx.mounts_cover(w.run, d) for d in _yarn_dirs(w)),
        lambda run: cache_claim(hints.YARN_CACHE, run),
    ),
    Kind(
        hints.RPM_CACHE,
        "the package manager cache",
        lambda c, w: _sub(c, RPM, ("install", "update", "upgrade", "groupinstall", "reinstall", "makecache")),
        lambda c, w: _sub(c, RPM, ("clean",)) or removes_dir(c, "/var/cache/yum") or removes_dir(c, "/var/cache/dnf"),
        lambda w: w.ctx.mounts_cover(w.run, "/var/cache/yum") or w.ctx.mounts_cover(w.run, "/var/cache/dnf"),
        lambda run: cache_claim(hints.RPM_CACHE, run),
    ),
    Kind(
        hints.APK_CACHE,
        "the apk cache",
        lambda c, w: _sub(c, ("apk",), ("update",)) or (_sub(c, ("apk",), ("add",)) and not c.has_option("--no-cache")),
        lambda c, w: removes_dir(c, "/var/cache/apk") or _sub(c, ("apk",), ("cache",)),
        lambda w: w.ctx.mounts_cover(w.run, "/var/cache/apk"),
        lambda run: cache_claim(hints.APK_CACHE, run),
    ),
    Kind(
        hints.CONDA_CACHE,
        "the conda package cache",
        lambda c, w: _sub(c, CONDA, ("install", "create", "update")),
        lambda c, w: _sub(c, CONDA, ("clean",)),
        lambda w: False,
        lambda run: cache_claim(hints.CONDA_CACHE, run),
    ),
)


def is_cleanup(cmd: Command) -> bool:
    """Commands that only delete: a RUN made of these alone is a pure cleanup layer."""
    if cmd.program == "rm":
        return True
    if cmd.program == "find":
        return cmd.has_option("-delete")
    return (
        _sub(cmd, APT, ("clean", "autoclean", "distclean", "dist-clean"))
        or _sub(cmd, RPM | CONDA | {"yarn"}, ("clean", "cache"))
        or _sub(cmd, ("npm",), ("cache",))
        or _sub(cmd, PIP, ("cache",))
        or _sub(cmd, ("apk",), ("cache",))
    )


class LaterCleanup(NamedTuple):
    """A command that removes files an earlier layer wrote."""

    command: Command
    kind: str
    label: str
    creators: tuple[Instruction, ...]  # nearest first
    claims: tuple[str, ...]
    params: dict


SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh"))


def _runs_script(cmd: Command) -> bool:
    """A script we cannot see into (``curl ... | bash``, ``./install.sh``) may write
    anything, so a cleanup after it may be cleaning its own files."""
    return cmd.program in SHELLS or "/" in cmd.name


def _where(ctx: Context, run: Instruction) -> Where:
    return Where(home_dir(user_at(ctx.before(run), ctx.df.escape), ctx.env(run)), ctx.env(run), run, ctx)


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


def _downloads_left(ctx: Context, run: Instruction) -> list[tuple[str, str]]:
    """(absolute path, url) of files curl/wget wrote in this RUN and did not remove."""
    w = _where(ctx, run)
    start = workdir_at(ctx.before(run), ctx.df.escape)
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


def later_cleanups(ctx: Context, run: Instruction) -> list[LaterCleanup]:
    """The cleanup commands of ``run`` that remove what earlier layers wrote."""
    out: list[LaterCleanup] = []
    earlier = [i for i in ctx.before(run) if i.keyword == "RUN"]
    if not earlier:
        return out
    w = _where(ctx, run)
    stage = ctx.stage(run)
    base = ctx.base_image(stage)
    for script in ctx.scripts(run):
        for kind in KINDS:
            own = False  # this RUN wrote such files itself before cleaning them
            for cmd in script.commands:
                if kind.creates(cmd, w) or _runs_script(cmd):
                    own = True
                if own or not kind.cleans(cmd, w):
                    continue
                creators = tuple(r for r in earlier if _leaves(ctx, r, kind))
                if creators:
                    params = {"base_image": base}
                    if kind.name == hints.RPM_CACHE:
                        params["manager"] = cmd.program if cmd.program in RPM else "yum"
                    out.append(LaterCleanup(cmd, kind.name, kind.label, creators,
                                            tuple(kind.claim(r) for r in creators), params))
                break
        start = workdir_at(ctx.before(run), ctx.df.escape)
        dirs = command_dirs(script, start)
        written: set[str] = set()
        for j, cmd in enumerate(script.commands):
            for d in downloads(cmd):
                written.add(resolve(d.target, dirs[j], w.home))
            if cmd.program != "rm":
                continue
            for r in earlier:
                for path, url in _downloads_left(ctx, r):
                    if path in written or not rm_covers(cmd, path, dirs[j], w.home):
                        continue
                    out.append(LaterCleanup(cmd, hints.ARCHIVE_LEFT, f"`{short_name(path.rsplit('/', 1)[-1], 24)}`", (r,),
                                            (archive_claim(path, r),), {"url": url, "path": path}))
    return out


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
later `RUN` than the one that wrote those files.

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
does nothing but clean (only `rm`, `find -delete` and cache-clean commands, joined
with `&&`), the writing `RUN` comes right before it in the same stage (only comments
and `LABEL`/`EXPOSE`/`CMD`/`ENTRYPOINT`/... between, which cannot see files), and
the writing `RUN` leaves no shell state that would change the cleanup (`export`, `set`,
`source`; a `cd` only matters for relative paths). Then the same commands run on the
same files; only the layer boundary moves. Otherwise the finding has no fix: moving
a cleanup past other work could delete files that work needs.

## Size impact
The size of the files cleaned (apt lists, a cache, the downloaded file), counted once
with the finding about the same bytes in the writing layer (DT101, DT105, DT205, ...).
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
            " && rm /tmp/app.tgz\n",
            message="`app.tgz` from the RUN on line 2",
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
                    _message(c.label, creator.line),
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
        text = " && ".join(command_text(ctx.df, script, c) for c in script.commands)
        append = append_command(ctx.df, prev, scripts[0], text)
        if append is None:
            return None
        return Fix("Move the cleanup into the RUN that wrote the files",
                   (append, delete_instruction(ctx.df, run)), Safety.SAFE)


def _message(label: str, line: int) -> str:
    plural = label.endswith("lists")
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
