from __future__ import annotations

import posixpath
import re
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction, Stage
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command
from bot.model.text import Edit, Position, Span
from bot.model.words import split_words
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import append_command
from bot.rules.facts import assigned, base_claim, layer_claim, operands, short_name, stage_claim
from bot.rules import python_build
from bot.model.images import ImageRef
from bot.rules.ecosystems import (
    final_image_root,
    dotnet_runtime,
    go_runtime,
    java_runtime,
    node_alpine_evidence,
    node_runtime,
    runs_node_build,
    rust_runtime,
    toolchain_of,
    tool_args,
)
from bot.model.stages import workdir_at

# Instructions that describe how the container runs: carried into the runtime stage.
RUNTIME_META = ("ENV", "EXPOSE", "LABEL", "USER", "VOLUME", "STOPSIGNAL", "CMD", "ENTRYPOINT")
DISTROLESS_USERS = ("root", "nonroot", "nobody", "0", "65532", "65534")
# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
SHELL_CHARS = r"[$&|;<>*?(){}`'\"\\]"
NODE_PACKAGE_TOOLS = frozenset(("npm", "yarn", "pnpm", "npx", "node", "mkdir", "rm", "cp", "mv", "ls", "echo"))


def _message(from_image: str, runtime: str) -> str:
    short = lambda image: image.removeprefix("mcr.microsoft.com/")  # noqa: E731
    if runtime == from_image:  # node on a slim tag already: the waste is what the build leaves
        return "the build's devDependencies and caches ship in the image; build in a stage, copy the output"
    image = f"toolchain `{short(from_image)}` is the runtime image"
    for name in (short(runtime), short(runtime).split(":", 1)[0]) if runtime else ():
        if len(f"{image}; build in a stage, run on `{name}`") <= 100:
            return f"{image}; build in a stage, run on `{name}`"
    return f"toolchain `{short_name(short(from_image), 28)}` is the runtime image; use a build stage and a runtime image"


class Build(Record):
    __slots__ = ()
    _fields = ("ecosystem", "ins", "cmd")
    ecosystem = field(0, "str")
    ins = field(1, "Instruction")
    cmd = field(2, "Command")

    def __new__(cls, ecosystem, ins, cmd):
        return tuple.__new__(cls, (ecosystem, ins, cmd))


def _build_step(ctx: Context, eco: str, ins: Instruction) -> Command | None:
    for script in ctx.scripts(ins):
        for cmd in script.commands:
            prog, args = tool_args(cmd)
            pos = [a.text for a in operands(args)]
            sub = pos[0] if pos else ""
            if eco == "go" and prog == "go" and sub in ("build", "install"):
                return cmd
            if eco == "rust" and prog == "cargo" and sub in ("build", "install"):
                return cmd
            if eco == "java" and (
                (prog == "mvn" and any(p in ("package", "install", "verify") for p in pos))
                or (prog == "gradle" and any(p in ("build", "bootJar", "jar", "assemble", "installDist", "shadowJar") for p in pos))
                or prog == "javac"
            ):
                return cmd
            if eco == "node" and runs_node_build(cmd) and not (prog in ("npm", "pnpm") and sub == "test"):
                return cmd
            if eco == "dotnet" and prog == "dotnet" and sub in ("publish", "build"):
                return cmd
            if eco == "c" and prog in ("gcc", "g++", "cc", "make", "cmake"):
                return cmd
    return None


def _musl_target(cmd: Command | None) -> str:
    """The ``--target`` triple of a cargo build when it is a musl one (static by default)."""
    if cmd is None:
        return ""
    args = [a.text for a in tool_args(cmd)[1]]
    for i, a in enumerate(args):
        value = args[i + 1] if a == "--target" and i + 1 < len(args) else a.partition("=")[2] if a.startswith("--target=") else ""
        if re.fullmatch(r"[\w]+-unknown-linux-musl\w*", value):
            return value
    return ""


class ToolchainImageAsRuntime(Rule):
    id = "DT402"
    name = "toolchain-image-as-runtime"
    severity = Severity.ERROR
    summary = "the final image is the SDK/toolchain image that built the application"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds a final stage that builds the application on a toolchain image and then runs it
