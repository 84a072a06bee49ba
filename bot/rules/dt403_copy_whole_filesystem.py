from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.facts import copy_args, join_path, layer_claim

WHOLE = ("/", "/.", "/*")


class CopyWholeFilesystem(Rule):
    id = "DT403"
    name = "copy-whole-filesystem"
    severity = Severity.WARNING
    summary = "`COPY --from=<stage> / /` copies a whole filesystem over the base image"
    hadolint = ("DL3067",)
    fix_safety = Safety.DISPLAY_ONLY
    explanation = """
## What it does
Finds `COPY --from=<stage or image> / /` in a stage that reaches the final image and
that is built on a real base image (not `scratch`).

## Why is this bad?
The copy writes every file of the source filesystem into one new layer: the base
system files that the source shares with this stage's base are stored twice, and
everything the source stage installed only for building (compilers, caches, sources)
comes along. Copying only the artifacts the application needs keeps the layer small.

`FROM scratch` followed by `COPY --from=rootfs / /` is the *squash* pattern: it
flattens a prepared root filesystem into one layer and duplicates nothing, so it is
not reported (hadolint's DL3067 reports it; the waste inside the source stage is
reported by the other rules there, because that stage then reaches the final image).

## Example
```dockerfile
FROM python:3.12-slim AS build
RUN pip install --prefix=/install flask
FROM python:3.12-slim
COPY --from=build / /
```

## Use instead
```dockerfile
FROM python:3.12-slim AS build
RUN pip install --prefix=/install flask
FROM python:3.12-slim
COPY --from=build /install /usr/local
```

## Fix safety
No edit: which paths the application needs cannot be read from the Dockerfile. The
comment proposes `COPY --from` lines for the paths the source stage's own `COPY`
instructions wrote, as a starting point.

## Size impact
About the size of the source stage's filesystem (its base image plus what it added),
stored a second time on top of this stage's base.
"""
    examples = (
        Invalid(
            "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\n"
            "FROM debian:12-slim\nCOPY --from=build / /\n",
            at="4:19-4:22",
        ),
        Invalid(
            "FROM node:20 AS deps\nWORKDIR /app\nCOPY package.json .\nRUN npm install\n"
            "FROM node:20-slim\nCOPY --from=deps / /\n",
            message="--from=deps",
            note="the proposal lists /app, the folder the source stage's COPY wrote",
        ),
        Invalid(
            "FROM alpine:3.20\nCOPY --from=busybox:1.36 / /\n",
            note="an external image copied whole over a base",
        ),
        Valid(
            "FROM debian:12 AS rootfs\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
            "FROM scratch\nCOPY --from=rootfs / /\n",
            note="squash into scratch: nothing is duplicated (hadolint DL3067 reports it)",
        ),
        Valid(
            "FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM debian:12-slim\nCOPY --from=build /out/app /usr/local/bin/app\n",
            note="only the artifact",
        ),
        Valid(
            "FROM debian:12 AS build\nRUN make\nFROM debian:12-slim AS unused\nCOPY --from=build / /\n"
            "FROM debian:12-slim\nCOPY --from=build /usr/local/bin/app /usr/local/bin/\n",
            note="the stage with the whole-filesystem copy never reaches the final image",
        ),
        Valid(
            "FROM debian:12 AS build\nRUN make\nFROM debian:12-slim\nCOPY --from=build / /rootfs/\n",
            note="into a sub-folder (a chroot): not hadolint's pattern and often the point",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        df = ctx.df
        for ins in ctx.instructions("COPY", final_only=True):
            src = ins.flag("from")
            args = copy_args(df, ins)
            if src is None or not src.value or args is None or args.heredoc:
                continue
            if join_path("/", args.dest) != "/" or not any(s in WHOLE for s in args.sources):
                continue
            stage = ctx.stage(ins)
            into = ctx.base_image(stage)
            if into == "scratch" or (not into and stage is not None and stage.base == "scratch"):
                continue
            source_stage = df.stage_named(src.value)
            if source_stage is not None and stage is not None and source_stage.index >= stage.index:
                source_stage = None
            from_image = ctx.base_image(source_stage) if source_stage is not None else src.value
            label = src.value
            i = next(i for i, s in enumerate(args.sources) if s in WHOLE)
            span = (df.logical_span(ins.body, args.source_offsets[i][0], args.dest_offset[1])
                    if args.source_offsets else ins.span)
            proposal = _proposal(ctx, source_stage, label)
            yield ctx.finding(
                self,
                ins,
                span,
                f"`COPY --from={label} / /` copies its whole filesystem over {into or 'the base'}; "
                "copy only the artifacts",
                fix=Fix("Copy only the artifacts the image needs", (), Safety.DISPLAY_ONLY,
                        proposal=proposal),
                hint=SizeHint(hints.COPY_WHOLE_FS, {"from_image": from_image, "into_image": into},
                              (layer_claim("copy-whole-fs", ins),)),
            )


def _proposal(ctx: Context, source, label: str) -> str:
    """COPY --from lines for what the source stage's own COPY/ADD instructions wrote."""
    dests: list[str] = []
    if source is not None:
        for s in ctx.lineage(source):
            for ins in s.instructions:
                ins = ins.effective()
                args = copy_args(ctx.df, ins) if ins.keyword in ("COPY", "ADD") else None
                if args is None or args.heredoc:
                    continue
                wd = ctx.workdir(ins)
                if not wd or "$" in args.dest:
                    continue
                dest = join_path(wd, args.dest)
                if dest != "/" and dest not in dests:
                    dests.append(dest)
    lines = ["# copy only what the application needs at run time, for example:"]
    lines += [f"COPY --from={label} {d} {d}" for d in dests[:6]]
    lines.append("# plus what its RUN steps installed (a binary, site-packages, node_modules, ...)")
    return "\n".join(lines)
