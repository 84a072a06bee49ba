"""DT402's Python case: the brief's two-stage build for a Python application.

A builder on the image as written creates a virtual environment in /opt/venv and
installs the requirements and the project there (the install commands stay as
written: with ``VIRTUAL_ENV`` set and the venv first on ``PATH``, pip, poetry,
pipenv and ``uv pip`` install into it; ``uv sync`` is pointed at it by
``UV_PROJECT_ENVIRONMENT``). The runtime is the ``-slim`` tag of the same version,
installs only the shared libraries that the compiled packages link against, and
copies the venv and the application directory. Facts only: sizes are estimate/'s.
"""

from __future__ import annotations

import posixpath
import re

from bot.model.dockerfile import Instruction, Stage
from bot.model.images import ImageRef
from bot.model.records import Record, field
from bot.model.shell import Command
from bot.rules.base import Context
from bot.rules.dt207_build_packages_in_final_image import is_build_package
from bot.rules.ecosystems import DEBIAN_SUITES, PIP_NEEDS_COMPILER, lighter_variant, tool_args
from bot.rules.facts import APT, REQUIREMENT_NAME_END, LazyPattern, copy_args, join_path

VENV = "/opt/venv"
VENV_ENV = f'ENV VIRTUAL_ENV={VENV} PATH="{VENV}/bin:$PATH"'

# -dev package -> the runtime libraries a module built against it needs (Debian names,
# checked with `apt-cache show` on Debian 12; the same names in Debian 11 and 13).
RUNTIME_LIBS: dict[str, tuple[str, ...]] = {
    "libpq-dev": ("libpq5",),
    "default-libmysqlclient-dev": ("libmariadb3",),
    "libmariadb-dev": ("libmariadb3",),
    "libmariadb-dev-compat": ("libmariadb3",),
    "libmariadbclient-dev": ("libmariadb3",),
    "libxml2-dev": ("libxml2",),
    "libxslt1-dev": ("libxslt1.1",),
    "libxslt-dev": ("libxslt1.1",),
    "libjpeg-dev": ("libjpeg62-turbo",),
    "libjpeg62-turbo-dev": ("libjpeg62-turbo",),
    "libyaml-dev": ("libyaml-0-2",),
    "libfreetype6-dev": ("libfreetype6",),
    "libfreetype-dev": ("libfreetype6",),
    "liblcms2-dev": ("liblcms2-2",),
    "libopenjp2-7-dev": ("libopenjp2-7",),
    "libgmp-dev": ("libgmp10",),
    "libzmq3-dev": ("libzmq5",),
    "libsasl2-dev": ("libsasl2-2",),
    "libcairo2-dev": ("libcairo2",),
    "libsnappy-dev": ("libsnappy1v5",),
    "libkrb5-dev": ("libkrb5-3", "libgssapi-krb5-2"),
}
# The same, for names that differ between Debian releases: used only on a bookworm tag.
BOOKWORM_LIBS: dict[str, tuple[str, ...]] = {
    "libgeos-dev": ("libgeos-c1v5",),
    "unixodbc-dev": ("libodbc2",),
    "libpng-dev": ("libpng16-16",),
    "libwebp-dev": ("libwebp7",),
    "libtiff-dev": ("libtiff6",),
    "libtiff5-dev": ("libtiff6",),
    "libmagic-dev": ("libmagic1",),
}
# Headers whose library the python image already carries (CPython links it) or that
# have no library at all: nothing to install in the runtime.
NOTHING_AT_RUNTIME = frozenset(
    "python3-dev python-dev libpython3-dev python3-distutils libc-dev libc6-dev linux-libc-dev linux-headers-amd64 "
    "libffi-dev libssl-dev zlib1g-dev libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev libncurses-dev "
    "libncurses5-dev libncursesw5-dev uuid-dev libgdbm-dev libexpat1-dev tk-dev dpkg-dev".split()
)
# Debian/Ubuntu bases: the packages that install the release's python3, those the
# runtime does without (the venv has its own pip), and other Pythons the venv is not.
DISTRO_BASES = ("debian", "ubuntu")
DISTRO_PYTHON = LazyPattern(r"python3(-dev|-pip|-venv|-minimal|-full)?|libpython3-dev")
DISTRO_BUILD_TOOLS = frozenset(("python3-pip", "python3-venv", "python3-wheel"))
OTHER_PYTHON = LazyPattern(r"python(2[.\d]*|3\.\d+)?(-[\w.]+)?|libpython[\d.]*(-[\w.]+)?")
# Runtime names above that Ubuntu spells otherwise (libjpeg-turbo8): no rewrite there.
NOT_ON_UBUNTU = frozenset(("libjpeg-dev", "libjpeg62-turbo-dev"))
# pip packages that compile against a library the full image has: its runtime name.
PIP_RUNTIME_LIBS = {"psycopg2": ("libpq5",), "mysqlclient": ("libmariadb3",), "pycrypto": ()}

