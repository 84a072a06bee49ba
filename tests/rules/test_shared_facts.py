"""Facts many rules ask of one file are computed once and kept (speed, issue 12): each
kept answer must be what a fresh computation gives."""

import glob
import os

import pytest

from bot.model.dockerfile import parse
from bot.model.images import parse_image
from bot.model.stages import variables_at, workdir_at
from bot.rules.base import BuildContext, Context
from bot.rules.dockerignore import files_under
from bot.model.shell import run_scripts
from bot.rules.facts import _copy_args, copy_args, home_dir, user_at
from bot.rules.managers import MANAGERS, _verb, verb

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "dockerfiles")

TEXT = (
    "FROM python:3.12 AS build\nWORKDIR /src\nENV HOME=/home/x\nRUN pip install .\n"
    "FROM build\nUSER app\nWORKDIR rel\nRUN ls\nONBUILD RUN make\n"
    "FROM scratch\nCOPY --from=build /src /app\nCOPY a b c/\nCOPY [\"x y\", \"/z\"]\nRUN true\n"
)


def _files(limit: int = 60) -> list[str]:
    found = sorted(glob.glob(os.path.join(CORPUS, "*")))[:limit]
    return [open(p, encoding="utf-8", errors="replace").read() for p in found] or [TEXT]


