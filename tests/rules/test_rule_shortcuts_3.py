"""Work the cache rules (DT101, DT102, DT104-DT106, DT110-DT112, DT601) and their facts keep or
skip (speed, issue 12): each shortcut is held to the code it replaced."""

import glob
import os

import pytest
from hypothesis import given, settings, strategies as st

import bot.rules.caches as caches
import bot.rules.dt102_apt_recommends_installed as dt102
import bot.rules.dt104_rpm_cache_in_layer as dt104
import bot.rules.dt105_pip_cache_in_layer as dt105
import bot.rules.dt106_npm_cache_in_layer as dt106
import bot.rules.dt110_go_cache_in_layer as dt110
import bot.rules.dt111_jvm_build_cache_in_layer as dt111
import bot.rules.dt112_package_cache_in_layer as dt112
import bot.rules.dt601_cache_mount_available as dt601
from bot.model.dockerfile import parse
from bot.model.findings import Fix, Safety
from bot.rules.base import Context
from bot.rules.dt101_apt_lists_left_in_layer import APT_LISTS, AptListsLeftInLayer
from bot.rules.caches import BY_KEY, WRITERS, _pip_install, may_run_pip, pip_install
from bot.rules.facts import _tree, single_command, unwrap, words_needs

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "dockerfiles")


def _corpus(limit: int | None = None) -> list[str]:
    found = sorted(glob.glob(os.path.join(CORPUS, "*")))[:limit]
    return [open(p, encoding="utf-8", errors="replace").read() for p in found]


# ---------------------------------------------------------------------------- DT601


def _sorting_fix(title, edits, safety, reason=""):
    """DT601's Fix as the rule made it before, from its edits sorted by their start, checked
    to be the Fix it makes now from them in the order it finds them."""
    made = Fix(title, edits, safety, reason)
    assert made == Fix(title, tuple(sorted(edits, key=lambda e: e.span.start)), safety, reason)
    return made


@given(st.lists(st.tuples(st.sampled_from(("apt", "pip", "go", "maven")),
                          st.lists(st.sampled_from(("/var/cache/apt", "/var/lib/apt", "/root/.m2", "/go/pkg/mod")),
                                   min_size=1, max_size=2), st.booleans(), st.booleans()), min_size=1, max_size=3))
@settings(max_examples=200, deadline=None)
def test_kept_mount_flags_are_the_flags_spelled_out(specs) -> None:
    mounts = [dt601.Manager(name, tuple(targets), locked, tuple(f"id-{t}" for t in targets) if ids else ())
              for name, targets, locked, ids in specs]
    spelled = []
    for m in mounts:
        for i, t in enumerate(m.targets):
            spelled.append("--mount=type=cache," + (f"id={m.ids[i]}," if m.ids else "") + f"target={t}"
                           + (",sharing=locked" if m.locked else ""))
    assert " ".join(map(dt601._mount_flags, mounts)) == " ".join(spelled)


def _dt601_findings(text: str) -> list:
    df = parse(text)
    return list(dt601.CacheMountAvailable().check(Context(df, "Dockerfile")))


DT601_FIXES = ("FROM python:3.12\nRUN pip install --no-cache-dir -r r.txt && pip cache purge && rm -rf /root/.cache/pip /tmp/x\n"
               "FROM debian:12\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
               "RUN apt-get install -y git\nFROM composer:2\nRUN composer install --no-cache && composer clear-cache\n")


@pytest.mark.parametrize("text", [DT601_FIXES] + _corpus(200))
def test_dt601_answers_as_before(text: str, monkeypatch) -> None:
    """Fixes as sorted edits made them, and the later apt RUNs found afresh for each finding."""
    kept = _dt601_findings(text)
    original = dt601._with_later_apt
    monkeypatch.setattr(dt601, "_with_later_apt", lambda ctx, ins, fix, mounted, runs_apt: original(ctx, ins, fix, mounted, {}))
    monkeypatch.setattr(dt601, "Fix", _sorting_fix)
    assert _dt601_findings(text) == kept


def test_dt601_fixes_are_checked_against_the_old_fix() -> None:
    fixed = [f for f in _dt601_findings(DT601_FIXES) if f.fix is not None]
    assert len(fixed) == 4  # pip, both apt RUNs, composer: each with edits besides the mount
    assert all(len(f.fix.edits) > 1 for f in fixed if f.span.start.line != 5)