# Commands a builder RUN may hold: what they write stays in the venv or the app directory.
PYTHON_TOOLS = frozenset(("pip", "poetry", "pipenv", "uv"))
PLAIN_TOOLS = frozenset(("echo", "true", "ls", "cat", "export"))
PATH_TOOLS = frozenset(("mkdir", "rm", "chmod", "cp", "mv", "touch"))
PATH_OPTIONS_OUTSIDE = ("--user", "-t", "--target", "--prefix", "--root", "--system-site-packages")


class Plan(Record):
    """What the two stages need: the apt packages of the runtime, the build ones, and
    the -dev packages no table entry covers (then no rewrite is offered)."""

    __slots__ = ()
    _fields = ("build_packages", "runtime_packages", "unknown_dev", "compiles", "install_runs", "uv_sync",
               "python_run", "venv_installed")
    build_packages = field(0, "tuple[str, ...]")
    runtime_packages = field(1, "tuple[str, ...]")
    unknown_dev = field(2, "tuple[str, ...]")
    compiles = field(3, "tuple[str, ...]: pip packages known to compile (full image only)")
    install_runs = field(4, "tuple[Instruction, ...]: the RUNs that apt-install build packages")
    uv_sync = field(5, "bool")
    python_run = field(6, "Instruction | None: Debian/Ubuntu base: the RUN that installs python3")
    venv_installed = field(7, "bool: Debian/Ubuntu base: python3-venv is among the packages")

    def __new__(cls, build_packages, runtime_packages, unknown_dev, compiles, install_runs, uv_sync, python_run=None,
                venv_installed=False):
        return tuple.__new__(cls, (build_packages, runtime_packages, unknown_dev, compiles, install_runs, uv_sync,
                                   python_run, venv_installed))


def is_python_image(ref: ImageRef) -> bool:
    """An official Debian-based python image (alpine and Windows tags are other worlds)."""
    if ref.registry or ref.repository != "python":
        return False
    return not re.search(r"alpine|windows|nanoserver", ref.tag)


def is_distro_base(ref: ImageRef) -> bool:
    """An official Debian or Ubuntu image, whose Python is the release's python3 package."""
    return not ref.registry and ref.repository in DISTRO_BASES


def python_runtime(ref: ImageRef) -> str:
    """The -slim tag of the same version: the image itself when it is slim already, or
    when it is a Debian/Ubuntu base (see the module docstring)."""
    if "slim" in ref.tag or is_distro_base(ref):
        return ref.with_tag(ref.tag)
    v = lighter_variant(ref)
    return ref.with_tag(v.tag) if v is not None else ""


def _suite(ref: ImageRef) -> str:
    m = re.search(rf"({'|'.join(DEBIAN_SUITES)})", ref.tag)
    if m is None and ref.repository == "debian" and re.match(r"12(\.|-|$)", ref.tag):
        return "bookworm"
    return m.group(1) if m else ""

_APT_NAME_END = LazyPattern(r"[=:/]")  # a version, architecture or release follows


def _apt_packages(cmd: Command) -> list[str]:
    if cmd.program not in APT or cmd.subcommand() != "install":
        return []
    return [_APT_NAME_END.split(w.text, maxsplit=1)[0] for w in cmd.positionals()[1:] if not w.dynamic]


def _pip_names(args) -> list[str]:
    return [REQUIREMENT_NAME_END.split(a.text, maxsplit=1)[0].lower().replace("_", "-") for a in args[1:]]


_INSTALLERS = frozenset(("pip", "poetry", "pipenv", "uv"))  # the programs python_installs looks for


def python_installs(ctx: Context, ins: Instruction) -> list[Command]:
    """pip/poetry/pipenv/uv commands that install packages in this RUN."""
    out = []
    for script in ctx.scripts(ins):
        for cmd in script.commands:
            prog, args = tool_args(cmd)
            if prog not in _INSTALLERS:
                continue  # most commands: no need of their subcommand
            sub = next((a.text for a in args if not a.text.startswith("-")), "")
            if (prog == "pip" and sub == "install") or (prog in ("poetry", "pipenv") and sub in ("install", "sync")) \
                    or (prog == "uv" and sub == "sync"):  # fmt: skip
                out.append(cmd)
    return out