@pytest.mark.parametrize("text", [TEXT] + _files())
def test_kept_workdir_and_home_are_fresh_answers(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    for _ in range(2):  # the second round answers from what the first kept
        for ins in df.all_instructions():
            if ins.stage < 0:
                continue
            before = ctx.before(ins)
            assert ctx.workdir(ins) == workdir_at(df, before)
            assert ctx.workdir(ins, None) == workdir_at(df, before, None)
            assert ctx.home(ins) == home_dir(user_at(before, df.escape), ctx.env(ins))


def test_kept_answers_are_per_instruction() -> None:
    df = parse(TEXT)
    ctx = Context(df, "Dockerfile")
    runs = [i for i in df.all_instructions() if i.keyword == "RUN"]
    assert [ctx.workdir(r) for r in runs] == ["/src", "/src/rel", "/src/rel", "/"]
    assert [ctx.home(r) for r in runs] == ["/home/x", "/home/x", "/home/x", "/root"]


@pytest.mark.parametrize("text", [TEXT] + _files())
def test_memoised_copy_args_are_fresh_answers(text: str) -> None:
    df = parse(text)
    for ins in df.all_instructions():
        kept = copy_args(df, ins)
        if ins.keyword not in ("COPY", "ADD"):
            assert kept is None
            continue
        fresh = _copy_args.__wrapped__(ins.json_args, ins.body.text, df.escape)
        assert kept == fresh
        assert copy_args(df, ins) == fresh


@pytest.mark.parametrize("ref", ["python:3.12-slim", "docker.io/library/node:20@sha256:ab", "ghcr.io/a/b:1",
                                 "localhost:5000/x", "$BASE", "", "Ubuntu"])
def test_memoised_image_refs_are_fresh_answers(ref: str) -> None:
    assert parse_image(ref) == parse_image.__wrapped__(ref)
    assert parse_image(ref) is parse_image(ref)


LISTING = {"app.py": 1, "src/a.py": 2, "src/lib/b.py": 3, "srcs/c.py": 4, "docs/x.md": 5, "README": 6}


@pytest.mark.parametrize("sources", [("app.py",), ("src",), ("src/",), ("/src/lib",), ("src/lib/b.py",),
                                     ("missing",), ("README", "docs"), ("*.py",), ("src/*",), (".",), ("sr",)])
def test_files_under_skips_only_scans_that_find_nothing(sources: tuple[str, ...]) -> None:
    context = BuildContext("/ctx", LISTING)
    assert files_under(LISTING, sources, context.is_folder) == files_under(LISTING, sources)
    # a listing narrowed by .dockerignore is asked with the whole context's folders
    narrowed = {p: n for p, n in LISTING.items() if not p.startswith("src/lib")}
    assert files_under(narrowed, sources, context.is_folder) == files_under(narrowed, sources)


def _before_by_definition(ctx: Context, ins) -> tuple:
    """Earlier instructions of the stage, then every one of the stages it is built FROM,
    nearest first (ONBUILD's inner ones in place of the wrapper)."""
    stage = ctx.stage(ins)
    if stage is None:
        return ()
    out = []
    for s in ctx.lineage(stage):
        for other in reversed(s.instructions):
            other = other.effective()
            if s is not stage or other.index < ins.index:
                out.append(other)
    return tuple(out)


CHAINS = ("ARG A=1\nFROM a AS one\nRUN x\nONBUILD RUN y\nENV B=2\nFROM one AS two\nRUN z\nFROM two\n"
          "ONBUILD COPY a b\nRUN w\nFROM scratch\nCOPY --from=two / /\n")


@pytest.mark.parametrize("text", [TEXT, CHAINS] + _files())
def test_before_is_what_its_definition_gives(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    for ins in [*df.instructions, *df.all_instructions()]:
        assert ctx.before(ins) == _before_by_definition(ctx, ins)
        assert all(a is b for a, b in zip(ctx.before(ins), _before_by_definition(ctx, ins)))


VARIABLES = ("ARG V=1 W\nFROM a AS one\nARG V\nENV A=$V B=${A}x\nRUN x\nENV C d e\nONBUILD ENV D=1\n"
             "FROM one\nARG W=2\nENV A=$A$W\nRUN y\nFROM scratch\nENV E=$A\nRUN z\n")


@pytest.mark.parametrize("text", [TEXT, CHAINS, VARIABLES] + _files())
def test_env_kept_per_stage_is_variables_at_of_before(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    for ins in [*df.instructions, *df.all_instructions()]:
        assert ctx.env(ins) == variables_at(df, ctx.before(ins))
    run = [i for i in df.all_instructions() if i.keyword == "RUN"]
    if text == VARIABLES:
        assert [ctx.env(r) for r in run] == [{"V": "1", "A": "1", "B": "1x"},
                                             {"V": "1", "A": "12", "B": "1x", "C": "d e", "D": "1", "W": "2"}, {"E": ""}]
    envs = [ctx.env(i) for i in run]
    for e in envs:
        e["changed"] = "by a caller"
    assert all("changed" not in ctx.env(i) for i in run)  # each caller gets its own copy


def _commands(text: str) -> list:
    df = parse(text)
    return [c for ins in df.all_instructions() if ins.keyword == "RUN" for s in run_scripts(df, ins) for c in s.commands]


COMMANDS = ("FROM x\nRUN apt-get -o a=b -y install curl && dnf in -y x && dnf group install y && yum clean all "
            "&& apk add --virtual .b gcc && pip -q install flask && sudo apt-get update && ls -la /\n")


@pytest.mark.parametrize("text", [COMMANDS] + _files())
def test_facts_kept_on_a_command_are_fresh_answers(text: str) -> None:
    for cmd in _commands(text):
        for _ in range(2):  # the second round answers from what the first kept
            assert cmd.positionals() == [a for a in cmd.args if not a.text.startswith("-")]
            fresh = [a for a in cmd.args if not a.text.startswith("-")]
            assert cmd.subcommand() == (fresh[0].text if fresh else "")
            expected = _verb.__wrapped__(cmd) if cmd.program in MANAGERS else ""
            assert verb(cmd) == expected
            for family in ("apt", "dnf"):
                assert verb(cmd, family) == (expected if MANAGERS.get(cmd.program, None) is not None
                                             and MANAGERS[cmd.program].family == family else "")


def test_a_command_made_from_another_keeps_nothing_of_it() -> None:
    cmd = _commands("FROM x\nRUN apt-get install -y curl\n")[0]
    assert (verb(cmd), cmd.subcommand()) == ("install", "install")
    other = cmd._replace(args=cmd.args[2:])  # -y curl
    assert (verb(other), other.subcommand(), [w.text for w in other.positionals()]) == ("curl", "curl", ["curl"])
    listed = cmd.positionals()
    listed.clear()  # a caller's list is its own
    assert [w.text for w in cmd.positionals()] == ["install", "curl"]
