"""GitHub workflow-command annotations (``::warning file=...::message``).

The one renderer of workflow commands: ``dockerdiet check --format github`` and the
action (which adds per-level caps on top) both build them here. Messages carry text
from the Dockerfile, so every value is escaped: ``%``, ``\\r``, ``\\n`` in the message,
and also ``:`` and ``,`` in properties. Nothing a Dockerfile says can start a new
workflow command.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import LintResult
from bot.model.findings import Finding, Severity

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.STYLE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True, slots=True)
class Annotation:
    level: str  # error | warning | notice
    file: str
    line: int
    end_line: int
    title: str
    message: str
    column: int = 0  # 0: no column (the whole line)
    end_column: int = 0

    def command(self) -> str:
        props = [f"file={escape_property(self.file)}", f"line={self.line}"]
        if self.end_line > self.line:
            props.append(f"endLine={self.end_line}")
        elif self.column > 0:  # GitHub ignores columns on multi-line annotations
            props.append(f"col={self.column}")
            if self.end_column > self.column:
                props.append(f"endColumn={self.end_column}")
        props.append(f"title={escape_property(self.title)}")
        return f"::{self.level} {','.join(props)}::{escape_data(self.message)}"


def annotation(f: Finding, message: str | None = None) -> Annotation:
    end = f.span.end
    start_line, end_line = f.span.lines
    return Annotation(
        LEVEL[f.severity],
        f.path,
        start_line,
        end_line,
        f"{f.rule_id} {f.rule_name}",
        message if message is not None else f.message,
        column=f.span.start.column,
        end_column=end.column,
    )


def render(result: LintResult) -> str:
    lines = []
    for f in result.findings:
        msg = f.message
        if f.estimate is not None:
            from bot.estimate.format import format_estimate

            msg += f" ({format_estimate(f.estimate)})"
        lines.append(annotation(f, msg).command())
    for r in result.errors:
        lines.append(f"::error file={escape_property(r.path)}::{escape_data(r.error or '')}")
    return "".join(line + "\n" for line in lines)
