from __future__ import annotations

import re
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction, Stage
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.text import Edit
from bot.model.words import expand, split_words
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.model.images import parse_image
from bot.rules.ecosystems import (
    final_image_root,
    FULL_ONLY_TOOLS,
    JAVA_COMPILERS,
    PIP_NEEDS_COMPILER,
    TOOL_PACKAGES,
    lighter_variant,
    runs_node_build,
    tool_args,
)

INSTALLERS = frozenset(("apt-get", "apt", "apk", "yum", "dnf", "microdnf"))
NATIVE_BUILDERS = frozenset(("bundle", "bundler", "gem"))  # ruby gems compile C extensions


class HeavierBaseThanNeeded(Rule):
    id = "DT401"
    name = "heavier-base-than-needed"
    severity = Severity.WARNING
    summary = "full base image where a slim or JRE variant of the same version would do"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds a final image built on a full official image that has a lighter variant of the *same
version*: `python:3.12` -> `python:3.12-slim`, `python:3.12-bookworm` ->
`python:3.12-slim-bookworm`, `node:20` -> `node:20-slim`, `ruby:3.3` -> `ruby:3.3-slim`,
`debian:bookworm` -> `debian:bookworm-slim`, and JDK images whose stage compiles nothing:
`eclipse-temurin:21`/`21-jdk` -> `eclipse-temurin:21-jre`, `openjdk:8`/`11` -> `-jre`.

## Why is this bad?
The full python/node/ruby images are built on buildpack-deps: compilers, headers, git,
curl and hundreds of libraries that a running application rarely needs. The slim
variants carry the same language runtime on the same Debian release for a fraction of
the size; a JRE is the JDK minus the compiler and tools.

## Example
```dockerfile
FROM python:3.12
COPY app.py /app/
CMD ["python", "/app/app.py"]
```

## Use instead
```dockerfile
FROM python:3.12-slim
COPY app.py /app/
CMD ["python", "/app/app.py"]
```

## Fix safety
Review: slim images lack gcc, make, git, curl, wget and development headers. Not reported
when the stage (or its CMD/HEALTHCHECK) calls such a tool without installing it, builds
gems, or pip-installs a package that always compiles (uwsgi, mysqlclient, psycopg2, ...);
a `pip install`/`npm install` of other packages may still need a compiler when no wheel
or prebuilt binary exists, which the reviewer must check. The version is never changed;
`-alpine` is never proposed (musl breaks glibc-built wheels and binaries: the author's
call). `python`/`python:latest` becomes `python:slim` (the same moving target);
`debian:latest` becomes `debian:stable-slim`. Ubuntu has no slim variant. The deprecated
`openjdk` images had JRE tags only for 8 and 11, so later versions are not reported (move
to `eclipse-temurin:N-jre`). A tag set by an `ARG` is changed only when the suffix can be
appended after the variable (`python:${PY}` -> `python:${PY}-slim`). Digest-pinned
references get no fix. Toolchain stages that build the application are DT402's case.

