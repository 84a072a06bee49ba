"""GitHub workflow-command annotations (``::warning file=...::message``).

Messages carry text from the Dockerfile, so every value is escaped: ``%``, ``\\r``,
``\\n`` in the message, and also ``:`` and ``,`` in properties. Nothing a Dockerfile
says can start a new workflow command.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import LintResult
from bot.model.findings import Finding, Severity

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


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
    column: int
    end_column: int
    title: str
    message: str

    def command(self) -> str:
        props = [f"file={escape_property(self.file)}", f"line={self.line}"]
        if self.end_line > self.line:
            props.append(f"endLine={self.end_line}")
        else:  # GitHub ignores columns on multi-line annotations
            props += [f"col={self.column}", f"endColumn={self.end_column}"]
        props.append(f"title={escape_property(self.title)}")
        return f"::{self.level} {','.join(props)}::{escape_data(self.message)}"


def annotation(f: Finding, message: str | None = None) -> Annotation:
    end = f.span.end
    # a span ending at column 1 of the next line ends on the line before
    end_line = end.line - 1 if end.column == 1 and end.line > f.span.start.line else end.line
    return Annotation(
        LEVEL[f.severity],
        f.path,
        f.span.start.line,
        end_line,
        f.span.start.column,
        end.column,
        f"{f.rule_id} {f.rule_name}",
        message if message is not None else f.message,
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
