"""Building fix edits that keep the author's layout.

A command appended to a multi-line RUN follows the file's continuation style
(``&& \\`` at line ends, or ``&&`` leading the next line) and its indentation.
"""

from __future__ import annotations

from bot.model.dockerfile import Dockerfile, Instruction
from bot.model.shell import Command, ShellScript, Word, runs_last
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
        body = script.logical.text
        if not heredoc.closed or not runs_last(body + command + "\n", len(body)):
            return None
        # a new line before the terminator, indented like the body's last line
        last = script.commands[-1]
        indent = df.index.line_text(last.span.start.line)[: last.span.start.column - 1]
        indent = indent if not indent.strip() else ""
        return Edit(_point(Position(heredoc.span.end.line, 1)), f"{indent}{command}\n")
    end = script.end
    text = script.logical.text
    tail = text[end:].strip()
    if (tail and not tail.startswith("#")) or not runs_last(f"{text[:end]} && {command}{text[end:]}", end + 4):
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


def indentation(df: Dockerfile, ins: Instruction) -> str:
    """The blanks before an instruction's keyword, for a new instruction written next to it."""
    head = df.index.line_text(ins.span.start.line)[: ins.span.start.column - 1]
    return head if not head.strip() else ""


def insert_before(df: Dockerfile, ins: Instruction, line: str) -> Edit:
    """A new instruction on its own line above ``ins``, indented like it."""
    return Edit(_point(ins.span.start), f"{line}\n{indentation(df, ins)}")


def insert_after(word: Word | Command, text: str) -> Edit:
    """Insert ``text`` right after a word (or a command's name)."""
    end = word.span.end if isinstance(word, Word) else word.name_span.end
    return Edit(_point(end), text)


def _continuation(df: Dockerfile, ins: Instruction, last_line: int) -> tuple[bool, str]:
    """(leading ``&&`` style, indent) of a RUN's continuation lines up to ``last_line``."""
    lines = [df.index.line_text(n) for n in range(ins.span.start.line, last_line + 1)]
    continuation = [ln for ln in lines[1:] if ln.strip() and not ln.lstrip().startswith("#")]
    leading = sum(1 for ln in continuation if ln.lstrip().startswith(("&&", "||", ";")))
    indent = "    "
    if continuation:
        last = continuation[-1]
        indent = last[: len(last) - len(last.lstrip())] or indent
    return bool(continuation) and leading >= len(continuation) / 2, indent


def merge_runs(
    df: Dockerfile, first: Instruction, first_script: ShellScript, second: Instruction, second_script: ShellScript
) -> Edit | None:
    """One edit that joins ``second`` onto ``first`` with ``&&``: the text from the end of
    the first script to the start of the second's is replaced by a continuation. Comment
    lines between stay (BuildKit skips them inside a continuation); blank ones go.
    None when the shapes do not allow it (exec form, heredocs, a trailing comment or
    ``;``/``&`` after the first script, anything but comments between)."""
    for ins, script in ((first, first_script), (second, second_script)):
        if ins.json_args is not None or ins.heredocs or ins.inner is not None or not script.ok or not script.commands:
            return None
        if script.logical is not ins.body:
            return None
    if first_script.logical.text[first_script.end :].strip():
        return None
    a = first_script.logical.file_range(first_script.end - 1, first_script.end)[1]
    body = second.body.text
    lead = len(body) - len(body.lstrip())
    b = second.body.offsets[lead]
    between_lines = range(first.span.end.line + 1, second.span.start.line)
    comments = []
    for n in between_lines:
        text = df.index.line_text(n)
        if text.strip() and not text.lstrip().startswith("#"):
            return None
        if text.strip():
            comments.append(text.rstrip())
    leading, indent = _continuation(df, first, first.span.end.line)
    kept = "".join(c + "\n" for c in comments)
    text = f" \\\n{kept}{indent}&& " if leading else f" && \\\n{kept}{indent}"
    return Edit(Span(df.index.position(a), df.index.position(b)), text)


def delete_instruction(df: Dockerfile, ins: Instruction) -> Edit:
    """Delete an instruction's whole lines (comments above it stay)."""
    start = Position(ins.span.start.line, 1)
    if ins.span.end.line < df.index.line_count:
        end = Position(ins.span.end.line + 1, 1)
    else:
        end = df.index.end_position()
    return Edit(Span(start, end), "")


def prefix_script(df: Dockerfile, script: ShellScript, text: str) -> Edit | None:
    """Insert ``text`` before the first character of a script (``apt-get update && ``)."""
    body = script.logical.text
    lead = len(body) - len(body.lstrip())
    if lead >= len(body):
        return None
    return Edit(_point(df.index.position(script.logical.offsets[lead])), text)
