"""More work rules skip or keep (speed, issue 12; see test_rule_shortcuts): a shortcut holds
only where the work it skips would have found nothing, and a kept answer is what a fresh
computation gives."""

import fnmatch

import pytest
from hypothesis import given, settings, strategies as st

from bot.model.dockerfile import parse
from bot.rules import dt503_unneeded_assets_in_copy as dt503
from bot.rules.base import BuildContext, Context
from bot.rules.context_files import final_copies
from bot.rules.dt201_cleanup_in_later_layer import KINDS, _apk_deleted, _may_clean, _where
from bot.rules.dt207_build_packages_in_final_image import (
    DRIVERS,
    BuildPackagesInFinalImage,
    _installs,
    _installs_a_compiler,
    _left,
    _name,
    _serves_run_time_commands,
    meant_for_building,
)
from bot.rules.dt301_broad_copy_before_install import BroadCopyBeforeInstall, _broad_copy
from bot.rules.dt503_unneeded_assets_in_copy import UNNEEDED, _patterns_of
from tests.rules.test_rule_shortcuts import CLEANUPS, PROGRAMS, WORDS, _commands, _corpus

# ---------------------------------------------------------------------------- DT301

NO_BROAD = ("FROM node:20\nCOPY package.json .\nRUN npm ci\nCOPY --from=x . .\nRUN apt-get install -y git\n"
            "COPY src ./src\nRUN yarn\nFROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n")


@pytest.mark.parametrize("text", [NO_BROAD] + _corpus())
def test_dt301_a_stage_without_a_broad_copy_has_nothing_to_report(text: str) -> None:
    """check() skips such a stage: both of its checks, run anyway, find nothing there."""
    ctx = Context(parse(text), "Dockerfile")
    rule = BroadCopyBeforeInstall()
    skipped = 0
    for stage in ctx.stages():
        items = [i for i in stage.instructions if i.inner is None]
        broads = [_broad_copy(ctx, i) for i in items]
        if all(b is None for b in broads):
            skipped += 1
            assert list(rule._stage(ctx, items, broads)) == list(rule._system(ctx, items, broads)) == []
    if text == NO_BROAD:
        assert skipped == 1 and [f.span.start.line for f in rule.check(ctx)] == [9]


# ---------------------------------------------------------------------------- DT207

def _dt207_as_it_was(ctx: Context):
    """DT207's check before the shortcut: _installs_a_compiler and _serves_run_time_commands
    asked first, for every install."""
    rule = BuildPackagesInFinalImage()
    if meant_for_building(ctx):
        return
    compiles_here = _installs_a_compiler(ctx)
    for ins in ctx.runs(final_only=True):
        for script in ctx.scripts(ins):
            reported: set[str] = set()
            for install in _installs(script):
                if _serves_run_time_commands(ctx, ins, script, install):
                    continue
                left = []
                for w in _left(script, install):
                    if not compiles_here and _name(w) in DRIVERS:
                        continue
                    if _name(w) not in reported:
                        reported.add(_name(w))
                        left.append(w)
                if left:
                    yield rule._finding(ctx, ins, script, install, left)


BUILD_PACKAGES = ("FROM debian:12\nRUN apt-get install -y make cmake curl && make\nRUN apt-get install -y libssl-dev\n"
                  "RUN apt-get install -y gcc && apt-get purge -y gcc\nRUN apt-get install -y make libpq-dev\n"
                  "CMD [\"app\"]\n")
NO_COMPILER = "FROM debian:12\nRUN apt-get install -y make cmake curl && make\nCMD [\"app\"]\n"


def _shown(findings) -> list[tuple]:
    return [(f.span, f.message, f.fix, f.hint) for f in findings]


@pytest.mark.parametrize("text", [BUILD_PACKAGES, NO_COMPILER] + _corpus(300))
def test_dt207_asks_the_compiler_and_run_time_questions_only_where_they_decide(text: str) -> None:
    found = _shown(BuildPackagesInFinalImage().check(Context(parse(text), "Dockerfile")))
    assert found == _shown(_dt207_as_it_was(Context(parse(text), "Dockerfile")))
    if text == BUILD_PACKAGES:
        assert [f[1].split(";")[0] for f in found] == ["build-only make, cmake in the final image",
                                                        "build-only libssl-dev in the final image",
                                                        "build-only make, libpq-dev in the final image"]
    if text == NO_COMPILER:
        assert found == []


