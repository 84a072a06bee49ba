from __future__ import annotations

import fnmatch
import shlex
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Word
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import append_command
from bot.rules.facts import (
    archive_claim,
    command_dirs,
    unpacks_or_installs,
    downloads,
    resolve,
    rm_covers,
    short_name,
)


def _same_file(word: Word, target: str, path: str, cwd: str, home: str) -> bool:
    """Does ``word`` (run in ``cwd``) name the downloaded file?"""
    text = word.text
    if path:
        other = resolve(text, cwd, home)
        if other:
            return other == path or (any(c in other for c in "*?[") and fnmatch.fnmatchcase(path, other))
    strip = lambda t: t[2:] if t.startswith("./") else t  # noqa: E731
    return strip(text) == strip(target)


# the programs whose commands ``downloads`` reads (it answers nothing for any other)
DOWNLOADERS = frozenset(("curl", "wget"))

class DownloadedArchiveLeft(Rule):
    id = "DT205"
    name = "downloaded-archive-left"
    severity = Severity.WARNING
    summary = "downloaded archive or installer not removed in the same RUN"
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a file that `curl -o`/`curl -O`/`wget` writes and the same `RUN` then extracts,
installs or runs (`tar x`, `unzip`, `dpkg -i`, `rpm -i`, `sh installer.sh`,
`pip install x.whl`, `cp`/`install` to another place), but never deletes.

## Why is this bad?
Once extracted or installed, the download is dead weight: the layer stores both the
archive and what came out of it. Deleting it in a later `RUN` saves nothing (DT201).
A file that is downloaded and used as it is (a `.jar` that is run at start-up) is the
product, not waste, and is not reported; neither is `curl URL | tar x`, which never
writes the archive.

## Example
```dockerfile
FROM debian:12
RUN curl -fsSLo /tmp/node.tar.xz https://nodejs.org/dist/v20.15.0/node-v20.15.0-linux-x64.tar.xz \\
    && tar -xJf /tmp/node.tar.xz -C /usr/local --strip-components=1
```

## Use instead
```dockerfile
FROM debian:12
RUN curl -fsSLo /tmp/node.tar.xz https://nodejs.org/dist/v20.15.0/node-v20.15.0-linux-x64.tar.xz \\
    && tar -xJf /tmp/node.tar.xz -C /usr/local --strip-components=1 \\
    && rm -f /tmp/node.tar.xz
```
or stream it without a file: `curl -fsSL URL | tar -xJ -C /usr/local --strip-components=1`.

## Fix safety
Safe: `rm -f <path>` runs after every other command of the `RUN`, so everything that
used the file has finished, and `-f` never fails. The fix is offered only when the
path is known exactly (no variables, a known working directory) and no later
instruction mentions the file. Otherwise the finding comes without a fix.

