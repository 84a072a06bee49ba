from __future__ import annotations

import re

from typing import Iterator

from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command, ShellScript
from bot.model.text import Edit, Span
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import APK_VALUES, BY_KEY, apk_verb
from bot.rules.edits import append_command, insert_after
from bot.rules.facts import cache_claim, mount_overlaps, program_args, removes_dir, unwrap

FLAG = "--no-cache"
APK = BY_KEY["apk"]
CACHE_DIRS = APK.defaults
CLEANUP = APK.cleanup
QUIET = frozenset(("-q", "--quiet", "--no-progress", "-v", "--verbose"))
VALUE_OPTIONS = APK_VALUES


def _between(ctx: Context, a: Span, b: Span) -> str:
    idx = ctx.df.index
    return ctx.df.text[idx.offset(a.start) : idx.offset(b.start)]


def _drop_update(ctx: Context, script: ShellScript, cmds: list[Command], i: int) -> Edit | None:
    """Delete ``apk update && `` when only ``apk add`` commands follow it in the same
    shell list (they fetch the index themselves once they have --no-cache), or None
    when the shape is not that simple."""
    update = cmds[i]
    if i + 1 >= len(cmds) or update.depth != 0 or update.assignments or unwrap(update) is not update:
        return None  # nested, `X=1 apk update`, `sudo apk update`: leave it
    if update.operator_before not in ("", "&&", ";", "\n"):
        return None
    if any(a.text != "update" and a.text not in QUIET for a in update.args):
        return None  # options such as -X URL change what the following add would see
    nxt = cmds[i + 1]
    if nxt.depth != 0 or nxt.operator_before not in ("&&", ";", "\n") or apk_verb(unwrap(nxt)) != "add":
        return None
    if any(apk_verb(c) not in ("", "add") for c in map(unwrap, cmds[i + 1 :])):
        return None  # e.g. apk upgrade, apk search: they read the index apk update wrote
    between = _between(ctx, update.span, nxt.span)
    if "#" in between or "|" in between or "(" in between:
        return None
    return Edit(Span(update.span.start, nxt.span.start), "")


class ApkCacheInLayer(Rule):
    id = "DT103"
    name = "apk-cache-in-layer"
    severity = Severity.WARNING
    summary = "`apk add` without `--no-cache`, or `apk update`, leaves the package index in the layer"
    hadolint = ("DL3019",)
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a `RUN` in a stage that ends up in the final image where `apk add` runs without
`--no-cache`, or `apk update` runs, and the same `RUN` does not remove
`/var/cache/apk/*` afterwards.

## Why is this bad?
Without `--no-cache`, apk stores the repository indexes (`APKINDEX.*.tar.gz`, a few
MB per repository) in `/var/cache/apk`. `apk update` does the same even when the
following `apk add` has `--no-cache`. With `--no-cache`, apk fetches fresh indexes
into memory and keeps nothing, so `apk update` is redundant.

## Example
```dockerfile
FROM alpine:3.20
RUN apk update && apk add curl
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN apk add --no-cache curl
```

## Fix safety
Safe: `apk add --no-cache` fetches the same current indexes that `apk update` would,
and installs the same packages; only the stored indexes are gone. `apk update` is
dropped only when nothing but `apk add` follows it in the `RUN`; otherwise the fix
appends `rm -rf /var/cache/apk/*` instead.

Not reported when a BuildKit cache mount covers `/var/cache/apk` (or
`/etc/apk/cache`), when the same `RUN` removes `/var/cache/apk/*` after the last apk
command, or in stages that do not reach the final image.