## Size impact
The difference between the two base images (bundled table: e.g. python:3.12 410.9 MB vs
python:3.12-slim 43.2 MB compressed).
"""
    examples = (
        Invalid(
            "FROM python:3.12\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]\n",
            fixed="FROM python:3.12-slim\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]\n",
            at="1:6-1:17",
        ),
        Invalid("FROM python:3.12-bookworm\nRUN pip install --no-cache-dir flask\n",
                fixed="FROM python:3.12-slim-bookworm\nRUN pip install --no-cache-dir flask\n"),
        Invalid("FROM node:20 AS app\nCOPY . /app\nCMD [\"node\", \"/app/index.js\"]\n",
                fixed="FROM node:20-slim AS app\nCOPY . /app\nCMD [\"node\", \"/app/index.js\"]\n"),
        Invalid("FROM debian:bookworm\nCOPY run.sh /\nCMD [\"/run.sh\"]\n",
                fixed="FROM debian:bookworm-slim\nCOPY run.sh /\nCMD [\"/run.sh\"]\n"),
        Invalid(
            "FROM eclipse-temurin:21-jdk\nCOPY target/app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n",
            fixed="FROM eclipse-temurin:21-jre\nCOPY target/app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n",
            message="eclipse-temurin:21-jre",
        ),
        Invalid(
            "ARG PY=3.11\nFROM python:${PY}\nCOPY . /app\n",
            fixed="ARG PY=3.11\nFROM python:${PY}-slim\nCOPY . /app\n",
            note="the tag comes from an ARG: the suffix goes after the variable, --build-arg keeps working",
        ),
        Invalid(
            "FROM python:3.12\nRUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\n"
            "RUN gcc --version\n",
            fixed="FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\n"
            "RUN gcc --version\n",
            note="gcc is installed by the stage itself, so slim works",
        ),
        Valid("FROM python:3.12-slim\nCOPY app.py /app/\n", note="already slim"),
        Valid("FROM ubuntu:24.04\nCOPY app /app\n", note="ubuntu has no slim variant"),
        Valid("FROM python:3.12\nRUN git clone https://example.com/repo.git /src\n",
              note="git is in the full image only: slim would break the build"),
        Valid("FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n",
              note="the health check needs curl"),
        Valid("FROM python:3.12\nRUN pip install uwsgi\n", note="uwsgi always compiles: needs gcc"),
        Valid("FROM eclipse-temurin:21-jdk\nCOPY . /src\nRUN cd /src && ./mvnw package\n",
              note="compiles Java: the toolchain case (DT402)"),
        Valid(
            "FROM python:3.12 AS build\nRUN pip wheel -w /wheels flask\nFROM python:3.12-slim\nCOPY --from=build /wheels /wheels\n",
            note="the full image is only a builder stage",
        ),
        Valid("FROM python:3.12@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nCOPY . /app\n",
              note="pinned by digest: the slim tag needs its own digest; no report"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        found = final_image_root(ctx)
        if found is None:
            return
        chain, root, ref = found
        variant = lighter_variant(ref)
        if variant is None:
            return
        instructions = [i.effective() for s in reversed(chain) for i in s.instructions]
        if self._needs_full(ctx, instructions, variant.kind, ref.repository):
            return
        to_image = ref.with_tag(variant.tag)
        from_image = ref.with_tag(ref.tag) if ref.tag else ref.name
        fix, span = self._fix(ctx, root, ref.tag, variant.tag, variant.kind)
        what = "a JRE of the same version" if variant.kind == "jre" else "a slim variant of the same version"
        yield ctx.finding(
            self,
            root.from_instruction,
            span,
            f"`{from_image}` has {what}: `{to_image}`",
            fix=fix,
            hint=SizeHint(hints.BASE_IMAGE_SWAP, {"from_image": from_image, "to_image": to_image}),
        )

    # ------------------------------------------------------------------ facts

    def _needs_full(self, ctx: Context, instructions: list[Instruction], kind: str, repo: str) -> bool:
        installed: set[str] = set()
        for ins in instructions:
            words: list[str] = []
            if ins.keyword == "RUN":
                for script in ctx.scripts(ins):
                    for cmd in script.commands:
                        prog, args = tool_args(cmd)
                        if cmd.program in INSTALLERS:
                            for w in cmd.positionals():
                                installed.update(TOOL_PACKAGES.get(w.text.split("=")[0], ()))
                            continue
                        words.append(cmd.program)
                        if prog == "pip" and args and args[0].text == "install" and self._compiles(args):
                            if not {"gcc", "cc"} & installed:
                                return True
                        if kind == "slim" and cmd.program in NATIVE_BUILDERS and not {"gcc", "make"} <= installed:
                            if cmd.program != "gem" or cmd.subcommand() == "install":
                                return True
                        if repo == "node" and runs_node_build(cmd):
                            return True  # a build step: DT402 proposes the multi-stage split
            elif ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
                body = list(ins.json_args) if ins.json_args else [w.text for w in split_words(ins.body.text)]
                words.extend(w.rsplit("/", 1)[-1] for w in body)
            for w in words:
                if kind == "jre" and w in JAVA_COMPILERS | {"jcmd", "jstack", "jmap", "jshell", "javac"}:
                    return True
                if w in FULL_ONLY_TOOLS and w not in installed and (kind == "slim" or repo == "openjdk"):
                    return True
        return False

    @staticmethod
    def _compiles(args) -> bool:
        for a in args[1:]:
            name = re.split(r"[<>=!~\[;@ ]", a.text, maxsplit=1)[0].lower().replace("_", "-")
            if name in PIP_NEEDS_COMPILER:
                return True
        return False

    def _fix(self, ctx: Context, root: Stage, old_tag: str, new_tag: str, kind: str):
        ins = root.from_instruction
        words = ins.words(ctx.df.escape)
        word = words[0]
        span = ctx.df.logical_span(ins.body, word.start, word.end)
        written = ins.body.text[word.start : word.end]
        if "@" in written or written != word.text:
            return None, span
        if "$" in written:
            name, sep, tag_part = written.rpartition(":")
            if not sep or "$" in name or "/" in tag_part:
                return None, span  # the variable names the image itself, not only its tag
            if not old_tag or not new_tag.startswith(old_tag) or not re.search(r"\}$|\$\w+$", written):
                return None, span
            new_written = written + new_tag[len(old_tag) :]
            resolved, known = expand(new_written, ctx.df.global_args)
            ref = parse_image(resolved) if known else None
            if ref is None or ref.tag != new_tag:
                return None, span
        else:
            last = written.rsplit("/", 1)[-1]
            base = written[: len(written) - len(last)]
            new_written = base + last.split(":", 1)[0] + ":" + new_tag
        reason = (
            "The JRE has no javac, jar, jcmd or jstack: check that nothing at run time uses JDK tools"
            if kind == "jre"
            else "The slim image lacks compilers, headers, git, curl and wget: check that every pip/npm/gem "
            "install finds prebuilt wheels or binaries and that no script calls those tools"
        )
        fix = Fix(f"Use the {kind} variant", (Edit(span, new_written),), Safety.REVIEW, reason)
        return fix, span
