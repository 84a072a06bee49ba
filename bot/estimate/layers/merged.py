"""DT203's fix, priced without parsing the fixed file: a lone ``apt-get update`` RUN deleted,
and written instead at the head of the next RUN of its stage (``apt-get update && ...``),
with the lists cleanup maybe appended to that RUN (as inserted.py reads it).

The deleted RUN runs nothing any more, and the next one runs the update first, then what it
ran: its apt operations are the deleted RUN's (the same text, with no flag on either RUN to
mount the lists) and then its own. Whether it configures apt without recommends is its own:
the update's text names no config and has no "recommends" to send _configures_no_recommends
on to read it. The fixed file's image is then the file as written simulated with those
operations (state.simulate's ``dropped`` and ``edited``): the same image but for where its
RUNs sit (one instruction less before the later ones), which no estimate reads of it.

Anything else goes the plain way (any other edit, a RUN with a flag, a heredoc, a script
tree-sitter did not read whole, a RUN between the two, another stage).
"""

# No `from __future__ import annotations` here: like state.py, no string annotation compiled at import.

from typing import Sequence

from bot.estimate.layers.edited import EditedRun
from bot.estimate.layers.inserted import appended_cleanup
from bot.estimate.layers.state import _ops
from bot.model.dockerfile import Instruction
from bot.model.text import Edit, Position
from bot.rules.base import Context


def _plain_run(ctx: Context, ins: Instruction) -> bool:
    df = ctx.df
    return (ins.keyword == "RUN" and ins.inner is None and not ins.flags and not ins.heredocs and ins.json_args is None
            and df.escape == "\\" and df.is_posix_shell(df.stage_of(ins)) and all(s.ok for s in ctx.scripts(ins)))


def merged_runs(ctx: Context, edits: Sequence[Edit]) -> "tuple[int, EditedRun | None] | None":
    """The index of the RUN the fix deletes, and the next RUN as the fix rewrites it (None when
    it stays as written); None when the fix is not that (see the module's doc)."""
    df = ctx.df
    if not 1 <= len(edits) <= 3 or edits[0].text:
        return None
    gone = next((i for i in df.instructions if i.span.start.line == edits[0].span.start.line), None)
    if gone is None or not _plain_run(ctx, gone) or edits[0].span.start != Position(gone.span.start.line, 1) \
            or edits[0].span.end != Position(gone.span.end.line + 1, 1) or gone.span.end.line >= df.index.line_count:  # fmt: skip
        return None  # not the whole lines of a RUN followed by a line
    later = [i for i in df.instructions if i.index > gone.index and i.stage == gone.stage and i.keyword == "RUN"]
    if not later or not _plain_run(ctx, later[0]):
        return None
    target = later[0]
    ops, configures = _ops(ctx, gone)
    if configures or "recommends" in gone.body.text.lower() or "\n" in gone.body.text:
        return None
    if len(edits) == 1:  # the next RUN updates already: the deleted one only goes
        return gone.index, None
    prefix = edits[1]
    head = target.body.text
    start = df.index.position(target.body.offsets[len(head) - len(head.lstrip())]) if head.strip() else None
    if prefix.span.start != prefix.span.end or prefix.span.start != start or prefix.text != gone.body.text + " && ":
        return None  # not the deleted RUN's text at the head of the next one
    own = _ops(ctx, target)
    if len(edits) == 3:
        cleaned = appended_cleanup(ctx, target, edits[2])
        if cleaned is None:
            return None
        own = cleaned.ops
    return gone.index, EditedRun(target.index, target, ctx, (ops + own[0], own[1]))
