from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.dt201_cleanup_in_later_layer import later_cleanups
from bot.rules.apt_lists import lone_update
from bot.rules.edits import merge_runs
from bot.rules.facts import layer_claim, shell_effects, single_command
from bot.rules.managers import command_kind, step_kind

REASON = (
    "merging trades build-cache reuse for a layer: when either command changes, both re-run; "
    "keep slow, rarely changing steps in their own RUN"
)


class ConsecutiveRuns(Rule):
    id = "DT204"
    name = "consecutive-runs"
    severity = Severity.INFO
    summary = "consecutive single-command RUNs that could be one layer"
    hadolint = ("DL3059",)
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds a `RUN` of a single command that directly follows another single-command `RUN`
in a stage that reaches the final image, when merging them is plainly right: both are
steps of the same package manager (`apt-get install`, `apk add`, `pip install`, ...)
or both are file-system steps (`mkdir`, `chmod`, `ln`, `useradd`, ...), the first
leaves no shell state behind, and nothing sits between them (a comment or blank line
between is the author's structure and is kept). Like hadolint's DL3059, RUNs that
already chain several commands are left alone: their author chose the split.

## Why is this bad?
Every `RUN` commits a layer. Layers cost a little metadata and pull time each, and
files changed by both commands are stored twice; a file written in one layer and
deleted in the next is not deleted at all.

## Example
```dockerfile
FROM python:3.12-slim
RUN pip install --no-cache-dir flask
RUN pip install --no-cache-dir gunicorn
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN pip install --no-cache-dir flask && \\
    pip install --no-cache-dir gunicorn
```

## Fix safety
Needs review. The merged `RUN` behaves the same only because the rule checks that
the first command leaves no shell state behind (`cd`, `export`, `set`, `source`,
`.`, `alias`, `ulimit`, `umask`, a background `&`), that both are shell form with the
same flags (`--mount`, `--network`) and no heredoc, and that the two RUNs are on
adjacent lines: no comment moves into a RUN and no blank line is lost. But merging
changes caching. Two exec-form RUNs (`RUN ["a"]`) are reported without a fix: they
run no shell, so joining them means choosing one.

### Drawbacks
As hadolint's DL3059 page says, separate layers are sometimes what you want: a slow
step that rarely changes (installing a toolchain) in its own `RUN` stays cached while
a later, often-changing step re-runs. Merged, any edit to either command re-runs
both. Keep them apart when that is the point, and suppress the finding with
`# dockerdiet ignore=DT204`.

## Size impact
A layer's metadata; more only when the second command rewrites or deletes what the
first wrote. Not reported in stages that do not reach the final image.
"""
    examples = (
        Invalid(
            "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\nRUN pip install --no-cache-dir gunicorn\n",
            fixed="FROM python:3.12-slim\nRUN pip install --no-cache-dir flask && \\\n"
            "    pip install --no-cache-dir gunicorn\n",
            at="3:1-3:4",
        ),
        Invalid(
            "FROM alpine:3.20\nRUN mkdir -p /data\nRUN adduser -D app\n",
            fixed="FROM alpine:3.20\nRUN mkdir -p /data && \\\n    adduser -D app\n",
            note="file-system steps: creating a directory and a user",
        ),
        Valid("FROM alpine:3.20\nRUN mkdir -p /data\n# the app's user\nRUN adduser -D app\n",
              note="a comment between is the author's structure: it stays outside any RUN"),
        Valid("FROM centos:7\nRUN R CMD javareconf\nRUN yum install -y libxml2\n",
              note="unrelated steps: configuring R, then installing packages"),
        Valid("FROM python:3.12\nRUN pip install flask\nRUN npm install -g yarn\n",
              note="two different package managers: each keeps its own cached layer"),
        Invalid(
            "FROM alpine:3.20\nRUN mkdir /a\nRUN mkdir /b\nRUN mkdir /c\n",
            fixed="FROM alpine:3.20\nRUN mkdir /a && \\\n    mkdir /b && \\\n    mkdir /c\n",
            note="a run of three merges into one",
        ),
        Valid("FROM alpine:3.20\nWORKDIR /src\nRUN cd /src/app\nRUN make\n",
              note="the cd would change the directory make runs in"),
        Valid("FROM alpine:3.20\nRUN mkdir /a\nWORKDIR /a\nRUN mkdir b\n"),
        Valid("FROM alpine:3.20\nRUN apk add --no-cache git && git --version\nRUN mkdir /a\n",
              note="a RUN that already chains commands: the split looks deliberate (as DL3059)"),
        Valid("FROM alpine:3.20\nRUN --mount=type=cache,target=/root/.cache pip install a\nRUN pip install b\n",
              note="different flags"),
        Invalid('FROM alpine:3.20\nRUN ["mkdir", "/a"]\nRUN ["mkdir", "/b"]\n',
                note="exec form runs no shell: reported, but joining them is left to the author"),
        Valid(
            "FROM golang:1.22 AS build\nRUN go mod download\nRUN go build -o /app\n"
            "FROM gcr.io/distroless/base\nCOPY --from=build /app /app\n",
            note="a builder stage: its layers never reach the final image",
        ),
        Valid("FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
              note="DT203's case: it merges the lone update"),
        Valid("FROM python:3.12\nRUN pip install flask\nRUN rm -rf /root/.cache/pip\n",
              note="DT201's case: a cleanup in a later layer"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for stage in ctx.stages(final_only=True):
            own = stage.instructions
            for prev, ins in zip(own, own[1:]):
                if prev.keyword != "RUN" or ins.keyword != "RUN":
                    continue
                if ins.span.start.line != prev.span.end.line + 1:
                    continue  # a blank line or comment between: the author's structure
                if prev.json_args is not None and ins.json_args is not None:
                    if prev.flags or ins.flags or not self._same_exec_kind(prev, ins):
                        continue
                    fix = None  # exec form runs no shell: joining needs a rewrite the author should choose
                else:
                    fix = self._merge(ctx, prev, ins)
                    if fix is None:
                        continue
                yield ctx.finding(
                    self,
                    ins,
                    ins.keyword_span,
                    f"RUN on line {prev.line} and this one could be one layer; join them with &&",
                    fix=fix,
                    hint=SizeHint(hints.MERGE_RUNS, {"count": 1}, (layer_claim("merge", ins),)),
                )

    @staticmethod
    def _same_exec_kind(first: Instruction, second: Instruction) -> bool:
        a, b = first.json_args, second.json_args
        if not a or not b:
            return False
        kind = step_kind(a[0], list(a[1:]))
        return kind is not None and kind == step_kind(b[0], list(b[1:]))

    def _merge(self, ctx: Context, first: Instruction, second: Instruction) -> Fix | None:
        if [(f.name, f.value) for f in first.flags] != [
            (f.name, f.value) for f in second.flags
        ]:
            return None
        a, b = ctx.scripts(first), ctx.scripts(second)
        if len(a) != 1 or len(b) != 1:
            return None
        # the kinds of the one top-level command of each, before single_command walks each tree
        # (it answers that command or None): most neighbours run different kinds of step
        tops = a[0].top_level(), b[0].top_level()
        if len(tops[0]) != 1 or len(tops[1]) != 1:
            return None
        kind = command_kind(tops[0][0])
        if kind is None or kind != command_kind(tops[1][0]):
            return None
        if single_command(a[0]) is None or single_command(b[0]) is None:
            return None
        if shell_effects(a[0]) or later_cleanups(ctx, second):
            return None
        if lone_update(a[0]) is not None or lone_update(b[0]) is not None:
            # DT203 moves a lone update forward into the RUN that installs
            return None
        edit = merge_runs(ctx.df, first, a[0], second, b[0])
        if edit is None:
            return None
        return Fix("Join the two RUNs with &&", (edit,), Safety.REVIEW, reason=REASON)
