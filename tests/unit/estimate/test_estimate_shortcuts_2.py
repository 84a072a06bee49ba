"""Work the size estimate skips, round 4 (speed, issue 12): each shortcut answers what the
plain computation it replaced answers, on the corpus and on files made for the case."""

import glob
import os
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

from bot.engine import Options, analyse_text, build_context_for
from bot.estimate.layers.edited import edited_run
from bot.estimate.layers.graph import graph
from bot.estimate.layers.inserted import inserted_run
from bot.estimate.layers.saving import Model
from bot.estimate.layers.state import _ops, simulate
from bot.model.dockerfile import parse, reparse
from bot.model.source import read
from bot.model.text import Edit, Position, Span, apply_edits
from bot.rules.base import Context

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "corpus", "dockerfiles")
NO_ESTIMATE = Options(estimate=False, min_saving=0)


def _corpus_fixes():
    """(ctx, finding) of every corpus finding with a fix, as the engine hands them to the estimator."""
    for path in sorted(glob.glob(os.path.join(CORPUS, "*"))):
        source, context = read(path), build_context_for(path)
        found = [f for f in analyse_text(path, source.text, NO_ESTIMATE, context).findings if f.fix and f.fix.edits]
        ctx = Context(parse(source.text, path), path, context)
        yield from ((ctx, f) for f in found)


def _plain_with_fix(ctx, edits):
    """The fixed image as Model.with_fix computed it before inserted.py: the fix applied to
    the text, the rewritten RUN read alone (edited.py) or the fixed file parsed again."""
    text = apply_edits(ctx.df.text, edits)
    edited = edited_run(ctx, edits, text)
    if edited is not None:
        return simulate(ctx.df, graph(), ctx=ctx, edited=edited)
    unchanged = min(ctx.df.index.offset(e.span.start) for e in edits)
    fixed = reparse(ctx.df, text, unchanged)
    if fixed.errors and not ctx.df.errors:
        return None
    return simulate(fixed, graph(), ctx=Context(fixed, ctx.path, ctx.build_context))


def _parsed_ops(ctx, edits):
    """The fixed RUN's apt operations read from the fixed file parsed again."""
    text = apply_edits(ctx.df.text, edits)
    unchanged = min(ctx.df.index.offset(e.span.start) for e in edits)
    fixed = reparse(ctx.df, text, unchanged)
    run = next(i for i in ctx.df.instructions if i.span.start.line <= edits[0].span.start.line <= i.span.end.line)
    return _ops(Context(fixed, ctx.path, ctx.build_context), fixed.instructions[run.index])


def _check_inserted(ctx, edits) -> bool:
    """The shortcut's operations and image are the plain computation's; True when it applied."""
    got = inserted_run(ctx, edits)
    if got is None:
        return False
    assert got.ops == _parsed_ops(ctx, edits)
    assert simulate(ctx.df, graph(), ctx=ctx, edited=got) == _plain_with_fix(ctx, edits)
    return True


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")
def test_every_corpus_fix_that_inserts_into_installs_simulates_as_the_fixed_file():
    taken, by_rule = 0, {"DT101": 0, "DT102": 0}
    for ctx, f in _corpus_fixes():
        took = _check_inserted(ctx, f.fix.edits)
        taken += took
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + took
    # DT102's fixes, nearly all of them, and DT101's that append the cleanup to a RUN
    assert by_rule["DT102"] > 150 and by_rule["DT101"] > 50 and sum(by_rule.values()) == taken


