from __future__ import annotations

from typing import Iterator

from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.rules.apt_lists import later_install_needs_lists, later_unseen_script, lists_user, lone_update
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import BY_KEY
from bot.rules.edits import append_command
from bot.rules.facts import apt_lists_claim, unwrap
from bot.rules.managers import APT_FAMILY, verb

APT_LISTS = BY_KEY["apt-lists"]
CLEANUP = APT_LISTS.cleanup

class AptListsLeftInLayer(Rule):
    id = "DT101"
    name = "apt-lists-left-in-layer"
    severity = Severity.WARNING
    summary = "apt package lists left in the layer after `apt-get update`"
    hadolint = ("DL3009",)
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a `RUN` that runs `apt-get update` (or `apt update`, `aptitude update`: the same
lists) but does not remove `/var/lib/apt/lists/*`
before the layer is committed, in a stage that ends up in the final image.

## Why is this bad?
`apt-get update` downloads the package indexes (about 20 MB on Debian 12, more on
Ubuntu). They are only needed while installing; left in the layer, they ship with
every pull of the image. Deleting them in a *later* `RUN` saves nothing: the earlier
layer still holds them.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Safe: the lists are removed after every command of the `RUN` has run, so nothing in
that layer can miss them. The fix is offered only when the same `RUN` installs
something; a lone `apt-get update` is DT203's case (removing the lists there would
break the next `RUN`), and none when a later `RUN` installs without an update of its own
(`apt-get install`, or `rosdep install`, which runs apt-get). Review instead when a later `RUN` runs a script the Dockerfile
does not show (`./install.sh`, `python3 setup-ubuntu.py`, `curl ... | bash`) before
another `apt-get update`, or when the container's command runs a shell script
(`bash install.sh`, `/entrypoint.sh`): it may install with apt on these lists.

## Size impact
The size of the apt lists of the base image's distribution and release (measured:
19.9 MB on Debian 12). Not reported when a BuildKit cache mount covers
`/var/lib/apt` or in stages that do not reach the final image.
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            at="2:5-2:19",
        ),
        Invalid(
            "FROM ubuntu:22.04\nRUN apt-get update \\\n    && apt-get install -y git \\\n    && apt-get clean\n",
            fixed="FROM ubuntu:22.04\nRUN apt-get update \\\n    && apt-get install -y git \\\n    && apt-get clean \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n",
            note="continuation style (leading &&) is kept; apt-get clean does not remove lists",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update && \\\n    apt-get install -y curl  # tools\n",
            fixed="FROM debian:12\nRUN apt-get update && \\\n    apt-get install -y curl && \\\n"
            "    rm -rf /var/lib/apt/lists/*  # tools\n",
            note="trailing && style kept; the comment stays last",
        ),
        Valid(
            "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
            note="a lone update that a later RUN uses is DT203's finding (one finding per line)",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git\n",
            at="2:5-2:19",
            message="for the RUN on line 3; update, install, clean in one RUN",
            note="no fix, and no advice to remove them here: the later install has no update of its own",
        ),
        Valid("FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"),
        Valid(
            "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n"
            "    apt-get update && apt-get install -y curl\n",
            note="the lists live in a cache mount, not in the layer",
        ),
        Valid(
            "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\n"
            "FROM debian:12-slim\nCOPY --from=build /usr/bin/gcc /usr/bin/gcc\n",
            note="a builder stage: its layers do not reach the final image",
        ),
        Valid("FROM alpine:3.20\nRUN apk add --no-cache curl\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            for script in ctx.scripts(ins):
                # APT_FAMILY asked first, as verb does: most commands, two calls less each
                updates = [c for c in script.commands if c.program in APT_FAMILY and APT_LISTS.writes(c)]
                if not updates or any(APT_LISTS.cleans(c) for c in script.commands):
                    continue
                if ctx.mounts_cover(ins, APT_LISTS.defaults[0]):
                    break  # the lists live in a cache mount, not in the layer (asked only of a RUN that updates)
                update = updates[0]
                if lone_update(script) is not None and self._dt203_reports(ctx, ins):
                    break  # a lone update that a later RUN uses: DT203 says it, once per line
                later = [
                    c
                    for c in script.commands
                    if c.program in APT_FAMILY and verb(c, "apt") not in ("update", "") and c.span.start > update.span.start
                ]
                fix = None
                needing = later_install_needs_lists(ctx, ins)
                if later and needing is None:
                    edit = append_command(ctx.df, ins, script, CLEANUP)
                    unseen = later_unseen_script(ctx, ins)
                    if edit is not None and unseen is None:
                        fix = Fix("Remove the apt lists in the same RUN", (edit,), Safety.SAFE)
                    elif edit is not None:
                        where, label = unseen
                        fix = Fix("Remove the apt lists in the same RUN", (edit,), Safety.REVIEW,
                                  reason=f"{where} runs `{label}`, which this file does not show: "
                                  "if it installs with apt without its own apt-get update, it needs these lists")
                stage = ctx.stage(ins)
                if later and needing is not None:  # removing them here would break that RUN
                    message = (f"`{update.name} update` leaves the apt lists here for the RUN on line {needing}; "
                               "update, install, clean in one RUN")
                elif later:
                    message = (f"`{update.name} update` leaves the apt lists in this layer; "
                               "remove /var/lib/apt/lists/* in the same RUN")
                else:
                    message = (f"`{update.name} update` alone leaves the apt lists in this layer; "
                               "update, install and clean up in one RUN")
                yield ctx.finding(
                    self,
                    ins,
                    update.span,
                    message,
                    fix=fix,
                    hint=SizeHint(
                        APT_LISTS.kind,
                        {"base_image": ctx.base_image(stage)},
                        (apt_lists_claim(ins),),
                    ),
                )
                break

    @staticmethod
    def _dt203_reports(ctx: Context, ins) -> bool:
        stage = ctx.stage(ins)
        if stage is None or len(ctx.scripts(ins)) != 1:
            return False
        return lists_user(ctx, [i for i in stage.instructions if i.index > ins.index])[0] is not None


