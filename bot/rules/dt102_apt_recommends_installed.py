from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript, command_fact
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import insert_after
from bot.rules.facts import (WRAPPERS, LazyPattern, cache_claim, command_needs, installs_dev_headers, program_args,
                              starts_after, unwrap, words_needs)
from bot.rules.managers import APT_FAMILY, MANAGERS, verb

FLAG = "--no-install-recommends"
APTITUDE_FLAG = "--without-recommends"  # aptitude(8): -R, --without-recommends
SETTING = "APT::Install-Recommends"
# apt-get options that take a separate value (`-o X=Y`, `-t bookworm-backports`)
VALUE_OPTIONS = MANAGERS["apt-get"].value_options
# apt's boolean parser (StringToBool) reads these as false
FALSE = frozenset(("false", "0", "no", "off", "disable", "without"))
REASON = (
    "a recommended package may be needed later in the build or at run time (ca-certificates "
    "for https downloads, a compiler for pip or cgo builds): add the ones you need by name"
)
# Recommends (Debian 12, `apt-cache show`) that later steps often need, with the need
# (facts.Need kinds) that keeps each one
_HTTPS = (("ca-certificates", "https"),)
_GO = (("gcc", "cgo"), ("g++", "cgo"), ("libc6-dev", "cgo"))
KEEP: dict[str, tuple[tuple[str, str], ...]] = {
    "curl": _HTTPS, "libcurl4": _HTTPS, "wget": _HTTPS, "nodejs": _HTTPS,
    "git": _HTTPS + (("openssh-client", "ssh"),),
    "npm": (("git", "git"),),
    "python3-pip": (("build-essential", "compile"), ("python3-dev", "pybuild"), ("python3-setuptools", "setuptools")),
    "python-pip": (("build-essential", "compile"), ("python-dev", "pybuild"), ("python-setuptools", "setuptools")),
    "golang": _GO, "golang-go": _GO,
    "xvfb": (("xauth", "xauth"),),
    "docker.io": _HTTPS,
    # a C compiler without the C library headers compiles nothing (no stdio.h)
    "gcc": (("libc6-dev", "compile"),), "g++": (("libc6-dev", "compile"),),
    "cmake": (("gcc", "compile"), ("make", "compile")),
    # add-apt-repository imports a PPA's key with gpg, whose agent is a recommend (gpg -> gnupg
    # -> gpg-agent): "gpg: error running '/usr/bin/gpg-agent'" without it
    "software-properties-common": (("gpg-agent", "gpg"),),
}
# TeX: texlive-base recommends lmodern (lmodern.sty), which pandoc's LaTeX template and most
# documents load ("File `lmodern.sty' not found" without it); every texlive-* package but these
# depends on texlive-base (Debian 12 graph), and the -doc packages compile nothing
KEEP_FAMILIES = (("texlive-", (("lmodern", "tex"),)),)
_NOT_IN_FAMILY = frozenset(("texlive-binaries", "texlive-fonts-extra-links"))
# Releases that have no `gpg-agent` package (gnupg-agent before the 2.1 split) and whose
# add-apt-repository works without it
_NO_GPG_AGENT = LazyPattern(r"(?<![a-z])(trusty|xenial|wheezy|jessie)(?![a-z])|ubuntu[-_:]?1[0-6]\.\d\d|^debian:[78](\b|-)")
# Before Ubuntu 20.04 and Debian 11, the distro pip *recommends* setuptools (later releases
# depend on it), and pip before 22.1 builds a source package only with setuptools installed
# (`No module named setuptools`): a later pip install keeps it
SETUPTOOLS = {"python3-pip": "python3-setuptools", "python-pip": "python-setuptools"}
_OLD_RELEASES = LazyPattern(r"(?<![a-z])(trusty|xenial|bionic|wheezy|jessie|stretch|buster)(?![a-z])"
                            r"|ubuntu[-_]?1\d\.\d\d|^ubuntu:1\d\.\d\d|^debian:(7|8|9|10)(\b|-)")