def test_the_model_prices_an_inserting_fix_as_the_fixed_file():
    text = ("FROM debian:12\nRUN apt-get update && apt-get install -y curl \\\n    git && rm -rf /var/lib/apt/lists/*\n"
            "RUN apt-get install -y make\n")
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    model = Model(ctx, graph())
    curl = df.text.index("install") + len("install")
    git = df.text.index("git") + len("git")
    for edits in ((" --no-install-recommends",), (" --no-install-recommends ca-certificates",),
                  (" --no-install-recommends", " ca-certificates libc6-dev")):
        spans = [df.index.position(curl), df.index.position(git)]
        fix_edits = tuple(Edit(Span(p, p), t) for p, t in zip(spans, edits))
        assert inserted_run(ctx, fix_edits) is not None
        finding = SimpleNamespace(fix=SimpleNamespace(edits=fix_edits))  # with_fix reads the edits alone
        assert model.with_fix(finding) == _plain_with_fix(ctx, fix_edits)


def test_a_flag_that_first_brings_the_word_recommends_reads_the_runs_config_writers():
    """A RUN that writes APT::Install-Recommends "0" spelled in pieces has no "recommends" in
    its text, so it is not read as configuring apt; the flag brings the word in, and then it
    is: the later RUN installs without recommends, in the shortcut as in the fixed file."""
    text = ("FROM debian:12\nRUN echo 'APT::Install-Reco''mmends \"0\";' > /etc/apt/apt.conf.d/01norec "
            "&& apt-get install -y vim\nRUN apt-get install -y curl\n")
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    at = df.index.position(df.text.index("install -y vim") + len("install"))
    edits = (Edit(Span(at, at), " --no-install-recommends"),)
    assert _ops(ctx, df.instructions[1])[1] is False and inserted_run(ctx, edits).ops[1] is True
    assert _check_inserted(ctx, edits)
    assert simulate(df, graph(), ctx=ctx, edited=inserted_run(ctx, edits)) != simulate(df, graph(), ctx=ctx)


RUNS = (
    "RUN apt-get update && apt-get install -y curl git",
    "RUN apt-get -y install \\\n    curl \\\n    git=1:2.39 \\\n    && echo done",
    "RUN sudo apt-get install -y $PKGS vim",
    "RUN aptitude install -y wget",
    "RUN apt install -o Dpkg::Options::=--force-confnew -y curl -t bookworm-backports",
    "RUN apt-get install -y curl > /dev/null; apt-get purge -y curl",
    "RUN echo 'APT::Install-Recommends \"0\";' > /etc/apt/apt.conf.d/01norec && apt-get install -y vim",
    "RUN echo 'APT::Install-Reco''mmends \"0\";' > /etc/apt/apt.conf.d/01norec && apt-get install -y vim",
    "RUN (apt-get install -y \"curl\" 'jq') && apt-get install ./local.deb",
    "RUN apt-get install -y curl\\\n  git",
)
FIX_WORDS = (" --no-install-recommends", " --without-recommends", " ca-certificates", " --no-install-recommends libc6-dev",
             " libc6-dev g++")
WORDS = FIX_WORDS + (" Bad", " a=1", " $X", " x y", "  x", " --no-install-recommends  x", "", " -o", " --no-install-recommends;",
         " recommends")


def _fix_points(ctx, ins) -> list:
    """Where an inserting fix puts words: the end of each install's verb and last operand."""
    from bot.estimate.layers.state import apt_ops
    from bot.rules.dt102_apt_recommends_installed import VALUE_OPTIONS
    from bot.rules.facts import program_args

    args = [program_args(cmd, VALUE_OPTIONS) for cmd, op in apt_ops(ctx, ins) if op[0] == "install"]
    return [w.span.end for a in args for w in (a[0], a[-1])]


@given(st.sampled_from(RUNS), st.lists(st.tuples(st.booleans(), st.integers(0, 30), st.sampled_from(FIX_WORDS) | st.sampled_from(WORDS)),
                                       min_size=1, max_size=3))
