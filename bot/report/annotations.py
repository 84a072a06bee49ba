"""GitHub workflow-command annotations (``::warning file=...::message``).

The one renderer of workflow commands: ``dockerdiet check --format github`` and the
action (which adds per-level caps on top) both build them here. Messages carry text
from the Dockerfile, so every value is escaped: ``%``, ``\\r``, ``\\n`` in the message,
and also ``:`` and ``,`` in properties. Nothing a Dockerfile says can start a new
workflow command.
"""

from __future__ import annotations

from bot.engine import LintResult
from bot.model.findings import Finding, Severity
from bot.model.records import Record, field

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.STYLE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Annotation(Record):
    """A record, not a dataclass: the dataclasses module (and inspect with it) is 40M
    instructions to import, a sixth of a small `check --format github`."""

    __slots__ = ()
    _fields = ("level", "file", "line", "end_line", "title", "message", "column", "end_column")
    level = field(0, "str: error | warning | notice")
    file = field(1, "str")
    line = field(2, "int")
    end_line = field(3, "int")
    title = field(4, "str")
    message = field(5, "str")
    column = field(6, "int: 0, no column (the whole line)")
    end_column = field(7, "int")

    def __new__(cls, level, file, line, end_line, title, message, column=0, end_column=0):
        return tuple.__new__(cls, (level, file, line, end_line, title, message, column, end_column))

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