_NEW_RELEASES = LazyPattern(r"(?<![a-z])(focal|jammy|noble|oracular|plucky|bullseye|bookworm|trixie)(?![a-z])"
                            r"|ubuntu[-_]?[2-9]\d\.\d\d|^ubuntu:[2-9]\d\.\d\d|^debian:(1[1-9])(\b|-)"
                            r"|^(ubuntu|debian)(:(latest|rolling|devel|stable|testing|sid|stable-slim))?$")


def pip_lacks_setuptools(base_image: str) -> bool:
    """Whether the distro pip of this base may come without setuptools: its release is old,
    or unknown (naming setuptools where pip depends on it costs nothing)."""
    base = base_image.lower().removeprefix("docker.io/").removeprefix("library/")
    if _OLD_RELEASES.search(base):
        return True
    return not _NEW_RELEASES.search(base)


# Fetch tools installed but never run by the build are there for the container: it will
# fetch over https, so their ca-certificates recommend is kept (the program that shows use)
RUN_TIME_FETCHERS = {"curl": "curl", "wget": "wget", "git": "git", "libcurl4": "", "docker.io": "docker"}
# Likewise recommends (by need kind) the container needs whether or not the build uses them:
# xvfb installed and never run is there for `xvfb-run` in the container, which needs xauth; a
# TeX installation is there to typeset documents, which load lmodern.sty
RUN_TIME_TOOLS = {"xauth": "`xvfb-run` at run time", "tex": "TeX documents, which load lmodern.sty"}
# Packages whose recommends are their content (metapackages, Kali's tool sets): without
# them the install means something else, so it is not reported
_RECOMMENDS_ARE_CONTENT = ("kali-linux-", "kali-tools-", "task-")
_CONTENT_BASES = ("kalilinux/",)
_SMALL_KEEPS = frozenset(("ca-certificates", "xauth", "gpg-agent", "openssh-client", "python3-setuptools", "python-setuptools"))
# provided by (a dependency of) a package that is installed anyway, so naming it is not needed
_PROVIDED_BY = {"gcc": ("build-essential",), "g++": ("build-essential",), "libc6-dev": ("build-essential",),
                "make": ("build-essential",),
                "lmodern": ("texlive-luatex", "texlive-extra-utils", "texlive-full", "texlive-lang-czechslovak")}
_COMPILERS = frozenset(("gcc", "g++", "clang", "build-essential"))


# Debian's cross compilers (gcc-<triplet>, g++-<triplet>, optionally versioned) recommend the
# target's C library headers, libc6-dev-<arch>-cross (`apt-cache show gcc-arm-linux-gnueabihf`)
_CROSS = LazyPattern(r"(?:gcc|g\+\+)(?:-\d+)?-(arm-linux-gnueabihf|arm-linux-gnueabi|aarch64-linux-gnu|"
                     r"i686-linux-gnu|x86-64-linux-gnu|powerpc64le-linux-gnu|s390x-linux-gnu|riscv64-linux-gnu)")
_CROSS_ARCH = {"arm-linux-gnueabihf": "armhf", "arm-linux-gnueabi": "armel", "aarch64-linux-gnu": "arm64",
               "i686-linux-gnu": "i386", "x86-64-linux-gnu": "amd64", "powerpc64le-linux-gnu": "ppc64el",
               "s390x-linux-gnu": "s390x", "riscv64-linux-gnu": "riscv64"}
# toolchain packages: installed with no build step in the image, they are the image's purpose
# (a build or cross-build environment), and the container compiles with them
_TOOLCHAIN = frozenset(("gcc", "g++", "cmake", "clang"))


@lru_cache(maxsize=4096)  # asked twice of each package of each finding; the answer depends on the name alone
def recommends_kept(package: str) -> tuple[tuple[str, str], ...]:
    if package.startswith("golang-") and package.endswith("-go"):
        return _GO
    cross = _CROSS.fullmatch(package)
    if cross:
        return ((f"libc6-dev-{_CROSS_ARCH[cross.group(1)]}-cross", "compile"),)
    if package in KEEP or package in _NOT_IN_FAMILY or package.endswith("-doc"):
        return KEEP.get(package, ())
    return next((keep for prefix, keep in KEEP_FAMILIES if package.startswith(prefix)), ())


