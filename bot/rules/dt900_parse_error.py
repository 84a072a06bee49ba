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
Reports the problem that makes BuildKit reject the file: an unknown instruction, a
heredoc that is never closed, an instruction before the first `FROM`, a missing or
malformed argument, an unknown flag, a bad parser directive. BuildKit stops at the first
such problem, so this rule reports that one (and says how many more follow). The rest
of the file is still checked.

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
        Invalid("FROM debian:12\nENV PATH\n", message="ENV must have two arguments"),
        Invalid("FROM debian:12\nCOPY --form=build /app /app\n", message="unknown flag: --form"),
        Invalid("FROM debian:12\nRUNN a\nRUNN b\n", at="2:1-2:5", message="1 more problem"),
        Invalid("RUN echo hi\nFROM debian:12\n", message="before the first FROM"),
        Valid("ARG BASE=debian:12\nFROM $BASE\nRUN echo hi\n"),
        Valid("FROM debian:12\nRUN echo \"<<EOF\"\nRUN echo next\n"),
        Valid("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n    c:\\\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        errors = ctx.df.errors
        if not errors:
            return
        # BuildKit's parser fails before its instruction checks run; each stops at the first
        first = min(errors, key=lambda e: (e.phase, e.span.start))
        more = len(errors) - 1
        suffix = f" ({more} more problem{'s' if more > 1 else ''} in this file)" if more else ""
        yield ctx.finding_at(self, first.span, first.message + suffix)