## Size impact
The size of the downloaded file (estimated from the URL where possible).
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz && tar xzf /tmp/app.tgz -C /opt\n",
            fixed="FROM debian:12\nRUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz && tar xzf /tmp/app.tgz -C /opt"
            " && rm -f /tmp/app.tgz\n",
            at="2:5-2:57",
        ),
        Invalid(
            "FROM debian:12\nWORKDIR /tmp\nRUN wget -q https://example.com/pkg_1.0_amd64.deb \\\n"
            "    && dpkg -i pkg_1.0_amd64.deb\n",
            fixed="FROM debian:12\nWORKDIR /tmp\nRUN wget -q https://example.com/pkg_1.0_amd64.deb \\\n"
            "    && dpkg -i pkg_1.0_amd64.deb \\\n    && rm -f /tmp/pkg_1.0_amd64.deb\n",
            note="wget without -O writes the URL's file name into the working directory",
        ),
        Invalid(
            "FROM debian:12\nRUN cd /opt && curl -LO https://example.com/tool.zip && unzip tool.zip\n",
            fixed="FROM debian:12\nRUN cd /opt && curl -LO https://example.com/tool.zip && unzip tool.zip"
            " && rm -f /opt/tool.zip\n",
        ),
        Invalid(
            "FROM debian:12\nRUN curl -fsSL -o install.sh https://get.example.com && sh install.sh\n",
            fixed="FROM debian:12\nRUN curl -fsSL -o install.sh https://get.example.com && sh install.sh"
            " && rm -f install.sh\n",
            note="an installer that ran is waste too; no WORKDIR is known, so the name stays relative",
        ),
        Invalid(
            'FROM debian:12\nARG V=1.2\nRUN wget -O /tmp/x-$V.tgz "https://example.com/x-$V.tgz" && tar xzf /tmp/x-$V.tgz\n',
            note="a path with a variable: reported without a fix",
        ),
        Invalid(
            "FROM debian:12\nRUN curl -o /tmp/t.tgz https://example.com/t.tgz\nRUN tar -xzf /tmp/t.tgz -C /opt\n",
            at="2:5-2:49",
            message="the RUN on line 3 uses it",
            note="unpacked by a later RUN: no simple fix, the two RUNs must become one",
        ),
        Valid("FROM debian:12\nRUN curl -fsSL https://example.com/app.tgz | tar xz -C /opt\n",
              note="streamed: no file is written"),
        Valid("FROM eclipse-temurin:21-jre\nRUN curl -fsSLo /app.jar https://example.com/app.jar\n",
              note="the download is the product"),
        Valid(
            "FROM debian:12\nRUN wget https://example.com/a.tar.gz && tar xzf a.tar.gz && rm a.tar.gz\n",
        ),
        Valid(
            "FROM debian:12\nRUN curl -o /tmp/a.tgz https://example.com/a.tgz && tar xzf /tmp/a.tgz && rm -rf /tmp/*\n",
            note="removed with its directory",
        ),
        Valid(
            "FROM debian:12\nRUN wget -qO- https://example.com/a.tgz | tar xz\n",
            note="-O- writes to stdout",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for run in ctx.runs(final_only=True):
            if not any(c.program in DOWNLOADERS for script in ctx.scripts(run) for c in script.commands):
                continue  # no download here (most RUNs): no need of where the RUN runs
            before = list(ctx.before(run))
            home = ctx.home(run)
            start = ctx.workdir(run) or ""
            for script in ctx.scripts(run):
                dirs = command_dirs(script, start)
                cmds = script.commands
                for i, cmd in enumerate(cmds):
                    for d in downloads(cmd):
                        path = resolve(d.target, dirs[i], home) if d.static else ""
                        if path and ctx.mounts_cover(run, path):
                            continue
                        later = list(enumerate(cmds))[i + 1 :]

                        def names(w: Word, j: int) -> bool:
                            return _same_file(w, d.target, path, dirs[j], home)

                        if self._removed(later, d.target, path, dirs, home):
                            continue
                        name = path.rsplit("/", 1)[-1] if path else d.target
                        fix = None
                        if any(unpacks_or_installs(c, lambda w, j=j: names(w, j), name) for j, c in later):
                            rm_path = path
                            if not d.target.startswith("/") and not command_dirs(script, "")[i] and not any(
                                x.keyword == "WORKDIR" for x in before
                            ):
                                # the base image's WORKDIR is unknown: name the file as the
                                # download did, if the RUN stays in that directory
                                moved = any(c.program in ("cd", "pushd", "popd") for c in cmds[i + 1 :])
                                rm_path = "" if moved else d.target
                            fix = self._fix(ctx, run, script, path, rm_path) if rm_path else None
                            message = f"downloaded `{short_name(name)}` is unpacked or installed, never deleted in this RUN"
                        elif path and (user := self._later_consumer(ctx, run, path, home, name)) is not None:
                            message = f"downloaded `{short_name(name)}` stays in this layer; the RUN on line {user.line} uses it"
                        else:
                            continue
                        yield ctx.finding(
                            self,
                            run,
                            cmd.span,
                            message,
                            fix=fix,
                            hint=SizeHint(hints.ARCHIVE_LEFT, {"url": d.url, "path": path or d.target},
                                          (archive_claim(path or d.target, run),)),
                        )

    @staticmethod
    def _later_consumer(ctx: Context, run: Instruction, path: str, home: str, name: str) -> Instruction | None:
        """A later RUN of the same stage that unpacks or installs the file."""
        stage = ctx.stage(run)
        if stage is None:
            return None
        for other in stage.instructions:
            other = other.effective()
            if other.index <= run.index or other.keyword != "RUN":
                continue
            start = ctx.workdir(other) or ""
            for script in ctx.scripts(other):
                dirs = command_dirs(script, start)
                for j, c in enumerate(script.commands):
                    if unpacks_or_installs(c, lambda w, j=j: bool(resolve(w.text, dirs[j], home) == path), name):
                        return other
        return None

    @staticmethod
    def _removed(later, target: str, path: str, dirs, home: str) -> bool:
        for j, c in later:
            if c.program == "mv" and any(_same_file(w, target, path, dirs[j], home) for w in c.positionals()[:-1]):
                return True
            if c.program in ("gunzip", "unxz", "bunzip2") or (
                c.program in ("gzip", "xz", "bzip2") and c.has_option("-d", "--decompress")
            ):
                if not c.has_option("-k", "--keep") and any(
                    _same_file(w, target, path, dirs[j], home) for w in c.positionals()
                ):
                    return True
            if c.program != "rm":
                continue
            if path and rm_covers(c, path, dirs[j], home) is not False:
                return True  # covered, or an rm we cannot read: stay quiet
            if not path and any(
                w.text == target or w.dynamic or "*" in w.text for w in c.positionals()
            ):
                return True
        return False

    def _fix(self, ctx: Context, run: Instruction, script, path: str, rm_path: str) -> Fix | None:
        name = path.rsplit("/", 1)[-1]
        for other in ctx.instructions():
            if other.index <= run.index:
                continue
            if other.keyword == "RUN":
                words = [w.text for s in ctx.scripts(other) for c in s.commands for w in c.args]
            else:
                words = [w.text for w in other.words(ctx.df.escape)]
            if any(name in w for w in words):
                return None
        edit = append_command(ctx.df, run, script, f"rm -f {shlex.quote(rm_path)}")
        if edit is None:
            return None
        return Fix("Delete the download in the same RUN", (edit,), Safety.SAFE)
