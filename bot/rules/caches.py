"""The cache catalogue: for each package-manager or build-tool cache, where it lives
(by environment variable and home), which commands write it, which commands and flags
clean or disable it, and the command that removes it.

DT110-DT112 check with it (``run_findings``). DT101 and DT103-DT109 read their entries
(writers, cleaners and what keeps a cache out, where it lives, the cleanup command, the
size kind) and keep their own checks. The apt and rpm-family entries take their
directories and verbs from managers.py, the table of system package managers (its
per-program cleanup commands too: DT104 reads them there). An entry is data plus small
predicates over a Command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Fix, Safety, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript, Word
from bot.model.text import Span
from bot.rules.edits import append_command
from bot.rules.facts import (
    PIP,
    PIP_NAME,
    PYTHON_NAME,
    WRAPPERS,
    assigned,
    mount_overlaps,
    normalise_home,
    operands,
    option_value,
    program_args,
    removes_apt_lists,
    removes_dir,
    unwrap,
)
from bot.rules.managers import APT_FAMILY, MANAGERS, cleans, fetches, verb
from bot.rules.tool_options import PIP_GENERAL_VALUES, PIP_INSTALL_VALUES

if TYPE_CHECKING:
    from bot.rules.base import Context


class Cache(Record):
    """One cache. Paths are absolute or start with ``~/`` (the RUN's home)."""

    __slots__ = ()
    _fields = ("key", "tool", "label", "kind", "env", "env_suffix", "defaults", "writes", "cleans", "disabled",
               "cleanup", "safety", "programs", "reused", "prepares")
    key = field(0, 'str: short id: "go-mod"')
    tool = field(1, 'str: the family, for messages: "go"')
    label = field(2, 'str: "Go module cache"')
    kind = field(3, "str: the SizeHint kind that prices it")
    env = field(4, 'str: the environment variable that moves it ("" none)')
    env_suffix = field(5, 'str: appended to that variable\'s value: CARGO_HOME + "/registry"')
    defaults = field(6, "tuple[str, ...]: where it lives when the variable is unset (every candidate)")
    writes = field(7, "Callable[[Command], bool]")
    cleans = field(8, "Callable[[Command], bool]: the tool's own cleanup (rm of a path is checked apart)")
    disabled = field(9, "Callable[[Command, dict[str, str]], bool]: a flag or setting keeps it out")
    cleanup = field(10, "str: the command that removes it; {tool} = the program as written")
    safety = field(11, "Safety: of appending ``cleanup`` at the end of the RUN")
    programs = field(12, "frozenset[str]: names the tool runs under, to spot later uses")
    reused = field(13, "bool: a later run of the tool reads it (removing it costs a re-download there)")
    prepares = field(14, "Callable[[Command], bool]: only fills the cache for a later run")

    def __new__(cls, key, tool, label, kind, env, env_suffix, defaults, writes, cleans, disabled, cleanup, safety,
                programs, reused, prepares=lambda cmd: False):
        return tuple.__new__(cls, (key, tool, label, kind, env, env_suffix, defaults, writes, cleans, disabled,
                                   cleanup, safety, programs, reused, prepares))


def _never(cmd: Command, env: dict[str, str] | None = None) -> bool:
    return False


def _sub(cmd: Command, takes_value: frozenset[str] = frozenset()) -> list[str]:
    return [w.text for w in program_args(cmd, takes_value)]


# ------------------------------------------------------------------ Go
GO = frozenset(("go",))
GO_BUILDS = frozenset(("build", "install", "get", "test", "run", "vet", "generate"))


def go_writes_mod(cmd: Command) -> bool:
    words = _sub(cmd)
    return cmd.program == "go" and (words[:1] and words[0] in GO_BUILDS or words[:2] in (["mod", "download"], ["mod", "tidy"]))


def go_writes_build(cmd: Command) -> bool:
    return cmd.program == "go" and bool(_sub(cmd)[:1]) and _sub(cmd)[0] in GO_BUILDS


def _go_clean(flag: str) -> Callable[[Command], bool]:
    return lambda cmd: cmd.program == "go" and _sub(cmd)[:1] == ["clean"] and cmd.has_option(flag)


# ------------------------------------------------------------------ JVM
def _mvn(cmd: Command) -> bool:
    return cmd.program in ("mvn", "mvnw") and any(not w.startswith("-") for w in _sub(cmd, frozenset(("-f", "-s", "-pl", "-P", "-T", "-gs", "--file", "--settings", "--projects", "--activate-profiles", "--threads"))))  # fmt: skip


GRADLE_VALUES = frozenset(("-g", "--gradle-user-home", "-p", "--project-dir", "-x", "--exclude-task", "-b",
                           "--build-file", "-c", "--settings-file", "-I", "--init-script", "--console"))  # fmt: skip


def _gradle(cmd: Command) -> bool:
    return cmd.program in ("gradle", "gradlew") and bool(_sub(cmd, GRADLE_VALUES))


def _sbt(cmd: Command) -> bool:
    return cmd.program == "sbt" and bool(_sub(cmd))


def _purges_maven(cmd: Command) -> bool:
    return cmd.program in ("mvn", "mvnw") and any("purge-local-repository" in w for w in _sub(cmd))


# ------------------------------------------------------------------ smaller managers
def _cpanm(cmd: Command) -> bool:
    return cmd.program in ("cpanm", "cpanminus") and not cmd.has_option("--help", "-h", "--version", "-V")


COMPOSER_INSTALLS = frozenset(("install", "update", "require", "create-project", "upgrade", "i", "u", "reinstall"))


COMPOSER = frozenset(("composer", "composer.phar"))


def _via_php(cmd: Command) -> Command:
    """``php composer.phar install`` -> ``composer.phar install`` (spans stay php's)."""
    if cmd.program == "php" and cmd.args and cmd.args[0].text.rsplit("/", 1)[-1] in COMPOSER:
        inner = cmd.args[0]
        return Command(inner.text, cmd.args[1:], cmd.span, inner.span, cmd.operator_before, cmd.depth,
                       cmd.assignments, cmd.end)  # fmt: skip
    return cmd


def invocation(cmd: Command) -> str:
    """How to call the tool again the way this command did (``php composer.phar``)."""
    if _via_php(cmd) is not cmd:
        return f"{cmd.name} {cmd.args[0].text}"
    return cmd.name


def _composer(cmd: Command) -> bool:
    cmd = _via_php(cmd)
    words = _sub(cmd, frozenset(("-d", "--working-dir")))
    if cmd.program not in COMPOSER:
        return False
    if words[:1] == ["global"]:
        words = words[1:]
    return bool(words) and words[0] in COMPOSER_INSTALLS


def _composer_clears(cmd: Command) -> bool:
    cmd = _via_php(cmd)
    return cmd.program in COMPOSER and _sub(cmd)[:1] in (["clear-cache"], ["clearcache"], ["cc"])


def _composer_off(cmd: Command, env: dict[str, str]) -> bool:
    cmd = _via_php(cmd)
    return cmd.has_option("--no-cache") or (env.get("COMPOSER_CACHE_DIR") or "").strip("\"'") == "/dev/null"


CARGO_WRITES = frozenset(("build", "install", "fetch", "run", "test", "b", "r", "t", "check", "vendor"))


def _cargo(cmd: Command) -> bool:
    words = _sub(cmd, frozenset(("--manifest-path", "-j", "--jobs", "--target", "-p", "--package", "--root")))
    return cmd.program == "cargo" and bool(words) and words[0] in CARGO_WRITES and not cmd.has_option("--offline", "--frozen")


def _only(words: frozenset[str], prefixes: tuple[str, ...] = ()) -> Callable[[Command], bool]:
    """A command whose goals are all preparation (fetch, compile): what it writes is for a
    later run of the tool (at start-up or in a RUN dockerdiet cannot see)."""

    def prepares(cmd: Command) -> bool:
        goals = [w for w in _sub(cmd) if "=" not in w]
        return bool(goals) and all(g in words or g.startswith(prefixes) for g in goals)

    return prepares


# ------------------------------------------------------------------ system managers (DT101, DT104): managers.py
def _apt_updates(cmd: Command) -> bool:
    return verb(cmd, "apt") == "update"


def _family_fetches(family: str) -> Callable[[Command], bool]:
    return lambda cmd: fetches(cmd) and MANAGERS[cmd.program].family == family


def _family_cleans(family: str) -> Callable[[Command], bool]:
    return lambda cmd: cleans(cmd, family)


def _family_dirs(family: str) -> tuple[str, ...]:
    return next(m.cache_dirs for m in MANAGERS.values() if m.family == family)


def _family_programs(family: str) -> frozenset[str]:
    return frozenset(p for p, m in MANAGERS.items() if m.family == family)


# ------------------------------------------------------------------ pip (DT105, DT601)
PIP_NO_CACHE_FLAG = "--no-cache-dir"
# pip (optparse) takes any unambiguous prefix of a long option: `--no-cache` is `--no-cache-dir`
# (`--no-c` is not: --no-color, --no-compile, --no-clean)
_PIP_FLAG_PREFIX = "--no-ca"


def has_no_cache_dir(words) -> bool:
    """``--no-cache-dir`` or an abbreviation pip accepts (``--no-cache``)."""
    return any(PIP_NO_CACHE_FLAG.startswith(w.text.split("=", 1)[0])
               and len(w.text.split("=", 1)[0]) >= len(_PIP_FLAG_PREFIX) for w in words)


def may_run_pip(cmd: Command) -> bool:
    """Whether ``pip_install`` may hold: only for a pip or python program, perhaps behind
    sudo or env. Most commands are neither: the rules ask no more of them."""
    return cmd.program.startswith(("pip", "python")) or cmd.program in WRAPPERS


def pip_install(cmd: Command) -> tuple[Command, Word, list[Word]] | None:
    """``pip install`` in any spelling: pip, pip3, pip3.12, /opt/venv/bin/pip,
    ``python -m pip``, through sudo/env. Returns the (unwrapped) command, the
    ``install`` word and the words after it. ``uv pip`` is not pip (own cache)."""
    return _pip_install(cmd) if may_run_pip(cmd) else None


def _pip_install(cmd: Command) -> tuple[Command, Word, list[Word]] | None:
    cmd = unwrap(cmd)
    args = list(cmd.args)
    if PYTHON_NAME.fullmatch(cmd.program):
        i = 0
        while i < len(args) and args[i].text.startswith("-") and args[i].text not in ("-m", "-mpip", "-c"):
            i += 1  # interpreter flags such as -u, -B, -I
        if i < len(args) and args[i].text == "-mpip":
            args = args[i + 1 :]
        elif i + 1 < len(args) and args[i].text == "-m" and args[i + 1].text == "pip":
            args = args[i + 2 :]
        else:
            return None
    elif not PIP_NAME.fullmatch(cmd.program):
        return None
    skip = False
    for i, a in enumerate(args):
        if skip:
            skip = False
        elif a.text.startswith("-"):
            skip = a.text in PIP_GENERAL_VALUES
        elif a.text == "install":
            return cmd, a, args[i + 1 :]
        else:
            return None
    return None


def pip_positionals(args: list[Word]) -> list[str]:
    """The plain words among ``pip install``'s arguments: packages, paths, URLs."""
    return [a.text for a in operands(args, PIP_INSTALL_VALUES) if not a.dynamic]


def disables_pip_cache(value: str | None) -> bool:
    """PIP_NO_CACHE_DIR as pip reads it: any non-empty value turns the cache off.

    pip parses the value with strtobool but, for backwards compatibility, disables the
    cache for false values too (``PIP_NO_CACHE_DIR=0`` and ``=false`` disable it;
    hadolint counts only true-looking values). An invalid value makes pip exit with an
    error, so no cache either. An empty value leaves the cache on.
    """
    return value is not None and value.strip().strip("\"'") != ""


def pip_purges(cmd: Command) -> bool:
    """``pip cache purge`` / ``python -m pip cache remove ...``."""
    words = [w.text for w in program_args(cmd, PIP_GENERAL_VALUES)]
    pip = PIP_NAME.fullmatch(cmd.program) or (PYTHON_NAME.fullmatch(cmd.program) and words[:1] == ["pip"])
    if PYTHON_NAME.fullmatch(cmd.program):
        words = words[1:]
    return bool(pip) and words[:2] in (["cache", "purge"], ["cache", "remove"])


def _pip_writes(cmd: Command) -> bool:
    return pip_install(cmd) is not None


def _pip_off(cmd: Command, env: dict[str, str]) -> bool:
    """``--no-cache-dir`` (or a prefix pip takes), or PIP_NO_CACHE_DIR for the command or the RUN."""
    local = assigned(cmd)
    return (has_no_cache_dir(cmd.args) or disables_pip_cache(local.get("PIP_NO_CACHE_DIR"))
            or disables_pip_cache(env.get("PIP_NO_CACHE_DIR")))


# ------------------------------------------------------------------ bundler (DT108)
BUNDLE_VALUES = frozenset(("--jobs", "-j", "--retry", "--path", "--without", "--with", "--gemfile",
                           "--binstubs", "--standalone", "--shebang", "--trust-policy"))  # fmt: skip


def bundle_install(cmd: Command) -> bool:
    if cmd.program not in ("bundle", "bundler"):
        return False
    pos = program_args(cmd, BUNDLE_VALUES)
    return (not pos and not cmd.has_option("--version", "-v", "--help", "-h")) or (
        bool(pos) and pos[0].text == "install"
    )


def _bundle_keeps_out(cmd: Command, env: dict[str, str]) -> bool:
    return cmd.has_option("--no-cache", "--local")  # --local downloads nothing


# ------------------------------------------------------------------ apk (DT103)
# apk global options that take a separate value (`apk -X URL add x`)
APK_VALUES = frozenset(("-X", "--repository", "-p", "--root", "--arch", "--cache-dir", "--keys-dir",
                        "--repositories-file", "--wait", "--timeout", "--progress-fd", "-t", "--virtual"))  # fmt: skip


def apk_verb(cmd: Command) -> str:
    """``add`` / ``update`` / ... for an apk command, else ""."""
    if cmd.program != "apk":
        return ""
    pos = program_args(cmd, APK_VALUES)
    return pos[0].text if pos else ""


def _apk_writes(cmd: Command) -> bool:
    return apk_verb(cmd) in ("add", "update")


def _apk_no_cache(cmd: Command, env: dict[str, str]) -> bool:
    return cmd.has_option("--no-cache")  # `apk --no-cache update` only checks the repositories


# ------------------------------------------------------------------ Node and conda (DT106, DT107, DT109)
# npm's own aliases of install and ci (npm help install / npm help ci)
NPM_INSTALLS = frozenset(
    "install i in ins inst insta instal isnt isnta isntal isntall add "
    "ci clean-install ic install-clean isntall-clean install-test it install-ci-test cit".split()
)
NPM_VALUES = frozenset(("--prefix", "-C", "--cache", "--loglevel", "--registry", "--userconfig", "-w", "--workspace"))


def npm_install(cmd: Command) -> bool:
    if cmd.program != "npm":
        return False
    pos = program_args(cmd, NPM_VALUES)
    return bool(pos) and pos[0].text in NPM_INSTALLS and not cmd.has_option("--offline")


def cleans_npm_cache(cmd: Command) -> bool:
    if cmd.program != "npm":
        return False
    pos = [w.text for w in program_args(cmd, NPM_VALUES)]
    return pos[:1] == ["cache"] and pos[1:2] in (["clean"], ["clear"], ["rm"])


YARN_VALUES = frozenset(
    ("--cwd", "--cache-folder", "--modules-folder", "--global-folder", "--link-folder", "--mutex",
     "--network-timeout", "--registry", "--use-yarnrc", "--network-concurrency", "--preferred-cache-folder")
)  # fmt: skip
# Flags only Yarn 2+ ("berry") knows: its cache lives in the project, not in ~/.cache/yarn
YARN_BERRY_FLAGS = frozenset(("--immutable", "--immutable-cache", "--check-cache", "--mode", "--inline-builds", "--refresh-lockfile"))


def yarn_install(cmd: Command) -> bool:
    """``yarn``, ``yarn install``, ``yarn add x``, ``yarn global add x`` (v1 semantics)."""
    if cmd.program != "yarn" or cmd.has_option("--version", "-v", "--help", "-h"):
        return False
    pos = [w.text for w in program_args(cmd, YARN_VALUES)]
    if pos[:1] == ["workspace"] and len(pos) >= 3:
        pos = pos[2:]
    return not pos or pos[0] in ("install", "add") or pos[:2] == ["global", "add"]


def cleans_yarn_cache(cmd: Command) -> bool:
    if cmd.program != "yarn":
        return False
    return [w.text for w in program_args(cmd, YARN_VALUES)][:2] == ["cache", "clean"]


def _yarn_berry(cmd: Command, env: dict[str, str]) -> bool:
    return cmd.has_option(*YARN_BERRY_FLAGS)


CONDA = frozenset(("conda", "mamba", "micromamba"))
CONDA_VALUES = frozenset(("-n", "--name", "-p", "--prefix", "-c", "--channel", "-f", "--file", "-r", "--root-prefix"))
CONDA_INSTALLS = frozenset(("install", "create", "update", "upgrade"))


def conda_install(cmd: Command) -> bool:
    """``conda install|create|update``, ``conda env create|update`` (and mamba/micromamba)."""
    if cmd.program not in CONDA or cmd.has_option("--dry-run", "-d", "--offline", "--help", "-h"):
        return False
    pos = [w.text for w in program_args(cmd, CONDA_VALUES)]
    if pos[:1] == ["env"]:
        return pos[1:2] in (["create"], ["update"])
    return bool(pos) and pos[0] in CONDA_INSTALLS


def cleans_conda(cmd: Command) -> bool:
    """``conda clean`` in any form, or ``rm`` of a package cache (``.../pkgs``)."""
    if cmd.program in CONDA:
        return [w.text for w in program_args(cmd, CONDA_VALUES)][:1] == ["clean"]
    if cmd.program == "rm":
        for w in cmd.positionals():
            t = w.text.rstrip("/")
            t = t[:-2] if t.endswith("/*") else t
            if t.endswith("/pkgs") or "/pkgs/" in t:
                return True
    return False


CATALOGUE: tuple[Cache, ...] = (
    Cache("go-mod", "go", "Go module cache", hints.GO_CACHE, "GOMODCACHE", "",
          ("/go/pkg/mod", "~/go/pkg/mod"), go_writes_mod, _go_clean("-modcache"), _never,
          "{tool} clean -modcache", Safety.REVIEW, GO, True, _only(frozenset(("mod", "download")))),
    Cache("go-build", "go", "Go build cache", hints.GO_CACHE, "GOCACHE", "",
          ("~/.cache/go-build",), go_writes_build, _go_clean("-cache"), _never,
          "{tool} clean -cache", Safety.REVIEW, GO, True, _only(frozenset(("mod", "download")))),
    Cache("maven", "maven", "Maven repository ~/.m2", hints.JVM_BUILD_CACHE, "", "",
          ("~/.m2/repository",), _mvn, _purges_maven, _never,
          "rm -rf ~/.m2/repository", Safety.REVIEW, frozenset(("mvn", "mvnw")), True,
          _only(frozenset(("clean", "validate", "compile", "test-compile", "process-resources")), ("dependency:",))),
    Cache("gradle", "gradle", "Gradle home ~/.gradle", hints.JVM_BUILD_CACHE, "GRADLE_USER_HOME", "",
          ("~/.gradle", "/home/gradle/.gradle"), _gradle, _never, _never,
          'rm -rf "${GRADLE_USER_HOME:-$HOME/.gradle}"', Safety.REVIEW, frozenset(("gradle", "gradlew")), True,
          _only(frozenset(("clean", "dependencies", "compileJava", "classes", "compileKotlin", "resolveDependencies")))),
    Cache("ivy", "sbt", "sbt/ivy caches", hints.JVM_BUILD_CACHE, "", "",
          ("~/.ivy2", "~/.cache/coursier", "~/.sbt"), _sbt, _never, _never,
          "rm -rf ~/.ivy2 ~/.cache/coursier ~/.sbt", Safety.REVIEW, frozenset(("sbt",)), True,
          _only(frozenset(("clean", "compile", "update", "test:compile", "Test/compile")))),
    Cache("cpanm", "cpanm", "cpanm work directory ~/.cpanm", hints.PACKAGE_CACHE, "PERL_CPANM_HOME", "",
          ("~/.cpanm",), _cpanm, _never, _never,
          "rm -rf ~/.cpanm", Safety.SAFE, frozenset(("cpanm",)), False),
    Cache("composer", "composer", "composer cache", hints.PACKAGE_CACHE, "COMPOSER_CACHE_DIR", "",
          ("~/.composer/cache", "~/.cache/composer", "/tmp/cache"), _composer, _composer_clears, _composer_off,
          "{tool} clear-cache", Safety.SAFE, COMPOSER, False),
    Cache("cargo", "cargo", "cargo registry", hints.PACKAGE_CACHE, "CARGO_HOME", "/registry",
          ("/usr/local/cargo/registry", "~/.cargo/registry"), _cargo, _never, _never,
          'rm -rf "${CARGO_HOME:-$HOME/.cargo}/registry" "${CARGO_HOME:-$HOME/.cargo}/git"', Safety.REVIEW, frozenset(("cargo",)), True, _only(frozenset(("fetch",)))),
    # the lists `apt-get update` writes; a later install without its own update reads them
    Cache("apt-lists", "apt", "apt lists", hints.APT_LISTS, "", "",
          MANAGERS["apt-get"].cache_dirs, _apt_updates, removes_apt_lists, _never,
          MANAGERS["apt-get"].cleanup, Safety.SAFE, APT_FAMILY, True),
    # repository metadata and downloaded packages; the cleanup is each program's (managers.py)
    *(Cache(family, family, f"{family} metadata and cache", hints.RPM_CACHE, "", "", _family_dirs(family),
            _family_fetches(family), _family_cleans(family), _never, "", Safety.SAFE, _family_programs(family), True)
      for family in ("dnf", "microdnf", "zypper")),
    # pip's HTTP cache and built wheels; the fix is --no-cache-dir, not a cleanup
    Cache("pip", "pip", "pip cache", hints.PIP_CACHE, "PIP_CACHE_DIR", "",
          ("~/.cache/pip",), _pip_writes, pip_purges, _pip_off,
          "{tool} cache purge", Safety.SAFE, PIP, False),
    # the .gem files bundler downloads, in $GEM_HOME/cache (/usr/local/bundle in the official ruby
    # images); the fix removes that directory by its path
    Cache("bundler", "bundle", "bundler gem cache", hints.BUNDLER_CACHE, "GEM_HOME", "/cache",
          ("/usr/local/bundle/cache",), bundle_install, _never, _bundle_keeps_out,
          "", Safety.SAFE, frozenset(("bundle", "bundler")), False),
    # apk's index and packages; /etc/apk/cache is the symlink that turns on package caching
    Cache("apk", "apk", "apk cache", hints.APK_CACHE, "", "",
          ("/var/cache/apk", "/etc/apk/cache"), _apk_writes, _never, _apk_no_cache,
          "rm -rf /var/cache/apk/*", Safety.SAFE, frozenset(("apk",)), False),
    Cache("npm", "npm", "npm cache", hints.NPM_CACHE, "npm_config_cache", "",
          ("~/.npm", "/root/.npm"), npm_install, cleans_npm_cache, _never,
          "{tool} cache clean --force", Safety.SAFE, frozenset(("npm",)), False),
    # yarn v1; as root its cache is /usr/local/share/.cache/yarn. Yarn 2+ keeps it in the project.
    Cache("yarn", "yarn", "yarn cache", hints.YARN_CACHE, "YARN_CACHE_FOLDER", "",
          ("~/.cache/yarn", "/usr/local/share/.cache/yarn"), yarn_install, cleans_yarn_cache, _yarn_berry,
          "{tool} cache clean", Safety.SAFE, frozenset(("yarn",)), False),
    # conda's pkgs_dirs: <root prefix>/pkgs (the official images' prefix is /opt/conda), ~/.conda/pkgs
    Cache("conda", "conda", "conda package cache", hints.CONDA_CACHE, "CONDA_PKGS_DIRS", "",
          ("/opt/conda/pkgs", "~/.conda/pkgs"), conda_install, cleans_conda, _never,
          "{tool} clean -afy", Safety.SAFE, frozenset(("conda", "mamba")), False),
    # micromamba's is $MAMBA_ROOT_PREFIX/pkgs: /opt/conda in the mambaorg/micromamba image
    Cache("micromamba", "micromamba", "micromamba package cache", hints.CONDA_CACHE, "CONDA_PKGS_DIRS", "",
          ("/opt/conda/pkgs",), conda_install, cleans_conda, _never,
          "{tool} clean --all --yes", Safety.SAFE, frozenset(("micromamba",)), False),
)  # fmt: skip

BY_KEY = {c.key: c for c in CATALOGUE}


def paths(cache: Cache, cmd: Command, env: dict[str, str], home: str) -> tuple[str, ...]:
    """Where ``cache`` lives for this command: the variable (from ENV or the command's
    own assignments) when set, else every default candidate; "" entries are unknown."""
    local = assigned(cmd)
    value = local.get(cache.env) or env.get(cache.env) if cache.env else None
    if cache.key == "go-mod" and not value and (local.get("GOPATH") or env.get("GOPATH")):
        value = (local.get("GOPATH") or env["GOPATH"]).split(":", 1)[0].rstrip("/") + "/pkg/mod"
    if cache.key == "go-build" and not value and env.get("XDG_CACHE_HOME"):
        value = env["XDG_CACHE_HOME"].rstrip("/") + "/go-build"
    if cache.key == "composer" and not value and env.get("COMPOSER_HOME"):
        value = env["COMPOSER_HOME"].rstrip("/") + "/cache"
    if cache.key == "maven":
        value = next((w.text.split("=", 1)[1] for w in cmd.args if w.text.startswith("-Dmaven.repo.local=")), None)
    if cache.key == "gradle":
        flag = option_value(cmd, "-g", "--gradle-user-home")
        value = flag.text if flag is not None else value
    if value:
        value = value.strip("\"'")
        if "$" in value:
            return ("",)
        return (normalise_home(value.rstrip("/") + cache.env_suffix, home),)
    return tuple(normalise_home(p, home) for p in cache.defaults)


def in_home(path: str, home: str) -> str:
    """A default path of the catalogue in the RUN's home: ``~/.npm`` -> ``<home>/.npm``.
    (DT106 and DT107 write it so; unlike ``normalise_home`` it leaves ``//.npm`` for home ``/``.)"""
    return f"{home}/{path[2:]}" if path.startswith("~/") else path


def _removes_by_variable(cmd: Command, cache: Cache) -> bool:
    """``rm -rf "${CARGO_HOME:-...}/registry"``: a removal through the cache's variable."""
    if cmd.program != "rm" or not cache.env:
        return False
    return any(cache.env in w.raw and w.text.rstrip("/").endswith(cache.env_suffix) for w in cmd.positionals())


def cleaned(cache: Cache, later: Iterable[Command], where: tuple[str, ...], home: str) -> bool:
    """A later command of the same script removes the cache (any candidate location)."""
    for c in map(unwrap, later):
        if cache.cleans(c) or _removes_by_variable(c, cache):
            return True
        if any(p and removes_dir(c, p, home) for p in where):
            return True
    return False


class Left(Record):
    """A command of a RUN that leaves these caches in the layer."""

    __slots__ = ()
    _fields = ("script", "index", "command", "caches")
    script = field(0, "ShellScript")
    index = field(1, "int: of the writing command in script.commands")
    command = field(2, "Command: unwrapped")
    caches = field(3, "tuple[Cache, ...]")

    def __new__(cls, script, index, command, caches):
        return tuple.__new__(cls, (script, index, command, caches))


def left_in_run(scripts: Iterable[ShellScript], caches: Iterable[Cache], env: dict[str, str], home: str,
                mounts: list[str], writes: Callable[[Cache, Command], bool] | None = None) -> list[Left]:  # fmt: skip
    """Commands of one RUN that write a cache of ``caches`` which stays in the layer:
    not disabled, not in a cache mount, not removed later in the same script."""
    caches = tuple(caches)
    out: list[Left] = []
    for script in scripts:
        for i, outer in enumerate(script.commands):
            cmd = unwrap(outer)
            found = []
            for cache in caches:
                if not cache.writes(cmd) or cache.disabled(cmd, env) or (writes and not writes(cache, cmd)):
                    continue
                where = paths(cache, cmd, env, home)
                if "" in where or any(mount_overlaps(mounts, p) for p in where):
                    continue
                if cleaned(cache, script.commands[i + 1 :], where, home):
                    continue
                found.append(cache)
            if found:
                out.append(Left(script, i, cmd, tuple(found)))
    return out


def cleanup_command(caches: Iterable[Cache], program: str) -> str:
    """One command removing ``caches`` (flags of one tool merged: ``go clean -modcache -cache``)."""
    parts: list[str] = []
    for cache in caches:
        text = cache.cleanup.replace("{tool}", program)
        head, _, flag = text.rpartition(" ")
        if parts and flag.startswith("-") and parts[-1].startswith(head + " -"):
            parts[-1] += " " + flag
        elif text not in parts:
            parts.append(text)
    return " && ".join(parts)


def names_tool(words: Iterable[str], caches: Iterable[Cache]) -> bool:
    """Whether any word names a program of ``caches`` (``./gradlew``, ``/usr/bin/mvn``)."""
    programs = frozenset().union(*(c.programs for c in caches))
    return any(w.rsplit("/", 1)[-1] in programs for w in words)


def claim(cache: Cache, run: Instruction) -> str:
    return f"{cache.key}@{run.index}"


# ------------------------------------------------------------------ the shared check
class CacheFinding(Record):
    """What DT110-DT112 report for one RUN."""

    __slots__ = ()
    _fields = ("ins", "lefts", "caches", "fix", "rerun")
    ins = field(0, "Instruction")
    lefts = field(1, "tuple[Left, ...]: the commands that leave a cache, in order")
    caches = field(2, "tuple[Cache, ...]: every cache left by the RUN, in catalogue order")
    fix = field(3, "Fix | None")
    rerun = field(4, 'str: "" or the keyword of a later instruction that runs the tool again')

    def __new__(cls, ins, lefts, caches, fix, rerun):
        return tuple.__new__(cls, (ins, lefts, caches, fix, rerun))

    @property
    def first(self) -> Left:
        return self.lefts[0]

    @property
    def span(self) -> Span:
        """Where the finding points: the first command that leaves a cache, as written."""
        return self.first.script.commands[self.first.index].span

    def advice(self, same_run: str = "remove it in the same RUN") -> str:
        """The message's tail: a build stage when a later RUN reuses the cache, else the cleanup."""
        return "; a later RUN reuses it: build in a stage" if self.rerun else f"; {same_run}"


# The programs whose (unwrapped) commands each cache's ``writes`` may hold for, for the caches
# of DT110-DT112: ``run_findings`` looks no further at a RUN that runs none of them.
WRITERS = {
    "go-mod": GO, "go-build": GO, "maven": frozenset(("mvn", "mvnw")), "gradle": frozenset(("gradle", "gradlew")),
    "ivy": frozenset(("sbt",)), "cpanm": frozenset(("cpanm", "cpanminus")), "composer": COMPOSER | {"php"},
    "cargo": frozenset(("cargo",)),
}  # fmt: skip


def may_write(ctx: "Context", ins: Instruction, caches: tuple[Cache, ...]) -> bool:
    """Whether a command of the RUN may write one of ``caches``: one of their WRITERS, or a
    wrapper (sudo, env) that may run one. True for a cache WRITERS does not list."""
    if any(c.key not in WRITERS for c in caches):
        return True
    programs = frozenset().union(*(WRITERS[c.key] for c in caches))
    return any(c.program in programs or c.program in WRAPPERS for s in ctx.scripts(ins) for c in s.commands)


def run_findings(ctx: "Context", caches: tuple[Cache, ...],
                 writes: Callable[[Instruction, Cache, Command], bool] | None = None) -> Iterator[CacheFinding]:  # fmt: skip
    """RUNs of the final image that leave one of ``caches`` in their layer. Skipped when
    the image's CMD/ENTRYPOINT runs the tool (a run-time cache, e.g. ``go run``); no fix
    when a later RUN runs the tool again and would read the cache. ``writes`` narrows
    which commands write a cache (a tool version without it)."""
    for ins in ctx.runs(final_only=True):
        if not may_write(ctx, ins, caches):
            continue  # most RUNs: left_in_run would find nothing
        env = ctx.env(ins)
        home = ctx.home(ins)
        here = (lambda cache, cmd, ins=ins: writes(ins, cache, cmd)) if writes else None
        lefts = left_in_run(ctx.scripts(ins), caches, env, home, ctx.cache_mounts(ins), here)
        if not lefts:
            continue
        found = tuple(c for c in caches if any(c in left.caches for left in lefts))
        reused = tuple(c for c in found if c.reused)
        if reused and any(
            o.keyword in ("CMD", "ENTRYPOINT") and names_tool(instruction_words(ctx, o), reused)
            for o in (*ctx.before(ins), *ctx.after(ins))
        ):
            continue
        rerun = ""
        if reused and all(c.prepares(left.command) for left in lefts for c in left.caches if c.reused):
            rerun = "prepared"  # filled for a later run; reported only when that run is a RUN we see
        if reused:
            for o in ctx.after(ins):
                if o.keyword == "RUN" and any(
                    unwrap(c).program in p for s in ctx.scripts(o) for c in s.commands for p in (x.programs for x in reused)
                ):
                    rerun = "RUN"
                    break
        if rerun == "prepared":
            continue
        fix = None
        last = lefts[-1]
        if not rerun and len({id(left.script) for left in lefts}) == 1 and last.script.commands[last.index].depth == 0:
            text = cleanup_command(found, invocation(last.command))
            edit = append_command(ctx.df, ins, last.script, text)
            if edit is not None:
                safety = Safety.SAFE if all(c.safety is Safety.SAFE for c in found) else Safety.REVIEW
                reason = "" if safety is Safety.SAFE else (
                    f"nothing in the image may read the {found[0].tool} cache later: a later build would "
                    "download the dependencies again, and an offline one would fail")
                fix = Fix(f"Remove the {found[0].tool} cache in the same RUN", (edit,), safety, reason)
        yield CacheFinding(ins, tuple(lefts), found, fix, rerun)


def instruction_words(ctx: "Context", ins: Instruction) -> list[str]:
    """The words of a CMD/ENTRYPOINT in either form (``sh -c`` scripts split on blanks)."""
    if ins.json_args is not None:
        return [p for a in ins.json_args for p in a.split()]
    return [w.text for w in ins.words(ctx.df.escape)]


def labels(caches: Iterable[Cache]) -> str:
    names = [c.label for c in caches]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def hint(ctx: "Context", found: CacheFinding, kind: str) -> SizeHint:
    return SizeHint(kind, {"caches": tuple(c.key for c in found.caches),
                           "base_image": ctx.base_image(ctx.stage(found.ins))},
                    tuple(claim(c, found.ins) for c in found.caches))  # fmt: skip
