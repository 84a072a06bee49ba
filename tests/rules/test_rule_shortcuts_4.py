"""More work the engine and rules skip or keep (speed, issue 12; see test_rule_shortcuts): each
shortcut answers as the code it replaced, here kept as a reference."""

import fnmatch
import glob
import os

import pytest
from hypothesis import given, settings, strategies as st

from bot import engine, rules as catalogue
from bot.model.dockerfile import parse
from bot.model.findings import STAGE_CLAIM, Finding, Fix, Safety, Severity, SizeHint
from bot.model.stages import workdir_at
from bot.model.text import Position, Span
from bot.rules import dt201_cleanup_in_later_layer as dt201, dt204_consecutive_runs as dt204
from bot.rules import dt205_downloaded_archive_left as dt205, dt206_archive_left_in_copy_layer as dt206
from bot.rules import dt207_build_packages_in_final_image as dt207, dt209_build_tree_left_in_layer as dt209
from bot.rules import dt301_broad_copy_before_install as dt301, dt302_dev_dependencies_in_final_image as dt302
from bot.rules import dt501_dockerignore_missing_heavy_folders as dt501, dt502_broad_copy_brings_unneeded_files as dt502
from bot.rules import python_build
from bot.rules.apt_lists import lone_update
from bot.rules.base import BuildContext, Context
from bot.rules.dockerignore import (copied_bytes, files_under, ignore_file, included_files, is_excluded,
                                    parse as parse_ignore)
from bot.rules.dt201_cleanup_in_later_layer import later_cleanups
from bot.rules.ecosystems import tool_args
from bot.rules.facts import _tree, command_dirs, copy_args, downloads, is_archive, is_url, join_path, single_command, unwrap
from bot.rules.managers import command_kind, verb
from tests.conftest import requires_corpus
from tests.rules.test_rule_shortcuts import CORPUS as CORPUS_DIR, _commands, _corpus

# ---------------------------------------------------------------------------- the rule loop's plan

WORDS = sorted({w for words in catalogue.TRIGGERS.values() if words for w in words}) + ["FROM", "ENV", "xyz"]


def _ran_before(ids: list[str], said: frozenset[str]) -> list[str]:
    """The rules the engine's loop ran before it followed a plan."""
    return [i for i in ids if i not in catalogue.RUN_BY_ENGINE and catalogue.may_report(i, said)]


def _runs_by_plan(plan, said: frozenset[str]) -> list[str]:
    return [rule_id for rule_id, words in plan if words is None or not said.isdisjoint(words)]


@given(st.lists(st.sampled_from(sorted(catalogue.NAMES)), unique=True),
       st.frozensets(st.sampled_from(WORDS)))
@settings(max_examples=300, deadline=None)
def test_the_plan_runs_the_rules_the_loop_ran(chosen: list[str], said: frozenset[str]) -> None:
    ids = [i for i in catalogue.NAMES if i in chosen]
    assert _runs_by_plan(catalogue.plan(ids), said) == _ran_before(ids, said)


@pytest.mark.parametrize("select,ignore", [((), ()), (("DT2",), ()), ((), ("DT105", "DT4")), (("ALL",), ("DT901",))])
def test_the_plan_on_corpus_files(select, ignore) -> None:
    ids, plan = engine._rule_ids(engine.Options(select=select, ignore=ignore), "Dockerfile")
    assert ids == catalogue.static_ids(list(select), list(ignore))
    for text in _corpus(60):
        said = catalogue.says(parse(text))
        assert _runs_by_plan(plan, said) == _ran_before(ids, said)


# ---------------------------------------------------------------------------- one comment per waste


def _supersedes_before(a: Finding, b: Finding) -> bool:
    """engine._supersedes before each finding's claims were made a set once, and before
    findings were compared only with those that share a claim."""
    if b.hint is None or not b.hint.claims:
        return False
    mine, theirs = set(a.hint.claims), set(b.hint.claims)
    if not mine & theirs:
        return False
    if a.span == b.span and a.fix is not None and b.fix is None:
        return True
    whole_stage = any(c.partition("@")[0] == STAGE_CLAIM for c in mine)
    return whole_stage and mine > theirs and (a.fix is not None or b.fix is None)