## Size impact
The Alpine repository indexes of the base image's release (main and community:
about 2-3 MB).
"""
    examples = (
        Invalid(
            "FROM alpine:3.20\nRUN apk add curl\n",
            fixed="FROM alpine:3.20\nRUN apk add --no-cache curl\n",
            at="2:5-2:17",
        ),
        Invalid(
            "FROM alpine:3.20\nRUN apk update && apk add curl git\n",
            fixed="FROM alpine:3.20\nRUN apk add --no-cache curl git\n",
            at="2:5-2:15",
            message="`apk update`",
        ),
        Invalid(
            "FROM alpine:3.20\nRUN apk update \\\n    && apk upgrade \\\n    && apk add --virtual .deps gcc\n",
            fixed="FROM alpine:3.20\nRUN apk update \\\n    && apk upgrade \\\n    && apk add --no-cache --virtual .deps gcc \\\n"
            "    && rm -rf /var/cache/apk/*\n",
            note="apk upgrade reads the index apk update stored: keep the update, remove the cache at the end",
        ),
        Invalid(
            "FROM alpine:3.20\nRUN set -eux; \\\n    apk update; \\\n    apk add --no-cache bash\n",
            fixed="FROM alpine:3.20\nRUN set -eux; \\\n    apk add --no-cache bash\n",
            note="hadolint's DL3019 misses this: --no-cache on the add does not undo the update's stored index",
        ),
        Invalid(
            "FROM python:3.12-alpine\nRUN apk --update add make\n",
            fixed="FROM python:3.12-alpine\nRUN apk --update add --no-cache make\n",
        ),
        Valid("FROM alpine:3.20\nRUN apk add --no-cache curl\n"),
        Valid("FROM alpine:3.20\nRUN apk add curl && rm -rf /var/cache/apk/*\n",
              note="the index is removed in the same layer (hadolint's DL3019 still reports it)"),
        Valid(
            "FROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n",
            note="the index lives in a BuildKit cache mount",
        ),
        Valid(
            "FROM alpine:3.20 AS build\nRUN apk add gcc musl-dev\nFROM scratch\nCOPY --from=build /out /out\n",
            note="a builder stage: its layers do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            mounts = ctx.cache_mounts(ins)
            if any(mount_overlaps(mounts, d) for d in CACHE_DIRS):
                continue
            for script in ctx.scripts(ins):
                finding = self._check_script(ctx, ins, script)
                if finding is not None:
                    yield finding

    def _check_script(self, ctx: Context, ins: Instruction, script: ShellScript) -> Finding | None:
        cmds = list(script.commands)
        inner = [unwrap(c) for c in cmds]
        writers = [
            i for i, c in enumerate(inner)
            if APK.writes(c) and not APK.disabled(c, {})
        ]  # `apk --no-cache update` only checks the repositories: it stores nothing
        if not writers:
            return None
        if any(removes_dir(c, CACHE_DIRS[0]) for c in inner[writers[-1] + 1 :]):
            return None
        adds = [i for i in writers if apk_verb(inner[i]) == "add"]
        updates = [i for i in writers if apk_verb(inner[i]) == "update"]
        # a RUN with only `apk update` feeds a later RUN: leave its index alone (DT203's case)
        fix = None
        if script.ok and any(apk_verb(c) == "add" for c in inner):
            fix = self._fix(ctx, ins, script, cmds, inner, adds, updates)
        first = cmds[writers[0]]
        if updates and updates[0] == writers[0]:
            message = "`apk update` stores the package index in this layer and nothing removes it"
        else:
            message = f"`apk add` without `{FLAG}` stores the package index in this layer"
        packages = tuple(
            re.split(r"[=<>~]", w.text, 1)[0]
            for c in inner
            if apk_verb(c) == "add"
            for w in program_args(c, VALUE_OPTIONS)[1:]
            if not w.dynamic and not w.text.startswith(".")  # .build-deps names a virtual package
        )
        return ctx.finding(
            self,
            ins,
            first.span,
            message,
            fix=fix,
            hint=SizeHint(
                APK.kind,
                {"base_image": ctx.base_image(ctx.stage(ins)), "packages": packages},
                (cache_claim(APK.kind, ins),),
            ),
        )

    def _fix(self, ctx, ins, script, cmds, inner, adds, updates) -> Fix | None:
        edits: list[Edit] = [insert_after(program_args(inner[i], VALUE_OPTIONS)[0], f" {FLAG}") for i in adds]
        if not updates:
            return Fix("Add --no-cache to apk add", tuple(edits), Safety.SAFE)
        # Every apk add of the RUN gets --no-cache, so the updates only feed them.
        drops = [_drop_update(ctx, script, cmds, i) for i in updates]
        every_add_fixed = all(
            inner[j].has_option(FLAG) or j in adds for j, c in enumerate(inner) if apk_verb(c) == "add"
        )
        if all(d is not None for d in drops) and every_add_fixed:
            edits.extend(d for d in drops if d is not None)
            return Fix("Drop apk update and add --no-cache", tuple(edits), Safety.SAFE)
        sudo = any(c.program == "sudo" and apk_verb(unwrap(c)) for c in cmds)  # a non-root USER needs it for rm too
        tail = append_command(ctx.df, ins, script, f"sudo {CLEANUP}" if sudo else CLEANUP)
        if tail is None:
            return None
        edits.append(tail)
        return Fix("Add --no-cache and remove the apk cache in the same RUN", tuple(edits), Safety.SAFE)
