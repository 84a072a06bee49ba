"""A fix that only inserts words into a RUN, priced without reading the fixed text.

Most fixes the layer model prices insert a few words into one RUN, in places whose effect
on the RUN's apt operations (state.apt_ops) is known from the RUN as written:

- DT102 inserts ``--no-install-recommends`` right after an install's ``install`` word, and
  the recommends it keeps by name right after the install's last operand (or after the
  flag): that install's operation only changes (recommends off, the names join its
  packages, before the old ones or after them, where they were put);
- DT101 appends ``&& rm -rf /var/lib/apt/lists/*`` (across a line continuation or not) right
  after the script's last statement: one operation more, at the end.

The RUN's other commands, and whether it writes an apt config without recommends, stay as
they were. So the fixed RUN's operations are those of the RUN as written, changed so: the
fixed text is neither built nor parsed (edited.py's path, which this one answers as).

Anything else goes that way: an edit that replaces or deletes text, one at another place,
a word that is not the flag, a plain package name or that cleanup, a script that ends in
more than its last statement and a comment, a RUN with a heredoc, in exec form, or with
a script tree-sitter did not read whole.
"""

# No `from __future__ import annotations` here: like state.py, no string annotation compiled at import.

from typing import Sequence

from bot.estimate.layers.edited import EditedRun
from bot.estimate.layers.state import Op, _ops, apt_ops
from bot.model.dockerfile import Instruction
from bot.model.shell import Command
from bot.model.text import Edit, Position
from bot.rules.base import Context
from bot.rules.dt102_apt_recommends_installed import VALUE_OPTIONS, flag, writes_no_recommends_config
from bot.rules.facts import program_args

# the characters of a Debian package name (Debian Policy 5.6.1): a word of these alone is
# one operand as the shell and `packages` read it (no quote, `$`, `=` or `:` to strip)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+-.")
_CLEANUP = "rm -rf /var/lib/apt/lists/*"
_CLEANUP_WORDS = ["&&", *_CLEANUP.split()]


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
    if len(edits) == 1 and edits[0].text.endswith(_CLEANUP):
        return appended_cleanup(ctx, run, edits[0])
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


def _joined(text: str) -> str:
    """``text`` with its line continuations taken out, as the logical line the shell reads."""
    return text.replace("\\\r\n", "").replace("\\\n", "")


def appended_cleanup(ctx: Context, run: Instruction, edit: Edit) -> "EditedRun | None":
    """The RUN with ``&& rm -rf /var/lib/apt/lists/*`` appended to its script's last statement:
    its operations and one ``rm-lists`` more (a RUN's apt config is not in that command)."""
    scripts = ctx.scripts(run)
    if len(scripts) != 1 or not scripts[0].commands or _joined(edit.text).split() != _CLEANUP_WORDS:
        return None
    script = scripts[0]
    text, end = script.logical.text, script.end
    tail = text[end:].strip()
    if tail and not tail.startswith("#"):
        return None  # only a comment may follow the last statement (as DT101 asks): else the plain way
    a, _ = script.logical.file_range(end - 1, end)
    if edit.span.start != ctx.df.index.position(a + 1):
        return None  # not right after the last statement
    ops, configures = _ops(ctx, run)
    return EditedRun(run.index, run, ctx, (ops + (("rm-lists",),), configures))


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