# ---------------------------------------------------------------------------- DT201

def _cleans_beyond_may_clean(text: str) -> list[str]:
    """Commands _may_clean turns away though a check of later_cleanups holds for them: a
    Kind's cleans, apk del (virtual packages), rm (downloads, copied trees)."""
    return [cmd.program for ctx, run, cmd in _commands(text) if not _may_clean(cmd) and (
        cmd.program == "rm" or _apk_deleted(cmd) or any(kind.cleans(cmd, _where(ctx, run)) for kind in KINDS))]


@given(st.sampled_from(PROGRAMS), st.lists(st.sampled_from(WORDS + ("group", "--purge", "makecache", "-q")),
                                           max_size=5))
@settings(max_examples=600, deadline=None)
def test_dt201_may_clean_turns_away_no_clean(program: str, words: list[str]) -> None:
    assert _cleans_beyond_may_clean(f"FROM debian:12\nENV HOME=/root\nRUN {program} {' '.join(words)}\n") == []


@pytest.mark.parametrize("text", [CLEANUPS, "FROM alpine\nRUN apk del .build-deps && yum -y clean all\n"] + _corpus(300))
def test_dt201_may_clean_turns_away_no_clean_in_the_corpus(text: str) -> None:
    assert _cleans_beyond_may_clean(text) == []
    if text == CLEANUPS:  # each of its commands cleans but the wrapped ones, which no check unwraps
        assert [cmd.program for _, _, cmd in _commands(text) if not _may_clean(cmd)] == ["sudo", "env"]


# ---------------------------------------------------------------------------- DT503

def _patterns_by_fnmatch(path: str) -> frozenset[str]:
    """The classification _patterns_of replaced: each UNNEEDED glob matched against each part."""
    return frozenset(pattern for _, pattern in UNNEEDED
                     if any(fnmatch.fnmatchcase(part, pattern[3:]) for part in path.split("/")))


PATH_PARTS = ("a", ".a", "lib.a", "x.map", ".map", "app.js", "map", "App.dSYM", "x.dsym", "y.debug", "z.pdb", "pdb",
              "a.map.js", "lib.a.1", "debug", "", ".", "<3 files>", "b.MAP")


@given(st.lists(st.sampled_from(PATH_PARTS), min_size=1, max_size=4),
       st.text(alphabet="ab.map/dSY", max_size=10))
@settings(max_examples=500, deadline=None)
def test_dt503_patterns_of_is_fnmatchs_answer(parts: list[str], tail: str) -> None:
    for path in ("/".join(parts), "/".join(parts) + tail, tail):
        assert _patterns_of.__wrapped__(path) == _patterns_by_fnmatch(path)


def test_dt503_unneeded_patterns_are_suffixes_the_search_knows() -> None:
    for _, pattern in UNNEEDED:  # _hit and _ANY_UNNEEDED read each pattern as **/* and a plain suffix
        assert pattern.startswith("**/*") and not any(ch in pattern[4:] for ch in "*?[")
        assert _patterns_of.__wrapped__("dir/x" + pattern[4:] + "/f") == frozenset((pattern,))
    assert _patterns_of.__wrapped__("src/app.js") == frozenset()


DT503_FILES = (
    "FROM nginx:1.27-alpine\nCOPY dist /usr/share/nginx/html\n",
    "FROM python:3.12-slim\nCOPY . /app\nCOPY lib/*.a /usr/lib/\n",
    "FROM python:3.12-slim AS build\nCOPY . /src\nFROM debian:12\nCOPY build/ /opt/\nCOPY README.md /\n",
    "FROM caddy:2\nCOPY site /srv\n",
)
DT503_CONTEXTS = (
    {"dist/app.js.map": 200_000, "dist/app.js": 1_200_000, "lib/x.a": 300_000, "build/app.pdb": 150_000},
    {"dist/app.js": 1_200_000, "site/index.html": 2_000_000, "README.md": 10, "src/main.c": 5},
    {"dist/app.js.map": 200_000, "build/Game.dSYM/x": 300_000, ".dockerignore": 22},
    {},
)


