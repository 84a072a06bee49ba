from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript, Word
from bot.model.text import Span
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import append_command, insert_after
from bot.rules.facts import APT, PIP, LazyPattern, layer_claim, short_name

# A JDK named -devel is a runtime choice (DT401/DT402 judge JDK vs JRE), not a header package.
_NOT_BUILD = LazyPattern(r"(java|openjdk|jdk).*|dpkg-dev")
TOOLCHAIN = frozenset(
    "gcc g++ cc c++ gcc-c++ make cmake build-essential autoconf automake libtool libtool-bin "
    "pkg-config pkgconf pkgconfig alpine-sdk build-base musl-dev linux-headers kernel-headers "
    "kernel-devel bison flex".split()
)
_VERSIONED = LazyPattern(r"(gcc|g\+\+|cpp|clang)-\d+(\.\d+)?")
_DEV = LazyPattern(r".+-(dev|devel|headers)")
_PACKAGE_NAME_END = LazyPattern(r"[=<>~:]|/")  # version, architecture or release follows
OPTION_ARGS = frozenset(("-X", "--repository", "-o", "--option", "-c", "--config", "-t", "--target-release",
                         "--setopt", "--enablerepo", "--disablerepo", "-p", "--root"))
RPM = frozenset(("yum", "dnf", "microdnf", "tdnf"))
# Commands that compile, so the toolchain is needed while they run.
BUILDERS = frozenset(
    "make cmake ninja meson gcc g++ cc c++ cargo go gem bundle cpanm cpan pecl phpize luarocks "
    "docker-php-ext-install docker-php-ext-configure node-gyp poetry pipenv uv mix rebar3 Rscript R "
    "npm yarn pnpm conda mamba micromamba".split()
) | PIP
# Images meant for compiling: a final image that runs one of these, or has no command,
# is a build/dev/CI image and keeps its toolchain on purpose.
# Tools that drive a compiler but compile nothing themselves: without a compiler or headers
# in the image they run Makefiles and scripts for the container, not a build
DRIVERS = frozenset("make cmake ninja ninja-build autoconf automake libtool libtool-bin pkg-config pkgconf "
                    "pkgconfig bison flex".split())
COMPILERS = frozenset("gcc g++ cc c++ gcc-c++ clang build-essential build-base alpine-sdk".split())
DEV_COMMANDS = frozenset("bash sh zsh ash dash make gcc g++ cc cmake ninja".split())
TOOLCHAIN_IMAGES = frozenset("gcc buildpack-deps golang rust swift haskell".split())
FULL_VARIANT_IMAGES = frozenset("python node ruby perl erlang elixir".split())
OS_IMAGES = frozenset("ubuntu debian alpine centos fedora rockylinux almalinux amazonlinux archlinux "
                      "opensuse leap tumbleweed oraclelinux ubi ubi8 ubi9 busybox".split())
DEV_WORDS = frozenset("dev devel development devcontainer ci build builder builders test tests testing toolchain sdk".split())


class Install(Record):
    __slots__ = ()
    _fields = ("cmd", "manager", "packages", "virtual")
    cmd = field(0, "Command")
    manager = field(1, "str: apt | apk | rpm")
    packages = field(2, "tuple[Word, ...]")
    virtual = field(3, 'str: apk --virtual name, "" when none')

    def __new__(cls, cmd, manager, packages, virtual):
        return tuple.__new__(cls, (cmd, manager, packages, virtual))


class BuildPackagesInFinalImage(Rule):
    id = "DT207"
    name = "build-packages-in-final-image"
    severity = Severity.WARNING
    summary = "compilers and -dev packages installed and never purged in the final image"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds build-only packages (gcc, g++, make, cmake, build-essential, autoconf, libtool,
musl-dev, linux-headers, `*-dev`, `*-devel`) installed with `apt-get install`,
`apk add` or `yum`/`dnf install` in a stage that reaches the final image, and not
removed in the same `RUN` (`apt-get purge`, `apk del` of a `--virtual` group,
`yum remove`).

