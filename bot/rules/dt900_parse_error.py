from __future__ import annotations

from typing import Iterator

from bot.model.findings import Finding, Severity
from bot.rules.base import Context, Invalid, Rule, Valid


class ParseError(Rule):
    id = "DT900"
    name = "parse-error"
    severity = Severity.ERROR
    summary = "part of the file cannot be parsed as a Dockerfile"
    hadolint = ("DL1000",)
    size_rule = False
    explanation = """
## What it does
Reports the parts of a file that a Docker builder would reject: an unknown
instruction, a heredoc that is never closed, an instruction before the first `FROM`.
The rest of the file is still checked.

## Why is this bad?
`docker build` stops at the first such line, so the image cannot be built at all.
Every other finding on the file is less important than this one.

## Example
```dockerfile
FROM debian:12
RUNN apt-get update
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update
```

## Fix safety
No fix: only the author knows what was meant.
"""
    examples = (
        Invalid("FROM debian:12\nRUNN apt-get update\n", at="2:1-2:5", message="unknown instruction"),
        Invalid("FROM debian:12\nRUN <<EOF\napt-get update\n", message="never closed"),
        Invalid("RUN echo hi\nFROM debian:12\n", message="before the first FROM"),
        Valid("ARG BASE=debian:12\nFROM $BASE\nRUN echo hi\n"),
        Valid("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n    c:\\\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for err in ctx.df.errors:
            yield ctx.finding_at(self, err.span, err.message)
