import posixpath
import re
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import ShellScript
from bot.model.text import Edit, Position, Span
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.ecosystems import Install, dependency_install, source_free, tool_args
from bot.rules.edits import indentation
from bot.rules.facts import LazyPattern, short_name, unwrap
from bot.rules.managers import verb

BROAD_SOURCES = (".", "./", "./.")
# Instructions that may sit between the broad COPY and the install without needing
# the project source (so the COPY can move below the install).
NEUTRAL = frozenset(("ENV", "ARG", "LABEL", "EXPOSE", "USER", "WORKDIR", "VOLUME", "STOPSIGNAL",
                     "HEALTHCHECK", "CMD", "ENTRYPOINT", "SHELL", "MAINTAINER", "COPY", "ADD"))  # fmt: skip



def _runs_after(items: list[Instruction], broads: list["Broad | None"], pos: int) -> Iterator[tuple[int, Instruction]]:
    """The RUNs after the broad COPY at ``pos``, up to the next broad COPY (which would bust
    the cache again by itself); ``broads``: the ``_broad_copy`` of each of ``items``."""
    for later_pos in range(pos + 1, len(items)):
        ins = items[later_pos]
        if ins.keyword == "RUN":
            yield later_pos, ins
        elif broads[later_pos] is not None:
            return


def _copy_span(ins: Instruction) -> Span:
    """The COPY's line, or its keyword when it spans several."""
    return ins.span if ins.span.start.line == ins.span.end.line else Span(ins.span.start, ins.keyword_span.end)

class Broad(Record):
    __slots__ = ()
    _fields = ("ins", "dest", "flags")
    ins = field(0, "Instruction")
    dest = field(1, "str")
    flags = field(2, 'str: "--chown=app:app " etc., as written')

    def __new__(cls, ins, dest, flags):
        return tuple.__new__(cls, (ins, dest, flags))


def _broad_copy(ctx: Context, ins: Instruction) -> Broad | None:
    if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None or ins.heredocs:
        return None
    words = list(ins.json_args) if ins.json_args is not None else [w.text for w in ins.words(ctx.df.escape)]
    if len(words) != 2 or words[0] not in BROAD_SOURCES:
        return None
    flags = "".join(ctx.df.text[_off(ctx, f.span.start) : _off(ctx, f.span.end)] + " " for f in ins.flags)
    return Broad(ins, words[1], flags)


def _off(ctx: Context, pos: Position) -> int:
    return ctx.df.index.offset(pos)


GOALS = ("package", "install", "verify", "compile", "dependency:go-offline", "dependency:resolve", "build",
         "bootJar", "jar", "assemble", "installDist", "shadowJar", "dependencies")


def _label(inst: Install) -> str:
    prog, args = tool_args(inst.command)
    words = [a.text for a in args if not a.text.startswith("-")]
    sub = next((w for w in words if w in GOALS), "") if prog in ("mvn", "gradle") else ""
    sub = sub or next(iter(words), "")
    return f"{prog} {sub}".strip()


# What may stand between the broad COPY and a system install that moves above it: nothing
# that changes the environment, the user or the files the RUN sees.
MOVABLE_PAST = frozenset(("LABEL", "EXPOSE", "WORKDIR", "MAINTAINER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT"))


def _system_install(ctx: Context, ins: Instruction) -> str:
    """``apt-get install`` / ``apk add`` / ... of repository packages in this RUN ("" none).
    An install of a local package file (``./x.deb``) needs the copied source: not counted."""
    for script in ctx.scripts(ins):
        for cmd in map(unwrap, script.commands):
            if verb(cmd) == "install" or (cmd.program == "apk" and cmd.subcommand() == "add"):
                pos = cmd.positionals()[1:]
                if any(w.dynamic or w.text.startswith((".", "/")) or w.text.endswith((".deb", ".rpm", ".apk"))
                       for w in pos):  # fmt: skip
                    return ""
                return f"{cmd.program} {cmd.subcommand()}"
    return ""