def plan(ctx: Context, chain: list[Stage], ref: ImageRef) -> Plan | None:
    """The Python build facts of the final image, or None when it builds no Python packages."""
    build, runtime, unknown, compiles = [], [], [], []
    install_runs: list[Instruction] = []
    installs: list[Command] = []
    uv_sync = False
    bookworm = _suite(ref) == "bookworm"
    distro = is_distro_base(ref)
    python_run, venv_installed = None, False
    runs = [i for stage in reversed(chain) for i in map(Instruction.effective, stage.instructions) if i.keyword == "RUN"]
    found_in = [python_installs(ctx, ins) for ins in runs]
    if not any(found_in):
        return None  # no Python package is installed (asked first: the apt packages need not be read)
    for ins, found in zip(runs, found_in):
        for script in ctx.scripts(ins):
            for cmd in script.commands:
                for name in _apt_packages(cmd):
                    if distro:
                        if DISTRO_PYTHON.fullmatch(name):
                            python_run = python_run or ins
                            venv_installed = venv_installed or name.endswith("-venv")
                        elif OTHER_PYTHON.fullmatch(name) and name not in ("python-is-python3",):
                            unknown.append(name)  # Python 2 or a second python3.X: not the venv's
                        if name in DISTRO_BUILD_TOOLS:
                            continue  # the venv brings its own pip
                    if not is_build_package(name):
                        runtime.append(name)
                        continue
                    build.append(name)
                    install_runs.append(ins)
                    if name in NOTHING_AT_RUNTIME or not name.endswith(("-dev", "-headers")):
                        continue
                    libs = RUNTIME_LIBS.get(name) or (BOOKWORM_LIBS.get(name) if bookworm else None)
                    if ref.repository == "ubuntu" and name in NOT_ON_UBUNTU:
                        libs = None
                    if libs is None:
                        unknown.append(name)
                    else:
                        runtime.extend(libs)
        installs.extend(found)
        for cmd in found:
            prog, args = tool_args(cmd)
            uv_sync = uv_sync or prog == "uv"
            if prog == "pip":
                compiles.extend(n for n in _pip_names(args) if n in PIP_NEEDS_COMPILER)
    if distro:
        if python_run is None or not build:
            return None  # no python3 of the release, or nothing compiles
        runtime.insert(0, "python3")
    full = "slim" not in ref.tag and not distro
    if not build and not (full and compiles):
        return None  # nothing compiles: DT401's slim swap is the whole story
    if full:
        for name in compiles:
            if name in PIP_RUNTIME_LIBS:
                runtime.extend(PIP_RUNTIME_LIBS[name])
            elif not build:
                unknown.append(name)
    dedup = lambda xs: tuple(dict.fromkeys(xs))  # noqa: E731
    return Plan(dedup(build), dedup(runtime), dedup(unknown), dedup(compiles), tuple({i.index: i for i in install_runs}.values()), uv_sync,
                python_run, venv_installed)  # fmt: skip


class Rewrite(Record):
    __slots__ = ()
    _fields = ("builder_head", "runtime_lines", "copies", "reason", "after")
    builder_head = field(0, "str: lines inserted after the builder's FROM, or after ``after``")
    runtime_lines = field(1, "list[str]: the runtime stage's lines before its ENV/COPY/meta")
    copies = field(2, "list[str]: COPY --from lines with {stage}")
    reason = field(3, "str")
    after = field(4, "Instruction | None: Debian/Ubuntu: the RUN that installs python3")

    def __new__(cls, builder_head, runtime_lines, copies, reason, after=None):
        return tuple.__new__(cls, (builder_head, runtime_lines, copies, reason, after))