@settings(max_examples=400, deadline=None)
def test_words_inserted_at_any_word_end_simulate_as_the_fixed_file(run, raw_edits):
    """Insertions at the ends of the RUN's words (mostly where an inserting fix puts them),
    of the fix's words and of others: the shortcut takes the first only, and answers as the
    plain way."""
    text = f"FROM debian:12\n{run}\nRUN apt-get install -y make\n"
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    ins = df.instructions[1]
    points = _fix_points(ctx, ins)
    ends = sorted({w.span.end for s in ctx.scripts(ins) for c in s.commands for w in c.args})
    edits = {}  # one insertion a point: no fix makes two (their order would be arbitrary)
    for fix_point, k, words in raw_edits:
        at = points[k % len(points)] if fix_point and points else ends[k % len(ends)]
        edits.setdefault(at, Edit(Span(at, at), words))
    _check_inserted(ctx, tuple(sorted(edits.values(), key=lambda e: e.span.start)))


ENDINGS = ("apt-get install -y curl", "apt-get install -y curl;", "apt-get install -y curl &", "apt-get install -y curl |",
           "(apt-get install -y curl)", "{ apt-get install -y curl; }", "apt-get install -y \"curl\"",
           "apt-get install -y curl # done", "if true; then apt-get install -y curl; fi", "apt-get install -y curl \\\n  git",
           "apt-get install -y curl || true", "x=$(apt-get install -y curl)", "apt-get install -y curl && \\\n  echo ok",
           "apt-get install -y 'curl' ;# end", "[ -f x ] && apt-get install -y curl", "echo a\\\n# a comment\n  b")
CLEANUPS = (" && rm -rf /var/lib/apt/lists/*", " && \\\n    rm -rf /var/lib/apt/lists/*", " \\\n\t&& rm -rf /var/lib/apt/lists/*",
            " && rm -rf /var/lib/apt/lists", " ; rm -rf /var/lib/apt/lists/*", "&& rm -rf /var/lib/apt/lists/*",
            " && \\\n# note\n rm -rf /var/lib/apt/lists/*")


@given(st.sampled_from(ENDINGS), st.sampled_from(CLEANUPS), st.integers(-2, 2), st.booleans())
@settings(max_examples=300, deadline=None)
def test_a_cleanup_appended_anywhere_near_the_end_simulates_as_the_fixed_file(ending, cleanup, shift, crlf):
    """The lists cleanup appended where DT101 puts it (right after the script's last statement)
    or a few characters off, in its spellings and others: the shortcut takes the first only,
    and answers as the plain way."""
    text = f"FROM debian:12\nRUN apt-get update && {ending}\nRUN apt-get install -y make\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    ins = df.instructions[1]
    script = ctx.scripts(ins)[0]
    a, _ = script.logical.file_range(script.end - 1, script.end)
    at = df.index.position(max(0, min(a + 1 + shift, len(df.text))))
    _check_inserted(ctx, (Edit(Span(at, at), cleanup),))


# ------------------------------------------------------------------ a file's share of its image


def _plain_image_share(findings, base):
    """image_share as it was computed before image_bytes: from two whole totals."""
    from bot.estimate.totals import IN_BASE, Share, totals

    if base is None:
        return None
    t = totals(findings)
    layers = totals(f for f in findings if f.hint is None or f.hint.kind not in IN_BASE)
    image_low, image_high = base.bytes_low + layers.bytes_low, base.bytes_high + layers.bytes_high
    low, high = min(t.bytes_low, image_low), min(t.bytes_high, image_high)
    return Share(low, high, image_low, image_high, (low, high) != (t.bytes_low, t.bytes_high))


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")
def test_a_files_image_bytes_and_share_are_those_of_its_whole_totals():
    from bot.estimate.format import format_bytes, format_range, format_share
    from bot.estimate.totals import file_total, image_bytes, image_findings, image_share, totals
    from bot.engine import analyse_file

    checked = 0
    for path in sorted(glob.glob(os.path.join(CORPUS, "*")))[::3]:
        r = analyse_file(path, Options(), build_context_for(path))
        t = totals(r.findings)
        assert image_bytes(r.findings) == (t.bytes_low, t.bytes_high)
        assert bool(image_findings(r.findings)) == bool(t.count)
        for base in (r.base_size, None):
            share = _plain_image_share(list(r.findings), base)
            assert image_share(r.findings, base) == share
            assert file_total(r.findings, base) == ((share.low, share.high) if share else (t.bytes_low, t.bytes_high))
        if t.count:  # as format_share said it from the whole totals
            assert format_share(r.findings, None) == (f"≈ {format_bytes(t.midpoint)} ({format_range(t.bytes_low, t.bytes_high)}) "
                                                      "avoidable; the base image's size is not known")
        checked += t.count > 0 and r.base_size is not None
    assert checked > 25


