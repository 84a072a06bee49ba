"""Pure parts of the GitHub layer: diff mapping, suggestions, markdown, annotations, plan."""

from __future__ import annotations

import re

import pytest

from bot.github.annotations import Annotation, annotations_for, output_lines
from bot.github.diff import parse_file_patch, parse_unified_diff
from bot.github.event import (InputError, load_inputs, parse_fail_on, path_matches, read_pr_file,
                              DEFAULT_PATHS)
from bot.github.suggestion import line_fix
from bot.model.findings import Confidence, Finding, Fix, Safety, Severity, SizeEstimate, SizeHint
from bot.model.text import Edit, Position, Span, apply_edits
from bot.report.markdown import code_block, fence_for, summary_markdown, SummaryRow

HEAD = "abc1234" + "0" * 33


def span(a: str, b: str) -> Span:
    (l1, c1), (l2, c2) = (map(int, a.split(":")), map(int, b.split(":")))
    return Span(Position(l1, c1), Position(l2, c2))


def finding(rule: str, at: Span, edits=(), fp: str = "", safety=Safety.SAFE, size=None, path="Dockerfile",
            severity=Severity.WARNING, claims=()) -> Finding:
    fix = Fix("Do it", tuple(edits), safety, reason="check it" if safety is Safety.REVIEW else "") if edits else None
    est = SizeEstimate(size[0], size[1], "measured", Confidence.HIGH, "table") if size else None
    return Finding(rule, f"rule-{rule.lower()}", severity, path, at, f"problem {rule}", fix=fix,
                   estimate=est, hint=SizeHint("x", claims=claims) if claims else None,
                   fingerprint=fp or f"{rule.lower()}{at.start.line:04}")


# -- diff ----------------------------------------------------------------------------
def test_patch_hunks_right_lines_and_ranges():
    patch = "@@ -1,3 +1,4 @@\n FROM a\n-RUN x\n+RUN y\n+RUN z\n RUN w\n@@ -20,2 +21,2 @@\n a\n-b\n+c\n\\ No newline at end of file"
    d = parse_file_patch("Dockerfile", patch)
    assert d.hunks == (frozenset({1, 2, 3, 4}), frozenset({21, 22}))
    assert d.added == frozenset({2, 3, 22})
    assert d.can_anchor(2, 4) and not d.can_anchor(4, 21) and not d.can_anchor(5, 5)
    assert d.clip(3, 8) == (3, 4)


def test_missing_or_broken_patch_is_not_annotatable():
    assert not parse_file_patch("D", None).annotatable
    assert not parse_file_patch("D", "@@ garbage").annotatable


def test_full_git_diff_skips_deleted_files():
    diff = ("diff --git a/D b/D\n--- a/D\n+++ b/D\n@@ -1 +1,2 @@\n FROM a\n+RUN b\n"
            "diff --git a/E b/E\ndeleted file mode 100644\n--- a/E\n+++ /dev/null\n@@ -1 +0,0 @@\n-FROM x\n")
    assert set(parse_unified_diff(diff).files) == {"D"}


# -- suggestions -----------------------------------------------------------------------
TEXT = "FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y git\nRUN echo done\n"


def test_line_fix_widens_to_whole_lines_and_keeps_continuations():
    edit = Edit(span("3:30", "3:30"), " \\\n    && rm -rf /var/lib/apt/lists/*")
    lf = line_fix(TEXT, [edit], cover=(2, 3))
    assert (lf.start, lf.end) == (2, 3)
    assert lf.replacement == "RUN apt-get update \\\n    && apt-get install -y git \\\n    && rm -rf /var/lib/apt/lists/*"
    lines = TEXT.split("\n")
    applied = "\n".join(lines[:1] + lf.replacement.split("\n") + lines[3:])
    assert applied == apply_edits(TEXT, [edit])


def test_line_fix_deletion_gives_empty_replacement_and_noop_gives_none():
    delete = Edit(span("4:1", "5:1"), "")
    lf = line_fix(TEXT, [delete])
    assert (lf.start, lf.end, lf.replacement) == (4, 4, "")
    assert line_fix(TEXT, [Edit(span("4:1", "4:4"), "RUN")]) is None


def test_fence_outruns_backticks():
    assert fence_for("no ticks") == "```"
    assert fence_for("a ```` b") == "`````"
    block = code_block("echo ````x", "suggestion")
    assert block.startswith("`````suggestion\n") and block.endswith("\n`````")
    assert code_block("", "suggestion") == "```suggestion\n```"


# -- markdown ----------------------------------------------------------------------------
def test_summary_truncates_within_budget_and_says_so():
    rows = [SummaryRow(finding("DT101", span(f"{i}:1", f"{i}:5"), size=(10**6, 2 * 10**6)), True, "inline")
            for i in range(1, 400)]
    text = summary_markdown(rows, title="t", budget=5000)
    assert len(text) <= 5000
    assert "Truncated:" in text and "more finding(s)" in text


