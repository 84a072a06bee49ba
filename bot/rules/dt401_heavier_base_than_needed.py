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
    Variant,
    lighter_variant,
    runs_node_build,
    tool_args,
)
from bot.rules.facts import base_claim, command_needs, installs_dev_headers, short_name, unwrap

INSTALLERS = frozenset(("apt-get", "apt", "apk", "yum", "dnf", "microdnf"))
# Debian releases past their end of life (LTS included), by codename and number
EOL_DEBIAN = {"wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10"}
CURRENT_DEBIAN = "trixie"  # Debian 13, the stable release
# openjdk's images were deprecated after 11 and never had JRE tags; Temurin has JREs of the LTS releases
TEMURIN_JRE = frozenset(("17", "21", "25"))
# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
_OPENJDK_TAG = r"(\d+)(?:\.[\d.]+)?(?:-jdk)?(?:-slim)?(?:-(?:bullseye|bookworm))?"
NATIVE_BUILDERS = frozenset(("bundle", "bundler", "gem"))  # ruby gems compile C extensions
PURE_GEMS = frozenset(("bundler", "rake", "foreman"))  # plain Ruby: installing them compiles nothing


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
`eclipse-temurin:21`/`21-jdk` -> `eclipse-temurin:21-jre`, `openjdk:8`/`11` -> `-jre`,
and `openjdk:17`/`21`/`25` (`-jdk`, `-slim`) -> `eclipse-temurin:N-jre` when the image's
command runs `java` and nothing in it compiles Java. Also finds bases on a Debian release
past its end of life (`jessie`, `stretch`, `buster`, their `-slim` variants and the
language images built on them).

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
Review: slim images lack gcc, make, git, curl, wget and development headers. No `-slim`
fix when the stage builds with them: it builds gems, pip-installs a package that always
compiles (uwsgi, mysqlclient, psycopg2, ...) or any package next to installed `-dev`
headers, or runs `git`, `bower install` or `go get` (slim has no git); then the finding
proposes the multi-stage rewrite instead (build on the full image, copy the result onto
the slim one), unless the image has no `CMD`/`ENTRYPOINT` of its own: its commands come
at run time (compose's `bundle install`) and may need the full image too, so nothing is
proposed. Not reported when the stage (or its CMD/HEALTHCHECK) calls another tool
slim lacks without installing it;
a `pip install`/`npm install` of other packages may still need a compiler when no wheel
or prebuilt binary exists, which the reviewer must check. The version is never changed;
`-alpine` is proposed only on evidence, with `--online` (musl breaks glibc-built wheels
and binaries): on a `python` image whose every instruction works on Alpine as written
(pip installs, file copies, no apt-get, apk, bash, `.sh` commands or `COPY --from`), and
whose requirements (`pip install` arguments and requirements files of the build context)
are all pinned, closed under the releases' own dependencies (a full lock), and each
have a pure-Python or a musllinux wheel for that CPython version and architecture on
PyPI; a slim image then gets the Alpine proposal too, with the `-slim` size beside it. `python`/`python:latest` becomes `python:slim` (the same moving target);
`debian:latest` becomes `debian:stable-slim`. Ubuntu has no slim variant. The deprecated
`openjdk` images had JRE tags only for 8 and 11, so later versions are not reported (move
to `eclipse-temurin:N-jre`, which is built on Ubuntu: the reason says to check apt
installs). An end-of-life `debian:` base moves to `debian:trixie-slim` (Debian 13) for
review, only when nothing else in the file uses the release: no fix when it installs
packages, compiles against them, adds apt sources or keys or names the old codename
(a new release renames and upgrades packages: that move is the author's work); on a language image the version itself may
not exist on a current release, so that finding has no fix. A tag set by an `ARG` is changed only when the suffix can be
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
        Invalid("FROM python:3.12\nRUN git clone https://example.com/repo.git /src\nCMD [\"python\", \"/src/app.py\"]\n",
                message="`git` needs git: build on `python:3.12`, run on `python:3.12-slim` in a 2nd stage",
                note="git is in the full image only: no -slim fix; a second stage can run on slim"),
        Invalid("FROM python:3.12\nRUN apt-get update && apt-get install -y libpq-dev\nRUN pip install -r requirements.txt\n"
                "CMD [\"python\", \"app.py\"]\n",
                message="`pip install` with -dev headers: build on `python:3.12`",
                note="slim has no gcc: only the multi-stage rewrite is proposed"),
        Invalid("FROM node:20\nCOPY bower.json .\nRUN npm install -g bower && bower install\nCMD [\"node\", \"app.js\"]\n",
                message="`bower install` needs git: build on `node:20`, run on `node:20-slim`"),
        Invalid(
            "FROM openjdk:17-jdk-slim\nCOPY app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n",
            fixed="FROM eclipse-temurin:17-jre\nCOPY app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n",
            note="openjdk never had JRE tags after 11; Temurin's JRE of the same version",
        ),
        Valid("FROM openjdk:17-jdk-slim\nCOPY . /src\nRUN javac /src/Main.java\nCMD [\"java\", \"-cp\", \"/src\", \"Main\"]\n",
              note="compiles Java in the final stage: the JDK is used"),
        Valid("FROM openjdk:17-jdk-slim\nCOPY run.sh /\nCMD [\"/run.sh\"]\n",
              note="the command does not visibly start java: the JRE swap is not offered"),
        Invalid(
            "FROM debian:buster\nCOPY run.sh /\nCMD [\"/run.sh\"]\n",
            fixed="FROM debian:trixie-slim\nCOPY run.sh /\nCMD [\"/run.sh\"]\n",
            note="nothing here uses the release's packages: the move is a base swap",
            message="`debian:buster` is Debian 10 (buster), past its end of life: use `debian:trixie-slim`",
        ),
        Invalid(
            "FROM debian:jessie\nRUN echo 'deb http://example.com/debian jessie main' > /etc/apt/sources.list.d/x.list\n",
            message="past its end of life: move to a current release",
            note="the file adds apt sources for the old release: moving the base alone would break it, so no fix",
        ),
        Invalid("FROM python:3.7-slim-stretch\nCOPY . /app\n",
                message="built on Debian 9 (stretch), past its end of life",
                note="the language version may not exist on a current release: no fix, the author's call"),
        Valid("FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n",
              note="the health check needs curl"),
        Invalid("FROM python:3.12\nRUN pip install uwsgi\nCMD [\"uwsgi\"]\n", message="`pip install` compiles: build on",
                note="uwsgi always compiles: slim has no gcc"),
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
        instructions = [i.effective() for s in reversed(chain) for i in s.instructions]
        from_image = ref.with_tag(ref.tag) if ref.tag else ref.name
        codename = _eol_codename(ref)
        if codename:
            yield self._end_of_life(ctx, root, ref, codename, instructions)
            return
        variant = lighter_variant(ref)
        to_image = ref.with_tag(variant.tag) if variant else ""
        if ref.repository == "python" and ctx.pypi is not None and (variant is None or variant.kind == "slim"):
            from bot.rules.python_alpine import alpine_evidence

            evidence = alpine_evidence(ctx, chain, ref)
            if evidence is not None and not self._needs_full(ctx, instructions, "slim", ref.repository):
                yield self._alpine(ctx, root, ref, from_image, to_image or from_image, evidence)
                return
        if variant is None and _runs_java(instructions):
            to_image = _temurin_jre(ref)
            variant = Variant(to_image.split(":", 1)[1], "jre") if to_image else None
        if variant is None:
            return
        blocker = self._needs_full(ctx, instructions, variant.kind, ref.repository)
        if blocker:
            # with no command of its own the image runs what it is given at run time (compose's
            # `bundle install`, `rails new`): the builds that need the full image may be among
            # them, so there is no runtime to move onto slim
            has_command = any(i.keyword in ("CMD", "ENTRYPOINT") for i in instructions)
            if variant.kind == "slim" and blocker is not True and has_command:
                # slim cannot build this; a second stage can still run on it
                span = self._fix(ctx, root, ref.tag, variant.tag, variant.kind)[1]
                text = f"{blocker}: build on `{from_image}`, run on `{to_image}` in a 2nd stage"
                if len(text) > 100:
                    text = f"{blocker}: build on the full image, run on its slim variant in a 2nd stage"
                yield ctx.finding(
                    self, root.from_instruction, span, text,
                    hint=SizeHint(hints.BASE_IMAGE_SWAP, {"from_image": from_image, "to_image": to_image},
                                  (base_claim(root.from_instruction),)),
                )
            return
        new_image = to_image if ref.repository != to_image.split(":", 1)[0] else ""
        fix, span = self._fix(ctx, root, ref.tag, variant.tag, variant.kind, new_image)
        what = "a JRE of the same version" if variant.kind == "jre" else "a slim variant of the same version"
        yield ctx.finding(
            self,
            root.from_instruction,
            span,
            f"`{from_image}` has {what}: `{to_image}`",
            fix=fix,
            hint=SizeHint(hints.BASE_IMAGE_SWAP, {"from_image": from_image, "to_image": to_image},
                          (base_claim(root.from_instruction),)),
        )

    def _alpine(self, ctx: Context, root: Stage, ref, from_image: str, slim: str, evidence) -> Finding:
        """python -> python:<ver>-alpine on PyPI evidence, the -slim image beside it."""
        fix, span = self._fix(ctx, root, ref.tag, evidence.image.split(":", 1)[1], "alpine")
        message = f"`{from_image}` can run on `{evidence.image}`: PyPI has musl or pure wheels of every pin"
        if fix is not None:
            fix = fix._replace(reason=f"Alpine because {evidence.summary}; check the other files the image runs "
                               f"(Alpine has busybox sh, no bash or apt-get); `{slim}` is the glibc alternative")
        return ctx.finding(
            self, root.from_instruction, span, message, fix=fix,
            hint=SizeHint(hints.BASE_IMAGE_SWAP, {"from_image": from_image, "to_image": evidence.image,
                                                  "alternative": slim, "evidence": evidence.summary},
                          (base_claim(root.from_instruction),)),
        )

    # ------------------------------------------------------------------ facts

    def _needs_full(self, ctx: Context, instructions: list[Instruction], kind: str, repo: str) -> str | bool:
        """Why the full image is needed: a short reason when the stage builds with it
        ("`pip install` compiles"), True when it is not for us to say (a JDK or node build
        is DT402's case; a tool slim lacks may be better installed), else False."""
        installed: set[str] = set()
        packages: set[str] = set()
        for ins in instructions:
            words: list[str] = []
            if ins.keyword == "RUN":
                for script in ctx.scripts(ins):
                    for cmd in script.commands:
                        prog, args = tool_args(cmd)
                        if cmd.program in INSTALLERS:
                            for w in cmd.positionals():
                                name = w.text.split("=")[0]
                                packages.add(name)
                                installed.update(TOOL_PACKAGES.get(name, ()))
                            continue
                        words.append(cmd.program)
                        if prog == "pip" and args and args[0].text == "install" and not {"gcc", "cc"} & installed:
                            if self._compiles(args):
                                return "`pip install` compiles"
                            if installs_dev_headers(packages):
                                return "`pip install` with -dev headers"
                        # even with its own compilers, a gem build links against the -dev headers and
                        # libraries of the full image (libpq, mysql, xml...) that slim lacks
                        if kind == "slim" and cmd.program in NATIVE_BUILDERS:
                            if cmd.program != "gem" or (cmd.subcommand() == "install" and not all(
                                    w.text.split(":")[0] in PURE_GEMS for w in cmd.positionals()[1:])):
                                return f"`{cmd.program}` compiles gems"
                        if kind == "slim" and "git" not in installed:
                            git = next((n for n in command_needs(cmd) if n.kind == "git"), None)
                            if git is not None:
                                return f"{git.why} needs git"
                        if repo == "node" and runs_node_build(cmd):
                            return True  # a build step: DT402 proposes the multi-stage split
            elif ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
                body = list(ins.json_args) if ins.json_args else [w.text for w in split_words(ins.body.text)]
                words.extend(w.rsplit("/", 1)[-1] for w in body)
            for w in words:
                if kind == "jre" and w in JAVA_COMPILERS | {"jcmd", "jstack", "jmap", "jshell", "javac"}:
                    return True
                if w in FULL_ONLY_TOOLS and w not in installed and (kind == "slim" or repo == "openjdk"):
                    return True  # installing the tool on slim may be the better fix: the author's call
        return False

    @staticmethod
    def _compiles(args) -> bool:
        for a in args[1:]:
            name = re.split(r"[<>=!~\[;@ ]", a.text, maxsplit=1)[0].lower().replace("_", "-")
            if name in PIP_NEEDS_COMPILER:
                return True
        return False

    def _fix(self, ctx: Context, root: Stage, old_tag: str, new_tag: str, kind: str, new_image: str = ""):
        ins = root.from_instruction
        words = ins.words(ctx.df.escape)
        word = words[0]
        span = ctx.df.logical_span(ins.body, word.start, word.end)
        written = ins.body.text[word.start : word.end]
        if "@" in written or written != word.text:
            return None, span
        if new_image:
            if "$" in written:
                return None, span
            new_written = new_image
        elif "$" in written:
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
            + (f"; {new_image} is Temurin's build on Ubuntu: check apt-get installs" if new_image else "")
            if kind == "jre"
            else "The slim image lacks compilers, headers, git, curl and wget: check that every pip/npm/gem "
            "install finds prebuilt wheels or binaries and that no script calls those tools"
        )
        fix = Fix(f"Use the {kind} variant", (Edit(span, new_written),), Safety.REVIEW, reason)
        return fix, span

    def _end_of_life(self, ctx: Context, root: Stage, ref, codename: str, instructions) -> Finding:
        from_image = ref.with_tag(ref.tag)
        release = f"Debian {EOL_DEBIAN[codename]} ({codename})"
        fix = None
        span = self._fix(ctx, root, ref.tag, ref.tag, "slim")[1]
        tied = _tied_to_release(ctx, instructions, codename)
        if ref.repository == "debian" and not ref.registry and not ref.digest and not tied:
            target = f"{CURRENT_DEBIAN}-slim" if not self._needs_full(ctx, instructions, "slim", "debian") else CURRENT_DEBIAN
            fix, span = self._fix(ctx, root, ref.tag, target, "slim", ref.with_tag(target))
            if fix is not None:
                fix = Fix(
                    f"Move to debian:{target}",
                    fix.edits,
                    Safety.REVIEW,
                    f"{release} gets no security updates; Debian 13 renames and upgrades packages: "
                    "check every apt-get install and what the application links against",
                )
            message = f"`{from_image}` is {release}, past its end of life: use `debian:{target}`"
        elif tied and ref.repository == "debian":
            message = f"`{short_name(from_image, 40)}` is {release}, past its end of life: move to a current release"
        else:
            message = f"`{short_name(from_image, 40)}` is built on {release}, past its end of life"
        return ctx.finding(self, root.from_instruction, span, message, fix=fix)


def _eol_codename(ref) -> str:
    """The end-of-life Debian codename a tag names (``buster``, ``3.7-slim-stretch``), or ""."""
    if ref.registry or not ref.tag:
        return ""
    parts = ref.tag.split("-")
    if ref.repository == "debian":
        number = {v: k for k, v in EOL_DEBIAN.items()}.get(parts[0].split(".")[0])
        if number:
            return number
    return next((p for p in parts if p in EOL_DEBIAN), "")


def _tied_to_release(ctx: Context, instructions, codename: str) -> bool:
    """The file leans on the old release beyond FROM: it installs its packages, compiles
    against them, names the codename or adds apt sources and keys. A new release renames
    and upgrades packages (OpenSSL 3, no python2), so moving is the author's work."""
    marks = (codename, "sources.list", "apt-key", "add-apt-repository", "/etc/apt/trusted.gpg")
    for ins in instructions:
        if ins.keyword == "FROM":
            continue
        text = ins.body.text + "".join(h.body.text for h in ins.heredocs)
        if any(m in text for m in marks):
            return True
        for script in ctx.scripts(ins):
            for cmd in script.commands:
                cmd = unwrap(cmd)
                if cmd.program in ("apt-get", "apt", "aptitude", "dpkg") or any(
                    n.kind in ("compile", "cgo", "pybuild") for n in command_needs(cmd)
                ):
                    return True
    return False


def _runs_java(instructions) -> bool:
    """The image's command starts the JVM (``java -jar``), as a runtime image does."""
    for ins in instructions:
        if ins.keyword in ("CMD", "ENTRYPOINT"):
            body = list(ins.json_args) if ins.json_args else ins.body.text.split()
            if any(w.rsplit("/", 1)[-1] == "java" for w in body):
                return True
    return False


def _temurin_jre(ref) -> str:
    """``eclipse-temurin:N-jre`` for an openjdk JDK tag of a Temurin LTS version, or ""."""
    if ref.repository != "openjdk" or ref.registry or ref.digest:
        return ""
    m = re.fullmatch(_OPENJDK_TAG, ref.tag)
    if not m or m.group(1) not in TEMURIN_JRE:
        return ""
    return f"eclipse-temurin:{m.group(1)}-jre"