# ------------------------------------------------------------------ a fix that names another base (DT401)


def _check_rebased(ctx, edits) -> bool:
    """The shortcut's image is the plain computation's; True when it applied."""
    from bot.estimate.layers.rebased import new_base

    base = new_base(ctx, edits)
    if base is None:
        return False
    assert simulate(ctx.df, graph(), ctx=ctx, base_image=base) == _plain_with_fix(ctx, edits)
    return True


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")
def test_every_corpus_fix_that_names_another_base_simulates_as_the_fixed_file():
    assert sum(_check_rebased(ctx, f.fix.edits) for ctx, f in _corpus_fixes()) > 15


FILES = (
    "FROM python:3.12\nRUN apt-get update && apt-get install -y curl\n",
    "ARG V=3.12\nFROM python:${V} AS build\nRUN apt-get update && apt-get install -y gcc\nFROM build\nRUN apt-get install -y git\n",
    "FROM node:20 AS build\nRUN apt-get install -y make\nFROM debian:12\nCOPY --from=build /app /app\nRUN apt-get install -y curl\n",
    "FROM --platform=linux/amd64 buildpack-deps:bookworm AS base\nRUN apt-get install -y vim\n",
    "FROM golang:1.22 \\\n  AS b\nRUN apt-get install -y jq\n",
)
IMAGES = ("python:3.12-slim", "debian:12-slim", "build", "b", "0", "base", "$V", "a b", "", "node:20-slim", "BUILD", "scratch")


@given(st.sampled_from(FILES), st.integers(0, 3), st.integers(-1, 1), st.integers(-1, 1), st.sampled_from(IMAGES))
@settings(max_examples=300, deadline=None)
def test_any_from_image_replaced_simulates_as_the_fixed_file(text, which, dstart, dend, image):
    """A FROM's image word replaced (or a little more or less of it) by images, stage names
    and other words: the shortcut takes only the image of the final lineage's root, and
    answers as the plain way."""
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    froms = [i for i in df.instructions if i.keyword == "FROM"]
    ins = froms[which % len(froms)]
    from bot.model.words import split_words

    w = split_words(ins.body.text, df.escape)[0]
    a, b = ins.body.file_range(w.start, w.end)
    a, b = max(0, a + dstart), max(a + dstart, b + dend, 0)
    _check_rebased(ctx, (Edit(Span(df.index.position(a), df.index.position(b)), image),))


# ------------------------------------------------------------------ a lone update merged into the next RUN (DT203)


def _contents(image):
    """What an estimate reads of a fixed file's image: all but where its RUNs sit."""
    return (image.debs, image.lists, image.refresh, sorted(n for names in image.unknown.values() for n in names),
            image.base_key, len(image.lists_runs))


def _check_merged(ctx, edits) -> bool:
    """The shortcut's image holds what the plain computation's does; True when it applied."""
    from bot.estimate.layers.merged import merged_runs

    got = merged_runs(ctx, edits)
    if got is None:
        return False
    plain = _plain_with_fix(ctx, edits)
    assert plain is not None
    assert _contents(simulate(ctx.df, graph(), ctx=ctx, edited=got[1], dropped=got[0])) == _contents(plain)
    return True


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")
def test_every_corpus_merge_of_a_lone_update_simulates_as_the_fixed_file():
    assert sum(_check_merged(ctx, f.fix.edits) for ctx, f in _corpus_fixes()) > 30


