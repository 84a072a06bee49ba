from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import ShellScript
from bot.model.words import key_values, split_words
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import delete_instruction, prefix_script
from bot.rules.facts import and_chain, apt_lists_claim, single_command, unwrap
from bot.rules.managers import verb

# apt subcommands that read the package lists `apt-get update` wrote
USES_LISTS = frozenset((
    "install", "upgrade", "safe-upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download",
    "reinstall", "satisfy", "policy", "show", "search", "showpkg", "depends", "madison",
))
# instructions that neither touch the file system nor change what `apt-get update` does
NEUTRAL = frozenset(("LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT"))


def lone_update(script: ShellScript):
    """The `apt-get update` of a script that does nothing else, or None."""
    cmd = single_command(script)
    if cmd is None or len(script.commands) != 1:
        return None
    if verb(unwrap(cmd), "apt") == "update" and cmd.depth == 0:
        return cmd
    return None


def lists_user(ctx: Context, following) -> tuple[Instruction | None, list[Instruction]]:
    """The first of ``following`` (the rest of a stage) that uses apt's lists, and the
    instructions before it; (None, ...) when none does."""
    between = []
    for other in following:
        if other.keyword == "RUN" and any(_uses_lists(s) for s in ctx.scripts(other)):
            return other, between
        between.append(other)
    return None, between


def _uses_lists(script: ShellScript) -> bool:
    for c in map(unwrap, script.commands):  # sudo apt-get install x
        if verb(c, "apt") in USES_LISTS | {"update"} or c.program in ("apt-cache", "aptitude"):
            return True
    return False


def _env_names(ctx: Context, ins: Instruction) -> list[str]:
    return [k for k, _ in key_values(split_words(ins.body.text, ctx.df.escape))]


def _affects_update(name: str) -> bool:
    """ENV/ARG names apt reads while updating: proxies, APT_CONFIG, TMPDIR."""
    upper = name.upper()
    return "PROXY" in upper or upper.startswith("APT") or upper == "TMPDIR"


class AptUpdateInOwnLayer(Rule):
    id = "DT203"
    name = "apt-update-in-own-layer"
    severity = Severity.WARNING
    summary = "`apt-get update` alone in a RUN: stale package lists and an extra layer"
    # hadolint reports DL3009 on the same command; its pragma silences this rule too
    hadolint = ("DL3009",)
    fix_safety = Safety.SAFE
    size_rule = False  # the stale cache breaks builder stages too
    explanation = """
## What it does
Finds a `RUN` whose only command is `apt-get update` (or `apt update`, `aptitude update`) when a later `RUN` of the same
stage installs (or otherwise reads the package lists).

## Why is this bad?
The build cache keys a layer on its instruction text, not on time: once built,
`RUN apt-get update` is reused forever, and a later `RUN apt-get install` that
changes will install from those old lists. Mirrors drop superseded packages, so the
build breaks with `404 Not Found`, or it silently installs outdated versions. The
lone update also commits about 20 MB of lists to a layer of their own, which no
later `rm -rf /var/lib/apt/lists/*` can shrink.

## Example
```dockerfile
FROM debian:12
RUN apt-get update
RUN apt-get install -y curl
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl
```

## Fix safety
Safe: the fix deletes the lone `RUN` and runs `apt-get update &&` at the start of the
next `RUN` that uses apt, so the commands run in the same order on the same files.
It is offered only when nothing but comments and metadata instructions (`LABEL`,
`EXPOSE`, `CMD`, ...; `ENV`/`ARG` unless they set a proxy or apt variable) sit between,
and the next `RUN`'s statements are joined with `&&` only (so a failing update still
fails the build). When that `RUN` starts with its own `apt-get update`, the lone one is
just deleted. Anything else between (a `COPY`, a `RUN` that adds a repository, a
`USER`) could depend on the order; there is no fix then.

## Size impact
The apt lists of the lone layer (about 20 MB on Debian 12), counted once with DT101's
finding on the same `RUN`. No size in stages that do not reach the final image.
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
            at="2:5-2:19",
        ),
        Invalid(
            "FROM ubuntu:22.04\nRUN apt-get -qq update\nENV DEBIAN_FRONTEND=noninteractive\n"
            "# tools\nRUN apt-get install -y --no-install-recommends \\\n    git \\\n    curl\n",
            fixed="FROM ubuntu:22.04\nENV DEBIAN_FRONTEND=noninteractive\n"
            "# tools\nRUN apt-get -qq update && apt-get install -y --no-install-recommends \\\n    git \\\n    curl\n",
            note="an ENV that apt-get update does not read may sit between",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update\nRUN apt-get update && apt-get install -y curl\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
            note="the next RUN updates itself: the lone update is only deleted",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update\nCOPY sources.list /etc/apt/sources.list\nRUN apt-get install -y curl\n",
            note="a COPY between may change what update would fetch: reported without a fix",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update\nENV http_proxy=http://proxy:3128\nRUN apt-get install -y curl\n",
            note="the proxy would now apply to the update: no fix",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl || true\n",
            note="with `||` in the install RUN a failed update would no longer fail the build: no fix",
        ),
        Valid("FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"),
        Valid("FROM debian:12\nRUN apt-get update\n", note="no later RUN uses the lists (DT101 reports them)"),
        Valid(
            "FROM debian:12\nRUN apt-get update\nFROM debian:12\nRUN apt-get install -y curl\n",
            note="the install runs in another stage, which has no lists at all",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for stage in ctx.stages():
            own = [i for i in stage.instructions]
            for pos, ins in enumerate(own):
                if ins.keyword != "RUN":
                    continue
                scripts = ctx.scripts(ins)
                if len(scripts) != 1:
                    continue
                update = lone_update(scripts[0])
                if update is None or ctx.mounts_cover(ins, "/var/lib/apt/lists"):
                    continue
                target, between = lists_user(ctx, own[pos + 1 :])
                if target is None:
                    continue
                fix = self._fix(ctx, ins, update, target, between)
                hint = None
                if ctx.reaches_final(ins):
                    hint = SizeHint(hints.APT_LISTS, {"base_image": ctx.base_image(stage)}, (apt_lists_claim(ins),))
                yield ctx.finding(
                    self,
                    ins,
                    update.span,
                    f"`{unwrap(update).name} update` alone in a RUN: its lists go stale in the build cache; "
                    f"update in the RUN on line {target.line}",
                    fix=fix,
                    hint=hint,
                )

    def _fix(self, ctx: Context, lone: Instruction, update, target: Instruction, between) -> Fix | None:
        if lone.flags or target.json_args is not None or target.inner is not None:
            return None
        for other in between:
            if other.keyword in ("ENV", "ARG"):
                if any(_affects_update(k) for k in _env_names(ctx, other)):
                    return None
            elif other.keyword not in NEUTRAL:
                return None
        scripts = ctx.scripts(target)
        if len(scripts) != 1 or not scripts[0].ok or scripts[0].logical is not target.body:
            return None
        script = scripts[0]
        delete = delete_instruction(ctx.df, lone)
        first = script.commands[0] if script.commands else None
        if first is not None and first.depth == 0 and verb(unwrap(first), "apt") == "update":
            return Fix("Delete the lone apt-get update; the next RUN updates itself", (delete,), Safety.SAFE)
        if not and_chain(script):
            return None
        a = ctx.df.index.offset(update.span.start)
        b = ctx.df.index.offset(update.span.end)
        prefix = prefix_script(ctx.df, script, ctx.df.text[a:b] + " && ")
        if prefix is None:
            return None
        return Fix("Run apt-get update in the RUN that installs", (delete, prefix), Safety.SAFE)
