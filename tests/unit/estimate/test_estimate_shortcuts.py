"""Work the size estimate skips or shares (speed, issue 12): each shortcut answers what the
plain computation it replaced answers, on the corpus and on files made for the case."""

import glob
import os

import pytest
from hypothesis import given, settings, strategies as st

from bot.engine import Options, analyse_text, build_context_for
from bot.estimate import estimator as E
from bot.estimate.estimator import Estimator
from bot.estimate.layers import finding as layered
from bot.estimate.layers.edited import edited_run, run_lines
from bot.estimate.layers.graph import graph
from bot.estimate.layers.state import simulate
from bot.model import hints as K
from bot.model.dockerfile import parse, reparse
from bot.model.text import Edit, Span, apply_edits
from bot.model.source import read
from bot.rules.base import Context

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "corpus", "dockerfiles")
NO_ESTIMATE = Options(estimate=False, min_saving=0)


def _corpus_findings(rule_ids: set[str]):
    """(ctx, finding) of the corpus's findings of ``rule_ids``, as the engine hands them to the estimator."""
    for path in sorted(glob.glob(os.path.join(CORPUS, "*"))):
        source, context = read(path), build_context_for(path)
        found = [f for f in analyse_text(path, source.text, NO_ESTIMATE, context).findings if f.rule_id in rule_ids]
        if found:
            ctx = Context(parse(source.text, path), path, context)
            yield from ((ctx, f) for f in found)


# ------------------------------------------------------------------ slim swaps (DT401)


def _plain_slim_swap(est: Estimator, ctx, f):
    """The slim swap's estimate as it was computed before the shortcut: every part, always."""
    got = E._with_slim_docs(est.estimate(f.hint), layered.installed_by_runs(ctx, est._models),
                            layered.recommends_by_run(ctx, est._models))
    return E._kept(f, E._less_reinstalled(got, layered.added_by_fix(ctx, f, est._models)))


def _is_slim_swap(f) -> bool:
    return f.hint is not None and f.hint.kind == K.BASE_IMAGE_SWAP and E._is_slim(str(f.hint.params.get("to_image", "")))


def test_a_slim_swap_of_an_image_of_unknown_size_never_models_the_layers():
    text = "FROM node:6.9.1\nRUN apt-get update && apt-get install -y git\nCMD [\"node\"]\n"
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    swaps = [f for f in analyse_text("Dockerfile", text, NO_ESTIMATE).findings if _is_slim_swap(f)]
    assert swaps
    est = Estimator()
    for f in swaps:
        got = est.estimate_finding(f, ctx)
        assert got[0] is None and "unknown" in got[1]
        assert got == _plain_slim_swap(Estimator(), ctx, f)
    assert est._models == {}  # the layer model was never built


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")
def test_slim_swaps_of_the_corpus_estimate_as_the_plain_computation():
    seen = 0
    for ctx, f in _corpus_findings({"DT401", "DT402"}):
        if _is_slim_swap(f):
            seen += 1
            assert Estimator().estimate_finding(f, ctx) == _plain_slim_swap(Estimator(), ctx, f), f.message
    assert seen > 20


# ------------------------------------------------------------------ a fix that rewrites one RUN

def _plain_fixed(ctx, edits, text):
    """The fixed file parsed again and simulated, as Model.with_fix did before the shortcut."""
    unchanged = min(ctx.df.index.offset(e.span.start) for e in edits)
    fixed = reparse(ctx.df, text, unchanged)
    return fixed, simulate(fixed, graph(), ctx=Context(fixed, ctx.path, ctx.build_context))


def _what_runs(ins):
    return (ins.keyword, ins.body.text, tuple(h.body.text for h in ins.heredocs), tuple((f.name, f.value) for f in ins.flags),
            ins.json_args)


