"""A fix that only names another base image, priced without parsing the fixed file.

DT401's fix replaces the image of a ``FROM`` (``python:3.12`` -> ``python:3.12-slim``). When
that ``FROM`` starts the final stage's lineage (the stage whose external image the final
image builds on), the fixed file differs from the file as written in that image alone: the
same stages, the same instructions, the same RUNs read the same way. Its image is then the
simulation of the file as written on the new base (state.simulate's ``base_image``), not
the fixed text parsed again.

Anything else goes the plain way: more than one edit, an edit that is not exactly the
image word of such a ``FROM``, a new image that is not one plain word (a variable, a
quote, a space) or that names a stage of the file.
"""

from __future__ import annotations

from typing import Sequence

from bot.model.text import Edit
from bot.model.words import split_words
from bot.rules.base import Context

_NOT_PLAIN = frozenset(" \t\r\n\"'$`\\")


def new_base(ctx: Context, edits: Sequence[Edit]) -> str | None:
    """The image the final stage builds on once ``edits`` are applied, when they only replace
    the image of the ``FROM`` its lineage starts from; else None (see the module's doc)."""
    df = ctx.df
    if len(edits) != 1 or df.final_stage is None:
        return None
    edit = edits[0]
    if not edit.text or not _NOT_PLAIN.isdisjoint(edit.text):
        return None
    root = ctx.lineage(df.final_stage)[-1]
    ins = root.from_instruction
    if ins.inner is not None or not ins.span.start.line <= edit.span.start.line <= ins.span.end.line:
        return None
    words = split_words(ins.body.text, df.escape)
    if not words:
        return None
    if (df.index.offset(edit.span.start), df.index.offset(edit.span.end)) != ins.body.file_range(words[0].start, words[0].end):
        return None  # not exactly the image word
    if edit.text.isdigit() or df.stage_named(edit.text) is not None:
        return None  # the new FROM would name a stage: another lineage
    return edit.text  # (no `$` in it: nothing to expand)