def _run_time_toolchain(package: str, kind: str, needs: dict[str, "_Need"]) -> "_Need | None":
    """A compiler the build never uses is there for the container to compile with: keep what
    it needs to compile anything (C library headers, make)."""
    if kind != "compile" or "compile" in needs or not (package in _TOOLCHAIN or _CROSS.fullmatch(package)):
        return None
    return _Need("compiling in the container (no build step here uses the toolchain)", 0)


def may_install_with_apt(cmd: Command) -> bool:
    """Whether ``apt_install`` may hold: an apt program, or a wrapper (sudo, env) that may run one."""
    return cmd.program in APT_FAMILY or cmd.program in WRAPPERS


def apt_install(cmd: Command) -> Command | None:
    """The ``apt-get install`` / ``apt install`` / ``aptitude install`` a command runs
    (through sudo/env), else None."""
    cmd = unwrap(cmd)
    return cmd if verb(cmd, "apt") == "install" else None


def flag(cmd: Command) -> str:
    """The option that turns recommends off, in this front end's spelling."""
    return APTITUDE_FLAG if cmd.program == "aptitude" else FLAG


def _is_false(value: str) -> bool:
    return value.strip().strip("\"';").strip().lower() in FALSE


@command_fact  # asked of each apt install by DT102 and DT601
def disables_recommends(cmd: Command) -> bool:
    """``--no-install-recommends`` (any value), ``--install-recommends=no`` or
    ``-o APT::Install-Recommends=false`` on the command itself."""
    if cmd.has_option(FLAG) or (cmd.program == "aptitude" and cmd.has_option("-R", APTITUDE_FLAG)):
        return True
    args = cmd.args
    for i, a in enumerate(args):
        t = a.text
        if t.startswith("--install-recommends=") and _is_false(t.partition("=")[2]):
            return True
        setting = ""
        if t in ("-o", "--option") and i + 1 < len(args):
            setting = args[i + 1].text
        elif t.startswith("--option="):
            setting = t[len("--option=") :]
        elif t.startswith("-o") and len(t) > 2:
            setting = t[2:]
        key, _, value = setting.partition("=")
        if key.strip().lower() == SETTING.lower() and _is_false(value):
            return True
    return False


def _config_text_disables(text: str) -> bool:
    """apt.conf syntax: ``APT::Install-Recommends "false";`` (or ``"0"``, ``false``)."""
    lowered = text.lower()
    key = SETTING.lower()
    at = lowered.find(key)
    while at >= 0:
        rest = text[at + len(key) :].lstrip(" \t\\")
        value = rest.split(";", 1)[0].split("\n", 1)[0]
        if _is_false(value):
            return True
        at = lowered.find(key, at + 1)
    return False


def writes_no_recommends_config(ctx: Context, ins: Instruction) -> bool:
    """An instruction that puts ``APT::Install-Recommends "false"`` into apt's config:
    ``echo ... > /etc/apt/apt.conf.d/x`` (or printf/tee) in a RUN, or a COPY heredoc
    or a COPY of a build-context file whose text is known."""
    if ins.keyword == "RUN":
        # the redirect target is not an argument: look for apt's config paths in the RUN
        # (first: most RUNs have none, and then their scripts need not be parsed)
        bodies = ins.body.text + "".join(h.body.text for h in ins.heredocs)
        if "/etc/apt/apt.conf" not in bodies:
            return False
        writers = [
            c
            for s in ctx.scripts(ins)
            for c in map(unwrap, s.commands)
            if c.program in ("echo", "printf", "tee", "cat") and any(SETTING.lower() in a.text.lower() for a in c.args)
        ]
        if any(_config_text_disables(" ".join(a.text for a in c.args)) for c in writers):
            return True
        return any(_config_text_disables(h.body.text) for h in ins.heredocs)
    if ins.keyword in ("COPY", "ADD"):
        words = ins.words(ctx.df.escape)
        if not words or "/etc/apt/apt.conf" not in words[-1].text:
            return False
        if ins.heredocs:
            return any(_config_text_disables(h.body.text) for h in ins.heredocs)
        known = ctx.build_context is not None and ins.flag("from") is None
        texts = [ctx.build_context.text(w.text) for w in words[:-1]] if known else [None]
        # a file we cannot read goes into apt's config: it may well set this, so do less
        return any(t is None or _config_text_disables(t) for t in texts)
    return False


