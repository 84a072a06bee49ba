"""Workflow commands, outputs and the job summary (the Actions side of the runner).

The runner scans stdout for ``::command::`` lines, and the messages carry PR text, so
every value is escaped (``%``, ``\\r``, ``\\n``; in properties also ``:`` and ``,``).
GitHub shows at most 10 errors, 10 warnings and 10 notices per step: we emit the most
severe first and stop at the caps; the job summary lists everything.
"""

from __future__ import annotations

import secrets
from typing import Iterable, Mapping, Sequence

from bot.model.findings import Finding
# The pure rendering lives in the report layer.
from bot.report.annotations import LEVEL, Annotation, annotation

CAP_PER_LEVEL = 10


def annotations_for(findings: Iterable[Finding], describe=None) -> tuple[list[Annotation], int]:
    """Capped annotations, most severe and largest first, plus how many were left out."""
    ordered = sorted(findings, key=lambda f: (-f.severity.rank,
                                              -(f.estimate.bytes_high if f.estimate else 0),
                                              f.path, f.span.start.line))
    counts: dict[str, int] = {}
    out: list[Annotation] = []
    left = 0
    for f in ordered:
        level = LEVEL[f.severity]
        if counts.get(level, 0) >= CAP_PER_LEVEL:
            left += 1
            continue
        counts[level] = counts.get(level, 0) + 1
        out.append(annotation(f, describe(f) if describe else None))
    return out, left


def stop_commands_token() -> str:
    """A random token for ``::stop-commands::`` around raw text we must print."""
    return secrets.token_hex(16)


def output_lines(outputs: Mapping[str, str], delimiter: str | None = None) -> str:
    """``$GITHUB_OUTPUT`` content; multi-line values use a random heredoc delimiter."""
    parts = []
    for name, value in outputs.items():
        if "\n" in value or "\r" in value:
            delim = delimiter or f"ghadelimiter_{secrets.token_hex(12)}"
            if delim in value:
                raise ValueError("output delimiter occurs in the value")
            parts.append(f"{name}<<{delim}\n{value}\n{delim}\n")
        else:
            parts.append(f"{name}={value}\n")
    return "".join(parts)


def append_file(path: str, text: str) -> bool:
    """Append to a runner file; False when there is no such file to write (local runs)."""
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)
    return True


def print_commands(lines: Sequence[str], out) -> None:
    for line in lines:
        print(line, file=out)