def rewrite(ctx: Context, stage: Stage, p: Plan, wd_final: str | None) -> Rewrite | None:
    """The builder's extra lines and the runtime's, or None when the stage does
    something a runtime copy of /opt/venv and the app directory would lose."""
    if p.unknown_dev or not wd_final or wd_final == "/":
        return None
    dests: list[str] = []
    for ins in stage.instructions:
        if ins.keyword in ("COPY", "ADD"):
            if ins.flag("from") is not None:
                return None
            args = copy_args(ctx.df, ins)
            wd = _workdir(ctx, ins)
            if args is None or wd is None or "$" in args.dest:
                return None
            dest = posixpath.normpath(join_path(wd, args.dest))
            if dest == "/" and len(args.sources) == 1 and re.fullmatch(r"[\w.-]+", args.sources[0]) \
                    and args.sources[0] not in (".", ".."):  # fmt: skip
                dest = "/" + args.sources[0]  # `COPY requirements.txt .` at the root: one file
            if dest == "/":
                return None
            dests.append(dest)
        elif ins.keyword == "RUN":
            if not _builder_run_ok(ctx, ins, wd_final):
                return None
    copies = [f"COPY --from={{stage}} {VENV} {VENV}", f"COPY --from={{stage}} {wd_final} {wd_final}"]
    for dest in dict.fromkeys(dests):
        if dest != wd_final and not dest.startswith(wd_final.rstrip("/") + "/"):
            if dest.startswith(VENV):
                return None
            copies.append(f"COPY --from={{stage}} {dest} {dest}")
    runtime_lines = []
    recommends = "--no-install-recommends " if p.python_run is None or _no_recommends(ctx, stage) else ""
    if p.runtime_packages:
        runtime_lines.append(
            f"RUN apt-get update && apt-get install -y {recommends}"
            + " ".join(p.runtime_packages) + " && rm -rf /var/lib/apt/lists/*"
        )  # fmt: skip
    env = VENV_ENV + (f" UV_PROJECT_ENVIRONMENT={VENV}" if p.uv_sync else "")
    libs = ", ".join(p.runtime_packages) or "none"
    if p.python_run is None:
        head = f"{env}\nRUN python -m venv {VENV}\n"
        reason = (
            f"Check the runtime libraries ({libs}): a compiled package that links another library fails to import "
            "on -slim; and that nothing at run time needs a compiler or files outside the app directory and the venv"
        )
        return Rewrite(head, runtime_lines, copies, reason)
    if not _venv_before_installs(ctx, stage, p.python_run):
        return None
    venv = f"python3 -m venv {VENV}"
    if not p.venv_installed:  # Debian's python3 has no ensurepip without python3-venv
        venv = (f"apt-get update && apt-get install -y --no-install-recommends python3-venv "
                f"&& rm -rf /var/lib/apt/lists/* && {venv}")  # fmt: skip
    head = f"{env}\nRUN {venv}\n"
    reason = (
        f"The runtime is the same {stage.image} with the release's python3 (the venv links to it; a python "
        f"image's -slim tag is another build of Python): check the runtime packages ({libs}), that a compiled "
        "package links nothing else, and that nothing at run time needs a compiler or files outside the app "
        "directory and the venv"
    )
    return Rewrite(head, runtime_lines, copies, reason, p.python_run)


def _no_recommends(ctx: Context, stage: Stage) -> bool:
    """Every apt install of the stage skips recommends: the runtime's does too, else it
    keeps them (ca-certificates and the like come with them)."""
    cmds = [c for i in stage.instructions if i.keyword == "RUN" for s in ctx.scripts(i) for c in s.commands
            if c.program in APT and c.subcommand() == "install"]  # fmt: skip
    return all(c.has_option("--no-install-recommends") for c in cmds)


def _venv_before_installs(ctx: Context, stage: Stage, python_run: Instruction) -> bool:
    """The venv can be made after ``python_run``: no Python install before it or in it."""
    for ins in stage.instructions:
        if ins.keyword == "RUN" and python_installs(ctx, ins):
            return ins.index > python_run.index
    return True


def _workdir(ctx: Context, ins: Instruction) -> str | None:
    return ctx.workdir(ins)


def _builder_run_ok(ctx: Context, ins: Instruction, wd_final: str) -> bool:
    """A RUN whose effects the runtime keeps: apt (re-done in the runtime), Python
    installs into the venv, python scripts and file commands inside the app directory."""
    if ins.flag("mount") is not None and any("type=cache" not in v for v in ins.flag_values("mount")):
        return False
    app = wd_final.rstrip("/") + "/"
    for script in ctx.scripts(ins):
        if not script.ok:
            return False
        for cmd in script.commands:
            prog, args = tool_args(cmd)
            if cmd.program in APT or prog == "apt-mark" or prog in PLAIN_TOOLS:
                continue
            if prog in PYTHON_TOOLS:
                if prog == "pip" and any(a.text.split("=", 1)[0] in PATH_OPTIONS_OUTSIDE for a in args):
                    return False
                if prog == "poetry" and args and args[0].text == "self":
                    return False
                continue
            if re.fullmatch(r"python(\d(\.\d+)?)?", prog):
                if any(a.text in ("venv", "virtualenv") for a in args[:2]):
                    return False  # its own venv: the rewrite would nest a second one
                continue
            if prog in PATH_TOOLS:
                paths = [a.text for a in cmd.positionals()]
                wd = _workdir(ctx, ins) or "/"
                absolute = [posixpath.normpath(join_path(wd, t)) for t in paths]
                if all(t.startswith(("/tmp/", "/root/.cache")) or t == "/tmp" or t.startswith(app) or t + "/" == app
                       or t.startswith("/var/lib/apt/lists") for t in absolute):  # fmt: skip
                    continue
                return False
            return False
    return True
