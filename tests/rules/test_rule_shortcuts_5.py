"""Shortcuts of the package-manager rules (DT101-DT112, DT601) and their facts (speed, issue 12),
round 4: each is held to the code it replaced."""

import glob
import os

import pytest
from hypothesis import given, settings, strategies as st

import bot.rules.apt_lists as apt_lists
import bot.rules.dt102_apt_recommends_installed as dt102
import bot.rules.dt105_pip_cache_in_layer as dt105
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


# ---------------------------------------------------------------------------- apt's programs asked first

WRAPPED = ("", "sudo ", "env DEBIAN_FRONTEND=noninteractive ", "sudo -E ", "nice ")
APT_LIKE = ("apt-get", "apt", "aptitude", "/usr/bin/apt-get", "apt-cache", "dnf", "pip", "rosdep", "echo")
APT_WORDS = ("update", "install", "-y", "upgrade", "clean", "-q", "dist-upgrade", "curl", "-o", "x=y")


def _commands_of(texts):
    for text in texts:
        for script in _scripts(text)[1]:
            yield from script.commands


def _generated(wrappers, programs, words):
    lines = [f"{w}{p} {' '.join(ws)}" for w, p, ws in zip(wrappers, programs, words)]
    return [f"FROM debian:12\nRUN {' && '.join(lines)}\n"]


@given(st.lists(st.sampled_from(WRAPPED), min_size=1, max_size=4), st.lists(st.sampled_from(APT_LIKE), min_size=4, max_size=4),
       st.lists(st.lists(st.sampled_from(APT_WORDS), max_size=3), min_size=4, max_size=4))
@settings(max_examples=150, deadline=None)
def test_apt_verbs_and_installs_only_for_the_programs_asked_first(wrappers, programs, words) -> None:
    """The look-ups skipped for other programs answer nothing for them: verb(c, "apt") only for
    APT_FAMILY, apt_install only where may_install_with_apt (DT101, DT102, apt_lists)."""
    for c in _commands_of(_generated(wrappers, programs, words)):
        _assert_asked_first(c)


def _assert_asked_first(c) -> None:
    from bot.rules.managers import APT_FAMILY

    if c.program not in APT_FAMILY:
        assert verb(c, "apt") == ""
    if not dt102.may_install_with_apt(c):
        assert dt102.apt_install(c) is None


@pytest.mark.parametrize("text", _corpus(300))
def test_apt_programs_asked_first_on_the_corpus(text: str) -> None:
    for c in _commands_of([text]):
        _assert_asked_first(c)


class _Everything:
    """A set that holds every program: with it for APT_FAMILY, no look-up is skipped."""

    def __contains__(self, item) -> bool:
        return True


@pytest.mark.parametrize("text", _corpus(300) + [
    "FROM debian:12\nRUN apt-get update\nRUN sudo apt-get install -y x && ./setup.sh\nRUN rosdep install\n"
    "RUN env A=1 apt update && apt-get install y\nCMD bash run.sh\n",
    "FROM debian:12\nRUN aptitude update && aptitude install -y w\nRUN apt install -y z\n",
    "FROM debian:12\nRUN apt-get update && apt-get install -y w\nRUN ./x.sh; apt update; apt install -y z\n"])
def test_apt_questions_as_when_every_command_is_asked(text: str, monkeypatch) -> None:
    """apt_lists' questions, and DT101's and DT102's findings, as when verb and apt_install are
    asked of every command."""
    import bot.rules.dt101_apt_lists_left_in_layer as dt101

    def answers():
        ctx = Context(parse(text), "Dockerfile")
        return ([(apt_lists.later_install_needs_lists(ctx, i), apt_lists.later_unseen_script(ctx, i),
                  [apt_lists._uses_lists(s) for s in ctx.scripts(i)]) for i in ctx.runs()],
                list(dt101.AptListsLeftInLayer().check(Context(parse(text), "Dockerfile"))),
                list(dt102.AptRecommendsInstalled().check(Context(parse(text), "Dockerfile"))))

    kept = answers()
    monkeypatch.setattr(apt_lists, "APT_FAMILY", _Everything())
    monkeypatch.setattr(dt101, "APT_FAMILY", _Everything())
    monkeypatch.setattr(dt102, "may_install_with_apt", lambda c: True)
    assert answers() == kept


def test_later_apt_questions_see_every_apt_program() -> None:
    ctx = Context(parse("FROM debian:12\nRUN aptitude update && aptitude install -y w\nRUN apt install -y z\n"
                        "RUN ./x.sh; apt update; apt install -y z\nRUN aptitude update; ./y.sh\n"), "Dockerfile")
    first, _, third, fourth = ctx.runs()
    assert apt_lists.later_install_needs_lists(ctx, first) == 3
    assert apt_lists.later_install_needs_lists(ctx, third) is None
    assert apt_lists.later_unseen_script(ctx, first) == ("the RUN on line 4", "./x.sh")
    assert apt_lists.later_unseen_script(ctx, third) is None  # aptitude's update comes before ./y.sh
    assert [apt_lists._uses_lists(s) for s in ctx.scripts(fourth)] == [True]


# ---------------------------------------------------------------------------- DT105


