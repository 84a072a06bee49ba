"""Work rules skip or keep (speed, issue 12): a shortcut holds only where the work it skips
would have found nothing, and a kept answer is what a fresh computation gives."""

import glob
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from bot.model.dockerfile import parse
from bot.rules.base import BuildContext, Context
from bot.rules.dockerignore import _ignore_file, ignore_file
from bot.rules.dt102_apt_recommends_installed import (_later_needs, _writes_config, apt_install, disables_recommends, packages,
                                                      recommends_kept, writes_no_recommends_config)
from bot.rules.dt105_pip_cache_in_layer import _configures_no_cache
from bot.rules.dt107_yarn_cache_in_layer import YarnCacheInLayer
from bot.rules.dt201_cleanup_in_later_layer import CLEANERS, KINDS, _where
from bot.rules.dt301_broad_copy_before_install import _broad_copy, _runs_after
from bot.rules import python_build
from bot.rules.ecosystems import _tool_and_args, dependency_install, final_image_root, tool_args
from bot.rules.caches import pip_install
import bot.rules.dt207_build_packages_in_final_image as dt207
from bot.rules.dt601_cache_mount_available import (NOT_MANAGERS, SHARED_STORE, CacheMountAvailable, _drops, _manager,
                                                  _store_sharers)
from bot.rules.facts import APT, LazyPattern, command_needs, normalise_home, removes, unwrap, words_needs
from bot.rules.managers import FAMILY_CACHE_DIRS, MANAGERS

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "dockerfiles")


def _corpus(limit: int = 120) -> list[str]:
    found = sorted(glob.glob(os.path.join(CORPUS, "*")))[:limit]
    return [open(p, encoding="utf-8", errors="replace").read() for p in found]


def _commands(text: str):
    """(ctx, RUN, command) of every command a file runs."""
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    for run in ctx.runs():
        for script in ctx.scripts(run):
            for cmd in script.commands:
                yield ctx, run, cmd


def _cleaned_kinds_outside_cleaners(text: str) -> list[tuple[str, str]]:
    """(kind, program) where a Kind's ``cleans`` holds for a program not among its ``cleaners``."""
    return [(kind.name, cmd.program) for ctx, run, cmd in _commands(text) for kind in KINDS
            if kind.cleans(cmd, _where(ctx, run)) and cmd.program not in kind.cleaners]


# ---------------------------------------------------------------------------- DT201

PROGRAMS = ("rm", "find", "apt-get", "apt", "aptitude", "pip", "pip3", "python3", "uv", "npm", "yarn", "pnpm",
            "yum", "dnf", "dnf5", "microdnf", "zypper", "apk", "conda", "mamba", "micromamba", "sudo", "env",
            "/bin/rm", "composer", "gem", "go", "cargo", "true")
WORDS = ("-rf", "-delete", "-m", "pip", "cache", "clean", "purge", "all", "--all", "-a", "distclean", "dist-clean",
         "autoclean", "del", "/var/lib/apt/lists/*", "/var/lib/apt/lists", "/root/.cache/pip", "~/.cache/pip",
         "$HOME/.npm", "/root/.npm/_cacache", "/usr/local/share/.cache/yarn", "/var/cache/yum", "/var/cache/dnf",
         "/var/cache/apk", "/var/cache/apk/*", "/var/cache", "/", "/root", "metadata", "--force", "-y", "rm", "npm")


@given(st.sampled_from(PROGRAMS), st.lists(st.sampled_from(WORDS), max_size=5))
@settings(max_examples=400, deadline=None)
def test_a_kind_is_cleaned_only_by_its_cleaners(program: str, words: list[str]) -> None:
    text = f"FROM debian:12\nENV HOME=/root\nRUN {program} {' '.join(words)}\n"
    assert _cleaned_kinds_outside_cleaners(text) == []


CLEANUPS = ("FROM debian:12\nRUN find /var/lib/apt/lists -delete && find /root/.cache/pip -delete && apt-get distclean"
            " && rm -rf ~/.npm /usr/local/share/.cache/yarn /var/cache/apk && dnf clean all && microdnf clean all"
            " && yum clean all && pip cache purge && npm cache clean --force && yarn cache clean && apk cache clean"
            " && conda clean -a && sudo rm -rf /var/cache/dnf && env X=1 find /var/cache/apk -delete\n")