UPDATES = ("apt-get update", "apt-get update -y", "sudo apt update", "apt-get update; true", "apt-get update \\\n  -qq",
           "--mount=type=cache,target=/var/lib/apt/lists apt-get update", "apt-get -o APT::Install-Recommends=0 update")
NEXT = ("apt-get install -y curl", "apt-get install -y curl git && rm -rf /var/lib/apt/lists/*", "set -e; apt-get install -y jq",
        "--mount=type=cache,target=/var/lib/apt/lists apt-get install -y vim", "if true; then apt-get install -y make; fi",
        "echo 'APT::Install-Reco''mmends \"0\";' > /etc/apt/apt.conf.d/01 && apt-get install -y vim")
BETWEEN = ("", "ENV A=1\n", "# note\n", "RUN true\n", "FROM debian:12\n", "COPY a /b\n")


@given(st.sampled_from(UPDATES), st.sampled_from(NEXT), st.sampled_from(BETWEEN), st.booleans(), st.booleans(),
       st.sampled_from(("", " && ", " &&  ", "; ")), st.sampled_from(("", "apt-get purge -y gcc")))
@settings(max_examples=300, deadline=None)
def test_a_lone_update_merged_anyhow_simulates_as_the_fixed_file(update, after, between, cleanup, whole, joiner, other):
    """DT203's three edits (delete, prefix, cleanup) on files made for the case, and a little off:
    the shortcut takes the fix as DT203 makes it only, and answers as the plain way."""
    text = f"FROM debian:12\nRUN apt-get install -y gcc\nRUN {update}\n{between}RUN {after}\nRUN apt-get install -y make\n"
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    gone = df.instructions[2]
    target = next(i for i in df.instructions if i.index > gone.index and i.keyword == "RUN")
    end = Position(gone.span.end.line + 1, 1) if whole else gone.span.end
    edits = [Edit(Span(Position(gone.span.start.line, 1), end), "")]
    if joiner:
        at = df.index.position(target.body.offsets[0])
        edits.append(Edit(Span(at, at), (other or gone.body.text) + joiner))
        if cleanup:
            script = ctx.scripts(target)[0]
            a, _ = script.logical.file_range(script.end - 1, script.end)
            p = df.index.position(a + 1)
            edits.append(Edit(Span(p, p), " && rm -rf /var/lib/apt/lists/*"))
    _check_merged(ctx, tuple(edits))


def test_an_update_that_names_recommends_is_not_merged_by_the_shortcut():
    """Its "recommends" would send the merged RUN's config writers to be read (a setting
    spelled in pieces): the plain way prices that, and the later RUN installs without them."""
    from bot.estimate.layers.merged import merged_runs

    text = ("FROM debian:12\nRUN apt-get -o APT::Install-Recommends=0 update\n"
            "RUN echo 'APT::Install-Reco''mmends \"0\";' > /etc/apt/apt.conf.d/01 && apt-get install -y vim\n"
            "RUN apt-get install -y curl\n")
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    gone, target = df.instructions[1], df.instructions[2]
    at = df.index.position(target.body.offsets[0])
    edits = (Edit(Span(Position(2, 1), Position(3, 1)), ""), Edit(Span(at, at), gone.body.text + " && "))
    assert merged_runs(ctx, edits) is None
    from bot.estimate.layers.edited import EditedRun
    from bot.estimate.layers.state import _ops

    ops = _ops(ctx, gone)[0] + _ops(ctx, target)[0]
    unguarded = simulate(df, graph(), ctx=ctx, edited=EditedRun(target.index, target, ctx, (ops, False)), dropped=gone.index)
    assert _contents(unguarded) != _contents(_plain_with_fix(ctx, edits))  # what the guard keeps out