APT_RUNS = ("apt-get update", "apt-get install -y curl", "apt-cache policy x", "sudo apt-get install y",
            "add-apt-repository ppa:a/b", "pip install flask", "echo hi")


@given(st.lists(st.lists(st.sampled_from(APT_RUNS), min_size=1, max_size=3), min_size=1, max_size=5))
@settings(max_examples=200, deadline=None)
def test_dt601_later_apt_runs_answer_as_with_nothing_kept(runs: list[list[str]]) -> None:
    text = "FROM debian:12\n" + "".join("RUN " + " && ".join(r) + "\n" for r in runs)
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    kept: dict = {}
    for ins in ctx.runs():
        mounted = {o.span.start for o in ctx.runs()}
        fix = Fix("t", (), Safety.DISPLAY_ONLY)
        assert dt601._with_later_apt(ctx, ins, fix, mounted, kept) == dt601._with_later_apt(ctx, ins, fix, mounted, {})


# ---------------------------------------------------------------------------- DT101


class _OldDT101(AptListsLeftInLayer):
    """DT101 as it was: the cache-mount question asked of every RUN of the final image."""

    def check(self, ctx):
        for ins in ctx.runs(final_only=True):
            if ctx.mounts_cover(ins, APT_LISTS.defaults[0]):
                continue
            yield from super().check(_OneRun(ctx, ins))


class _OneRun:
    """A Context whose final-image RUNs are one RUN (the rest of it unchanged)."""

    def __init__(self, ctx, ins):
        self._ctx, self._ins = ctx, ins

    def runs(self, final_only: bool = False):
        return (self._ins,) if final_only else self._ctx.runs()

    def __getattr__(self, name):
        return getattr(self._ctx, name)


def _dt101(rule, text: str) -> list:
    return list(rule.check(Context(parse(text), "Dockerfile")))


MOUNTS = ("", "--mount=type=cache,target=/var/lib/apt ", "--mount=type=cache,target=/var/lib/apt/lists ",
          "--mount=type=tmpfs,target=/var/lib ", "--mount=type=cache,target=/var/cache/apt ")
STEPS = ("apt-get update", "apt-get install -y curl", "rm -rf /var/lib/apt/lists/*", "./setup.sh", "ls")


