"""A fix that only inserts words into a RUN's apt installs, priced without reading the fixed text.

DT102's fix, most of the fixes the layer model prices, inserts ``--no-install-recommends``
right after an install's ``install`` word, and the recommends it keeps by name right after
the install's last operand (or after the flag). Such words change that install's apt
operation only: the flag turns its recommends off, the names join its packages (before
the old ones or after them, where they were put). The RUN's other commands, and whether
it writes an apt config without recommends, stay as they were. So the fixed RUN's
operations (state.apt_ops) are those of the RUN as written, with those installs changed:
the fixed text is neither built nor parsed (edited.py's path, which this one answers as).

Anything else goes that way: an edit that replaces or deletes text, one that is not at the
end of an install's verb or last operand, a word that is not the flag or a plain package
name, a RUN with a heredoc, in exec form, or with a script tree-sitter did not read whole.
"""

# No `from __future__ import annotations` here: like state.py, no string annotation compiled at import.

from typing import Sequence

from bot.estimate.layers.edited import EditedRun
from bot.estimate.layers.state import Op, _ops, apt_ops
from bot.model.shell import Command
from bot.model.text import Edit, Position
from bot.rules.base import Context
from bot.rules.dt102_apt_recommends_installed import VALUE_OPTIONS, flag, writes_no_recommends_config
from bot.rules.facts import program_args

# the characters of a Debian package name (Debian Policy 5.6.1): a word of these alone is
# one operand as the shell and `packages` read it (no quote, `$`, `=` or `:` to strip)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+-.")


def _plain_names(words: list[str]) -> bool:
    return all(w and w[0].isalnum() and _NAME_CHARS.issuperset(w) for w in words)


def inserted_run(ctx: Context, edits: Sequence[Edit]) -> "EditedRun | None":
    """The RUN of ``ctx.df`` that ``edits`` insert words into, with the apt operations the
    fixed RUN has; None when the fix is not that (see the module's doc)."""
    df = ctx.df
    if not edits or any(e.span.start != e.span.end for e in edits):
        return None
    line = edits[0].span.start.line
    run = next((i for i in df.instructions if i.span.start.line <= line <= i.span.end.line), None)
    # (edited.py reads the new lines with the default escape character: so does this path)
    if run is None or run.keyword != "RUN" or run.inner is not None or run.heredocs or run.json_args is not None \
            or df.escape != "\\" or not df.is_posix_shell(df.stage_of(run)):  # fmt: skip
        return None
    if not all(script.ok for script in ctx.scripts(run)):
        return None
    at: dict[Position, str] = {}  # where each word is inserted -> its text
    for e in edits:
        if e.span.start in at:
            return None
        at[e.span.start] = e.text
    ops: list[Op] = []
    for cmd, op in apt_ops(ctx, run):
        if op[0] == "install" and at:
            op = _inserted_into(cmd, op, at)
            if op is None:
                return None
        ops.append(op)
    if at:  # an edit outside every install's verb and last operand
        return None
    # the flag brings the word "recommends" into a RUN that may not have had it: that word
    # is what sends _configures_no_recommends on to read the RUN's config writers, which
    # no inserted word is (they are apt's arguments)
    configures = _ops(ctx, run)[1]
    if not configures and "recommends" not in run.body.text.lower():
        configures = any("recommends" in e.text.lower() for e in edits) and writes_no_recommends_config(ctx, run)
    return EditedRun(run.index, run, ctx, (tuple(ops), configures))


def _inserted_into(cmd: Command, op: Op, at: dict[Position, str]) -> "Op | None":
    """``op`` (an install by ``cmd``) with the words ``at`` inserts after its verb and after
    its last operand taken out of ``at``; None when one of them is not the flag and names."""
    args = program_args(cmd, VALUE_OPTIONS)  # the verb, then the operands `packages` reads
    names, no_recommends = op[1], op[2]
    text = at.pop(args[0].span.end, None)
    if text is not None:  # " --no-install-recommends[ name ...]" right after the verb
        words = text.split(" ")
        if len(words) < 2 or words[0] or words[1] != flag(cmd) or not _plain_names(words[2:]):
            return None
        names, no_recommends = tuple(words[2:]) + names, True
    if len(args) > 1:
        text = at.pop(args[-1].span.end, None)
        if text is not None:  # " name ..." right after the last operand
            words = text.split(" ")
            if len(words) < 2 or words[0] or not _plain_names(words[1:]):
                return None
            names += tuple(words[1:])
    return ("install", names, no_recommends)