def test_every_kind_has_a_clean_among_its_cleaners() -> None:
    cleaned = {kind.name for ctx, run, cmd in _commands(CLEANUPS) for kind in KINDS if kind.cleans(cmd, _where(ctx, run))}
    assert cleaned == {kind.name for kind in KINDS}


@pytest.mark.parametrize("text", [CLEANUPS] + _corpus())
def test_a_kind_is_cleaned_only_by_its_cleaners_in_the_corpus(text: str) -> None:
    assert _cleaned_kinds_outside_cleaners(text) == []


def test_the_cleaners_are_every_kinds_cleaners() -> None:
    assert CLEANERS == frozenset().union(*(k.cleaners for k in KINDS))
    assert {"rm", "find", "apk", "apt-get", "pip", "npm", "yarn", "dnf", "conda"} <= CLEANERS


# ---------------------------------------------------------------------------- patterns compiled on first use

PATTERNS = (r"[<>=!~\[;@ ]", r"(?<=.)@", r"[\s;&|()]+", r".+-(dev|devel|headers)", r"^\s*gemspec|path:")


@given(st.sampled_from(PATTERNS), st.text(alphabet="ab-@=<; \n()dev|", max_size=12))
@settings(max_examples=300, deadline=None)
def test_a_lazy_pattern_answers_as_the_compiled_one(pattern: str, text: str) -> None:
    lazy, compiled = LazyPattern(pattern, re.M), re.compile(pattern, re.M)
    for _ in range(2):  # the first call compiles, the second uses what it kept
        assert lazy.split(text, maxsplit=1) == compiled.split(text, maxsplit=1)
        assert lazy.split(text) == compiled.split(text)
        for found, expected in ((lazy.fullmatch(text), compiled.fullmatch(text)), (lazy.search(text), compiled.search(text))):
            assert (found and (found.span(), found.groups())) == (expected and (expected.span(), expected.groups()))


