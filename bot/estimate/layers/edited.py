"""A fix that rewrites one RUN, read without parsing the fixed file again.

Most fixes the layer model prices change the text of one RUN (a flag added to an install,
a cleanup appended). The fixed file is then the file as written with that RUN's lines
replaced: every other instruction, the stages and the RUN's place among them stay. The
simulator needs of the new RUN only what it runs (its body, heredocs and flags), so the
RUN's new lines are parsed on their own (:func:`edited_run`) instead of the whole fixed
file (``reparse``: its line index, the unchanged tail moved, the stages assigned again).

The new lines are read between a ``FROM`` and a sentinel ``RUN`` line: parsed there without
an error into exactly one RUN followed by the sentinel, they end that RUN the way they end
it in the fixed file (a line still continued, or a heredoc left open, would take in the
sentinel), and nothing around them can read them differently. Anything else (an edit
outside the RUN's lines, a fix that adds or removes instructions, ONBUILD, a Windows
shell) goes the plain way.
"""

from __future__ import annotations

from typing import Sequence

from bot.model.dockerfile import Dockerfile, Instruction, parse
from bot.model.records import Record, field
from bot.model.text import Edit
from bot.rules.base import Context

_BEFORE = "FROM scratch\n"
_SENTINEL = "RUN :"


class EditedRun(Record):
    __slots__ = ()
    _fields = ("index", "ins", "ctx", "ops")
    index = field(0, "int: the RUN's index, the same in the fixed file (the instructions before it are)")
    ins = field(1, "Instruction: the RUN as the fixed file holds it")
    ctx = field(2, "Context: a Context of the file the RUN was read in (its scripts parse there)")
    # the RUN's apt operations and whether it configures apt without recommends, when known
    # without reading its new text (inserted.py; else state._ops reads them from ``ins``)
    ops = field(3, "tuple | None")

    def __new__(cls, index, ins, ctx, ops=None):
        return tuple.__new__(cls, (index, ins, ctx, ops))


def run_lines(df: Dockerfile, ins: Instruction) -> tuple[int, int]:
    """Offsets of the whole lines of ``ins``: the start of its first, the end of its last
    (before the line break)."""
    start = df.index.offset(ins.span.start)
    start = df.text.rfind("\n", 0, start) + 1
    end = df.text.find("\n", df.index.offset(ins.span.end))
    return start, len(df.text) if end == -1 else end


def edited_run(ctx: Context, edits: Sequence[Edit], fixed_text: str) -> EditedRun | None:
    """The one RUN of ``ctx.df`` whose lines hold all ``edits``, as ``fixed_text`` (the file
    with them applied) has it; None when the fix is not that (see the module's doc)."""
    df = ctx.df
    if not edits:
        return None
    line = min(e.span.start for e in edits).line
    run = next((i for i in df.instructions if i.span.start.line <= line <= i.span.end.line), None)
    if run is None or run.keyword != "RUN" or run.inner is not None or not df.is_posix_shell(df.stage_of(run)):
        return None
    start, end = run_lines(df, run)
    if not start <= min(df.index.offset(e.span.start) for e in edits) <= max(df.index.offset(e.span.end) for e in edits) <= end:
        return None
    new_lines = fixed_text[start : len(fixed_text) - (len(df.text) - end)]
    alone = parse(f"{_BEFORE}{new_lines}\n{_SENTINEL}\n", df.path)
    if alone.errors or len(alone.instructions) != 3:
        return None
    _, new, sentinel = alone.instructions
    if new.keyword != "RUN" or new.inner is not None or sentinel.keyword != "RUN" or sentinel.body.text != ":" \
            or sentinel.span.start.line != new_lines.count("\n") + 3:  # fmt: skip
        return None
    return EditedRun(run.index, new, Context(alone, ctx.path, ctx.build_context))