def _collapse_before(findings: list[Finding]) -> list[Finding]:
    claimed = [f for f in findings if f.hint is not None and f.hint.claims]
    if len(claimed) < 2:
        return findings
    return [f for f in findings if not any(o is not f and _supersedes_before(o, f) for o in claimed)]


CLAIMS = ("apt:lists@1", "apt:lists@2", f"{STAGE_CLAIM}@0", f"{STAGE_CLAIM}@1", "pip:cache@1", "context:x")
SPANS = (Span(Position(1, 0), Position(1, 5)), Span(Position(2, 0), Position(2, 9)))
FIX = Fix("f", (), Safety.DISPLAY_ONLY)


@st.composite
def _findings(draw) -> Finding:
    claims = draw(st.lists(st.sampled_from(CLAIMS), max_size=4))
    hint = draw(st.sampled_from((None, SizeHint("k", {}, tuple(claims)))))
    return Finding(draw(st.sampled_from(("DT101", "DT203", "DT401", "DT402"))), "n", Severity.WARNING, "Dockerfile",
                   draw(st.sampled_from(SPANS)), "m", fix=draw(st.sampled_from((None, FIX))), hint=hint)


@given(st.lists(_findings(), max_size=7))
@settings(max_examples=500, deadline=None)
def test_collapsing_drops_what_it_dropped_before(findings: list[Finding]) -> None:
    findings = findings + findings[:1]  # the same finding twice: identity, not equality, tells them apart
    assert [id(f) for f in engine._collapse_same_waste(list(findings))] == [id(f) for f in _collapse_before(findings)]


