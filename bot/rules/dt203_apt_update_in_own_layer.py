from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.text import Edit
from bot.model.words import key_values, split_words
from bot.rules.apt_lists import later_install_needs_lists, later_unseen_script, lists_user, lone_update
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import BY_KEY
from bot.rules.edits import append_command, delete_instruction, prefix_script
from bot.rules.facts import and_chain, apt_lists_claim, unwrap
from bot.rules.managers import verb

APT_LISTS = BY_KEY["apt-lists"]
# instructions that neither touch the file system nor change what `apt-get update` does
NEUTRAL = frozenset(("LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT"))
CLEANED = "Run apt-get update in the RUN that installs and remove the lists there"


def _updates_first(ctx: Context, ins: Instruction) -> bool:
    """Whether the first apt command of ``ins`` is an update (it fetches lists of its own)."""
    for script in ctx.scripts(ins):
        for c in map(unwrap, script.commands):
            sub = verb(c, "apt")
            if sub or c.program in ("apt-cache", "aptitude"):
                return sub == "update"
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
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Safe: the fix deletes the lone `RUN` and runs `apt-get update &&` at the start of the
next `RUN` that uses apt, so the commands run in the same order on the same files. In a
stage that reaches the final image it also removes the lists at the end of that `RUN`, as
DT101 would, unless a later `RUN` installs without its own update or runs a script this
file does not show (they may read the lists): moving the update alone saves no byte.
It is offered only when nothing but comments and metadata instructions (`LABEL`,
`EXPOSE`, `CMD`, ...; `ENV`/`ARG` unless they set a proxy or apt variable) sit between,
and the next `RUN`'s statements are joined with `&&` only (so a failing update still
fails the build). When that `RUN` starts with its own `apt-get update`, the lone one is
just deleted. Anything else between (a `COPY`, a `RUN` that adds a repository, a
`USER`) could depend on the order; there is no fix then.

## Size impact
The apt lists (about 20 MB on Debian 12) when the fix also removes them; nothing when it
only moves the update (the lists then sit in the install's layer instead), and the
finding is still reported for the stale cache. No size in stages that do not reach the
final image.
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            at="2:5-2:19",
            message="update and clean up on line 3",
        ),
        Invalid(
            "FROM ubuntu:22.04\nRUN apt-get -qq update\nENV DEBIAN_FRONTEND=noninteractive\n"
            "# tools\nRUN apt-get install -y --no-install-recommends \\\n    git \\\n    curl\n",
            fixed="FROM ubuntu:22.04\nENV DEBIAN_FRONTEND=noninteractive\n"
            "# tools\nRUN apt-get -qq update && apt-get install -y --no-install-recommends \\\n    git \\\n    curl && \\\n"
            "    rm -rf /var/lib/apt/lists/*\n",
            note="an ENV that apt-get update does not read may sit between",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nRUN apt-get install -y git\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git\n",
            message="update in the RUN on line 3",
            note="the install on line 4 still reads the lists: the update moves, the lists stay",
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
                where = f"update in the RUN on line {target.line}"
                if fix is not None and fix.title == CLEANED:
                    where = f"update and clean up on line {target.line}"
                hint = None
                if ctx.reaches_final(ins):
                    hint = SizeHint(hints.APT_LISTS, {"base_image": ctx.base_image(stage)}, (apt_lists_claim(ins),))
                yield ctx.finding(
                    self,
                    ins,
                    update.span,
                    f"`{unwrap(update).name} update` alone in a RUN: stale lists in the build cache; "
                    + where,
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
        cleanup = self._cleanup(ctx, target, script)
        if cleanup is not None:
            return Fix(CLEANED, (delete, prefix, cleanup), Safety.SAFE)
        return Fix("Run apt-get update in the RUN that installs", (delete, prefix), Safety.SAFE)

    @staticmethod
    def _cleanup(ctx: Context, target: Instruction, script) -> Edit | None:
        """The lists' removal at the end of the install RUN, when DT101 would make it safely:
        the update alone moves ~20 MB of lists from one layer to the next and saves nothing;
        with the removal the advice is whole. None where a later RUN or a script this file
        does not show may still read the lists, or where they do not reach the final image."""
        if not ctx.reaches_final(target) or ctx.mounts_cover(target, APT_LISTS.defaults[0]):
            return None
        if any(APT_LISTS.cleans(c) for c in script.commands):
            return None
        if later_install_needs_lists(ctx, target) is not None or later_unseen_script(ctx, target) is not None:
            return None
        stage = ctx.stage(target)
        user, _ = lists_user(ctx, [i for i in stage.instructions if i.index > target.index] if stage else [])
        if user is not None and not _updates_first(ctx, user):
            return None  # `apt-cache show` and the like read the lists too
        return append_command(ctx.df, target, script, APT_LISTS.cleanup)