def test_totals_count_shared_claims_once():
    a = finding("DT101", span("2:1", "2:5"), size=(20, 20), claims=("apt-lists:0",))
    b = finding("DT201", span("3:1", "3:5"), size=(20, 20), claims=("apt-lists:0",))
    c = finding("DT105", span("4:1", "4:5"), size=(5, 5))
    text = summary_markdown([SummaryRow(x, True, "inline") for x in (a, b, c)], title="t")
    assert "**25 B**" in text


def test_table_cells_escape_pipes_and_html():
    f = Finding("DT101", "r", Severity.WARNING, "we|ird<!--.Dockerfile", span("1:1", "1:2"), "msg | <b>")
    text = summary_markdown([SummaryRow(f, True, "inline")], title="t")
    assert "<!--" not in text and "<b>" not in text and "we\\|ird" in text


# -- annotations and outputs -----------------------------------------------------------------
def test_annotation_escaping():
    a = Annotation("warning", "a,b:c.Dockerfile", 3, 5, "DT101 x", "100% bad\n::error::x\r")
    assert a.command() == ("::warning file=a%2Cb%3Ac.Dockerfile,line=3,endLine=5,title=DT101 x::"
                           "100%25 bad%0A::error::x%0D")


def test_annotation_caps_per_level_most_severe_first():
    fs = [finding("DT101", span(f"{i}:1", f"{i}:2"), severity=Severity.WARNING) for i in range(1, 15)]
    fs += [finding("DT900", span("1:1", "1:2"), severity=Severity.ERROR)]
    items, left = annotations_for(fs)
    assert items[0].level == "error"
    assert sum(1 for a in items if a.level == "warning") == 10 and left == 4


def test_multiline_outputs_use_a_random_delimiter():
    text = output_lines({"a": "1", "b": "x\ny"})
    m = re.fullmatch(r"a=1\nb<<(ghadelimiter_[0-9a-f]+)\nx\ny\n\1\n", text)
    assert m
    assert output_lines({"b": "x\ny"}) != text[4:]  # a new delimiter each time


# -- inputs and events ------------------------------------------------------------------------
def test_inputs_accept_hyphens_clamp_comments_and_parse_fail_on():
    inputs = load_inputs({"INPUT_GITHUB_TOKEN": "t", "INPUT_MAX_COMMENTS": "500", "INPUT_FAIL-ON": "50MB"})
    assert inputs.max_comments == 100 and inputs.fail_on.bytes == 50_000_000
    assert parse_fail_on("warning").severity is Severity.WARNING and parse_fail_on("never").never
    with pytest.raises(InputError, match="fail_on"):
        parse_fail_on("sometimes")
    with pytest.raises(InputError, match="max_comments"):
        load_inputs({"INPUT_MAX_COMMENTS": "-1"})
    with pytest.raises(InputError, match="mode"):
        load_inputs({"INPUT_MODE": "shout"})


def test_default_paths_select_dockerfiles_only():
    assert path_matches("Dockerfile", DEFAULT_PATHS) and path_matches("a/b/Dockerfile.prod", DEFAULT_PATHS)
    assert path_matches("x/api.Dockerfile", DEFAULT_PATHS) and path_matches("Containerfile", DEFAULT_PATHS)
    assert not path_matches("docs/Dockerfile.md/readme.txt", DEFAULT_PATHS)
    assert not path_matches("src/main.py", DEFAULT_PATHS)


@pytest.mark.parametrize("content", ['{"number": 0, "head_sha": "%s"}', '{"number": true, "head_sha": "%s"}',
                                     '{"number": "1e3", "head_sha": "%s"}', '[1]', '{"number": 1, "head_sha": "%s0"}'])
def test_pr_file_validation(tmp_path, content):
    p = tmp_path / "pr.json"
    p.write_text(content.replace("%s", "a" * 40))
    with pytest.raises(InputError):
        read_pr_file(p)


def test_proposed_change_diff_names_the_files_lines():
    """A fix on lines 3-4 (DT204 reaching outside the diff) shows @@ -3,2 +3,2 @@, not 1,2."""
    from bot.github.suggestion import LineFix

    fix = LineFix(3, 4, "RUN a\nRUN b", "RUN a && b\nRUN c")
    assert fix.as_diff("Dockerfile").splitlines()[2] == "@@ -3,2 +3,2 @@"
    assert LineFix(7, 7, "RUN x", "").as_diff("D").splitlines()[2] == "@@ -7 +6,0 @@"  # deletion: as diff -U0
    assert LineFix(5, 6, "A\nB", "A\nC").as_diff("D").splitlines()[2:] == ["@@ -6 +6 @@", "-B", "+C"]
