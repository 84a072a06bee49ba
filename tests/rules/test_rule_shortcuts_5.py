"""Shortcuts of the package-manager rules (DT101-DT112, DT601) and their facts (speed, issue 12),
round 4: each is held to the code it replaced."""

import glob
import os

import pytest
from hypothesis import given, settings, strategies as st

import bot.rules.apt_lists as apt_lists
import bot.rules.dt102_apt_recommends_installed as dt102
from bot.model.dockerfile import parse
from bot.rules.base import Context
from bot.rules.facts import starts_after, unwrap
from bot.rules.managers import verb

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "dockerfiles")


def _corpus(limit: int | None = None) -> list[str]:
    found = sorted(glob.glob(os.path.join(CORPUS, "*")))[:limit]
    return [open(p, encoding="utf-8", errors="replace").read() for p in found]


def _scripts(text: str):
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    return ctx, [s for ins in ctx.runs() for s in ctx.scripts(ins)]


# ---------------------------------------------------------------------------- starts_after


def _assert_as_spans(scripts) -> int:
    compared = 0
    for script in scripts:
        for a in script.commands:
            for b in script.commands:
                assert starts_after(a, b) == (a.span.start > b.span.start), (a.name, b.name)
                compared += 1
    return compared


@pytest.mark.parametrize("text", _corpus())
def test_starts_after_orders_commands_as_their_spans_do(text: str) -> None:
    """By offsets where both commands are in one logical line, by positions otherwise: the
    same answer as comparing spans, for every pair of commands of each corpus script."""
    _assert_as_spans(_scripts(text)[1])


PIECES = ("apt-get update", "apt-get install -y curl", "sudo apt-get install -y git", "echo é", "cd /x",
          "pip install flask", "(cd /y && make)", "x=$(uname -m)", "rm -rf /var/lib/apt/lists/*")


@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6),
       st.lists(st.sampled_from((" && ", " \\\n    && ", "; ", " || ", " && \\\n  ")), min_size=5, max_size=5))
@settings(max_examples=150, deadline=None)
def test_starts_after_holds_across_continuations(pieces, joins) -> None:
    """Continuation lines and non-ASCII text move positions away from offsets; the order stays."""
    body = pieces[0] + "".join(j + p for j, p in zip(joins, pieces[1:]))
    ctx, scripts = _scripts(f"FROM debian:12\nRUN {body}\n")
    assert _assert_as_spans(scripts) >= 1


def test_starts_after_compares_commands_of_different_logical_lines_by_position() -> None:
    ctx, scripts = _scripts("FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n")
    first, second = scripts[0].commands[0], scripts[1].commands[0]
    assert first.where.logical is not second.where.logical
    assert starts_after(second, first) and not starts_after(first, second)


# ---------------------------------------------------------------------------- DT102


def _later_needs_by_spans(ctx, ins, script, install, run_needs):
    """DT102's _later_needs as it was, comparing the commands' spans."""
    found = {}
    env = ctx.env(ins)
    for s in ctx.scripts(ins):
        for c in s.commands:
            if s is not script or c.span.start > install.span.start:
                for kind, need in dt102._command_needs(c, env):
                    found.setdefault(kind, need)
    later = {}
    for other in reversed(ctx.after(ins)):
        if other.keyword == "RUN":
            later.update(dt102._run_needs(ctx, other, run_needs))
        elif other.keyword in ("CMD", "ENTRYPOINT"):
            words = list(other.json_args) if other.json_args is not None else other.body.text.split()
            later.update((n.kind, dt102._Need(n.why, other.line)) for n in reversed(dt102.words_needs(words)))
    return {**later, **found}


@pytest.mark.parametrize("text", _corpus(250) + [
    "FROM debian:12\nRUN curl https://x && apt-get install -y git curl \\\n    && git clone https://y && gcc a.c\n"
    "RUN pip install numpy\nCMD [\"xvfb-run\", \"app\"]\n"])
def test_dt102_findings_as_with_span_comparisons(text: str, monkeypatch) -> None:
    df = parse(text)
    kept = list(dt102.AptRecommendsInstalled().check(Context(df, "Dockerfile")))
    monkeypatch.setattr(dt102, "_later_needs", _later_needs_by_spans)
    assert list(dt102.AptRecommendsInstalled().check(Context(parse(text), "Dockerfile"))) == kept


# ---------------------------------------------------------------------------- apt lists


def _uses_lists_as_before(script) -> bool:
    return any(verb(c, "apt") in apt_lists.USES_LISTS | {"update"} or c.program in ("apt-cache", "aptitude")
               for c in map(unwrap, script.commands))


@pytest.mark.parametrize("text", _corpus(300))
def test_lists_users_as_before(text: str) -> None:
    for script in _scripts(text)[1]:
        assert apt_lists._uses_lists(script) == _uses_lists_as_before(script)


def _eager_named(original):
    """DT102's _finding as it was called: the stage's named packages worked out before it."""
    def finding(self, ctx, ins, script, missing, stage, named_by_stage, run_needs):
        if ins.stage not in named_by_stage:
            named_by_stage[ins.stage] = dt102._named_packages(ctx, ins)
        return original(self, ctx, ins, script, missing, stage, named_by_stage, run_needs)
    return finding


@pytest.mark.parametrize("text", _corpus(250) + [
    "FROM debian:12\nRUN apt-get install -y python3-pip\nRUN apt-get install -y --no-install-recommends build-essential\n"
    "RUN pip install numpy\n"])
def test_dt102_named_packages_when_needed_as_when_always_found(text: str, monkeypatch) -> None:
    kept = list(dt102.AptRecommendsInstalled().check(Context(parse(text), "Dockerfile")))
    monkeypatch.setattr(dt102.AptRecommendsInstalled, "_finding", _eager_named(dt102.AptRecommendsInstalled._finding))
    assert list(dt102.AptRecommendsInstalled().check(Context(parse(text), "Dockerfile"))) == kept


def test_dt102_names_no_packages_for_an_install_that_keeps_no_recommend(monkeypatch) -> None:
    asked = []
    original = dt102._named_packages
    monkeypatch.setattr(dt102, "_named_packages", lambda ctx, ins: asked.append(ins.line) or original(ctx, ins))
    ctx = Context(parse("FROM debian:12\nRUN apt-get install -y jq\nRUN apt-get install -y curl\n"), "Dockerfile")
    found = list(dt102.AptRecommendsInstalled().check(ctx))
    assert [f.span.start.line for f in found] == [2, 3]
    assert asked == [3]  # curl keeps ca-certificates: only its finding asks what the image names
