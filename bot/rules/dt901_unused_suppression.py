from __future__ import annotations

from typing import Iterable, Iterator

from bot.model.findings import Finding, Fix, Safety, Severity
from bot.model.pragmas import Suppression, split_codes
from bot.model.text import Edit, Position, Span
from bot.rules.base import Context, Invalid, Rule, Valid


class UnusedSuppression(Rule):
    id = "DT901"
    name = "unused-suppression"
    severity = Severity.INFO
    summary = "a `# dockerdiet ignore=` pragma that suppresses nothing"
    size_rule = False
    # run by the engine (rules.RUN_BY_ENGINE): it calls report_unused() after applying suppressions
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds `# dockerdiet ignore=...` comments (and `global ignore=`) naming a rule that
reports nothing where the comment applies, or a code that is no rule at all.

## Why is this bad?
A stale suppression hides the next real problem on that instruction, and a typo in
a code suppresses nothing while looking as if it did.

## Example
```dockerfile
FROM debian:12
# dockerdiet ignore=DT101
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Safe: it removes the comment, or only the unused codes from it. `# hadolint ignore=`
comments are never reported: hadolint may still need them.
"""
    examples = (
        Invalid(
            "FROM debian:12\n# dockerdiet ignore=DT101\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            fixed="FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            at="2:1-2:26",
        ),
        Invalid(
            "FROM debian:12\n# dockerdiet ignore=DT101,DT105  # lists are needed later\nRUN apt-get update && apt-get install -y curl\n",
            fixed="FROM debian:12\n# dockerdiet ignore=DT101  # lists are needed later\nRUN apt-get update && apt-get install -y curl\n",
            message="DT105",
        ),
        Invalid(
            "FROM debian:12\n# dockerdiet global ignore=DT999\nRUN true\n",
            fixed="FROM debian:12\nRUN true\n",
            message="unknown",
        ),
        Valid("FROM debian:12\n# dockerdiet ignore=DT101\nRUN apt-get update && apt-get install -y curl\n"),
        Valid(
            "FROM debian:12\n# hadolint ignore=DL3008\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
            note="hadolint's own pragmas are hadolint's business",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        return iter(())

    def report_unused(
        self, ctx: Context, sups: list[Suppression], used: set, ran: set[str], dl_map: dict[str, set[str]]
    ) -> Iterable[Finding]:
        for s in sups:
            if s.tool != "dockerdiet":
                continue
            unused, unknown = [], []
            for code in s.codes:
                targets = {code} if code.startswith("DT") else dl_map.get(code, set())
                known = targets & (set(ran) | _all_ids())
                if not known:
                    unknown.append(code)
                elif targets <= ran and not any((id(s), t) in used for t in targets):
                    unused.append(code)
            bad = unknown + unused
            if not bad:
                continue
            parts = []
            if unused:
                parts.append(f"{', '.join(unused)} reports nothing here")
            if unknown:
                parts.append(f"{', '.join(unknown)} is an unknown code")
            yield ctx.finding_at(
                self,
                s.span,
                "unused suppression: " + "; ".join(parts),
                fix=self._fix(ctx, s, [c for c in s.codes if c not in bad]),
            )

    def _fix(self, ctx: Context, s: Suppression, keep: list[str]) -> Fix:
        line = s.comment.line
        index = ctx.df.index
        if not keep:
            if line < index.line_count:
                span = Span(Position(line, 1), Position(line + 1, 1))
            else:
                span = Span(index.position(index.line_start(line) - 1 if line > 1 else 0), index.end_position())
            return Fix("Remove the unused suppression", (Edit(span, ""),), Safety.SAFE)
        text = index.line_text(line)
        at = text.lower().index("ignore=") + len("ignore=")
        _, rest = split_codes(text[at:])
        end = Position(line, len(text) + 1)
        new = text[:at] + ",".join(keep) + rest
        return Fix(
            "Remove the unused codes",
            (Edit(Span(Position(line, 1), end), new),),
            Safety.SAFE,
        )


def _all_ids() -> set[str]:
    """Every rule id, read from the catalogue's module names (no rule imported)."""
    from bot.rules import NAMES

    return set(NAMES)