def _cacheable(ctx: Context, broad: Broad, inst: Install) -> bool:
    """Could part of this step run before the broad COPY with only the manifests?
    A dependency install can. A build of the sources (``go build``, ``mvn package``)
    needs the whole tree: only its dependency step (``go mod download``) could, and that
    is proposed only where the manifests are shown to exist (in the build context, or
    copied earlier in the stage), else the finding would guess at the project's layout."""
    if not inst.builds:
        return True
    if not inst.dep_only or not inst.manifests:
        return False
    earlier = _earlier_copies(ctx, broad.ins)
    bc = ctx.build_context
    return all((bc is not None and bc.exists(m)) or _covered(m, earlier) for m in inst.manifests)


def _installs(ctx: Context, ins: Instruction) -> list[tuple[ShellScript, Install]]:
    out = []
    for script in ctx.scripts(ins):
        for cmd in script.commands:
            found = dependency_install(cmd)
            if found is not None:
                out.append((script, found))
    return out


class BroadCopyBeforeInstall(Rule):
    id = "DT301"
    name = "broad-copy-before-install"
    severity = Severity.WARNING
    summary = "`COPY . .` before the dependency install: every source change re-installs all dependencies"
    fix_safety = Safety.REVIEW
    size_rule = False  # build cache matters in builder stages as much as in the final one
    explanation = """
## What it does
Finds a broad `COPY . <dest>` (or `ADD . <dest>`) that comes before the step installing the
project's dependencies in the same stage: pip (`-r requirements.txt`, `pip install .`),
poetry, uv, pipenv, npm/yarn/pnpm, `go mod download`, `cargo fetch`, bundler, composer,
`mvn dependency:go-offline`, `gradle dependencies` and `dotnet restore`. Also a broad
COPY before a system package install (`apt-get install`, `apk add`, `yum`/`dnf`/`microdnf`/`zypper
install`) of repository packages, which never need the source.
A build of the sources (`go build`, `cargo build`, `mvn package`, `gradle bootJar`,
`dotnet publish`, `make`, `npm run build`) is not an install: it needs the whole tree, so
it is reported only where its manifests are shown to exist (in the build context, or
copied earlier in the stage) and a dependency-only step (`go mod download`,
`mvn dependency:go-offline`, `dotnet restore`) could run before the COPY.

## Why is this bad?
Docker reuses a cached layer only while everything it depends on is unchanged. After
`COPY . .` every edit to any source file invalidates the cache, so the dependency install
below it runs again in full on every build, downloading the same packages each time.
Copying only the dependency manifests first (`package.json` and its lock file,
`requirements.txt`, `go.mod`/`go.sum`, ...) lets the install layer stay cached until the
dependencies themselves change. This costs build time and bandwidth, not image bytes.

## Example
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY . .
RUN npm ci
CMD ["node", "server.js"]
```

## Use instead
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
CMD ["node", "server.js"]
```

## Fix safety
Review. The broad COPY is replaced by a COPY of the manifests to the same place and moves
below the install (a RUN that also builds is split after the install). Where the build
context is known only manifests that exist are named; otherwise the canonical names are
assumed and the fix says so. The install must not need other files: npm lifecycle scripts,
pip `-e .` lines or `-r` includes, Gemfile `gemspec`, go.mod `replace` with local paths,
maven modules and .NET project references all do. When the install also builds the project
(`go build`, `mvn package`, `dotnet publish`) a dependency-only step (`go mod download`,
`mvn dependency:go-offline`, `dotnet restore`) is inserted first; for `poetry install` and
`uv sync` the same command with `--no-root` / `--no-install-project` runs before the COPY.
A system package install moves above the broad COPY when only `LABEL`, `EXPOSE`,
`WORKDIR`, `CMD`, `ENTRYPOINT` and the like stand between them (no `ENV`, `ARG`,
`USER` or other `RUN`) and every command of its `RUN` is a package manager or works on
system paths outside the COPY's destination; an install of a local package file
(`apt-get install ./x.deb`) is not reported.
No fix where no correct split exists (`pip install .`, cargo, gradle, composer scripts), where
a `RUN` between the COPY and the install may use the source, or where the install runs in a
different directory than the COPY's destination.

## Size impact
None on the image: the hint is about build time (every source change re-downloads and
re-installs all dependencies). Reported in every stage, builder stages included.
"""
    examples = (
        Invalid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n",
            fixed="FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nCMD [\"node\", \"server.js\"]\n",
            at="3:1-3:9",
            message="`npm ci`",
        ),
        Invalid(
            "FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nRUN pip install --no-cache-dir -r requirements.txt\n",
            fixed="FROM python:3.12-slim\nCOPY requirements.txt /app/\nWORKDIR /app\n"
            "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . /app\n",
            note="absolute destination: the manifests go to /app/, WORKDIR between is kept",
        ),
        Invalid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n",
            fixed="FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n",
            context={"package.json": "{\"name\": \"x\"}", "package-lock.json": "{}", "src/index.ts": ""},
            note="the RUN is split after the install; known context: only existing files are named",
        ),
        Invalid(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\n"
            "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\n",
            context={"go.mod": "module example.com/app\n", "go.sum": "", "main.go": ""},
            fixed="FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n"
            "RUN CGO_ENABLED=0 go build -o /out/app .\n"
            "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\n",
            note="builder stages count; go.mod is in the build context, so go build gets a go mod download first",
        ),
        Invalid(
            "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install poetry && poetry install --no-interaction\n",
            fixed="FROM python:3.12-slim\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\n"
            "RUN pip install poetry && poetry install --no-root --no-interaction\nCOPY . .\n"
            "RUN pip install poetry && poetry install --no-interaction\n",
            note="poetry installs the project itself: dependencies first with --no-root, the project after the COPY",
        ),
        Invalid(
            "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install .\n",
            message="pip install",
            note="pip cannot install only the dependencies of a pyproject project: reported, no fix",
        ),
        Invalid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\n",
            context={"package.json": "{\"scripts\": {\"postinstall\": \"node scripts/setup.js\"}}", "package-lock.json": ""},
            note="a postinstall script may need the source: no fix",
        ),
        Invalid(
            "FROM debian:12-slim\nWORKDIR /app\nCOPY . .\nRUN apt-get update && apt-get install -y --no-install-recommends curl"
            " && rm -rf /var/lib/apt/lists/*\nCMD [\"./run.sh\"]\n",
            fixed="FROM debian:12-slim\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends curl"
            " && rm -rf /var/lib/apt/lists/*\nCOPY . .\nCMD [\"./run.sh\"]\n",
            message="`apt-get install`",
            note="a system package install never needs the source: it moves above the COPY",
        ),
        Invalid(
            "FROM alpine:3.20\nCOPY . /src\nENV LANG=C.UTF-8\nRUN apk add --no-cache make\n",
            message="`apk add`",
            note="no fix: the ENV between would no longer apply to the moved install",
        ),
        Valid(
            "FROM debian:12-slim\nCOPY . /src\nRUN apt-get install -y /src/pkg.deb\n",
            note="a local package file from the copied source",
        ),
        Valid(
            "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\nCOPY . /app\n",
            note="the install comes first",
        ),
        Valid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n",
            note="manifests are copied and installed first",
        ),
        Valid(
            "FROM golang:1.22\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app .\n",
            note="dependencies downloaded before the broad COPY; the build after it is fine",
        ),
        Valid(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\n",
            note="a build of the sources needs the whole tree; go.mod is not shown to exist, so no step is proposed",
        ),
        Valid("FROM maven:3-eclipse-temurin-21\nCOPY . /app\nRUN cd /app && mvn -B package\n", note="mvn package builds the sources"),
        Valid("FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n", note="no install after the COPY"),
        Valid(
            "FROM node:20 AS deps\nCOPY . .\nFROM node:20-slim\nRUN npm ci\n",
            note="the install is in another stage",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for stage in ctx.stages():
            items = [i for i in stage.instructions if i.inner is None]
            # asked of each instruction by both checks, again after each COPY; _broad_copy's first
            # test, the keyword, without a call for each instruction that is no COPY or ADD
            broads = [_broad_copy(ctx, i) if i.keyword in ("COPY", "ADD") else None for i in items]
            if broads.count(None) == len(broads):
                continue  # both checks report a broad COPY: a stage without one (most) needs no install look-up
            yield from self._stage(ctx, items, broads)
            yield from self._system(ctx, items, broads)

    def _system(self, ctx: Context, items: list[Instruction], broads: list[Broad | None]) -> Iterator[Finding]:
        """A broad COPY before a system package install: the packages never need the
        source, so the install belongs above the COPY (``items``: a stage's instructions,
        ``broads``: their ``_broad_copy``)."""
        for pos, ins in enumerate(items):
            broad = broads[pos]
            if broad is None:
                continue
            for later_pos, run in _runs_after(items, broads, pos):
                label = _system_install(ctx, run)
                if not label:
                    continue
                yield ctx.finding(
                    self,
                    ins,
                    _copy_span(ins),
                    _message(f"{ins.keyword} .", broad.dest, label, run.line),
                    fix=self._move_up(ctx, broad, items[pos + 1 : later_pos], run),
                    hint=SizeHint(hints.CACHE_BUSTING_COPY, {"ecosystem": label.split()[0]}),
                )
                break

    def _move_up(self, ctx: Context, broad: Broad, between: list[Instruction], run: Instruction) -> Fix | None:
        """Move the install RUN above the COPY, when nothing between changes what it sees
        and none of its commands can touch the copied source."""
        if any(i.keyword not in MOVABLE_PAST for i in between) or run.heredocs:
            return None
        dest = _resolve(broad.dest, ctx.workdir(broad.ins, None))
        scripts = ctx.scripts(run)
        if not scripts or not all(s.ok for s in scripts):
            return None
        if not all(source_free(c, (dest,) if dest else ("/",)) for s in scripts for c in s.commands):
            return None
        # the RUN moves with the comment lines right above it, to above the COPY's comments
        line = ctx.df.index.line_text
        run_top, copy_top = _comments_above(ctx, run.span.start.line), _comments_above(ctx, broad.ins.span.start.line)
        end = run.span.end.line
        moved = "".join(line(n).rstrip("\n") + "\n" for n in range(run_top, end + 1))
        blank = lambda n: 1 <= n <= ctx.df.index.line_count and not line(n).strip()  # noqa: E731
        last = end + 1 if blank(run_top - 1) and blank(end + 1) else end
        gone = Span(Position(run_top, 1), Position(last + 1, 1) if last < ctx.df.index.line_count else ctx.df.index.end_position())
        if blank(copy_top - 1) and last > end:
            moved += "\n"
        at = Position(copy_top, 1)
        edits = (Edit(Span(at, at), moved), Edit(gone, ""))
        return Fix("Install the system packages before copying the source", edits, Safety.REVIEW,
                   "the install moves above the COPY: check that it needs no file of the build context")  # fmt: skip

    def _stage(self, ctx: Context, items: list[Instruction], broads: list[Broad | None]) -> Iterator[Finding]:
        seen_ecosystems: set[str] = set()
        installs: dict[int, list[tuple[ShellScript, Install]]] = {}  # position of a RUN -> its _installs

        def installs_at(pos: int) -> list[tuple[ShellScript, Install]]:  # asked again for each broad COPY above
            found = installs.get(pos)
            if found is None:
                found = installs[pos] = _installs(ctx, items[pos])
            return found

        for pos, ins in enumerate(items):
            if ins.keyword == "RUN":
                for _, inst in installs_at(pos):
                    if inst.dep_only == "" and not inst.flag_split:
                        seen_ecosystems.add(inst.ecosystem)
                continue
            broad = broads[pos]
            if broad is None:
                continue
            for later_pos, run in _runs_after(items, broads, pos):
                found = [(s, i) for s, i in installs_at(later_pos)
                         if i.ecosystem not in seen_ecosystems and _cacheable(ctx, broad, i)]  # fmt: skip
                if not found:
                    continue
                script, inst = found[0]
                fix, why = self._fix(ctx, broad, items[pos + 1 : later_pos], run, script, inst)
                yield ctx.finding(
                    self,
                    ins,
                    _copy_span(ins),
                    _message(f"{ins.keyword} .", broad.dest, _label(inst), run.line),
                    fix=fix,
                    hint=SizeHint(hints.CACHE_BUSTING_COPY, {"ecosystem": inst.ecosystem}),
                )
                break

    # ------------------------------------------------------------------ the fix

    def _fix(
        self, ctx: Context, broad: Broad, between: list[Instruction], run: Instruction, script: ShellScript, inst: Install
    ) -> tuple[Fix | None, str]:
        if inst.dep_only is None:
            return None, "no dependency-only step"
        if not script.ok or run.heredocs or not ctx.df.is_posix_shell(ctx.stage(run)):
            return None, "script shape"
        dest = broad.dest
        if "$" in dest and any(i.keyword in ("ENV", "ARG") for i in between):
            return None, "destination variable changes"
        wd_copy = ctx.workdir(broad.ins, None)
        wd_run = ctx.workdir(run, None)
        dest_abs = _resolve(dest, wd_copy)
        if dest_abs is None and not dest.startswith(("/", "$")):
            return None, "relative destination and the image's default workdir"
        workdir_moves = any(i.keyword == "WORKDIR" for i in between)
        # the install must run where the manifests land
        if not _same_dir(dest, dest_abs, wd_run, workdir_moves):
            return None, "install runs elsewhere"
        app_dirs = tuple(d for d in (dest_abs, wd_run) if d)
        for other in between:
            if other.keyword not in NEUTRAL and other.keyword != "RUN":
                return None, "instruction between"
            if other.keyword == "RUN" and not all(
                source_free(c, app_dirs) for s in ctx.scripts(other) for c in s.commands
            ):
                return None, "RUN between may use the source"
        files, assumed, problem = _manifests(ctx, inst, _earlier_copies(ctx, broad.ins))
        if problem:
            return None, problem
        moved_dest = dest
        if workdir_moves and not dest.startswith("/") and "$" not in dest:
            if dest_abs is None:
                return None, "relative destination with unknown workdir"
            moved_dest = dest_abs
        moved = f"{broad.ins.keyword} {broad.flags}. {moved_dest}"
        copy_lines = _copy_lines(files, dest, broad.flags)
        edits = [_replace_instruction(ctx, broad.ins, copy_lines)]
        cmds = script.commands
        i = cmds.index(inst.command)
        prefix, rest = cmds[:i], cmds[i + 1 :]
        if any(c.depth > 0 for c in cmds[: i + 1]) or inst.command.depth > 0:
            return None, "nested"
        run_flags = "".join(ctx.df.text[_off(ctx, f.span.start) : _off(ctx, f.span.end)] + " " for f in run.flags)
        if inst.dep_only:  # go build, mvn package, dotnet publish: a dependency step first
            if prefix:
                return None, "commands before the build"
            indent = _indent(ctx, run)
            edits.append(Edit(Span(run.span.start, run.span.start), f"RUN {run_flags}{inst.dep_only}\n{indent}{moved}\n{indent}"))
        elif inst.flag_split:  # poetry / uv: the same RUN with a dependency-only flag, before the COPY
            if not all(c is inst.command or source_free(c, app_dirs) or tool_args(c)[0] in ("pip", "poetry", "uv") for c in cmds):
                return None, "other commands in the RUN"
            raw = ctx.df.text[_off(ctx, run.span.start) : _off(ctx, run.span.end)]
            sub = next(a for a in tool_args(inst.command)[1] if not a.text.startswith("-"))
            cut = _off(ctx, sub.span.end) - _off(ctx, run.span.start)
            dep_run = raw[:cut] + " " + inst.flag_split + raw[cut:]
            indent = _indent(ctx, run)
            edits.append(Edit(Span(run.span.start, run.span.start), f"{dep_run}\n{indent}{moved}\n{indent}"))
        else:
            if not all(source_free(c, app_dirs) for c in prefix) or any(c.program == "cd" for c in prefix):
                return None, "commands before the install"
            if not rest and run.span.end.line < ctx.df.index.line_count:
                # at the start of the next line, not at the RUN's end: an insertion touching
                # another fix's edit there (a RUN merge) must count as overlapping
                at = Position(run.span.end.line + 1, 1)
                edits.append(Edit(Span(at, at), f"{_indent(ctx, run)}{moved}\n"))
            elif not rest:
                edits.append(Edit(Span(run.span.end, run.span.end), f"\n{_indent(ctx, run)}{moved}"))
            else:
                nxt = rest[0]
                if nxt.operator_before != "&&" or any(c.depth > 0 and c is nxt for c in rest):
                    return None, "install is not joined by &&"
                a = ctx.df.index.position(_off(ctx, inst.command.span.end))
                # the commands after the install become a RUN of their own: the edit carries
                # them to the RUN's end, so a fix computed for the whole RUN (a cache cleanup
                # appended at its end) overlaps and waits for the next pass
                rest_text = ctx.df.text[_off(ctx, nxt.span.start) : _off(ctx, run.span.end)]
                indent = _indent(ctx, run)
                edits.append(Edit(Span(a, run.span.end), f"\n{indent}{moved}\n{indent}RUN {run_flags}{rest_text}"))
        reason = _reason(inst, files, assumed)
        try:
            return Fix("Copy the dependency manifests first, install, then copy the rest", tuple(edits), Safety.REVIEW, reason), ""
        except ValueError:
            return None, "overlapping edits"


def _comments_above(ctx: Context, line: int) -> int:
    """The first line of the comment block right above ``line`` (``line`` when none)."""
    while line > 1 and ctx.df.index.line_text(line - 1).lstrip().startswith("#"):
        line -= 1
    return line


def _message(copy: str, dest: str, label: str, line: int) -> str:
    def text(shown: str) -> str:
        return f"`{copy} {shown}` comes before `{label}` (line {line}): any source change re-runs the install"

    return text(short_name(dest, max(100 - len(text("")), 8)))


def _resolve(dest: str, workdir: str | None) -> str | None:
    if "$" in dest:
        return None
    if dest.startswith("/"):
        return posixpath.normpath(dest)
    if workdir is None:
        return None
    return posixpath.normpath(posixpath.join(workdir, dest))


def _same_dir(dest: str, dest_abs: str | None, wd_run: str | None, workdir_moves: bool) -> bool:
    if dest in (".", "./") and not workdir_moves:
        return True
    return dest_abs is not None and wd_run is not None and dest_abs == wd_run


def _earlier_copies(ctx: Context, broad: Instruction) -> set[str]:
    """Sources already copied from the context earlier in the stage."""
    stage = ctx.stage(broad)
    out: set[str] = set()
    for ins in stage.instructions if stage else ():
        if ins.index >= broad.index:
            break
        if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
            words = [w.text for w in ins.words(ctx.df.escape)]
            out.update(w.lstrip("./") if w.startswith("./") else w for w in words[:-1])
    return out


def _covered(name: str, earlier: set[str]) -> bool:
    import fnmatch

    return any(fnmatch.fnmatch(name, pat) for pat in earlier)


# read only when a build context has a requirements file
_REQ_INCLUDE = LazyPattern(r"^\s*(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)")
_REQ_LOCAL = LazyPattern(r"^\s*(-e|--editable|\.|\.\.|\./|/|file:)")


def _manifests(ctx: Context, inst: Install, earlier: set[str]) -> tuple[list[str], bool, str]:
    """(files to copy, assumed-not-checked, reason there is no fix)."""
    bc = ctx.build_context
    if inst.ecosystem == "pip" and not inst.manifests:
        return [], False, "requirements named by a variable"
    if bc is None:
        if inst.canonical:
            files = inst.canonical.split()
        else:
            files = list(inst.manifests) + list(inst.lock_choices)
        files = [f for f in files if not _covered(f, earlier)]
        return files, True, ""
    files = []
    for m in inst.manifests:
        if not bc.exists(m):
            return [], False, f"{m} is not in the build context"
        files.append(m)
    files += [f for f in inst.lock_choices + inst.optional if bc.exists(f)]
    problem = _needs_more(bc, inst, files)
    if problem:
        return [], False, problem
    return [f for f in files if not _covered(f, earlier)], False, ""


def _needs_more(bc, inst: Install, files: list[str]) -> str:
    """Why the install would need more than these files ("" when it does not);
    pip requirement includes are added to ``files``."""
    eco = inst.ecosystem
    if eco == "pip":
        todo = list(files)
        while todo:
            f = todo.pop()
            text = bc.text(f) or ""
            for line in text.splitlines():
                if _REQ_LOCAL.match(line):
                    return f"{f} installs a local path"
                m = _REQ_INCLUDE.match(line)
                if m:
                    inc = posixpath.normpath(posixpath.join(posixpath.dirname(f), m.group(2)))
                    if not bc.exists(inc):
                        return f"{inc} is not in the build context"
                    if inc not in files:
                        files.append(inc)
                        todo.append(inc)
    elif eco in ("npm", "yarn", "pnpm"):
        import json

        try:
            pkg = json.loads(bc.text("package.json") or "{}")
        except ValueError:
            return "package.json does not parse"
        scripts = pkg.get("scripts", {}) if isinstance(pkg, dict) else {}
        if isinstance(pkg, dict) and pkg.get("workspaces"):
            return "workspaces need every package.json"
        if any(k in scripts for k in ("preinstall", "install", "postinstall", "prepare")):
            return "lifecycle scripts run during the install"
        if bc.exists("pnpm-workspace.yaml"):
            return "pnpm workspace"
    elif eco == "bundler":
        if re.search(r"^\s*gemspec|path:", bc.text("Gemfile") or "", re.M):
            return "the Gemfile uses local gems"
    elif eco == "go":
        if re.search(r"=>\s*[./]", bc.text("go.mod") or ""):
            return "go.mod replaces modules with local paths"
    elif eco == "maven":
        if "<modules>" in (bc.text("pom.xml") or ""):
            return "a multi-module maven build"
    elif eco in ("poetry", "uv"):
        text = bc.text("pyproject.toml") or ""
        if re.search(r"path\s*=|\[tool\.uv\.workspace\]", text):
            return "local path dependencies"
    elif eco == "dotnet":
        for f in files:
            if "ProjectReference" in (bc.text(f) or ""):
                return "project references need more project files"
    return ""


def _copy_lines(files: list[str], dest: str, flags: str) -> list[str]:
    base = "./" if dest in (".", "./") else dest.rstrip("/") + "/"
    by_dir: dict[str, list[str]] = {}
    for f in files:
        by_dir.setdefault(posixpath.dirname(f), []).append(f)
    return [f"COPY {flags}{' '.join(names)} {base}{d + '/' if d else ''}" for d, names in by_dir.items()]


def _indent(ctx: Context, ins: Instruction) -> str:
    return indentation(ctx.df, ins)


def _replace_instruction(ctx: Context, ins: Instruction, lines: list[str]) -> Edit:
    if lines:
        return Edit(ins.span, ("\n" + _indent(ctx, ins)).join(lines))
    # nothing left to copy first: drop the line
    start = Position(ins.span.start.line, 1)
    if ins.span.end.line < ctx.df.index.line_count:
        return Edit(Span(start, Position(ins.span.end.line + 1, 1)), "")
    return Edit(Span(start, ins.span.end), "")


def _reason(inst: Install, files: list[str], assumed: bool) -> str:
    names = " ".join(files) or "the manifests"
    checks = {
        "npm": "no npm lifecycle script (postinstall, prepare) needs the source, and .dockerignore excludes node_modules",
        "yarn": "no lifecycle script needs the source, and .dockerignore excludes node_modules",
        "pnpm": "no lifecycle script needs the source, and .dockerignore excludes node_modules",
        "pip": "no requirements file includes another file or a local path (-e .)",
        "poetry": "the project installs after the COPY (the second poetry install)",
        "uv": "the project installs after the COPY (the second uv sync)",
        "go": "go.mod has no replace directive pointing into the source tree",
        "bundler": "the Gemfile has no gemspec or path: gems",
        "maven": "this is a single-module build (dependency:go-offline misses some plugins: fine)",
        "dotnet": "every referenced project file is copied",
    }
    text = f"Check that the install needs only {names}: {checks.get(inst.ecosystem, 'no other file')}"
    if assumed:
        text += f"; the build context was not available, so these files were assumed to exist: {names}"
    return text