there: `go build` on `golang`, `cargo build` on `rust`, `mvn package`/`gradle build` on
`maven`/`gradle`/a JDK, `dotnet publish` on the .NET SDK, `npm run build` on `node`,
`gcc`/`make` on `gcc`. The final image must have a start command (CMD or ENTRYPOINT in
its own stages): without one it is a build-only image, a dev container or a tool box.

Python (Debian-based `python` images): a final stage that compiles packages, that is
installs compilers or `-dev` packages with apt (on any tag), or sits on a full tag and
pip-installs a package known to compile (psycopg2, mysqlclient, ...), and installs
Python packages with pip, poetry, pipenv or uv. A start command is not required here:
such an image is an application that compose starts. The same on a `debian` or `ubuntu`
base that apt-installs the release's `python3` with `python3-dev` or compilers; there it
is reported only when the rewrite below can be offered (DT207 reports the build packages
otherwise).

## Why is this bad?
Compilers, SDKs, package caches and the whole source tree ship with every pull, though
the running program needs only its build output and a runtime. This is usually the
largest single saving in an image (hundreds of MB), and it also removes the compiler from
the attack surface.

## Example
```dockerfile
FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /bin/app .
CMD ["/bin/app"]
```

## Use instead
```dockerfile
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /bin/app .
CMD ["/bin/app"]

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /src
COPY --from=build /bin/app /bin/app
CMD ["/bin/app"]
```

## Python: the brief's two-stage build
```dockerfile
FROM python:3.12 AS build
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
RUN python -m venv /opt/venv
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["gunicorn", "app:app"]

FROM python:3.12-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
CMD ["gunicorn", "app:app"]
```
The install commands stay as written: with `VIRTUAL_ENV` set and the venv first on
`PATH`, `pip install -r`, `pip install .`, `pip install -e .` (the source is copied to the
same path), `poetry install` (it uses the active venv, also with `virtualenvs.create
false`), `pipenv install --system` and `uv pip install` install into /opt/venv, and `uv
sync` is pointed there with `UV_PROJECT_ENVIRONMENT`. Each of these layouts is built and
started in the tests. Not rewritten: `pip install --user/--target/--prefix`, a venv of the
file's own, a named USER (the runtime has no such user), a WORKDIR of `/` or none, COPY
--from, other commands in RUNs (their effects outside the app directory would be lost),
and `-dev` packages missing from the runtime-library table (libpq-dev→libpq5,
default-libmysqlclient-dev→libmariadb3, libxml2-dev→libxml2, libxslt1-dev→libxslt1.1,
libjpeg-dev→libjpeg62-turbo, ...; libffi-dev, libssl-dev, zlib1g-dev and python3-dev need
nothing: the python image has those libraries). Other apt packages of the stage are
installed in the runtime too. Alpine tags are never rewritten.