@given(st.lists(st.tuples(st.sampled_from(MOUNTS), st.lists(st.sampled_from(STEPS), min_size=1, max_size=3)),
                min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_dt101_asks_of_mounts_only_where_it_would_report(runs) -> None:
    text = "FROM debian:12\n" + "".join(f"RUN {m}" + " && ".join(s) + "\n" for m, s in runs)
    assert _dt101(AptListsLeftInLayer(), text) == _dt101(_OldDT101(), text)


# ---------------------------------------------------------------------------- DT102


def _old_later_needs(ctx, ins, script, install) -> dict:
    """DT102's _later_needs as it was: each need of each step after the install set by default,
    in file order (this RUN's steps, then the later instructions' one by one)."""
    found: dict = {}
    steps = [c for s in ctx.scripts(ins) for c in s.commands if s is not script or c.span.start > install.span.start]
    needs = [need for c in steps for need in dt102._command_needs(c, ctx.env(ins))]
    for other in ctx.after(ins):
        if other.keyword == "RUN":
            needs += dt102._run_needs(ctx, other, {}).items()
        elif other.keyword in ("CMD", "ENTRYPOINT"):
            words = list(other.json_args) if other.json_args is not None else other.body.text.split()
            needs += [(n.kind, dt102._Need(n.why, other.line)) for n in words_needs(words)]
    for kind, need in needs:
        found.setdefault(kind, need)
    return found


def _installs(text: str):
    ctx = Context(parse(text), "Dockerfile")
    for ins in ctx.runs():
        for script in ctx.scripts(ins):
            for cmd in script.commands:
                if dt102.apt_install(cmd) is not None:
                    yield ctx, ins, script, cmd


def _check_later_needs(text: str) -> None:
    for ctx, ins, script, install in _installs(text):
        assert dt102._later_needs(ctx, ins, script, install, {}) == _old_later_needs(ctx, ins, script, install)


LATER = ("curl https://x", "git clone https://h/r", "pip install flask", "gcc -o a a.c", "go build .",
         "CGO_ENABLED=0 go build .", "apt-get install -y curl", "xvfb-run x", "wget http://x", "ls")
LATER_INSTRUCTIONS = st.one_of(
    st.lists(st.sampled_from(LATER), min_size=1, max_size=3).map(lambda c: "RUN " + " && ".join(c)),
    st.sampled_from(('CMD ["xvfb-run", "app"]', "ENTRYPOINT xvfb-run app", "ENV CGO_ENABLED=0", "FROM debian:12 AS b",
                     "FROM b", "USER app")))


@given(st.lists(LATER_INSTRUCTIONS, min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_dt102_later_needs_are_the_first_of_each_kind(lines: list[str]) -> None:
    _check_later_needs("FROM debian:12\nRUN apt-get install -y curl && git clone https://h/r\n" + "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- pip_install (DT105, DT601, ...), apt_install (DT102)

WRAPPED = ("sudo", "sudo -H", "env PIP_X=1", "nice -n 5", "time", "exec", "")
PROGRAMS = ("pip", "pip3", "pip3.12", "python", "python3.11", "/usr/bin/python3", "/opt/venv/bin/pip", "npm", "go",
            "yarn", "uv", "poetry", "pipenv", "pipx", "python-config", "mvn", "apt-get", "cargo", "apt", "aptitude",
            "/usr/bin/apt-get", "apt-cache")
ARGS = ("install", "-y", "-m", "pip", "-mpip", "-u", "--no-index", "flask", "-r", "r.txt", "get", "ci", "build", "-c", "x")


def _check_program_shortcuts(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    for run in ctx.runs():
        for script in ctx.scripts(run):
            for cmd in script.commands:
                assert pip_install(cmd) == _pip_install(cmd)
                assert may_run_pip(cmd) or _pip_install(cmd) is None
                assert dt102.may_install_with_apt(cmd) or dt102.apt_install(cmd) is None  # DT102 skips the script


@given(st.lists(st.tuples(st.sampled_from(WRAPPED), st.sampled_from(PROGRAMS), st.lists(st.sampled_from(ARGS), max_size=4)),
                min_size=1, max_size=3))
@settings(max_examples=300, deadline=None)
def test_pip_and_apt_installs_are_asked_of_every_command_they_may_hold_for(commands) -> None:
    _check_program_shortcuts("FROM x\nRUN " + " && ".join(f"{w} {p} {' '.join(a)}".strip() for w, p, a in commands) + "\n")


# ---------------------------------------------------------------------------- DT104, DT105, DT106: RUNs skipped


def _rule_of(module):
    return next(v for v in vars(module).values() if isinstance(v, type) and v.__module__ == module.__name__
                and getattr(v, "id", "").startswith("DT"))


def _skipping(module, text: str, rule=None) -> list:
    return list((rule or _rule_of(module))().check(Context(parse(text), "Dockerfile")))


def _unskipped(module, predicate: str, text: str, rule=None) -> list:
    """The findings of the rule of ``module`` (or ``rule``) on ``text`` with the skip test
    ``predicate`` of ``module`` always passing: every RUN looked at, as before the skip."""
    original = getattr(module, predicate)
    setattr(module, predicate, lambda *args: True)
    try:
        return _skipping(module, text, rule)
    finally:
        setattr(module, predicate, original)


SKIPS = ((dt104, "_runs_family"), (dt105, "may_run_pip"), (dt106, "_runs_npm"))
STEPS_OF = ("pip install flask", "sudo pip3 install x", "python3 -m pip install -r r.txt", "pip config set global.no-cache-dir 1",
            "rm -rf /root/.cache/pip", "ls", "export PIP_NO_CACHE_DIR=1", "curl -O https://bootstrap.pypa.io/get-pip.py",
            "npm ci", "sudo npm install -g x", "npm cache clean --force", "yarn", "dnf install -y gcc", "sudo yum install x",
            "microdnf install y", "zypper in z", "dnf clean all", "cd /var/cache && rm -rf dnf", "rm -rf /root/.npm",
            "(cd /app && npm ci)", "if [ -f x ]; then pip install y; fi", "(dnf install -y z)")
LINES = st.one_of(st.lists(st.sampled_from(STEPS_OF), min_size=1, max_size=3).map(lambda c: "RUN " + " && ".join(c)),
                  st.sampled_from(("ENV PIP_NO_CACHE_DIR=1", "FROM python:2.7", "FROM node:20 AS b", "USER app",
                                   "RUN --mount=type=cache,target=/var/cache/dnf dnf install -y x")))


@given(st.lists(LINES, min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_rules_skip_only_runs_they_would_find_nothing_in(lines: list[str]) -> None:
    text = "FROM fedora:40\n" + "\n".join(lines) + "\n"
    for module, predicate in SKIPS:
        assert _skipping(module, text) == _unskipped(module, predicate, text)


def test_the_skip_tests_see_their_programs() -> None:
    text = "FROM fedora:40\nRUN pip install a && npm ci && dnf install -y b\n"
    assert [len(_skipping(module, text)) for module, _ in SKIPS] == [1, 1, 1]


# ---------------------------------------------------------------------------- DT110-DT112 (caches.run_findings)

TOOL_STEPS = ("go build ./...", "go mod download", "go clean -modcache", "mvn -B package", "./mvnw dependency:go-offline",
              "gradle build", "./gradlew build", "sbt compile", "cpanm Foo", "cpanminus Bar", "composer install",
              "php composer.phar install", "php /usr/bin/composer.phar update", "cargo build --release", "cargo fetch",
              "sudo -u app go build .", "env GOFLAGS=-mod=mod go build", "nice cargo build", "rm -rf /root/.m2", "ls")
TOOL_LINES = st.one_of(st.lists(st.sampled_from(TOOL_STEPS), min_size=1, max_size=3).map(lambda c: "RUN " + " && ".join(c)),
                       st.sampled_from(('CMD ["go", "run", "."]', "ENV GOCACHE=/tmp/gc", "USER app", "FROM golang:1.22 AS b",
                                        "RUN --mount=type=cache,target=/root/.m2 mvn package")))


@given(st.lists(st.sampled_from(TOOL_STEPS), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_a_cache_is_written_only_by_its_writers(steps: list[str]) -> None:
    ctx = Context(parse("FROM x\nRUN " + " && ".join(steps) + "\n"), "Dockerfile")
    for run in ctx.runs():
        for script in ctx.scripts(run):
            for cmd in map(unwrap, script.commands):
                for key, programs in WRITERS.items():
                    assert not BY_KEY[key].writes(cmd) or cmd.program in programs


def _cache_rule_answers(text: str) -> None:
    for module in (dt110, dt111, dt112):
        assert _skipping(module, text) == _unskipped(caches, "may_write", text, _rule_of(module))


@given(st.lists(TOOL_LINES, min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_cache_rules_skip_only_runs_without_their_tools(lines: list[str]) -> None:
    _cache_rule_answers("FROM golang:1.22\n" + "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- the corpus


@pytest.mark.parametrize("text", _corpus(300))
def test_shortcuts_answer_as_before_in_the_corpus(text: str) -> None:
    assert _dt101(AptListsLeftInLayer(), text) == _dt101(_OldDT101(), text)
    _check_later_needs(text)
    _check_program_shortcuts(text)
    for module, predicate in SKIPS:
        assert _skipping(module, text) == _unskipped(module, predicate, text)
    _cache_rule_answers(text)
    _check_single_command(text)


# ---------------------------------------------------------------------------- facts.single_command


def _old_single_command(script):
    """facts.single_command as it was: the tree read first, the top-level commands last."""
    root = _tree(script)
    statements = [c for c in root.named_children if c.type != "comment"]
    node = statements[0] if len(statements) == 1 and not any(c.type in (";", "&") for c in root.children) else None
    if node is not None and node.type == "redirected_statement" and node.named_children:
        node = node.named_children[0]
    top = script.top_level()
    return top[0] if node is not None and node.type == "command" and len(top) == 1 else None


def _check_single_command(text: str) -> None:
    ctx = Context(parse(text), "Dockerfile")
    for run in ctx.runs():
        for script in ctx.scripts(run):
            assert single_command(script) == _old_single_command(script)


PIECES = ("apt-get update", "echo $(date)", "ls > /tmp/x", "a | b", "(cd x && y)", "x &", "# note", "if a; then b; fi",
          "x=1", "x=1 y", "{ a; }", "cat <<EOF\nhi\nEOF", "f() { a; }")
JOINS = (" && ", " ; ", " || ", " | ", "\n", " & ")


@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(JOINS)), min_size=1, max_size=3))
@settings(max_examples=400, deadline=None)
def test_single_command_answers_as_before(pieces) -> None:
    script = "".join(p + j for p, j in pieces)[: -len(pieces[-1][1])]
    _check_single_command("FROM x\nRUN <<END\n" + script + "\nEND\nRUN " + script.replace("\n", " ; ") + "\n")
