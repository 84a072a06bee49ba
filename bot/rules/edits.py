"""Building fix edits that keep the author's layout.

A command appended to a multi-line RUN follows the file's continuation style
(``&& \\`` at line ends, or ``&&`` leading the next line) and its indentation.
"""

from __future__ import annotations

from bot.model.dockerfile import Dockerfile, Instruction
from bot.model.shell import Command, ShellScript, Word
from bot.model.text import Edit, Position, Span


def _point(pos: Position) -> Span:
    return Span(pos, pos)


def append_command(df: Dockerfile, ins: Instruction, script: ShellScript, command: str) -> Edit | None:
    """An edit that runs ``command`` after everything else in the same RUN, or None
    when the script's shape gives no safe place (exec form, a trailing ``&``)."""
    if not script.ok or not script.commands:
        return None
    heredoc = next((h for h in ins.heredocs if h.body is script.logical), None)
    if heredoc is not None:
        if not heredoc.closed:
            return None
        # a new line before the terminator, indented like the body's last line
        last = script.commands[-1]
        indent = df.index.line_text(last.span.start.line)[: last.span.start.column - 1]
        indent = indent if not indent.strip() else ""
        return Edit(_point(Position(heredoc.span.end.line, 1)), f"{indent}{command}\n")
    end = script.end
    tail = script.logical.text[end:].strip()
    if tail and not tail.startswith("#"):
        return None
    a, _ = script.logical.file_range(end - 1, end)
    at = df.index.position(a + 1)
    if at.line == ins.span.start.line:
        return Edit(_point(at), f" && {command}")
    lines = [df.index.line_text(n) for n in range(ins.span.start.line, at.line + 1)]
    continuation = lines[1:]
    leading = sum(1 for ln in continuation if ln.lstrip().startswith(("&&", "||", ";")))
    last = lines[-1]
    indent = last[: len(last) - len(last.lstrip())]
    if not indent:
        indent = "    "
    if leading and leading >= len(continuation) / 2:
        return Edit(_point(at), f" \\\n{indent}&& {command}")
    return Edit(_point(at), f" && \\\n{indent}{command}")


def insert_after(word: Word | Command, text: str) -> Edit:
    """Insert ``text`` right after a word (or a command's name)."""
    end = word.span.end if isinstance(word, Word) else word.name_span.end
    return Edit(_point(end), text)


def insert_before(word: Word, text: str) -> Edit:
    return Edit(_point(word.span.start), text)
