"""The merge-base text of a file from its head text and the PR's hunk-only patch."""

from __future__ import annotations

import difflib

from hypothesis import given, settings, strategies as st

from bot.github.diff import reverse_patch


def git_patch(old: str, new: str, context: int = 3) -> str:
    """A hunks-only patch as GitHub's files endpoint gives it, "No newline" markers included."""
    out = []
    for line in list(difflib.unified_diff(old.splitlines(True), new.splitlines(True), n=context))[2:]:
        out.append(line[:-1] if line.endswith("\n") else line)
        if not line.endswith("\n"):
            out.append("\\ No newline at end of file")
    return "\n".join(out)


lines = st.lists(st.sampled_from(["FROM a", "RUN x", "RUN y", "", "  \\", "COPY . ."]), max_size=14)


@settings(max_examples=400, deadline=None)
@given(old=lines, new=lines, old_nl=st.booleans(), new_nl=st.booleans(), context=st.integers(0, 3))
def test_reversing_the_patch_gives_the_old_text(old, new, old_nl, new_nl, context):
    a = "\n".join(old) + ("\n" if old and old_nl else "")
    b = "\n".join(new) + ("\n" if new and new_nl else "")
    if a == b:
        return
    assert reverse_patch(b, git_patch(a, b, context)) == a


def test_a_patch_that_does_not_match_the_text_gives_none():
    old, new = "FROM a\nRUN x\n", "FROM a\nRUN y\n"
    patch = git_patch(old, new)
    assert reverse_patch(new, patch) == old
    assert reverse_patch("FROM a\nRUN z\n", patch) is None  # the head is not what the patch says
    assert reverse_patch(new, patch.rsplit("\n", 1)[0]) is None  # cut short
    assert reverse_patch(new, None) is None and reverse_patch(new, "Binary files differ") is None