def _configuring_listed_for_the_file(ctx, run, kept) -> bool:
    """DT105 as it was: every RUN of the file that configures no cache, listed on the first ask."""
    if "all" not in kept:
        kept["all"] = {r.index for r in ctx.runs() if dt105._configures_no_cache(ctx, r)}
    return run.index in kept["all"]


@pytest.mark.parametrize("text", _corpus() + [
    "FROM python:3.12 AS b\nRUN pip config set global.no-cache-dir false\nFROM b\nRUN pip install x\n",
    "FROM python:3.12\nRUN pip install x\nRUN python -m pip config set global.no-cache-dir 1\nRUN pip install y\n",
    "FROM python:3.12 AS a\nRUN pip config set global.no-cache-dir 1\nFROM python:3.12\nRUN pip install z\n"])
def test_dt105_asks_only_earlier_runs_as_when_listing_every_run(text: str, monkeypatch) -> None:
    kept = list(dt105.PipCacheInLayer().check(Context(parse(text), "Dockerfile")))
    monkeypatch.setattr(dt105, "_configures", _configuring_listed_for_the_file)
    assert list(dt105.PipCacheInLayer().check(Context(parse(text), "Dockerfile"))) == kept


def test_dt105_config_in_an_earlier_run_of_the_image_keeps_quiet() -> None:
    def lines(text):
        return [f.span.start.line for f in dt105.PipCacheInLayer().check(Context(parse(text), "Dockerfile"))]

    config = "FROM python:3.12 AS a\nRUN pip config set global.no-cache-dir 1\n"
    assert lines(config + "FROM python:3.12\nRUN pip install z\n") == [4]  # another image's RUN
    assert lines(config + "FROM a\nRUN pip install y\n") == []
    assert lines("FROM python:3.12\nRUN pip install x\nRUN pip config set global.no-cache-dir 1\n") == [2]


# ---------------------------------------------------------------------------- DT107, DT108: RUNs without the tool


GEM_FILES = (
    "FROM ruby:3.3\nRUN apt-get update\nRUN gem install rails && bundle install\nRUN echo 'gem: --no-document' > ~/.gemrc\n"
    "RUN sudo gem install x\nRUN gem2.7 install y --no-ri\nRUN bundler install\n",
    "FROM ubuntu:14.04\nRUN gem install --no-ri --no-rdoc a\nRUN gem install b\nRUN bundle config set path vendor\n"
    "RUN cd /app && bundle install --jobs 4\n",
)
YARN_FILES = (
    "FROM node:20\nWORKDIR /app\nCOPY package.json yarn.lock ./\nRUN yarn install --frozen-lockfile\nRUN npx yarn add x\n",
    "FROM node:20\nRUN corepack prepare yarn@4.1.0 --activate\nRUN yarn install\n",
    "FROM node:20\nRUN yarn set version classic && yarn\nRUN sudo yarn global add y\n",
)


def _files_saying(*words: str) -> list[str]:
    return [t for t in _corpus() if any(w in t for w in words)]


@pytest.mark.parametrize("text", _files_saying("gem", "bundle") + list(GEM_FILES))
def test_dt108_skips_only_runs_that_cannot_report(text: str, monkeypatch) -> None:
    import bot.rules.dt108_gem_docs_in_layer as dt108

    kept = list(dt108.GemDocsInLayer().check(Context(parse(text), "Dockerfile")))
    monkeypatch.setattr(dt108, "_runs_gem_or_bundle", lambda ctx, ins: True)
    assert list(dt108.GemDocsInLayer().check(Context(parse(text), "Dockerfile"))) == kept


@pytest.mark.parametrize("text", _files_saying("yarn") + list(YARN_FILES))
def test_dt107_skips_only_runs_that_cannot_report(text: str, monkeypatch) -> None:
    import bot.rules.dt107_yarn_cache_in_layer as dt107

    kept = list(dt107.YarnCacheInLayer().check(Context(parse(text), "Dockerfile")))
    monkeypatch.setattr(dt107, "_runs_yarn", lambda ctx, ins: True)
    assert list(dt107.YarnCacheInLayer().check(Context(parse(text), "Dockerfile"))) == kept


@given(st.lists(st.tuples(st.sampled_from(("yarn", "corepack", "npx", "sudo", "node", "npm")),
                          st.lists(st.sampled_from(("set", "version", "berry", "stable", "prepare", "yarn@4.0.1",
                                                    "workspaces", "focus", "--cwd", "x", "use")), max_size=4)),
                min_size=1, max_size=3))
@settings(max_examples=200, deadline=None)
def test_dt107_berry_setup_holds_only_for_yarn_and_corepack(commands) -> None:
    """What berry_setup now asks first: it held for no other program before either."""
    import bot.rules.dt107_yarn_cache_in_layer as dt107

    text = " && ".join(" ".join([p, *w]) for p, w in commands)
    for c in _commands_of([f"FROM node:20\nRUN {text}\n"]):
        if c.program not in ("yarn", "corepack"):
            assert not dt107.berry_setup(c)
    assert dt107.berry_setup(next(_commands_of(["FROM node:20\nRUN yarn set version berry\n"])))