Build drivers alone (`make`, `cmake`, `autoconf`, `pkg-config`...) in an image that
installs no compiler and no headers are tools for the container (Makefile tasks), not
leftovers of a compile: not reported. It stays silent for images whose purpose is compiling: a final stage named like
`dev`, `ci`, `build` or `test`, a Dockerfile named so (`Dockerfile.dev`,
`.devcontainer/`), a final command that is a shell or a build tool (`bash`, `make`) or
compiles when the container starts (`go test` with cgo, `sh -c "make && ./app"`),
an OS base image (ubuntu, debian, alpine, ...) with no `CMD`/`ENTRYPOINT` (a base or
tool image), an image with no command whose build never uses the toolchain it
installs (a base that child images compile on, or a dev image whose dependencies the
command given at run time installs, such as compose's `bundle install`), `*-devel`
bases (e.g. CUDA devel), compiler images (gcc, golang, rust,
buildpack-deps: DT402's case), and the full variants of python, node, ruby, perl and
erlang/elixir, which are built on buildpack-deps and ship gcc and the common `-dev`
packages in the base already. A package is reported once per `RUN`, however often it
is installed there.

## Why is this bad?
A C toolchain with headers is typically 150-250 MB. Needed only to compile native
extensions, it ships with every pull of the image and widens its attack surface.
Removing it in a later `RUN` saves nothing: the earlier layer keeps it.

## Example
```dockerfile
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \\
    && pip install --no-cache-dir psycopg2 && rm -rf /var/lib/apt/lists/*
CMD ["python", "app.py"]
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \\
    && pip install --no-cache-dir psycopg2 && rm -rf /var/lib/apt/lists/* \\
    && apt-get purge -y --auto-remove gcc && apt-get purge -y libpq-dev
CMD ["python", "app.py"]
```
or compile in a build stage and copy the result (see DT402). With apk:
`apk add --virtual .build-deps gcc musl-dev && ... && apk del .build-deps`.

## Fix safety
Review. The edit is offered only when the same `RUN` compiles something after the
install and no later `RUN` compiles again. With apt, the toolchain is purged with
`--auto-remove` and `-dev` packages without it, so the runtime libraries they pulled
in (libpq5 for libpq-dev) stay. With apk, the packages become a `--virtual
.build-deps` group deleted at the end; `apk del` then also removes libraries only they
needed, so add the runtime ones (e.g. `libpq` for `postgresql-dev`) to a plain
`apk add`. Check that nothing compiles at run time. Mixed `apk add` lines (runtime and
build packages together) and yum/dnf get no edit.

## Size impact
The installed size of the packages and their dependencies on the stage's base.
"""
    examples = (
        Invalid(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev"
            " && pip install --no-cache-dir psycopg2 && rm -rf /var/lib/apt/lists/*\nCMD [\"python\", \"app.py\"]\n",
            fixed="FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev"
            " && pip install --no-cache-dir psycopg2 && rm -rf /var/lib/apt/lists/*"
            " && apt-get purge -y --auto-remove gcc && apt-get purge -y libpq-dev\nCMD [\"python\", \"app.py\"]\n",
            at="2:66-2:79",
        ),
        Invalid(
            "FROM python:3.12-alpine\nRUN apk add --no-cache gcc musl-dev libffi-dev \\\n"
            "    && pip install --no-cache-dir cffi\nCMD [\"python\", \"app.py\"]\n",
            fixed="FROM python:3.12-alpine\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev libffi-dev \\\n"
            "    && pip install --no-cache-dir cffi \\\n    && apk del .build-deps\nCMD [\"python\", \"app.py\"]\n",
            note="apk without --virtual",
        ),
        Invalid(
            "FROM debian:12-slim\nRUN apt-get update && apt-get install -y build-essential && rm -rf /var/lib/apt/lists/*\n"
            "RUN make -C /src install\nCMD [\"/usr/local/bin/app\"]\n",
            message="build-essential",
            note="a later RUN compiles: purging here would break it, so no edit",
        ),
        Invalid(
            "FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc make && make -C /src\n"
            "CMD [\"/src/app\"]\n",
            fixed="FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc make && make -C /src && apk del .build-deps\n"
            "CMD [\"/src/app\"]\n",
            note="a --virtual group that is never deleted",
        ),
        Valid(
            "FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && make -C /src "
            "&& apk del .build-deps\nCMD [\"/src/app\"]\n",
            note="the --virtual group is deleted in the same RUN",
        ),
        Valid(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc && pip install x "
            "&& apt-get purge -y --auto-remove gcc && rm -rf /var/lib/apt/lists/*\nCMD [\"python\"]\n",
        ),
        Valid(
            "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc make\n"
            "FROM debian:12-slim\nCOPY --from=build /out/app /app\nCMD [\"/app\"]\n",
            note="a builder stage",
        ),
        Valid(
            "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y build-essential cmake git\n"
            "CMD [\"bash\"]\n",
            note="a development image: its command is a shell",
        ),
        Valid(
            "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y build-essential cmake\n",
            note="no CMD/ENTRYPOINT: a base or tool image meant to build on",
        ),
        Valid(
            "FROM python:3.12-slim AS dev\nRUN apt-get update && apt-get install -y gcc\nCMD [\"python\"]\n",
            note="the final stage is named dev",
        ),
        Valid(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl libpq5\nCMD [\"python\"]\n",
            note="runtime packages only",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        if meant_for_building(ctx):
            return
        compiles_here = None  # _installs_a_compiler, asked only of a driver (make, cmake) left behind
        for ins in ctx.runs(final_only=True):
            for script in ctx.scripts(ins):
                reported: set[str] = set()  # one finding per package and RUN
                for install in _installs(script):
                    build_left = _left(script, install)  # most installs leave no build package: no more to ask
                    if not build_left or _serves_run_time_commands(ctx, ins, script, install):
                        continue
                    left = []
                    for w in build_left:
                        if _name(w) in DRIVERS:
                            if compiles_here is None:
                                compiles_here = _installs_a_compiler(ctx)
                            if not compiles_here:
                                continue  # make without a compiler: a tool for the container
                        if _name(w) not in reported:
                            reported.add(_name(w))
                            left.append(w)
                    if left:
                        yield self._finding(ctx, ins, script, install, left)

    def _finding(self, ctx: Context, ins: Instruction, script: ShellScript, install: Install, left: list[Word]) -> Finding:
        names = [w.text for w in left]
        where = {"apk": "apk del", "apt": "purge"}.get(install.manager, "remove") + " in the same RUN"
        return ctx.finding(
            self,
            ins,
            Span(left[0].span.start, left[-1].span.end) if len(left) < 4 else left[0].span,
            _message(names, where),
            fix=self._fix(ctx, ins, script, install, left),
            hint=SizeHint(
                hints.BUILD_PACKAGES,
                {"base_image": ctx.base_image(ctx.stage(ins)), "manager": install.manager, "packages": tuple(names)},
                (layer_claim("build-packages", ins),),
            ),
        )

    def _fix(self, ctx: Context, ins: Instruction, script: ShellScript, install: Install, left: list[Word]) -> Fix | None:
        if not script.ok or install.cmd.depth or install.manager == "rpm":
            return None
        after = [c for c in script.commands if c.span.start > install.cmd.span.start]
        if not any(_compiles(c) for c in after) or _compiles_later(ctx, ins):
            return None
        df = ctx.df
        if install.manager == "apt":
            tools = [w.text for w in left if not _DEV.fullmatch(w.text)]
            devs = [w.text for w in left if _DEV.fullmatch(w.text)]
            parts = []
            if tools:
                parts.append(f"{install.cmd.name} purge -y --auto-remove {' '.join(tools)}")
            if devs:
                parts.append(f"{install.cmd.name} purge -y {' '.join(devs)}")
            edit = append_command(df, ins, script, " && ".join(parts))
            if edit is None:
                return None
            reason = "check that nothing compiles at run time"
            if devs:
                reason += "; -dev packages are purged without --auto-remove so the libraries they pulled in stay"
            return Fix("Purge the build packages in the same RUN", (edit,), Safety.REVIEW, reason=reason)
        # apk: only a line of build packages alone can become a --virtual group
        if len(left) != len(install.packages):
            return None
        edits = []
        name = install.virtual
        if not name:
            taken = {w.text for c in script.commands for w in c.args}
            name = next(n for n in (".build-deps", ".build-deps-dt207", ".dt207-build") if n not in taken)
            add = install.cmd.arg("add")
            opts = [a for a in install.cmd.args if a.text.startswith("-") and a.span.start < install.packages[0].span.start]
            anchor = opts[-1] if opts else add
            if anchor is None:
                return None
            edits.append(insert_after(anchor, f" --virtual {name}"))
        tail = append_command(df, ins, script, f"apk del {name}")
        if tail is None:
            return None
        edits.append(tail)
        edits.sort(key=lambda e: e.span.start)
        reason = "check that nothing compiles at run time"
        if any(_DEV.fullmatch(w.text) for w in left):
            reason += "; apk del also removes libraries only the -dev packages needed: add the runtime ones to a plain apk add"
        return Fix("Group the build packages and delete them in the same RUN", tuple(edits), Safety.REVIEW, reason=reason)


def _installs_a_compiler(ctx: Context) -> bool:
    """Whether the final image installs a compiler or headers anywhere (its base has none:
    compiler images and full language variants are left alone before this)."""
    for ins in ctx.runs(final_only=True):
        for script in ctx.scripts(ins):
            for install in _installs(script):
                names = {_name(w) for w in install.packages}
                if any("$" in w.text for w in install.cmd.args):
                    return True  # `$PHPIZE_DEPS`, `$BUILD_DEPS`: may well name one
                if names & COMPILERS or any(_VERSIONED.fullmatch(n) or (_DEV.fullmatch(n) and not _NOT_BUILD.fullmatch(n))
                                            for n in names):
                    return True
    return False


def is_build_package(name: str) -> bool:
    if _NOT_BUILD.fullmatch(name):
        return False
    return name in TOOLCHAIN or bool(_VERSIONED.fullmatch(name)) or bool(_DEV.fullmatch(name))


def _name(word: Word) -> str:
    """Package name without version, architecture or release: ``gcc=4:12`` -> ``gcc``."""
    return _PACKAGE_NAME_END.split(word.text, maxsplit=1)[0]


def _removed_names(cmd: Command, manager: str) -> set[str]:
    """The package names a removal (``apt-get purge``, ``apk del``, ``dnf remove``) names."""
    return {_name(w) for w in _operands(cmd, manager)[0]}


def _installs(script: ShellScript) -> Iterator[Install]:
    for cmd in script.commands:
        p, sub = cmd.program, cmd.subcommand()
        if p in APT and sub == "install":
            manager = "apt"
        elif p == "apk" and sub == "add":
            manager = "apk"
        elif p in RPM and sub == "install":
            manager = "rpm"
        else:
            continue
        packages, virtual = _operands(cmd, manager)
        yield Install(cmd, manager, tuple(w for w in packages if not w.dynamic), virtual)


def _operands(cmd: Command, manager: str) -> tuple[list[Word], str]:
    """Package words after the subcommand (option arguments skipped), and the apk
    ``--virtual`` name."""
    packages, virtual, skip, seen_sub = [], "", False, False
    for a in cmd.args:
        t = a.text
        if skip:
            skip = False
            if manager == "apk" and virtual == "?":
                virtual = t
            continue
        if t.startswith("-"):
            if manager == "apk" and t in ("-t", "--virtual"):
                virtual, skip = "?", True
            elif manager == "apk" and t.startswith("--virtual="):
                virtual = t.split("=", 1)[1]
            elif t in OPTION_ARGS:
                skip = True
            continue
        if not seen_sub:
            seen_sub = True  # the subcommand itself
            continue
        packages.append(a)
    return packages, virtual


def _left(script: ShellScript, install: Install) -> list[Word]:
    build = [w for w in install.packages if is_build_package(_name(w))]
    if not build:
        return []
    removed: set[str] = set()
    everything = False
    later = [c for c in script.commands if c.span.start > install.cmd.span.start]
    marked_auto = any(c.program == "apt-mark" and c.subcommand() == "auto" for c in script.commands)
    for c in later:
        p, sub = c.program, c.subcommand()
        if p in APT and sub in ("purge", "remove", "autoremove"):
            names = _removed_names(c, "apt")
            removed |= names
            everything = everything or (not names and marked_auto)
        elif p == "apk" and sub == "del":
            names = _removed_names(c, "apk")
            removed |= names
            if install.virtual and install.virtual in names:
                everything = True
        elif p in RPM and sub in ("remove", "erase", "autoremove"):
            removed |= _removed_names(c, "rpm")
        elif p == "dpkg" and c.has_option("-P", "--purge", "-r", "--remove"):
            removed |= {w.text for w in c.positionals()}
    if everything:
        return []
    return [w for w in build if _name(w) not in removed]


# verbs of the builders above that build nothing (`npm cache clean`, `pip --version`)
_NOT_BUILDING = frozenset(("cache", "config", "clean", "version", "--version", "-v", "-V", "list", "ls",
                           "outdated", "audit", "view", "info", "help", "--help", "freeze", "show", "env"))


# node package managers installing themselves (`npm install -g npm@11`): plain JavaScript
_NODE_MANAGERS = frozenset(("npm", "yarn", "pnpm", "corepack"))
_PIP_ITSELF = frozenset(("pip", "setuptools", "wheel"))

_NODE_VERSION = LazyPattern(r"(?<=.)@")  # `npm@10`, not the `@` of `@scope/pkg`
_PIP_VERSION = LazyPattern(r"[<>=!~\[]")


def _compiles(cmd: Command) -> bool:
    p = cmd.program
    if p in ("npm", "yarn", "pnpm"):
        named = [a.text for a in cmd.args[1:] if not a.text.startswith("-")]
        if named and all(_NODE_VERSION.split(n, maxsplit=1)[0] in _NODE_MANAGERS for n in named):
            return False
    if p in PIP or p in ("python", "python3"):
        words = [w for w in cmd.words if not w.startswith("-")]
        targets = words[words.index("install") + 1:] if "install" in words else []
        if targets and all(_PIP_VERSION.split(t, maxsplit=1)[0].lower() in _PIP_ITSELF for t in targets):
            return False  # `pip install --upgrade pip setuptools`: pip updating its own tools
    if p in BUILDERS:
        return not cmd.args or cmd.args[0].text not in _NOT_BUILDING
    if p.endswith("configure"):
        return True
    if p in ("python", "python3") or p.startswith("python3."):
        words = cmd.words
        return "setup.py" in words or ("-m" in words and ("pip" in words or "build" in words))
    return False


def _compiles_later(ctx: Context, ins: Instruction) -> bool:
    for other in ctx.runs():
        if other.index <= ins.index:
            continue
        if ins not in list(ctx.before(other)):
            continue
        if any(_compiles(c) for s in ctx.scripts(other) for c in s.commands):
            return True
    return False


def _serves_run_time_commands(ctx: Context, ins: Instruction, script: ShellScript, install: Install) -> bool:
    """An image with no command whose build never uses the toolchain it installs. Its
    commands come at run time: a base that child images compile on, or a dev image whose
    dependencies the command given by compose installs (`bundle install` on the copied
    Gemfile). Nothing the file shows makes the toolchain build-only."""
    final = ctx.df.final_stage
    if final is None:
        return False
    own = [i for s in ctx.lineage(final) for i in s.instructions]
    if any(i.keyword in ("CMD", "ENTRYPOINT") for i in own):
        return False
    after = [c for c in script.commands if c.span.start > install.cmd.span.start]
    return not any(_compiles(c) for c in after) and not _compiles_later(ctx, ins)

_NOT_ALNUM = LazyPattern(r"[^a-z0-9]+")


def _tokens(text: str) -> set[str]:
    return {t for t in _NOT_ALNUM.split(text.lower()) if t}


def meant_for_building(ctx: Context) -> bool:
    """Heuristics for images whose job is to compile (dev containers, CI, builders).

    Also the condition of DT705: compilers measured in an image meant for building are
    its point, not waste."""
    df = ctx.df
    final = df.final_stage
    if final is None:
        return True
    path = ctx.path.replace("\\", "/")
    if ".devcontainer/" in path or _tokens(path.rsplit("/", 1)[-1]) & DEV_WORDS:
        return True
    if _tokens(final.name) & DEV_WORDS:
        return True
    base = ctx.base_image(final).lower()
    name, _, tag = base.partition(":")
    name = name.rsplit("/", 1)[-1]
    if "devel" in _tokens(tag) or name in TOOLCHAIN_IMAGES:
        return True  # a compiler image: DT402 suggests the multi-stage build
    if name in FULL_VARIANT_IMAGES and not (_tokens(tag) & {"slim", "alpine"}):
        return True  # built on buildpack-deps: gcc and the usual -dev packages come with the base

    command = None
    for stage in ctx.lineage(final):
        for ins in reversed(stage.instructions):
            ins = ins.effective()
            if ins.keyword in ("ENTRYPOINT", "CMD"):
                command = ins
                break
        if command is not None:
            break
    if command is None:
        # no command of its own: an OS base image is a tool/base image to build on; a
        # language runtime base (python, node, php...) is an app started by compose
        return base.split(":")[0].rsplit("/", 1)[-1] in OS_IMAGES
    words = list(command.json_args) if command.json_args is not None else command.body.text.split()
    return command_builds(words)


def command_builds(words: list[str]) -> bool:
    """An image command (ENTRYPOINT and CMD words) that compiles or hands a shell or build
    tool to the user; an empty command builds (a base to build on)."""
    if not words:
        return True
    if _compiles_at_run_time(words):
        return True  # `go test` with cgo, `make` in the command: the toolchain is the point
    program = words[0].rsplit("/", 1)[-1]
    if program in ("env", "tini", "dumb-init", "/sbin/tini") and len(words) > 1:
        program = words[-1].rsplit("/", 1)[-1] if words[1].startswith("-") else words[1].rsplit("/", 1)[-1]
    if program in ("bash", "sh", "zsh", "ash", "dash"):
        return all(w.startswith("-") and w != "-c" for w in words[1:])  # an interactive shell
    return program in DEV_COMMANDS


RUN_TIME_BUILDS = frozenset(("gcc", "cc", "g++", "c++", "make", "cmake", "ninja", "cargo", "node-gyp"))
GO_COMPILES = frozenset(("build", "test", "run", "install", "generate", "vet"))

_SHELL_SEPARATORS = LazyPattern(r"[\s;&|()]+")


def _compiles_at_run_time(words: list[str]) -> bool:
    """The image's command compiles when the container starts (``go test ./...``,
    ``sh -c "make && ./app"``), so its compiler is needed at run time."""
    tokens = [t.rsplit("/", 1)[-1] for w in words for t in _SHELL_SEPARATORS.split(w) if t]
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if t in RUN_TIME_BUILDS or (t == "go" and nxt in GO_COMPILES) or t == "setup.py":
            return True
    return False


def _message(names: list[str], where: str) -> str:
    def text(shown: str) -> str:
        return f"build-only {shown} in the final image; {where} or use a build stage"

    budget = 100 - len(text(""))

    def listed(count: int) -> str:
        return ", ".join(names[:count]) + (f" +{len(names) - count}" if count < len(names) else "")

    fitting = [n for n in range(len(names), 0, -1) if len(listed(n)) <= budget]
    if fitting:
        return text(listed(fitting[0]))
    more = f" +{len(names) - 1}" if len(names) > 1 else ""
    return text(short_name(names[0], budget - len(more)) + more)