@pytest.mark.parametrize("text", _corpus(200))
def test_collapsing_corpus_findings(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    found = engine._run_rules(ctx, catalogue.plan(catalogue.static_ids()))
    assert engine._collapse_same_waste(list(found)) == _collapse_before(found)


# ---------------------------------------------------------------------------- kept answers of Context


@pytest.mark.parametrize("text", ["FROM a\nRUN x\nWORKDIR b\nRUN y\nFROM scratch\nCOPY a b\n"] + _corpus(120))
def test_a_kept_workdir_is_a_fresh_answer(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    for _ in range(2):  # the second round answers from what the first kept
        for ins in ctx.instructions():
            for default in ("/", None, "/app"):
                assert ctx.workdir(ins, default) == workdir_at(df, ctx.before(ins), default)


# ---------------------------------------------------------------------------- DT502's names of a path


def _matches_before(name: str, path: str) -> bool:
    """DT502's test of one name, before every name was tested at once."""
    parts = path.split("/")
    if name.startswith("**/"):
        return any(fnmatch.fnmatchcase(p, name[3:]) for p in parts)
    return parts[0] == name


def _names_of_before(path: str) -> tuple[str, ...]:
    return tuple(name for kind in dt502.KINDS for name in kind.names if _matches_before(name, path))


PARTS = sorted({n.removeprefix("**/") for k in dt502.KINDS for n in k.names}) + [
    "a", "a.swp", ".swp", "x.swp.bak", "Tests", "docs.md", "src", "", ".", "__tests__x", "*", "[x]", "a\nb.swp"]


@given(st.lists(st.sampled_from(PARTS), min_size=1, max_size=4))
@settings(max_examples=600, deadline=None)
def test_dt502_names_a_path_as_one_test_per_name_did(parts: list[str]) -> None:
    path = "/".join(parts)
    assert dt502._names_of.__wrapped__(path) == _names_of_before(path)


def test_dt502_names_the_paths_of_a_context() -> None:
    paths = [os.path.relpath(p, CORPUS_DIR) for p in glob.glob(os.path.join(CORPUS_DIR, "..", "**"), recursive=True)]
    paths += ["tests/a.py", "docs", "src/__tests__/x.js", "a/.DS_Store", "b/c.swp", ".github/workflows/ci.yml"]
    for path in paths:
        assert dt502._names_of(path) == _names_of_before(path), path


# ---------------------------------------------------------------------------- one command, cheap tests first


def _single_command_before(script):
    """facts.single_command before its cheap test came first: the tree's test, then the commands'."""
    root = _tree(script)
    kids = [c for c in root.named_children if c.type != "comment"]
    first = kids[0] if len(kids) == 1 else None
    if first is not None and first.type == "redirected_statement" and first.named_children:
        first = first.named_children[0]
    one_statement = first is not None and not any(c.type in (";", "&") for c in root.children)
    top = script.top_level()
    return top[0] if one_statement and first.type == "command" and len(top) == 1 else None


def _lone_update_before(script):
    cmd = _single_command_before(script)
    if cmd is None or len(script.commands) != 1:
        return None
    if verb(unwrap(cmd), "apt") == "update" and cmd.depth == 0:
        return cmd
    return None


SCRIPT_PARTS = ("apt-get update", "sudo apt-get update", "apt update", "ls", "echo $(apt-get update)", "(apt-get update)",
                "{ apt-get update; }", "x=1", "apt-get update > /dev/null", "cat <<EOF\nx\nEOF", "# c", "f() { ls; }")
JOINERS = (" && ", "; ", " | ", " & ", "\n", " || ")


def _scripts_of(text: str):
    ctx = Context(parse(text), "Dockerfile")
    return [s for run in ctx.runs() for s in ctx.scripts(run)]


@given(st.lists(st.sampled_from(SCRIPT_PARTS), min_size=1, max_size=3), st.lists(st.sampled_from(JOINERS), min_size=2,
                                                                                  max_size=2))
@settings(max_examples=400, deadline=None)
def test_single_command_and_lone_update_answer_as_before(parts: list[str], joiners: list[str]) -> None:
    body = parts[0] + "".join(j + p for j, p in zip(joiners, parts[1:]))
    for text in (f"FROM debian\nRUN {body}\n", f"FROM debian\nRUN <<EOF\n{body}\nEOF\n",
                 f'FROM debian\nRUN ["sh", "-c", "{body}"]\n'):
        for script in _scripts_of(text):
            assert single_command(script) == _single_command_before(script)
            assert lone_update(script) == _lone_update_before(script)


@pytest.mark.parametrize("text", _corpus(250))
def test_single_command_and_lone_update_on_corpus_scripts(text: str) -> None:
    for script in _scripts_of(text):
        assert single_command(script) == _single_command_before(script)
        assert lone_update(script) == _lone_update_before(script)


# ---------------------------------------------------------------------------- DT209: RUNs that make no tree

TREE_PARTS = ("git clone https://x/y.git", "sudo git clone https://x/y /src/y", "env A=1 tar xzf a.tgz", "cd y",
              "tar -xf a.tar", "unzip a.zip", "bsdtar xf a", "nice -n 5 unzip a.zip -d /src/z", "make install",
              "cd /src/y", "curl -O https://x/a.tgz", "ls", "git pull", "stdbuf -oL tar xf a.tar -C /opt/x")


def _skipped_runs_make_no_tree(text: str) -> int:
    """How many RUNs check() skips; each, walked anyway, yields no tree."""
    ctx = Context(parse(text), "Dockerfile")
    skipped = 0
    for ins in ctx.runs(final_only=True):
        if not any(c.program in dt209.TREE_PROGRAMS for s in ctx.scripts(ins) for c in s.commands):
            skipped += 1
            for start in (ctx.workdir(ins) or "", "/work", ""):
                assert all(dt209._trees(s, start, ctx.home(ins)) == [] for s in ctx.scripts(ins))
    return skipped


@given(st.lists(st.sampled_from(TREE_PARTS), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_dt209_a_run_without_tree_programs_makes_no_tree(parts: list[str]) -> None:
    _skipped_runs_make_no_tree("FROM debian\nWORKDIR /src\nRUN " + " && ".join(parts) + "\n")


@requires_corpus
def test_dt209_skipped_runs_of_the_corpus_make_no_tree() -> None:
    assert sum(_skipped_runs_make_no_tree(text) for text in _corpus(538)) > 500


# ---------------------------------------------------------------------------- DT207: names of removals only


def _left_before(script, install) -> list:
    """dt207._left before only removals had their package names worked out: every later
    command's operands, named by the manager its program suggests."""
    build = [w for w in install.packages if dt207.is_build_package(dt207._name(w))]
    later = [c for c in script.commands if c.span.start > install.cmd.span.start]
    names_of = {id(c): {dt207._name(w) for w in dt207._operands(
        c, "apk" if c.program == "apk" else ("rpm" if c.program in dt207.RPM else "apt"))[0]} for c in later}
    marked_auto = any(c.program == "apt-mark" and c.subcommand() == "auto" for c in script.commands)
    removed, everything = set(), False
    for c in later:
        p, sub, names = c.program, c.subcommand(), names_of[id(c)]
        if (p in dt207.APT and sub in ("purge", "remove", "autoremove")) or (p == "apk" and sub == "del") or (
                p in dt207.RPM and sub in ("remove", "erase", "autoremove")):
            removed |= names
            everything = everything or (p in dt207.APT and not names and marked_auto) or (
                p == "apk" and bool(install.virtual) and install.virtual in names)
        elif p == "dpkg" and c.has_option("-P", "--purge", "-r", "--remove"):
            removed |= {w.text for w in c.positionals()}
    return [] if everything or not build else [w for w in build if dt207._name(w) not in removed]


REMOVALS = ("apt-get install -y gcc make libssl-dev", "apt-get purge -y gcc", "apt-get remove make", "apt-mark auto gcc",
            "apt-get autoremove -y", "apk add --virtual .b gcc musl-dev", "apk del .b", "apk del gcc", "dnf install gcc",
            "dnf remove -y gcc", "yum erase make", "dpkg -P gcc", "dpkg --remove make", "make", "rm -rf /x",
            "apt-get purge -y --auto-remove gcc=4:12 libssl-dev:amd64")


@given(st.lists(st.sampled_from(REMOVALS), min_size=1, max_size=5))
@settings(max_examples=500, deadline=None)
def test_dt207_left_answers_as_before(parts: list[str]) -> None:
    for script in _scripts_of("FROM debian\nRUN " + " && ".join(parts) + "\n"):
        for install in dt207._installs(script):
            assert dt207._left(script, install) == _left_before(script, install)


@pytest.mark.parametrize("text", _corpus(538))
def test_dt207_left_on_corpus_installs(text: str) -> None:
    for script in _scripts_of(text):
        for install in dt207._installs(script):
            assert dt207._left(script, install) == _left_before(script, install)


# ---------------------------------------------------------------------------- bytes a COPY sends, kept per context


def _copied_bytes_before(context, dockerfile_path: str, sources) -> int | None:
    """dockerignore.copied_bytes before a context kept its sums."""
    if context is None or not context.files:
        return None
    text = ignore_file(context, dockerfile_path)[1]
    found = files_under(included_files(parse_ignore(text or ""), context.files), sources)
    return sum(found.values()) if found else None


CONTEXT_FILES = {"app.py": 10, "src/a.py": 20, "src/b/c.txt": 30, "docs/x.md": 40, "big.tgz": 500, "Dockerfile": 5,
                 "api/api.Dockerfile": 6}
IGNORES = {".dockerignore": "docs\n*.tgz\n!big.tgz\n", "api/api.Dockerfile.dockerignore": "src\n"}
SOURCES = (".", "src", "src/", "src/*", "*.py", "docs", "big.tgz", "nothing", "./src/b", "api")


@given(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=3), st.booleans())
@settings(max_examples=300, deadline=None)
def test_kept_copied_bytes_are_fresh_answers(sources: list[str], ignored: bool) -> None:
    texts = IGNORES if ignored else {}
    files = dict(CONTEXT_FILES, **{k: len(v) for k, v in texts.items()})
    context = BuildContext("/ctx", files, texts)
    for path in ("/ctx/Dockerfile", "/ctx/api/api.Dockerfile"):
        for _ in range(2):  # the second answer is the kept one
            assert copied_bytes(context, path, iter(sources)) == _copied_bytes_before(context, path, sources)
    assert copied_bytes(None, "Dockerfile", sources) is None
    assert copied_bytes(BuildContext("/ctx", {}), "Dockerfile", sources) is None


def test_corpus_copies_send_the_bytes_they_sent() -> None:
    context = engine.build_context_for(os.path.join(CORPUS_DIR, "0001.Dockerfile"))
    for text, path in zip(_corpus(538), sorted(glob.glob(os.path.join(CORPUS_DIR, "*")))):
        ctx = Context(parse(text, path), path, context)
        for ins in ctx.instructions("COPY", "ADD"):
            args = copy_args(ctx.df, ins)
            if args is not None:
                assert copied_bytes(context, path, args.sources) == _copied_bytes_before(context, path, args.sources)


# ---------------------------------------------------------------------------- python installs, DT301's broad COPYs


def _python_installs_before(ctx: Context, ins) -> list:
    """python_build.python_installs before it skipped other programs first."""
    out = []
    for cmd in (c for s in ctx.scripts(ins) for c in s.commands):
        prog, args = tool_args(cmd)
        sub = next((a.text for a in args if not a.text.startswith("-")), "")
        if (prog, sub) in {("pip", "install"), ("poetry", "install"), ("poetry", "sync"), ("pipenv", "install"),
                           ("pipenv", "sync"), ("uv", "sync")}:
            out.append(cmd)
    return out


INSTALLS = ("FROM python:3.12\nRUN pip install a && python -m pip install -U b && uv sync && uv pip install c "
            "&& poetry install --no-root && pipenv sync && pipenv lock && sudo pip3 install d && ls\n"
            "COPY . .\nONBUILD RUN pip install e\n")


@pytest.mark.parametrize("text", [INSTALLS] + _corpus(538))
def test_python_installs_and_broad_copies_as_before(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    for ins in ctx.instructions():
        if ins.keyword == "RUN":
            assert python_build.python_installs(ctx, ins) == _python_installs_before(ctx, ins)
        if ins.keyword not in ("COPY", "ADD"):
            assert dt301._broad_copy(ctx, ins) is None  # what check() no longer asks
    if text == INSTALLS:
        assert len(python_build.python_installs(ctx, ctx.runs()[0])) == 6


# ---------------------------------------------------------------------------- DT501: the context's heavy folders first


def _missing_before(ctx: Context) -> tuple:
    """DT501's (patterns, bytes) before the context's heavy folders were found first: each
    entry of HEAVY asked of the Dockerfile, then of the context; () when nothing is missing."""
    bc = ctx.build_context
    broad = next((a for a in (copy_args(ctx.df, i) for i in ctx.instructions("COPY", "ADD", final_only=True)
                              if not i.flag("from")) if a is not None and not a.heredoc and a.source_offsets
                  and any(s in dt501.BROAD for s in a.sources)), None)
    if broad is None or not bc.files:
        return ()
    patterns = parse_ignore(ignore_file(bc, ctx.path)[1] or "")
    facts = dt501._facts(ctx)
    missing = []
    for folder, pattern, condition in dt501.HEAVY:
        if not dt501._needed(condition, folder, facts, bc):
            continue
        files = {p: n for p, n in bc.under(folder).items() if dt501._top_or_any(pattern, p, folder)}
        repo = any(bc.exists(m) or dt501._has_dir(bc, m) for m in dt501.REPO_MARKERS)
        if (not files and (folder != ".git" or not repo)) or folder in facts["copied_names"]:
            continue
        kept = {p: n for p, n in files.items() if not is_excluded(patterns, p)}
        if (files and not kept) or (folder == ".git" and not files and is_excluded(patterns, ".git/HEAD")):
            continue
        missing.append((pattern, sum(kept.values())))
    return (tuple(p for p, _ in missing), sum(n for _, n in missing)) if missing else ()


HEAVY_FILES = ("node_modules/a.js", "web/node_modules/b.js", ".venv/bin/python", "venv/x", "src/__pycache__/a.pyc",
               ".tox/x", "target/app.jar", "dist/app.js", "build/x.o", ".git/HEAD", ".gitignore", "package.json",
               "app.py", "a/target/x", "pyproject.toml")
HEAVY_DOCKERFILES = ("FROM node:20\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"node\", \"a\"]\n",
                     "FROM python:3.12\nCOPY . /app\nRUN pip install -r requirements.txt\n",
                     "FROM debian\nCOPY ./ /x\nRUN git describe && cargo build\n", "FROM debian\nCOPY app.py /x\n",
                     "FROM python:3.12\nCOPY venv /venv\nCOPY . .\n")


@given(st.lists(st.sampled_from(HEAVY_FILES), unique=True), st.sampled_from(HEAVY_DOCKERFILES),
       st.sampled_from((None, "node_modules\n", "**/__pycache__\n.git\n", "*\n!node_modules\n")))
@settings(max_examples=400, deadline=None)
def test_dt501_reports_what_it_reported_before(paths: list[str], text: str, ignore: str | None) -> None:
    files: dict = {p: 600_000 for p in paths}
    texts = {".gitignore": "dist\nbuild\n", "pyproject.toml": "[tool.setuptools_scm]\n"}
    texts = {p: t for p, t in texts.items() if p in files}
    if ignore is not None:
        files[".dockerignore"], texts[".dockerignore"] = len(ignore), ignore
    context = BuildContext("/ctx", files, texts)
    for path in ("/ctx/Dockerfile", "/ctx/Dockerfile.web"):  # the second Dockerfile meets the context's kept facts
        ctx = Context(parse(text), path, context)
        found = [(f.hint.params["missing"], f.hint.params["bytes"]) for f in dt501.DockerignoreMissingHeavyFolders().check(ctx)]
        assert found == ([_missing_before(ctx)] if _missing_before(ctx) else [])


def test_dt501_on_the_corpus_reports_what_it_reported_before() -> None:
    context = engine.build_context_for(os.path.join(CORPUS_DIR, "0001.Dockerfile"))
    for text, path in zip(_corpus(538), sorted(glob.glob(os.path.join(CORPUS_DIR, "*")))):
        ctx = Context(parse(text, path), path, context)
        found = [(f.hint.params["missing"], f.hint.params["bytes"]) for f in dt501.DockerignoreMissingHeavyFolders().check(ctx)]
        assert found == ([_missing_before(ctx)] if _missing_before(ctx) else [])


# ---------------------------------------------------------------------------- DT206: archives before where they go


def _archives_before(ctx: Context):
    """dt206._archives before the sources were looked at first: every COPY's WORKDIR asked."""
    for ins in ctx.instructions("COPY", "ADD", final_only=True):
        args = copy_args(ctx.df, ins)
        if args is None or args.heredoc or not args.source_offsets or ins.flag("from") or ins.flag("unpack"):
            continue
        wd = ctx.workdir(ins) if "$" not in args.dest else ""
        dest = join_path(wd, args.dest) if wd else ""
        to_dir = len(args.sources) > 1 or args.dest.endswith("/") or args.dest.rsplit("/", 1)[-1] in (".", "..") or dest == wd
        names = [src.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1] for src in args.sources] if wd else []
        yield from (dt206.Archive(ins, src, join_path(dest, name) if to_dir else dest, word)
                    for src, word, name in zip(args.sources, args.source_offsets, names)
                    if is_archive(name) and not any(ch in name for ch in "*?[") and not (
                        ins.keyword == "ADD" and not is_url(src) and name.lower().endswith(dt206.TAR_SUFFIXES)))


ARCHIVES = ("FROM debian\nWORKDIR /w\nCOPY a.tgz b.zip ./\nADD c.tar.gz /x/\nADD https://e.com/d.tar.gz?x=1 .\n"
            "COPY *.tgz /y/\nCOPY e.whl /z/f.whl\nCOPY $X.tgz /q/\nCOPY --from=b g.tgz /g/\nCOPY j.jar /\n"
            "WORKDIR $NOPE\nCOPY h.tgz i/\n")


def test_dt206_finds_the_archives_it_found() -> None:
    contexts = [Context(parse(text), "Dockerfile") for text in [ARCHIVES] + _corpus(538)]
    found = [list(dt206._archives(ctx)) for ctx in contexts]
    assert found == [list(_archives_before(ctx)) for ctx in contexts]
    assert [a.path for a in found[0]] == ["/w/a.tgz", "/w/b.zip", "/w/d.tar.gz", "/z/f.whl", "/q/$X.tgz"]


# ---------------------------------------------------------------------------- DT302: ENV asked of installs only


class _EnvCounting(Context):
    """A Context that counts the asks of ``env``."""

    asked = 0

    def env(self, ins):
        self.asked += 1
        return super().env(ins)


def test_dt302_asks_the_env_of_an_install_only() -> None:
    rule = dt302.DevDependenciesInFinalImage()
    quiet = _EnvCounting(parse("FROM node:20\nENV NODE_ENV=production\nRUN ls && make\nRUN echo hi\nCMD [\"node\"]\n"),
                         "Dockerfile")
    assert list(rule.check(quiet)) == [] and quiet.asked == 0
    text = "FROM php:8.3\nENV COMPOSER_NO_DEV=1\nRUN composer install\nFROM php:8.3\nRUN ls && composer install\n"
    installs = _EnvCounting(parse(text), "Dockerfile")
    assert [f.span.start.line for f in rule.check(installs)] == [5] and installs.asked >= 1
    assert list(rule.check(_EnvCounting(parse(text.split("FROM php:8.3\nRUN ls")[0]), "Dockerfile"))) == []


# ---------------------------------------------------------------------------- DT201: nothing earlier, nothing to blame

FIRST_RUNS = ("FROM debian\nENV A=1\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
              "RUN rm -rf /var/lib/apt/lists/*\n",
              "FROM alpine\nWORKDIR /x\nRUN apk del .b && rm -rf /x /tmp/a.tgz /root/.cache && pip cache purge\n"
              "COPY . /x\nRUN rm -rf /x/tests\n",
              "FROM a AS b\nRUN curl -o /tmp/a.tgz https://e/a.tgz\nFROM b\nRUN rm /tmp/a.tgz\n")


@pytest.mark.parametrize("text", FIRST_RUNS + tuple(_corpus(538)))
def test_dt201_a_run_after_no_run_copy_or_add_has_no_later_cleanup(text: str) -> None:
    """later_cleanups skips such a RUN; each of its checks, run anyway, finds nothing there."""
    ctx = Context(parse(text), "Dockerfile")
    for run in ctx.runs():
        if any(i.keyword in ("RUN", "COPY", "ADD") for i in ctx.before(run)):
            continue
        assert later_cleanups(ctx, run) == []
        w = dt201._where(ctx, run)
        for script in ctx.scripts(run):
            dirs = command_dirs(script, ctx.workdir(run) or "")
            assert dt201._kind_cleanups(ctx, script, w, [], set()) == []
            assert dt201._download_removals(script, dirs, w.home, []) == []
            assert dt201._virtual_removals(ctx, run, script, []) == []
            assert dt201._copied_removals(ctx, run, script, dirs, w.home) == []
    if text == FIRST_RUNS[2]:  # the stage built FROM b sees b's RUN: its rm is reported
        assert [c.label for c in later_cleanups(ctx, ctx.runs()[1])] == ["`a.tgz`"]


# ---------------------------------------------------------------------------- DT204: kinds before trees


def _merge_kinds_before(ctx: Context, first, second) -> bool:
    """What DT204's _merge asked before the kinds came first: one simple command each
    (single_command), of one kind; the rest of _merge is unchanged."""
    a, b = ctx.scripts(first), ctx.scripts(second)
    one, two = (single_command(a[0]), single_command(b[0])) if len(a) == len(b) == 1 else (None, None)
    return one is not None and two is not None and command_kind(one) is not None and \
        command_kind(one) == command_kind(two)


NEIGHBOURS = ("apt-get install -y a", "sudo apt-get install b", "pip install c", "pip3 install d > /dev/null",
              "npm ci", "ls", "apt-get update && apt-get install e", "(pip install f)", "echo $(pip install g)",
              "cd /x", "go build ./...", "pip install h; ls", "rm -rf /x")


@given(st.sampled_from(NEIGHBOURS), st.sampled_from(NEIGHBOURS))
@settings(max_examples=200, deadline=None)
def test_dt204_merges_the_neighbours_it_merged(one: str, two: str) -> None:
    ctx = Context(parse(f"FROM debian\nRUN {one}\nRUN {two}\n"), "Dockerfile")
    first, second = ctx.runs()
    merged = dt204.ConsecutiveRuns()._merge(ctx, first, second)
    if not _merge_kinds_before(ctx, first, second):
        assert merged is None
    elif one == two == "npm ci" or (one, two) == ("apt-get install -y a", "sudo apt-get install b"):
        assert merged is not None


def test_dt204_on_corpus_neighbours() -> None:
    for text in _corpus(538):
        ctx = Context(parse(text), "Dockerfile")
        runs = ctx.runs()
        for first, second in zip(runs, runs[1:]):
            if first.flags == second.flags and not _merge_kinds_before(ctx, first, second):
                assert dt204.ConsecutiveRuns()._merge(ctx, first, second) is None


# ---------------------------------------------------------------------------- DT205: downloads by curl and wget only

DOWNLOAD_WORDS = ("curl", "wget", "sudo", "-o", "-O", "a.tgz", "https://e.com/a.tgz", "-P", "/tmp", "--url", "aria2c",
                  "http://x/y.zip", "-fsSL", "--output-dir")


@given(st.lists(st.sampled_from(DOWNLOAD_WORDS), min_size=1, max_size=6))
@settings(max_examples=400, deadline=None)
def test_only_curl_and_wget_download(words: list[str]) -> None:
    for _, _, cmd in _commands(f"FROM debian\nRUN {' '.join(words)}\n"):
        if cmd.program not in dt205.DOWNLOADERS:
            assert downloads(cmd) == []


def test_corpus_downloads_are_by_curl_and_wget() -> None:
    for text in _corpus(538):
        for _, _, cmd in _commands(text):
            assert cmd.program in dt205.DOWNLOADERS or downloads(cmd) == []


# ---------------------------------------------------------------------------- Context: no flag, no mount


def _cache_mounts_before(ins) -> list[str]:
    """Context.cache_mounts before a RUN without flags was answered at once."""
    found = (dict(p.partition("=")[::2] for p in v.split(",")) for v in ins.flag_values("mount"))
    return [(m.get("target") or m.get("dst") or m.get("destination") or "").rstrip("/") or "/"
            for m in found if m.get("type") in ("cache", "tmpfs")]


MOUNT_FLAGS = ("", "--mount=type=cache,target=/root/.cache ", "--mount=type=tmpfs,dst=/tmp/ ",
               "--mount=type=bind,source=a,target=/a ", "--network=none ", "--mount=type=cache,id=x ")
MOUNT_PATHS = ("/root/.cache/pip", "/root/.cache", "/tmp", "/tmp/x", "/a", "/", "/var/lib/apt/lists/")


@given(st.lists(st.sampled_from(MOUNT_FLAGS), max_size=3), st.sampled_from(MOUNT_PATHS))
@settings(max_examples=300, deadline=None)
def test_mounts_answer_as_before(flags: list[str], path: str) -> None:
    ctx = Context(parse(f"FROM debian\nRUN {''.join(flags)}pip install a\n"), "Dockerfile")
    (run,) = ctx.runs()
    assert ctx.cache_mounts(run) == _cache_mounts_before(run)
    assert ctx.mounts_cover(run, path) == any(path.rstrip("/") == t or path.rstrip("/").startswith(t + "/")
                                              for t in _cache_mounts_before(run))


def test_corpus_mounts_answer_as_before() -> None:
    for text in _corpus(538):
        ctx = Context(parse(text), "Dockerfile")
        for run in ctx.runs():
            assert ctx.cache_mounts(run) == _cache_mounts_before(run)
            for path in MOUNT_PATHS:
                assert ctx.mounts_cover(run, path) == any(path.rstrip("/") == t or path.rstrip("/").startswith(t + "/")
                                                          for t in _cache_mounts_before(run))