def test_rule_modules_compile_their_patterns_only_when_used() -> None:
    code = (
        "import bot.rules.dt102_apt_recommends_installed, bot.rules.dt207_build_packages_in_final_image, "
        "bot.rules.python_build, bot.rules.dt601_cache_mount_available, bot.rules.facts\n"
        "from bot.rules.facts import LazyPattern\n"
        "import sys\n"
        "lazy = [v for m in list(sys.modules.values()) if getattr(m, '__name__', '').startswith('bot.rules')\n"
        "        for v in [*vars(m).values(), *(x for d in vars(m).values() if isinstance(d, dict) for x in d.values())]\n"
        "        if isinstance(v, LazyPattern)]\n"
        "print(len(lazy), sum(1 for p in lazy if len(vars(p)) > 2))\n"
        "from bot.rules.dt207_build_packages_in_final_image import is_build_package\n"
        "is_build_package('libssl-dev')\n"
        "print(sum(1 for p in lazy if len(vars(p)) > 2))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    count, compiled, after_use = map(int, out)
    assert count >= 20 and compiled == 0  # none compiled by the import
    assert after_use >= 1  # a use compiles the pattern it needs


# ---------------------------------------------------------------------------- facts kept on a command

TOOLS = ("FROM x\nRUN python3 -m pip install a && npx yarn install && pip3.12 install b && uv pip install c "
         "&& ./mvnw -B package && gradlew build && corepack pnpm i && python -c 1 && npm ci && ls\n")


@pytest.mark.parametrize("text", [TOOLS] + _corpus(60))
def test_kept_tool_args_are_fresh_answers(text: str) -> None:
    for _, _, cmd in _commands(text):
        fresh_prog, fresh_args = _tool_and_args.__wrapped__(cmd)
        for _ in range(2):  # the second round answers from what the first kept
            prog, args = tool_args(cmd)
            assert (prog, args) == (fresh_prog, list(fresh_args))
            args.clear()  # a caller's list is its own
        assert dependency_install(cmd) == _dependency_install_unkept(cmd)


def _dependency_install_unkept(cmd):
    """dependency_install with nothing kept on the command."""
    fresh = cmd._replace()  # a new Command: nothing kept
    return dependency_install(fresh)._replace(command=cmd) if dependency_install(fresh) else None


def test_tool_args_names_the_tool() -> None:
    names = [tool_args(cmd)[0] for _, _, cmd in _commands(TOOLS)]
    assert names == ["pip", "yarn", "pip", "pip", "mvn", "gradle", "pnpm", "python", "npm", "ls"]


APT_INSTALLS = ("FROM debian:12\nRUN apt-get install -y --no-install-recommends curl=7.88 libssl-dev:amd64 $X "
                "&& apt-get -o APT::Install-Recommends=false install git && apt install -y ./x.deb gcc "
                "&& aptitude install -R vim && sudo apt-get install --install-recommends=no make && ls -l\n")


@pytest.mark.parametrize("text", [APT_INSTALLS] + _corpus(60))
def test_kept_apt_install_facts_are_fresh_answers(text: str) -> None:
    for _, _, cmd in _commands(text):
        for _ in range(2):  # the second round answers from what the first kept
            assert packages(cmd) == packages.__wrapped__(cmd)
            assert disables_recommends(cmd) == disables_recommends.__wrapped__(cmd)
            for name in packages(cmd):
                assert recommends_kept(name) == recommends_kept.__wrapped__(name)


def test_apt_install_facts_read_the_command() -> None:
    installs = [apt_install(cmd) for _, _, cmd in _commands(APT_INSTALLS)]
    assert [packages(c) for c in installs if c] == [("curl", "libssl-dev"), ("git",), ("./x.deb", "gcc"), ("vim",),
                                                    ("make",)]
    assert [disables_recommends(c) for c in installs if c] == [True, True, False, True, True]


@pytest.mark.parametrize("files,berry", [({"a/.yarnrc.yml": 1, "b": 2}, True), ({".yarn/releases/y.cjs": 1}, True),
                                         ({".yarnrc": 1, "yarn.lock": 2}, False), ({}, False)])
def test_the_yarn_berry_context_is_listed_once_per_context(files: dict, berry: bool) -> None:
    context = BuildContext("/ctx", files)
    rule = YarnCacheInLayer()
    answers = [rule._berry_context(Context(parse("FROM node:20\nRUN yarn\n"), f"Dockerfile.{i}", context)) for i in range(3)]
    assert answers == [berry] * 3
    assert context._derived == {("yarn berry",): berry}


PIP_CONFIG = ("FROM python:3.12 AS base\nRUN pip config set global.no-cache-dir false\nONBUILD RUN pip3 config set "
              "global.no-cache-dir 1\nFROM base\nRUN pip install a\nFROM python:3.12\nRUN python -m pip install b\n"
              "RUN sudo pip config --user set global.no-cache-dir off && pip install c\n")


@pytest.mark.parametrize("text", [PIP_CONFIG] + _corpus())
def test_dt105_lists_the_no_cache_configs_once_as_each_run_would_find_them(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    configuring = {r.index for r in ctx.runs() if _configures_no_cache(ctx, r)}
    for ins in ctx.runs(final_only=True):
        by_scan = any(_configures_no_cache(ctx, o) for o in ctx.before(ins))  # the scan the set replaces
        assert by_scan == any(o.keyword == "RUN" and o.index in configuring for o in ctx.before(ins))
    if text == PIP_CONFIG:
        # the ONBUILD RUN and the stage built FROM it see line 2's config; the third stage and its own RUN's do not
        assert [any(o.index in configuring for o in ctx.before(i)) for i in ctx.runs()] == [False, True, True, False,
                                                                                             False]


class _PlainContext:
    """A context with files and texts but nothing kept (copied_bytes accepts any such)."""

    root = "/ctx"

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def exists(self, path: str) -> bool:
        return path in self.texts

    def text(self, path: str) -> str | None:
        return self.texts.get(path)


@pytest.mark.parametrize("path", ["/ctx/Dockerfile", "/ctx/api/api.Dockerfile", "/ctx/web.Dockerfile", "Dockerfile"])
def test_the_kept_ignore_file_is_a_fresh_answer(path: str) -> None:
    texts = {".dockerignore": "docs\n", "api/api.Dockerfile.dockerignore": "tests\n"}
    context = BuildContext("/ctx", {k: len(v) for k, v in texts.items()}, texts)
    for _ in range(2):  # the second answer is the kept one
        assert ignore_file(context, path) == _ignore_file(context, path) == ignore_file(_PlainContext(texts), path)
    assert context._derived == {("ignore file", path): _ignore_file(context, path)}


BROAD = ("FROM node:20\nCOPY . .\nRUN npm ci\nCOPY ./ /app\nRUN apt-get install -y git\nCOPY --from=x . .\n"
         "RUN npm ci\nADD . /src\nONBUILD RUN make\nRUN yarn\n")


@pytest.mark.parametrize("text", [BROAD] + _corpus())
def test_dt301_runs_after_each_broad_copy_are_those_a_scan_finds(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    for stage in ctx.stages():
        items = [i for i in stage.instructions if i.inner is None]
        broads = [_broad_copy(ctx, i) for i in items]
        for pos in range(len(items)):
            scanned = []  # what _runs_after gave when it asked _broad_copy of each instruction itself
            for later_pos in range(pos + 1, len(items)):
                if items[later_pos].keyword == "RUN":
                    scanned.append((later_pos, items[later_pos]))
                elif _broad_copy(ctx, items[later_pos]) is not None:
                    break
            assert list(_runs_after(items, broads, pos)) == scanned
    if text == BROAD:
        items = [i for i in ctx.stages()[0].instructions if i.inner is None]
        assert [p for p, _ in _runs_after(items, [_broad_copy(ctx, i) for i in items], 1)] == [2]


# ---------------------------------------------------------------------------- DT102's later needs

NEEDS = ("FROM python:3.12 AS base\nRUN apt-get update && apt-get install -y curl gcc && curl https://x | sh "
         "&& pip install a\nONBUILD RUN git clone https://g/r && gcc -o x x.c\nFROM base\n"
         "RUN echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/99norec && apt-get install -y git\n"
         "RUN go build ./... && pip install b && curl https://y\nCMD [\"xvfb-run\", \"app\"]\n")


def _later_needs_eager(ctx, ins, script, install) -> dict:
    """DT102's later needs as worked out before (every command's line, every later command
    merged), as (why, line) per kind."""
    found = {}
    env = ctx.env(ins)
    for s in ctx.scripts(ins):
        for c in s.commands:
            if s is not script or c.span.start > install.span.start:
                for n in command_needs(c, env):
                    found.setdefault(n.kind, (n.why, c.span.start.line))
                found.setdefault(f"uses:{unwrap(c).program}", ("", c.span.start.line))
    for other in ctx.after(ins):
        if other.keyword == "RUN":
            other_env = ctx.env(other)
            for s in ctx.scripts(other):
                for c in s.commands:
                    for n in command_needs(c, other_env):
                        found.setdefault(n.kind, (n.why, c.span.start.line))
                    found.setdefault(f"uses:{unwrap(c).program}", ("", c.span.start.line))
        elif other.keyword in ("CMD", "ENTRYPOINT"):
            words = list(other.json_args) if other.json_args is not None else other.body.text.split()
            for n in words_needs(words):
                found.setdefault(n.kind, (n.why, other.line))
    return found


@pytest.mark.parametrize("text", [NEEDS] + _corpus(200))
def test_dt102_later_needs_are_the_eager_ones(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    run_needs: dict = {}  # shared by every install of the file, as in check
    for ins in ctx.runs():
        for script in ctx.scripts(ins):
            for install in filter(None, map(apt_install, script.commands)):
                needs = _later_needs(ctx, ins, script, install, run_needs)
                assert {k: (n.why, n.line) for k, n in needs.items()} == _later_needs_eager(ctx, ins, script, install)
    if text == NEEDS:
        first = ctx.runs()[0]
        needs = _later_needs(ctx, first, ctx.scripts(first)[0], ctx.scripts(first)[0].commands[1], {})
        assert {k: needs[k].line for k in ("https", "pip", "git", "compile", "cgo", "xauth")} == {
            "https": 2, "pip": 2, "git": 3, "compile": 3, "cgo": 6, "xauth": 7}


@pytest.mark.parametrize("text", [NEEDS] + _corpus())
def test_dt102_kept_config_writes_are_fresh_answers(text: str) -> None:
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    kept: dict = {}
    for _ in range(2):  # the second round answers from what the first kept
        for ins in ctx.instructions():
            assert _writes_config(ctx, ins, kept) == writes_no_recommends_config(ctx, ins)
    if text == NEEDS:
        assert [i.line for i in ctx.instructions() if _writes_config(ctx, i, kept)] == [5]


# ---------------------------------------------------------------------------- DT601's cleanups to drop

def _drops_scanning_all(name: str, script) -> list:
    """DT601's _drops as it was: every top-level command's tool and words, then the manager's clean."""
    out = []
    for c in script.top_level():
        prog, args = tool_args(c)
        words = [a.text for a in args]
        if name == "apt" and c.program in APT and c.subcommand() in ("clean", "autoclean"):
            out.append(c)
        elif name == "pip" and prog == "pip" and words[:2] in (["cache", "purge"], ["cache", "remove"]):
            out.append(c)
        elif name == "pnpm" and prog == "pnpm" and words[:2] == ["store", "prune"]:
            out.append(c)
        elif name == "npm" and prog == "npm" and words[:2] == ["cache", "clean"]:
            out.append(c)
        elif name == "yarn" and prog == "yarn" and words[:2] == ["cache", "clean"]:
            out.append(c)
        elif name == "composer" and prog == "composer" and words[:1] in (["clear-cache"], ["clearcache"], ["cc"]):
            out.append(c)
        elif name == "go" and prog == "go" and words[:1] == ["clean"] and ("-modcache" in words or "-cache" in words):
            out.append(c)
    return out


MANAGER_NAMES = ("apt", "pip", "npm", "yarn", "pnpm", "go", "cargo", "maven", "gradle", "composer", "bundler")
CLEAN_PROGRAMS = ("apt-get", "apt", "pip", "pip3", "python3 -m pip", "uv pip", "npm", "npx yarn", "yarn", "pnpm",
                  "corepack pnpm", "composer", "go", "mvn", "./gradlew", "cargo", "rm")
CLEAN_WORDS = ("cache", "purge", "remove", "clean", "autoclean", "store", "prune", "clear-cache", "clearcache", "cc",
               "-modcache", "-cache", "--force", "-y", "x")


@given(st.lists(st.tuples(st.sampled_from(CLEAN_PROGRAMS), st.lists(st.sampled_from(CLEAN_WORDS), max_size=3)),
                min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_dt601_drops_are_those_a_scan_of_every_command_finds(commands: list) -> None:
    script = " && ".join(" ".join([p, *w]) for p, w in commands)
    ctx = Context(parse(f"FROM debian:12\nRUN {script}\n"), "Dockerfile")
    (parsed,) = ctx.scripts(ctx.runs()[0])
    for name in MANAGER_NAMES:
        assert _drops(name, parsed, None, []) == _drops_scanning_all(name, parsed)


def test_dt601_drops_find_each_managers_clean() -> None:
    ctx = Context(parse("FROM x\nRUN pip cache purge && npm cache clean --force && apt-get clean && go clean -modcache\n"),
                  "Dockerfile")
    (parsed,) = ctx.scripts(ctx.runs()[0])
    assert [[c.program for c in _drops(n, parsed, None, [])] for n in ("pip", "npm", "apt", "go", "yarn")] == [
        ["pip"], ["npm"], ["apt-get"], ["go"], []]


# ---------------------------------------------------------------------------- Context.after

def _after_walking(ctx: Context, ins) -> list:
    """Context.after as it was: a walk of the stages from that of ``ins``, each asked its lineage."""
    stage = ctx.stage(ins)
    if stage is None:
        return []
    out = []
    for s in ctx.df.stages[stage.index :]:
        if stage not in ctx.lineage(s):
            continue
        for other in s.instructions:
            other = other.effective()
            if s is not stage or other.index > ins.index:
                out.append(other)
    return out


STAGES = ("ARG V=1\nFROM debian:12 AS base\nRUN a\nONBUILD RUN b\nCOPY x /x\nFROM base AS mid\nRUN c\n"
          "FROM alpine AS other\nRUN d\nFROM mid\nRUN e\nCMD [\"x\"]\nFROM base\nRUN f\n")


@pytest.mark.parametrize("text", [STAGES] + _corpus(200))
def test_after_is_the_walk_of_the_stages_built_on_it(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    for _ in range(2):  # the second round answers from what the first kept
        for ins in [*ctx.df.instructions, *ctx.df.all_instructions()]:
            assert list(ctx.after(ins)) == _after_walking(ctx, ins)
    if text == STAGES:
        first_run = ctx.runs()[0]
        assert [i.line for i in ctx.after(first_run)] == [4, 5, 6, 7, 10, 11, 12, 13, 14]  # not the alpine stage


# ---------------------------------------------------------------------------- DT601's managers and shared stores

def _manager_asking_all(cmd) -> str:
    """DT601's _manager as it was: every command asked all four look-ups."""
    if cmd.program in APT and cmd.subcommand() == "install":
        return "apt"
    if pip_install(cmd) is not None:
        return "" if cmd.has_option("--no-index") else "pip"
    if cmd.program == "go" and cmd.subcommand() == "get":
        return "go"
    found = dependency_install(cmd)
    if found is None:
        return ""
    eco = found.ecosystem
    return eco if eco in ("npm", "yarn", "pnpm", "go", "cargo", "maven", "gradle", "composer", "bundler") else ""


MANAGER_WORDS = ("install", "-m", "pip", "ci", "i", "get", "build", "mod", "download", "-y", "--no-index", "x",
                 "package", "fetch", "add", "--", "update", "requirements.txt", "-r")


@given(st.sampled_from(sorted(NOT_MANAGERS | APT | {"sudo", "env", "pip", "go", "npm", "python3"})),
       st.lists(st.sampled_from(MANAGER_WORDS + tuple(sorted(NOT_MANAGERS))), max_size=4))
@settings(max_examples=500, deadline=None)
def test_dt601_managers_answer_as_asking_every_look_up(program: str, words: list[str]) -> None:
    for _, _, cmd in _commands(f"FROM debian:12\nRUN {program} {' '.join(words)}\n"):
        assert _manager(cmd) == _manager_asking_all(cmd)


@pytest.mark.parametrize("text", _corpus(200))
def test_dt601_managers_in_the_corpus(text: str) -> None:
    for _, _, cmd in _commands(text):
        assert _manager(cmd) == _manager_asking_all(cmd)


def _store_sharers_scanning(ctx, ins, candidates, names, later) -> list:
    """DT601's _store_sharers as it was: every candidate asked its stage, whatever ``names``."""
    stage, line = ctx.stage(ins), ins.span.start.line
    out = []
    for other, _, managers, _, _ in candidates:
        if other is ins or ctx.stage(other) is not stage or (other.span.start.line > line) is not later:
            continue
        shared = names & set(managers)
        if shared:
            out.append((other, shared))
    return out


SHARERS = ("FROM golang:1.22 AS a\nRUN go mod download\nRUN go build ./...\nRUN pip install x\n"
           "FROM maven:3 AS b\nRUN mvn dependency:go-offline\nRUN mvn -o package\nFROM a\nRUN go build .\n")


@pytest.mark.parametrize("text", [SHARERS] + _corpus(200))
def test_dt601_store_sharers_are_those_a_scan_finds(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    rule = CacheMountAvailable()
    candidates = []
    for ins in ctx.runs():
        scripts = ctx.scripts(ins)
        if ins.json_args is None and not ins.heredocs and len(scripts) == 1:
            found = rule._managers(ctx, ins, scripts[0])
            if found is not None:
                candidates.append((ins, scripts[0], *found))
    for ins, *_ in candidates:
        for names in (set(), {"go"}, {"maven", "cargo"}, set(SHARED_STORE), {"pip", "apt"}):
            for later in (True, False):
                assert list(_store_sharers(ctx, ins, candidates, names, later)) == \
                    _store_sharers_scanning(ctx, ins, candidates, names, later)
    if text == SHARERS:
        first = candidates[0][0]
        assert [(o.line, s) for o, s in _store_sharers(ctx, first, candidates, {"go"}, True)] == [(3, {"go"})]


# ---------------------------------------------------------------------------- rm operands kept on the command

def _removes_from_words(cmd, path: str, home: str = "/root", inside: bool = False) -> bool:
    """facts.removes as it was: each operand made a target again on every call."""
    path = path.rstrip("/")
    if cmd.program == "rm":
        for w in cmd.positionals():
            target = normalise_home(w.text, home).rstrip("/")
            if target.endswith("/*"):
                target = target[:-2]
            if target and (path == target or path.startswith(target + "/") or (inside and target.startswith(path + "/"))):
                return True
    if cmd.program == "find" and cmd.has_option("-delete"):
        return any(normalise_home(w.text, home).rstrip("/") == path for w in cmd.positionals())
    return False


RM_WORDS = ("-rf", "/var/lib/apt/lists/*", "/var/lib/apt/lists", "~", "~/", "~/.cache", "~/.cache/pip/*", "$HOME",
            "$HOME/.npm", "${HOME}/.npm/", "/root/.npm", "/", "/*", "//", "/var/cache/", "x", "~x", "$HOMEX/a",
            "/tmp/*", "-delete", ".", "/root")
RM_PATHS = ("/var/lib/apt/lists", "/root/.npm", "/root/.cache/pip", "/home/app/.npm", "/var/cache/apk", "/", "/tmp/")


@given(st.sampled_from(("rm", "find", "sudo rm", "ls")), st.lists(st.sampled_from(RM_WORDS), max_size=4),
       st.sampled_from(RM_PATHS), st.sampled_from(("/root", "/home/app", "/home/app/", "/")), st.booleans())
@settings(max_examples=500, deadline=None)
def test_removes_answers_as_from_the_words(program: str, words: list[str], path: str, home: str, inside: bool) -> None:
    for _, _, cmd in _commands(f"FROM debian:12\nRUN {program} {' '.join(words)}\n"):
        for _ in range(2):  # the second answer uses the operands kept on the command
            assert removes(cmd, path, home, inside) == _removes_from_words(cmd, path, home, inside)


def test_each_familys_cache_dirs_are_its_first_managers() -> None:
    for family in {m.family for m in MANAGERS.values()}:
        assert FAMILY_CACHE_DIRS[family] == next(m.cache_dirs for m in MANAGERS.values() if m.family == family)
    assert FAMILY_CACHE_DIRS["dnf"] == MANAGERS["yum"].cache_dirs and "/var/lib/apt/lists" in FAMILY_CACHE_DIRS["apt"]


# ---------------------------------------------------------------------------- DT207 asks for a compiler only of a driver

def _dt207_left_eagerly(ctx) -> list:
    """DT207's packages left, as check found them before: whether the image installs a compiler asked first."""
    if dt207.meant_for_building(ctx):
        return []
    compiles_here = dt207._installs_a_compiler(ctx)
    out = []
    for ins in ctx.runs(final_only=True):
        for script in ctx.scripts(ins):
            reported: set = set()
            for install in dt207._installs(script):
                if dt207._serves_run_time_commands(ctx, ins, script, install):
                    continue
                left = []
                for w in dt207._left(script, install):
                    if not compiles_here and dt207._name(w) in dt207.DRIVERS:
                        continue
                    if dt207._name(w) not in reported:
                        reported.add(dt207._name(w))
                        left.append(w)
                if left:
                    out.append((left[0].span.start.line, [w.text for w in left]))
    return out


DRIVERS_LEFT = ("FROM debian:12\nRUN apt-get install -y make cmake libssl-dev\nRUN apt-get install -y gcc\n"
                "CMD [\"app\"]\n")


@pytest.mark.parametrize("text", [DRIVERS_LEFT, DRIVERS_LEFT.replace(" gcc", " curl")] + _corpus(300))
def test_dt207_finds_what_asking_for_a_compiler_first_found(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    found = [(f.span.start.line, list(f.hint.params["packages"])) for f in dt207.BuildPackagesInFinalImage().check(ctx)]
    eager = _dt207_left_eagerly(Context(parse(text), "Dockerfile"))
    assert found == eager
    if text == DRIVERS_LEFT:
        assert eager == [(2, ["make", "cmake", "libssl-dev"]), (3, ["gcc"])]


# ---------------------------------------------------------------------------- python_build.plan asks for installs first

PY_PLANS = ("FROM python:3.12\nRUN apt-get install -y gcc libpq-dev\nRUN pip install psycopg2\n",
            "FROM python:3.12\nRUN apt-get install -y gcc libpq-dev\nCMD [\"python\"]\n",
            "FROM debian:12\nRUN apt-get install -y python3 python3-venv gcc python3-dev && pip install x\n")


@pytest.mark.parametrize("text", list(PY_PLANS) + _corpus(300))
def test_python_plan_needs_a_python_install_and_reads_the_same_twice(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    root = final_image_root(ctx)
    if root is None:
        return
    chain, _, ref = root
    installs = [c for stage in chain for i in stage.instructions if i.effective().keyword == "RUN"
                for c in python_build.python_installs(ctx, i.effective())]
    found = python_build.plan(ctx, chain, ref)
    if not installs:
        assert found is None  # the shortcut: the old full read ended in None too (no installs)
    fresh = Context(parse(text), "Dockerfile")
    assert found == python_build.plan(fresh, final_image_root(fresh)[0], ref)
    if text == PY_PLANS[0]:
        assert found is not None and found.build_packages == ("gcc", "libpq-dev")
    if text == PY_PLANS[1]:
        assert found is None