def _check_edited(ctx, edits) -> bool:
    """The shortcut's RUN and image are the plain computation's; True when it applied."""
    text = apply_edits(ctx.df.text, edits)
    edited = edited_run(ctx, edits, text)
    if edited is None:
        return False
    fixed, plain = _plain_fixed(ctx, edits, text)
    assert not fixed.errors or ctx.df.errors  # the plain way would have priced it too
    assert len(fixed.instructions) == len(ctx.df.instructions)
    assert _what_runs(edited.ins) == _what_runs(fixed.instructions[edited.index])
    assert simulate(ctx.df, graph(), ctx=ctx, edited=edited) == plain
    return True


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")
def test_every_corpus_fix_of_one_run_simulates_as_the_fixed_file_parsed_again():
    taken = 0
    for ctx, f in _corpus_findings({"DT101", "DT102", "DT105", "DT106", "DT201", "DT203", "DT601"}):
        if f.fix is not None and f.fix.edits:
            taken += _check_edited(ctx, f.fix.edits)
    assert taken > 300


RUN_TEXTS = (
    "RUN apt-get update && apt-get install -y curl git",
    "RUN apt-get update \\\n    && apt-get install -y python3-pip \\\n    && echo done",
    "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y jq",
    "RUN <<EOF\napt-get update\napt-get install -y curl\nEOF",
    'RUN ["apt-get", "install", "-y", "wget"]',
    "RUN apt-get install -y \\\n# a comment\n    vim",
)
SNIPPETS = (" --no-install-recommends", " && rm -rf /var/lib/apt/lists/*", " build-essential", "\\\n", "\n",
            "\nRUN apt-get install -y git", "\nEOF", " <<EOF", '"', "'", "#", " \\", "\n\n", "\nFROM debian:12",
            " && apt-get purge -y curl", "ONBUILD ", "")


@given(st.sampled_from(RUN_TEXTS), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 3),
                                                      st.sampled_from(SNIPPETS)), min_size=1, max_size=3),
       st.sampled_from(("\n", "\r\n", "mixed")))
@settings(max_examples=400, deadline=None)
def test_a_run_rewritten_by_any_edit_simulates_as_the_fixed_file_parsed_again(run, raw_edits, newline):
    text = f"FROM debian:12\nRUN apt-get update\n{run}\nRUN apt-get install -y make\n"
    if newline == "mixed":  # the first line break not as the RUN's (an inserted one follows the first)
        text = text.replace("\n", "\r\n", 1)
    else:
        text = text.replace("\n", newline)
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    target = next(i for i in df.instructions if i.index == 2)
    start, end = run_lines(df, target)
    edits, taken = [], []
    for at, length, snippet in raw_edits:  # edits anywhere from the line before to the line after
        a = min(max(start - 3, 0) + at, len(text))
        b = min(a + length, len(text))
        if any(a <= y and x <= b for x, y in taken) or any(text[o - 1 : o + 1] == "\r\n" for o in (a, b)):
            continue  # overlapping, or inside a line break (no position names it)
        taken.append((a, b))
        edits.append(Edit(Span(df.index.position(a), df.index.position(b)), snippet))
    _check_edited(ctx, edits)


def test_the_usual_fixes_take_the_shortcut_and_others_do_not():
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN echo hi\n"
    ctx = Context(parse(text), "Dockerfile")
    at = text.index(" curl")
    pos = ctx.df.index.position
    flag = [Edit(Span(pos(at), pos(at)), " --no-install-recommends")]
    assert _check_edited(ctx, flag)
    end = text.index("\nRUN echo")
    assert _check_edited(ctx, [Edit(Span(pos(end), pos(end)), " && rm -rf /var/lib/apt/lists/*")])
    # a new instruction, an edit reaching the next RUN, a continued last line: the plain way
    assert not _check_edited(ctx, [Edit(Span(pos(end), pos(end)), "\nRUN apt-get install -y git")])
    assert not _check_edited(ctx, [Edit(Span(pos(end), pos(end + 4)), " && ")])
    assert not _check_edited(ctx, [Edit(Span(pos(end), pos(end)), " \\")])