On a `debian` or `ubuntu` base the runtime stage is the **same image**, not a python
`-slim` tag: the venv's interpreter is a link to the release's `/usr/bin/python3`, and only
the same release provably has the same Python (a python image's `-slim` tag is another
build, in `/usr/local`, usually of another version). The builder makes the venv right
after the RUN that installs `python3` (adding `python3-venv`, which Debian's ensurepip
needs, unless the file installs it); the runtime installs `python3`, the runtime libraries
and the stage's other packages, without `python3-pip`, `python3-venv`, compilers and
`-dev` packages, and keeps recommends only if the file's installs do. Not rewritten there:
Python 2 packages, a versioned `python3.X` (maybe not the release's python3), Ubuntu with
`libjpeg-dev` (its library has another name), and a pip install in the RUN that installs
python3 or before it.

## Fix safety
Review. The stage becomes the build stage (`AS build`) and a runtime stage is appended
that copies only the artifact and repeats the stage's ENV, EXPOSE, LABEL, USER, WORKDIR,
CMD and ENTRYPOINT. A simple shell-form CMD/ENTRYPOINT is carried over in exec form. Go: a static build
(`CGO_ENABLED=0`) on `gcr.io/distroless/static-debian12:nonroot` (no shell; runs as uid
65532, so no fix when the stage exposes a port below 1024);
Java: the jar named by `java -jar` on `eclipse-temurin:<N>-jre` for the build image's Java
version; .NET: the `dotnet publish -o` directory on `mcr.microsoft.com/dotnet/aspnet` of the
same tag; Node: the application directory, with dev dependencies pruned after the build, on the slim
image, or on `node:<ver>-alpine` when the build context's package-lock.json (read whole)
shows no native addon (no `gypfile`, install scripts, node-gyp/prebuild packages, or
platform packages such as `-linux-x64-gnu`); the comment names that evidence. Python is
never moved to Alpine: musl needs musllinux wheels, which this offline check cannot see.
Rust: the binary the command starts, from `target/release/` on `debian:<release>-slim` of
the build image's release (glibc must not be older); built with `--target
<arch>-unknown-linux-musl` (a static binary: musl links statically by default), from
`target/<triple>/release/` on `gcr.io/distroless/static-debian12:nonroot`, whatever the tag.
Where the evidence allows Alpine or distroless (a lockfile without native addons, a musl
target), the estimate's basis gives that image's size beside the `-slim` or glibc runtime
it replaces (from the base-image table).
Check: files the program reads at run time (templates, static assets, config) that are
not part of the artifact, packages installed with apt, and whether the code needs cgo.
No fix (the finding stays) when the artifact or runtime cannot be told from the file: no
`-o`, a wildcard jar, a HEALTHCHECK or named USER the runtime image lacks, a RUN or COPY
after the build, Rust for glibc without a Debian release in the tag, gcc.

## Size impact
The toolchain image minus the runtime image (e.g. golang:1.26 312 MB vs distroless static
about 2 MB), plus the source tree and build caches. Python on a full tag: the full image
minus its -slim tag; Python on -slim already or on a Debian/Ubuntu base: the build
packages (apt's sizes on Debian 12, so an upper bound where `python3-dev` brings the
python3 the runtime keeps). One waste, one
comment: these are the bytes of DT401's slim swap and DT207's purge, so those findings
are not shown beside this one when it has a fix or they have none (when only they have
a fix, they stay and the bytes are counted once in totals).
"""
    examples = (
        Invalid(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .\nCMD [\"/bin/app\"]\n",
            fixed="FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /bin/app .\n"
            "CMD [\"/bin/app\"]\n\nFROM gcr.io/distroless/static-debian12:nonroot\nWORKDIR /src\nCOPY --from=build /bin/app /bin/app\n"
            "CMD [\"/bin/app\"]\n",
            at="1:6-1:17",
        ),
        Invalid(
            "FROM maven:3.9-eclipse-temurin-21\nWORKDIR /app\nCOPY . .\nRUN mvn -B package -DskipTests\n"
            "EXPOSE 8080\nCMD [\"java\", \"-jar\", \"target/app.jar\"]\n",
            fixed="FROM maven:3.9-eclipse-temurin-21 AS build\nWORKDIR /app\nCOPY . .\nRUN mvn -B package -DskipTests\n"
            "EXPOSE 8080\nCMD [\"java\", \"-jar\", \"target/app.jar\"]\n\nFROM eclipse-temurin:21-jre\nWORKDIR /app\n"
            "COPY --from=build /app/target/app.jar /app/target/app.jar\nEXPOSE 8080\n"
            "CMD [\"java\", \"-jar\", \"target/app.jar\"]\n",
        ),
        Invalid(
            "FROM mcr.microsoft.com/dotnet/sdk:8.0\nWORKDIR /src\nCOPY . .\nRUN dotnet publish -c Release -o /out\n"
            "WORKDIR /out\nENTRYPOINT [\"dotnet\", \"App.dll\"]\n",
            fixed="FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nWORKDIR /src\nCOPY . .\nRUN dotnet publish -c Release -o /out\n"
            "WORKDIR /out\nENTRYPOINT [\"dotnet\", \"App.dll\"]\n\nFROM mcr.microsoft.com/dotnet/aspnet:8.0\nWORKDIR /out\n"
            "COPY --from=build /out /out\nENTRYPOINT [\"dotnet\", \"App.dll\"]\n",
        ),
        Invalid(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nENV PORT=3000\nCMD [\"node\", \"dist/main.js\"]\n",
            fixed="FROM node:20 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build && npm prune --omit=dev\n"
            "ENV PORT=3000\nCMD [\"node\", \"dist/main.js\"]\n\nFROM node:20-slim\nWORKDIR /app\nENV PORT=3000\n"
            "COPY --from=build /app /app\nCMD [\"node\", \"dist/main.js\"]\n",
        ),
        Invalid(
            "FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends libpq-dev "
            "&& rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n"
            "COPY . .\nCMD [\"gunicorn\", \"app:app\"]\n",
            fixed="FROM python:3.12 AS build\nENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\n"
            "RUN python -m venv /opt/venv\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends "
            "libpq-dev && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r "
            "requirements.txt\nCOPY . .\nCMD [\"gunicorn\", \"app:app\"]\n\nFROM python:3.12-slim\nWORKDIR /app\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*\n"
            "ENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nCOPY --from=build /opt/venv /opt/venv\n"
            "COPY --from=build /app /app\nCMD [\"gunicorn\", \"app:app\"]\n",
            note="python: the brief's builder + -slim runtime with the runtime library of libpq-dev",
        ),
        Invalid(
            "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip "
            "python3-dev gcc libpq-dev && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nCOPY . .\n"
            "RUN pip3 install --no-cache-dir --break-system-packages -r requirements.txt\nCMD [\"python3\", \"main.py\"]\n",
            fixed="FROM debian:bookworm AS build\nRUN apt-get update && apt-get install -y --no-install-recommends python3 "
            "python3-pip python3-dev gcc libpq-dev && rm -rf /var/lib/apt/lists/*\n"
            "ENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nRUN apt-get update && apt-get install -y "
            "--no-install-recommends python3-venv && rm -rf /var/lib/apt/lists/* && python3 -m venv /opt/venv\n"
            "WORKDIR /app\nCOPY . .\nRUN pip3 install --no-cache-dir --break-system-packages -r requirements.txt\n"
            "CMD [\"python3\", \"main.py\"]\n\nFROM debian:bookworm\nWORKDIR /app\nRUN apt-get update && apt-get install "
            "-y --no-install-recommends python3 libpq5 && rm -rf /var/lib/apt/lists/*\n"
            "ENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nCOPY --from=build /opt/venv /opt/venv\n"
            "COPY --from=build /app /app\nCMD [\"python3\", \"main.py\"]\n",
            note="Debian base: builder and runtime on the same image, the runtime with the release's python3 and libpq5",
        ),
        Invalid(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"node\", \"dist/main.js\"]\n",
            fixed="FROM node:20 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build && npm prune --omit=dev\n"
            "CMD [\"node\", \"dist/main.js\"]\n\nFROM node:20-alpine\nWORKDIR /app\n"
            "COPY --from=build /app /app\nCMD [\"node\", \"dist/main.js\"]\n",
            message="no native addons",
            context={"package.json": "{}", "package-lock.json": '{"lockfileVersion": 3, "packages": '
                     '{"node_modules/lodash": {"version": "4.17.21"}}}'},
            note="alpine on evidence: the lockfile has no native addon",
        ),
        Invalid(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build .\nCMD [\"./src\"]\n",
            message="golang:1.22",
            note="no -o: the binary's name is not in the file, so no rewrite",
        ),
        Invalid("FROM rust:1.79\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/app\"]\n",
                note="rust:1.79 does not say its Debian release: no runtime can be chosen safely"),
        Invalid(
            "FROM rust:1.79\nRUN rustup target add x86_64-unknown-linux-musl\nWORKDIR /app\nCOPY . .\n"
            "RUN cargo build --release --target x86_64-unknown-linux-musl\n"
            "CMD [\"/app/target/x86_64-unknown-linux-musl/release/app\"]\n",
            fixed="FROM rust:1.79 AS build\nRUN rustup target add x86_64-unknown-linux-musl\nWORKDIR /app\nCOPY . .\n"
            "RUN cargo build --release --target x86_64-unknown-linux-musl\n"
            "CMD [\"/app/target/x86_64-unknown-linux-musl/release/app\"]\n\n"
            "FROM gcr.io/distroless/static-debian12:nonroot\nWORKDIR /app\n"
            "COPY --from=build /app/target/x86_64-unknown-linux-musl/release/app "
            "/app/target/x86_64-unknown-linux-musl/release/app\n"
            "CMD [\"/app/target/x86_64-unknown-linux-musl/release/app\"]\n",
            note="a musl target is a static binary: no libc needed, so no Debian release either",
        ),
        Valid(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /bin/app .\n"
            "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /bin/app /bin/app\nCMD [\"/bin/app\"]\n",
            note="already multi-stage with a runtime final stage",
        ),
        Valid("FROM golang:1.22\nRUN go install example.com/tool@latest\n".replace("go install", "echo"),
              note="a golang image that builds nothing"),
        Valid("FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"server.js\"]\n",
              note="no build step: nothing to split"),
        Valid("FROM eclipse-temurin:21-jre\nCOPY app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n"),
        Valid(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\n",
            note="no CMD or ENTRYPOINT: a build-only image (docker build --output/--target), not a runtime",
        ),
        Valid(
            "FROM golang:1.22\nRUN go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.28\n",
            note="a tool box image without a start command: the toolchain is its purpose",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        found = final_image_root(ctx)
        if found is None:
            return
        chain, root, ref = found
        eco = toolchain_of(ref)
        if not eco:
            if python_build.is_python_image(ref) or python_build.is_distro_base(ref):
                yield from self._python(ctx, chain, root, ref)
            return
        if not any(i.keyword in ("CMD", "ENTRYPOINT") for stage in chain for i in stage.instructions):
            # no start command of its own: a build-only image (`AS build` used with
            # --target/--output), a dev container or a tool box, not an app's runtime
            return
        build = None
        for stage in reversed(chain):
            for ins in stage.instructions:
                ins = ins.effective()
                if ins.keyword == "RUN":
                    cmd = _build_step(ctx, eco, ins)
                    if cmd is not None:
                        build = Build(eco, ins, cmd)
        if build is None:
            return
        runtime = {
            "go": go_runtime, "rust": rust_runtime, "java": java_runtime, "node": node_runtime,
            "dotnet": dotnet_runtime, "c": lambda r: "",
        }[eco](ref)  # fmt: skip
        from_image = ref.with_tag(ref.tag) if ref.tag else ref.name
        evidence = ""
        alternative = ""  # the glibc/-slim runtime the evidence lets us go below
        if eco == "node":
            alpine = node_alpine_evidence(ref, ctx.build_context)
            if alpine is not None:
                alternative, (runtime, evidence) = runtime, alpine
        if eco == "rust" and _musl_target(build.cmd):
            alternative, runtime = runtime, go_runtime(ref)  # a static musl binary needs no libc
        fix = None
        if runtime and len(chain) == 1:
            fix = _Rewriter(ctx, chain[0], ref, build, runtime).fix()
            if fix is not None and evidence:
                fix = fix._replace(reason=f"{fix.reason}; Alpine (musl) because {evidence}")
        word = root.from_instruction.words(ctx.df.escape)[0]
        span = ctx.df.logical_span(root.from_instruction.body, word.start, word.end)
        message = _message(from_image, runtime)
        if evidence:
            alpine = f"toolchain `{from_image}` is the runtime image; no native addons: run on `{runtime}`"
            message = alpine if len(alpine) <= 100 else message
        yield ctx.finding(
            self,
            root.from_instruction,
            span,
            message,
            fix=fix,
            hint=SizeHint(hints.TOOLCHAIN_RUNTIME, {"from_image": from_image, "to_image": runtime, "ecosystem": eco,
                                                    **({"alternative": alternative} if alternative else {})},
                          ((base_claim(root.from_instruction),) if runtime != from_image else ())
                          + (stage_claim(root.from_instruction),)),  # fmt: skip
        )


    def _python(self, ctx: Context, chain: list[Stage], root: Stage, ref: ImageRef) -> Iterator[Finding]:
        # No start command is fine here: a python image that installs requirements is an
        # application that compose starts (DT207 reads it the same way).
        plan = python_build.plan(ctx, chain, ref)
        runtime = python_build.python_runtime(ref)
        if plan is None or not runtime:
            return
        from_image = ref.with_tag(ref.tag) if ref.tag else ref.name
        fix = None
        if len(chain) == 1:
            fix = _Rewriter(ctx, chain[0], ref, Build("python", root.from_instruction, None), runtime, plan).fix()
        if fix is None and python_build.is_distro_base(ref):
            return  # on Debian/Ubuntu only the rewrite is new: DT207 reports the build packages
        word = root.from_instruction.words(ctx.df.escape)[0]
        span = ctx.df.logical_span(root.from_instruction.body, word.start, word.end)
        # what the rewrite takes out of the final image: the stage's build, its build
        # packages (DT207's bytes) and, on a full tag, the base beyond -slim (DT401's)
        claims = (stage_claim(root.from_instruction),) + tuple(layer_claim("build-packages", i) for i in plan.install_runs)
        if runtime == from_image:
            built = ", ".join(plan.build_packages[:2]) + (" ..." if len(plan.build_packages) > 2 else "")
            message = f"{short_name(built, 40)} ship in the image; build in a stage, copy only the venv"
            hint = SizeHint(hints.BUILD_PACKAGES, {"base_image": from_image, "manager": "apt",
                                                   "packages": plan.build_packages}, claims)  # fmt: skip
        else:
            message = _message(from_image, runtime)
            hint = SizeHint(hints.TOOLCHAIN_RUNTIME, {"from_image": from_image, "to_image": runtime, "ecosystem": "python"},
                            (base_claim(root.from_instruction),) + claims)  # fmt: skip
        yield ctx.finding(self, root.from_instruction, span, message, fix=fix, hint=hint, severity=Severity.WARNING)


class _Rewriter:
    """Builds the runtime stage for one ecosystem, or gives up (``fix()`` -> None)."""

    def __init__(self, ctx: Context, stage: Stage, ref: ImageRef, build: Build, runtime: str, plan=None) -> None:
        self.ctx, self.stage, self.ref, self.build, self.runtime = ctx, stage, ref, build, runtime
        self.plan = plan
        self.text = ctx.df.text
        self.items = [i for i in stage.instructions]

    def raw(self, ins: Instruction) -> str:
        idx = self.ctx.df.index
        return self.text[idx.offset(ins.span.start) : idx.offset(ins.span.end)]

    def fix(self) -> Fix | None:
        if any(i.inner is not None or i.keyword in ("HEALTHCHECK", "ONBUILD", "SHELL") for i in self.items):
            return None
        if self.build.ecosystem != "python":  # python copies the whole app directory instead
            last_build = max(i.index for i in self.items if i.keyword == "RUN" and _build_step(self.ctx, self.build.ecosystem, i))
            if any(i.index > last_build and i.keyword in ("RUN", "COPY", "ADD") for i in self.items):
                return None
            runs = [c for s in self.ctx.scripts(self.build.ins) for c in s.commands]
            if any(c.program == "cd" for c in runs):
                return None
        wd_final = workdir_at(self.ctx.df, self.items[::-1], None)
        eco = self.build.ecosystem
        made = getattr(self, f"_{eco}")(wd_final)
        if made is None:
            return None
        copy_lines, extra_edits, head, reason = made
        meta = self._meta(wd_final)
        if meta is None:
            return None
        workdir, env_lines, tail_lines = meta
        name = self.stage.name or "build"
        edits = list(extra_edits)
        if not self.stage.name:
            if self.ctx.df.stage_named("build") is not None:
                return None
            from_ins = self.stage.from_instruction
            edits.append(Edit(Span(from_ins.span.end, from_ins.span.end), " AS build"))
        lines = [f"FROM {self.runtime}"] + workdir + env_lines + [c.replace("{stage}", name) for c in copy_lines] + tail_lines
        end = self.ctx.df.index.end_position()
        lead = "" if self.text.endswith("\n") else "\n"
        edits.append(Edit(Span(end, end), lead + head + "\n" + "\n".join(lines) + "\n"))
        try:
            return Fix("Build in a stage and run on a runtime image", tuple(edits), Safety.REVIEW, reason)
        except ValueError:
            return None

    def _meta(self, wd_final: str | None):
        env_lines, tail = [], []
        for ins in self.items:
            if ins.keyword == "ENV":
                env_lines.append(self.raw(ins))
            elif ins.keyword == "USER":
                user = ins.body.text.strip().split(":")[0]
                if self.runtime.startswith("gcr.io/distroless/") and user not in DISTROLESS_USERS:
                    return None
                if user not in ("root", "0") and self.build.ecosystem != "node" and not (
                        self.build.ecosystem == "python" and user.isdigit()):  # fmt: skip
                    return None  # a user created in the build stage does not exist in the runtime image
                # the node images' "node" user is uid 1000: numeric, so the runtime stage adds no DL3066
                tail.append("USER 1000" if user == "node" and ":" not in ins.body.text else self.raw(ins))
            elif ins.keyword in RUNTIME_META and ins.keyword != "ENV":
                text = self.raw(ins)
                if ins.keyword in ("CMD", "ENTRYPOINT") and ins.json_args is None:
                    # exec form: distroless has no shell, and a copied shell form is a new DL3025
                    words = ins.body.text.split()
                    if not words or re.search(SHELL_CHARS, ins.body.text):
                        return None
                    text = f"{ins.keyword} [" + ", ".join(f'"{w}"' for w in words) + "]"
                if ins.keyword == "EXPOSE" and self.runtime.endswith(":nonroot"):
                    if any(p.split("/")[0].isdigit() and int(p.split("/")[0]) < 1024 for p in ins.body.text.split()):
                        return None  # a non-root user cannot bind a privileged port
                tail.append(text)
        workdir = [f"WORKDIR {wd_final}"] if wd_final and wd_final != "/" else []
        return workdir, env_lines, tail

    def _entry_words(self) -> list[str]:
        words: list[str] = []
        for ins in self.items:
            if ins.keyword in ("ENTRYPOINT", "CMD"):
                words += list(ins.json_args) if ins.json_args else [w.text for w in split_words(ins.body.text)]
        return words

    def _abs(self, path: str, at: Instruction) -> str | None:
        if "$" in path or "*" in path:
            return None
        if path.startswith("/"):
            return posixpath.normpath(path)
        wd = self.ctx.workdir(at, None)
        return posixpath.normpath(posixpath.join(wd, path)) if wd else None

    def _out_flag(self, *names: str) -> str | None:
        args = list(self.build.cmd.args)
        for i, a in enumerate(args):
            for n in names:
                if a.text == n and i + 1 < len(args):
                    return args[i + 1].text
                if a.text.startswith(n + "="):
                    return a.text[len(n) + 1 :]
        return None

    # ------------------------------------------------------------ ecosystems

    def _go(self, wd_final):
        cmd = self.build.cmd
        if tool_args(cmd)[1][0].text != "build":
            return None
        out = self._out_flag("-o")
        artifact = self._abs(out, self.build.ins) if out else None
        if artifact is None or out.endswith("/"):
            return None
        entry = self._entry_words()
        if not entry or self._abs(entry[0], self.items[-1]) != artifact:
            return None
        env = self.ctx.env(self.build.ins)
        local = assigned(cmd)
        cgo = local.get("CGO_ENABLED", env.get("CGO_ENABLED"))
        edits = []
        if cgo is None:
            edits.append(Edit(Span(cmd.span.start, cmd.span.start), "CGO_ENABLED=0 "))
        elif cgo != "0":
            return None
        reason = (
            "Check that the program builds without cgo (CGO_ENABLED=0) and reads no files from the source tree "
            "at run time; the distroless image has no shell"
        )
        return [f"COPY --from={{stage}} {artifact} {artifact}"], edits, "", reason

    def _java(self, wd_final):
        entry = self._entry_words()
        if "-jar" not in entry or entry.index("-jar") + 1 >= len(entry):
            return None
        jar = self._abs(entry[entry.index("-jar") + 1], self.items[-1])
        if jar is None:
            return None
        reason = "Check that the jar is self-contained (no lib/ or config next to it) and nothing at run time needs the JDK"
        return [f"COPY --from={{stage}} {jar} {jar}"], [], "", reason

    def _dotnet(self, wd_final):
        out = self._out_flag("-o", "--output")
        out_dir = self._abs(out, self.build.ins) if out else None
        if out_dir is None:
            return None
        entry = self._entry_words()
        dll = next((w for w in entry if w.endswith(".dll")), None)
        if dll is None or not (self._abs(dll, self.items[-1]) or "").startswith(out_dir.rstrip("/") + "/"):
            return None
        reason = "Check that the app needs only the ASP.NET Core runtime (no SDK tools, no files outside the publish directory)"
        return [f"COPY --from={{stage}} {out_dir} {out_dir}"], [], "", reason

    def _node(self, wd_final):
        if not wd_final or wd_final == "/":
            return None
        managers = set()
        for ins in self.items:
            if ins.keyword != "RUN":
                continue
            for s in self.ctx.scripts(ins):
                for c in s.commands:
                    if c.program not in NODE_PACKAGE_TOOLS:
                        return None  # apt packages, global tools: lost in the runtime image
                    if c.program in ("npm", "yarn", "pnpm") and c.has_option("-g", "--global"):
                        return None
                    if c.program in ("npm", "yarn", "pnpm"):
                        managers.add(c.program)
        if len(managers) != 1 or self.ref.name != "node":
            return None
        manager = managers.pop()
        m = re.match(r"(\d+)", self.ref.tag)
        old_npm = bool(m) and int(m.group(1)) < 16
        prune = {
            "npm": "npm prune --production" if old_npm else "npm prune --omit=dev",
            "yarn": "yarn install --production --ignore-scripts --prefer-offline",
            "pnpm": "pnpm prune --prod",
        }[manager]
        reason = (
            "Check that the app needs nothing outside its directory and no devDependency at run time "
            "(ts-node, nodemon); the prune runs after the build in the build stage"
        )
        last_run = [i for i in self.items if i.keyword == "RUN"][-1]
        scripts = self.ctx.scripts(last_run)
        edit = append_command(self.ctx.df, last_run, scripts[0], prune) if len(scripts) == 1 else None
        if edit is None:
            return None
        return [f"COPY --from={{stage}} {wd_final} {wd_final}"], [edit], "", reason

    def _rust(self, wd_final):
        entry = self._entry_words()
        if not entry:
            return None
        binary = self._abs(entry[0], self.items[-1])
        triple = _musl_target(self.build.cmd)
        if binary is None or f"/target/{triple + '/' if triple else ''}release/" not in binary:
            return None
        reason = "Check that the binary needs no shared libraries beyond glibc (libssl: install it in the runtime stage)"
        if triple:
            reason = (f"Built for {triple}: a static musl binary, so it runs without a libc; check that it reads no "
                      "files from the source tree at run time; the distroless image has no shell")
        return [f"COPY --from={{stage}} {binary} {binary}"], [], "", reason

    def _c(self, wd_final):
        return None

    def _python(self, wd_final):
        made = python_build.rewrite(self.ctx, self.stage, self.plan, wd_final)
        if made is None:
            return None
        after = made.after or self.stage.from_instruction
        at = Position(after.span.end.line + 1, 1)
        head = Edit(Span(at, at), made.builder_head)
        copies = made.runtime_lines + [python_build.VENV_ENV] + made.copies
        return copies, [head], "", made.reason