def _dt503(text: str, files: dict, monkeypatch, shortcut: bool) -> list[tuple]:
    if not shortcut:  # final_copies as it was: every COPY listed, whatever the context holds
        monkeypatch.setattr(dt503, "final_copies", lambda ctx, broad_only, any_tagged=None: final_copies(ctx, broad_only))
    context = BuildContext("/ctx", files, {".dockerignore": "**/*.map\nbuild\n"} if ".dockerignore" in files else {})
    try:
        return _shown(dt503.UnneededAssetsInCopy().check(Context(parse(text), "/ctx/Dockerfile", context)))
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("files", DT503_CONTEXTS)
@pytest.mark.parametrize("text", DT503_FILES)
def test_dt503_lists_no_copy_of_a_context_without_unneeded_files_where_that_is_all_it_reports(text: str, files: dict,
                                                                                            monkeypatch) -> None:
    found = _dt503(text, files, monkeypatch, shortcut=True)
    assert found == _dt503(text, files, monkeypatch, shortcut=False)
    if files is DT503_CONTEXTS[0] and text == DT503_FILES[0]:
        assert [m[:40] for _, m, _, _ in found] == ["`COPY` ships source maps (200.0 kB); no ",
                                                    "1.2 MB of web assets with no .gz/.br cop"]


def test_dt503_asks_once_per_context_whether_it_holds_an_unneeded_file() -> None:
    context = BuildContext("/ctx", DT503_CONTEXTS[1])
    for path in ("/ctx/a.Dockerfile", "/ctx/b.Dockerfile"):
        ctx = Context(parse("FROM python:3.12-slim\nCOPY . /app\n"), path, context)
        assert list(dt503.UnneededAssetsInCopy().check(ctx)) == []
    assert context._derived[("any tagged", _patterns_of, None)] is False
    assert not [k for k in context._derived if k[0] in ("copied", "tagged")]  # no COPY was listed


def _creates_beyond_writes(text: str) -> list[tuple[str, str]]:
    """(kind, program) where a Kind's ``creates`` holds for a program its ``writes`` turns away."""
    return [(kind.name, cmd.program) for ctx, run, cmd in _commands(text) for kind in KINDS
            if kind.creates(cmd, _where(ctx, run)) and not kind.writes(cmd.program)]


CREATING_PROGRAMS = PROGRAMS + ("python", "python3.12", "pip3.11", "aptitude", "tdnf", "corepack")
CREATING_WORDS = ("update", "install", "add", "i", "ci", "create", "global", "--no-cache", "--no-cache-dir", "-m",
                  "pip", "-y", "makecache", "upgrade", "x")


@given(st.sampled_from(CREATING_PROGRAMS), st.lists(st.sampled_from(CREATING_WORDS), max_size=4))
@settings(max_examples=600, deadline=None)
def test_dt201_a_kind_is_written_only_by_programs_it_writes(program: str, words: list[str]) -> None:
    assert _creates_beyond_writes(f"FROM debian:12\nRUN {program} {' '.join(words)}\n") == []


CREATES = ("FROM x\nRUN apt-get update && aptitude update && pip install a && python3 -m pip install b && npm ci "
           "&& yarn add c && dnf install -y d && microdnf install e && yum install f && apk add g && apk update "
           "&& conda install h && mamba create -n x && micromamba install i\n")


@pytest.mark.parametrize("text", [CREATES] + _corpus(300))
def test_dt201_a_kind_is_written_only_by_programs_it_writes_in_the_corpus(text: str) -> None:
    assert _creates_beyond_writes(text) == []
    if text == CREATES:  # every kind has a writer here
        assert {kind.name for ctx, run, cmd in _commands(text) for kind in KINDS
                if kind.creates(cmd, _where(ctx, run))} == {kind.name for kind in KINDS}