@command_fact  # asked of each apt install by DT102 (four times for a finding) and DT601
def packages(cmd: Command) -> tuple[str, ...]:
    """Static package names after ``install`` (versions and archs stripped)."""
    out = []
    for w in program_args(cmd, VALUE_OPTIONS)[1:]:
        if w.dynamic or "$" in w.text:
            continue
        out.append(w.text.split("=", 1)[0].split(":", 1)[0] if not w.text.startswith(".") else w.text)
    return tuple(out)


class AptRecommendsInstalled(Rule):
    id = "DT102"
    name = "apt-recommends-installed"
    severity = Severity.WARNING
    summary = "`apt-get install` without `--no-install-recommends` pulls in recommended packages"
    hadolint = ("DL3015",)
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds `apt-get install` (or `apt install`, or `aptitude install` without its own
`--without-recommends`/`-R`, which the fix adds for it) without `--no-install-recommends` in a
stage that ends up in the final image.

## Why is this bad?
By default apt also installs every package the requested ones *recommend*. In an
image those are rarely used and often large: measured on Debian 12, `python3-pip`
brings 429 MB of recommends (a compiler toolchain among them), `git` about 40 MB,
`curl` only 1 MB.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y python3-pip && rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip \\
    && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Review: the fix adds `--no-install-recommends` right after `install`. The image then
lacks packages that were installed before, and a later step of the build, or the
container at run time, may need one of them. The fix keeps by name the recommends that
the rest of the image visibly needs: `ca-certificates` when `curl`, `wget`, `git` or
`go get` later fetch over https, or when `curl`, `wget`, `git`, `libcurl4` or `docker.io`
is installed but never run by the build (it is there for the container, which will
fetch over https); `xauth` for an installed `xvfb` (its `xvfb-run` needs it, in the build
or in the container); `build-essential` and `python3-dev` (recommended by
`python3-pip`) when a `pip install` builds against `-dev` packages or a compiler runs;
`python3-setuptools` (a recommend of the distro pip before Ubuntu 20.04 and Debian 11, and
of any base whose release is not known) when a `pip install` follows or the build never
runs pip (the container or a child image will): pip before 22.1 cannot build a source
package without it;
`gcc`, `g++` and `libc6-dev` (recommended by `golang`) before a cgo build; `git`
(recommended by `npm`) before `git` or `bower install`; `xauth` before `xvfb-run`;
`gpg-agent` (a recommend of `software-properties-common`, through `gnupg`) before an
`add-apt-repository ppa:…`, which imports the PPA's key with it (not on releases older than
gnupg 2.1's split, such as Ubuntu 16.04, which have no such package); `lmodern` for any
`texlive-*` package (a recommend of `texlive-base`, on which they depend): pandoc's LaTeX
template and most documents load `lmodern.sty`.
The message says which it kept and why. Check for others: `gnupg` for `apt-key`, a
compiler for a `pip install -r` whose packages have no wheel.

Not reported for packages whose recommends are their content (metapackages such as
`*-desktop` and `task-*`, Kali's `kali-linux-*` tool sets, anything on a `kalilinux/`
base), nor when apt is configured not to install recommends: by
`-o APT::Install-Recommends=false` on the command, or by an earlier instruction of the
image that writes `APT::Install-Recommends "false";` into `/etc/apt/apt.conf.d/`
(an `echo`/`printf` redirect or a `COPY` heredoc), nor after a `COPY` of a file whose
text is not known into apt's config (it may set exactly that).

## Size impact
The recommends of the named packages on the base image's distribution, from apt's own
resolution (`apt-get install -s`), when the packages are known.
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN apt-get install -y vim\n",
            fixed="FROM debian:12\nRUN apt-get install --no-install-recommends -y vim\n",
            at="2:5-2:27",
        ),
        Invalid(
            "FROM ubuntu:22.04\nRUN apt-get update \\\n    && apt-get -y install git python3-pip \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n",
            fixed="FROM ubuntu:22.04\nRUN apt-get update \\\n    && apt-get -y install --no-install-recommends git python3-pip ca-certificates \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n",
            note="options before `install`; the flag goes right after it. git is not run by the build, so it "
            "is there for the container, which will fetch over https: its ca-certificates recommend stays",
        ),
        Invalid(
            "FROM debian:12\nRUN apt install -y vim && sudo apt-get install -y --no-install-recommends git\n",
            fixed="FROM debian:12\nRUN apt install --no-install-recommends -y vim && sudo apt-get install -y --no-install-recommends git\n",
            message="`apt install`",
            note="`apt` is apt-get's interactive front end with the same default",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get install -t bookworm-backports -y podman\n",
            fixed="FROM debian:12\nRUN apt-get install --no-install-recommends -t bookworm-backports -y podman\n",
            note="`-t` takes a value: the packages are podman only",
        ),
        Invalid(
            "FROM debian:12\nRUN apt-get install -y curl\nRUN curl -fsSL https://example.com/install.sh | sh\n",
            fixed="FROM debian:12\nRUN apt-get install --no-install-recommends -y curl ca-certificates\n"
            "RUN curl -fsSL https://example.com/install.sh | sh\n",
            message="keep ca-certificates for `curl https://…`, line 3",
            note="curl recommends ca-certificates, which the https download later needs: kept by name",
        ),
        Valid("FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n"),
        Valid(
            "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=0 install -y curl\n",
            note="apt reads 0 as false (hadolint only knows the spelling =false)",
        ),
        Valid(
            "FROM debian:12\n"
            "RUN echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/99norecommends\n"
            "RUN apt-get install -y curl\n",
            note="apt is configured not to install recommends for the whole image",
        ),
        Valid(
            "FROM debian:12 AS build\nRUN apt-get install -y build-essential\n"
            "FROM debian:12-slim\nCOPY --from=build /out /out\n",
            note="a builder stage: its layers do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        configured: dict[int, bool] = {}
        writes: dict[tuple[int, str], bool] = {}  # see _writes_config
        named: dict[int, set[str]] = {}  # stage index -> _named_packages of any RUN of the stage
        run_needs: dict[tuple[int, str], dict[str, _Need]] = {}  # see _run_needs
        for ins in ctx.runs(final_only=True):
            for script in ctx.scripts(ins):
                if not any(map(may_install_with_apt, script.commands)):
                    continue  # most scripts: no apt install to look at
                missing = [c for c in map(apt_install, script.commands) if c is not None and not disables_recommends(c)]
                missing = [c for c in missing if not any(_recommends_are_content(p) for p in packages(c))]
                if not missing or ctx.base_image(ctx.stage(ins)).startswith(_CONTENT_BASES):
                    continue
                stage = ctx.stage(ins)
                key = ins.index
                if key not in configured:
                    configured[key] = any(_writes_config(ctx, o, writes) for o in ctx.before(ins))
                if configured[key]:
                    continue
                yield self._finding(ctx, ins, script, missing, stage, named, run_needs)

    def _finding(self, ctx: Context, ins: Instruction, script: ShellScript, missing: list[Command], stage,
                 named_by_stage: dict[int, set[str]], run_needs: dict[tuple[int, str], dict[str, "_Need"]]) -> Finding:
        needs: dict[str, _Need] | None = None  # worked out only for a package that keeps a recommend
        named: set[str] = set()  # so is this: the packages the image names (per stage, in named_by_stage)
        base = ctx.base_image(stage)
        kept_by: dict[int, list[str]] = {}
        why: dict[str, str] = {}
        for n, c in enumerate(missing):
            for pkg in packages(c):
                for rec, kind in recommends_kept(pkg):
                    if needs is None:
                        needs = _later_needs(ctx, ins, script, missing[0], run_needs)
                        named = named_by_stage.get(ins.stage)
                        if named is None:
                            named = named_by_stage[ins.stage] = _named_packages(ctx, ins)
                    need = _satisfies(kind, needs, named) or _run_time_fetch(pkg, kind, needs) \
                        or _run_time_toolchain(pkg, kind, needs)
                    if kind == "setuptools":
                        lacks = pip_lacks_setuptools(base)
                        need = _pip_builds(needs) if lacks else None
                        if need is None and lacks:
                            need = _Need("pip at run time: before 22.1 it builds source packages with it", 0)
                    if kind == "gpg" and _NO_GPG_AGENT.search(base.lower()):
                        need = None
                    if need is None or any(p in named or p in why for p in (rec, *_PROVIDED_BY.get(rec, ()))):
                        continue
                    kept_by.setdefault(n, []).append(rec)
                    why[rec] = f"{need.why}, line {need.line}" if need.line else need.why
        fix = None
        if script.ok:
            edits = []
            for n, c in enumerate(missing):
                args = program_args(c, VALUE_OPTIONS)
                extra = " " + " ".join(kept_by[n]) if n in kept_by else ""
                if len(args) > 1 and extra:
                    edits += [insert_after(args[0], f" {flag(c)}"), insert_after(args[-1], extra)]
                else:
                    edits.append(insert_after(args[0], f" {flag(c)}{extra}"))
            if edits:
                title = f"Add {flag(missing[0])}" + (f", keep {', '.join(why)}" if why else "")
                reason = REASON
                if why:
                    reason = "kept by name: " + "; ".join(f"{p} ({w})" for p, w in why.items()) + ". " + REASON
                fix = Fix(title, tuple(edits), Safety.REVIEW, reason=reason)
        first = missing[0]
        # a large recommend kept by name (a compiler) is most of the saving: leave its
        # installer out of the estimate; a small one (CA certificates) changes little
        keeps = {p for c in missing for p in packages(c)
                 if any(r in why and r not in _SMALL_KEEPS for r, _ in recommends_kept(p))}
        names = tuple(p for c in missing for p in packages(c) if p not in keeps)
        head = f"`{first.program} install` without `{flag(first)}` also installs the recommended packages"
        if why:
            (pkg, reason_text), *rest = why.items()
            more = f" (+{len(rest)})" if rest else ""
            head = f"`{first.program} install` installs recommends; keep {pkg}{more} for {reason_text}"
            if len(head) > 100 or any(w != reason_text for _, w in rest):  # one reason cannot speak for all
                head = f"`{first.program} install` installs recommends; keep {pkg}{more} (needed later)"
        return ctx.finding(
            self,
            ins,
            first.span,
            head,
            fix=fix,
            hint=SizeHint(
                hints.APT_RECOMMENDS,
                {"base_image": base, "packages": names},
                (cache_claim(hints.APT_RECOMMENDS, ins),),
            ),
        )


def _writes_config(ctx: Context, ins: Instruction, kept: dict[tuple[int, str], bool]) -> bool:
    """``writes_no_recommends_config``, answered once per instruction (``kept``): each later
    install asks it of every instruction before it."""
    key = (ins.index, ins.keyword)
    found = kept.get(key)
    if found is None:
        found = kept[key] = writes_no_recommends_config(ctx, ins)
    return found


class _Need(Record):
    __slots__ = ()
    _fields = ("why", "at")
    why = field(0, "str")
    at = field(1, "int | Command: the line, or the command on it: its line is worked out only if a reason names it")

    def __new__(cls, why, at):
        return tuple.__new__(cls, (why, at))

    @property
    def line(self) -> int:
        at = self.at
        return at if isinstance(at, int) else at.span.start.line


def _command_needs(c: Command, env: dict[str, str]) -> list[tuple[str, _Need]]:
    """(kind, need) of one command in order, ``uses:<program>`` last."""
    needs = [(n.kind, _Need(n.why, c)) for n in command_needs(c, env)]
    return needs + [(f"uses:{unwrap(c).program}", _Need("", c))]


def _run_needs(ctx: Context, run: Instruction, kept: dict[tuple[int, str], dict[str, _Need]]) -> dict[str, _Need]:
    """The first need of each kind among the ``_command_needs`` of a RUN's commands (only the
    first counts for a step before it): the same for each earlier install whose later steps
    it is among, so found once per RUN (``kept``)."""
    key = (run.index, run.keyword)
    found = kept.get(key)
    if found is None:
        env = ctx.env(run)  # read only: one copy per instruction, not per command
        found = kept[key] = {}
        for s in ctx.scripts(run):
            for c in s.commands:
                for kind, need in _command_needs(c, env):
                    found.setdefault(kind, need)
    return found


def _later_needs(ctx: Context, ins: Instruction, script: ShellScript, install: Command,
                 run_needs: dict[tuple[int, str], dict[str, _Need]]) -> dict[str, _Need]:
    """What the steps after ``install`` need (same RUN, later instructions of the image),
    first occurrence of each kind."""
    found: dict[str, _Need] = {}
    env = ctx.env(ins)  # read only: one copy per instruction, not per command
    for s in ctx.scripts(ins):
        for c in s.commands:
            if s is not script or starts_after(c, install):
                for kind, need in _command_needs(c, env):
                    found.setdefault(kind, need)
    # the later instructions last to first, each one's needs over those after it: the first
    # occurrence of each kind wins, merged a RUN at a time (dict.update) rather than a need at a time
    later: dict[str, _Need] = {}
    for other in reversed(ctx.after(ins)):
        if other.keyword == "RUN":
            later.update(_run_needs(ctx, other, run_needs))
        elif other.keyword in ("CMD", "ENTRYPOINT"):
            words = list(other.json_args) if other.json_args is not None else other.body.text.split()
            later.update((n.kind, _Need(n.why, other.line)) for n in reversed(words_needs(words)))
    return {**later, **found}  # this RUN's own steps come first (callers look kinds up, in no order)


def _named_packages(ctx: Context, ins: Instruction) -> set[str]:
    """Every package an apt install of this image names, before or after ``ins`` (the same
    for every instruction of a stage: its lineage, itself and the stages built from it)."""
    out: set[str] = set()
    for other in (*ctx.before(ins), ins, *ctx.after(ins)):
        if other.keyword == "RUN":
            for s in ctx.scripts(other):
                for c in s.commands:
                    c = apt_install(c) if may_install_with_apt(c) else None  # most commands: no call
                    if c is not None:
                        out.update(packages(c))
    return out


def _recommends_are_content(package: str) -> bool:
    return package.startswith(_RECOMMENDS_ARE_CONTENT) or package.endswith("-desktop")


def _run_time_fetch(package: str, kind: str, needs: dict[str, _Need]) -> _Need | None:
    """A fetch tool the build never runs is installed for the container, which will
    fetch over https: keep its CA certificates (and xauth for xvfb's `xvfb-run`)."""
    if kind in RUN_TIME_TOOLS:
        return _Need(RUN_TIME_TOOLS[kind], 0)
    if kind != "https" or package not in RUN_TIME_FETCHERS:
        return None
    program = RUN_TIME_FETCHERS[package]
    if program and f"uses:{program}" in needs:
        return None
    return _Need("https at run time", 0)


def _pip_builds(needs: dict[str, _Need]) -> _Need | None:
    """A later pip install or setup.py build: an old pip needs setuptools to build a source package."""
    need = needs.get("pip") or needs.get("pybuild")
    if need is None:
        return None
    return _Need(f"{need.why}: pip before 22.1 builds source packages with it", need.line)


def _satisfies(kind: str, needs: dict[str, _Need], named: set[str]) -> _Need | None:
    """The later need that keeps a recommend of this kind, or None."""
    if kind in needs:
        return needs[kind]
    if kind in ("compile", "pybuild") and "pip" in needs and (installs_dev_headers(named) or named & _COMPILERS):
        # -dev headers or a compiler next to a pip install: the author expects it to build from source
        return needs["pip"]
    if kind == "cgo" and "compile" in needs:
        return needs["compile"]
    return None
