"""What the language ecosystems look like inside a Dockerfile, as rule facts.

Which commands install dependencies and which manifest files they read (DT301,
DT302), which official image tags have a slimmer variant of the *same* version
(DT401), and which images are toolchains with a known runtime image (DT402).
Facts only, never sizes: how much a swap saves is estimate/'s business.
"""

from __future__ import annotations

import re

from bot.model.images import ImageRef, parse_image
from bot.model.records import Record, field
from bot.model.shell import Command, Word, command_fact
from bot.model.stages import workdir_at
from bot.rules.facts import PIP_NAME, PYTHON_NAME, operands
from bot.rules.tool_options import GIT_CLONE_VALUES, PIP_INSTALL_VALUES

# ---------------------------------------------------------------------------- images


DEBIAN_SUITES = ("buster", "bullseye", "bookworm", "trixie")
_VERSION = r"\d+(?:\.\d+)*"
NODE_ALIASES = ("lts", "current", "argon", "boron", "carbon", "dubnium", "erbium", "fermium",
                "gallium", "hydrogen", "iron", "jod", "krypton")  # fmt: skip


class Variant(Record):
    __slots__ = ()
    _fields = ("tag", "kind")
    tag = field(0, "str: the lighter tag of the same version")
    kind = field(1, 'str: "slim" (same distro, fewer packages) | "jre" (runtime without compiler)')

    def __new__(cls, tag, kind):
        return tuple.__new__(cls, (tag, kind))


def _suite_slim(tag: str, version: str, slim_first: bool) -> str | None:
    """python/ruby put ``slim`` before the suite (3.12-slim-bookworm), node after it
    (20-bookworm-slim); a bare version or ``latest`` gets plain ``-slim``."""
    suites = "|".join(DEBIAN_SUITES)
    if tag in ("", "latest"):
        return "slim"
    if re.fullmatch(rf"(?:{suites})", tag):
        return f"slim-{tag}" if slim_first else f"{tag}-slim"
    m = re.fullmatch(rf"({version})(?:-({suites}))?", tag)
    if not m:
        return None
    ver, suite = m.groups()
    if not suite:
        return f"{ver}-slim"
    return f"{ver}-slim-{suite}" if slim_first else f"{ver}-{suite}-slim"


def lighter_variant(ref: ImageRef) -> Variant | None:
    """The slimmer tag of the same version, for official images whose full tag has one.

    Full Debian-based python/node/ruby tags carry compilers and SCM tools on top of
    the slim ones; debian has ``-slim``; JDK tags of eclipse-temurin and of the
    deprecated openjdk (8 and 11 only: later openjdk versions never had a JRE tag)
    have a JRE. Ubuntu has no slim variant. Alpine is never proposed here: musl can
    break glibc-built wheels and binaries, so that is the author's call.
    """
    if ref.registry or ref.digest:
        return None
    name, tag = ref.repository, ref.tag
    if name == "python":
        t = _suite_slim(tag, _VERSION, slim_first=True)
        return Variant(t, "slim") if t else None
    if name == "ruby":
        t = _suite_slim(tag, _VERSION, slim_first=True)
        return Variant(t, "slim") if t else None
    if name == "node":
        aliases = "|".join(NODE_ALIASES)
        t = _suite_slim(tag, rf"{_VERSION}|{aliases}", slim_first=False)
        return Variant(t, "slim") if t else None
    if name == "debian":
        if tag in ("", "latest"):
            return Variant("stable-slim", "slim")
        if re.fullmatch(rf"(?:{'|'.join(DEBIAN_SUITES)}|stable|oldstable|testing|sid|unstable|\d+(?:\.\d+)?)", tag):
            return Variant(f"{tag}-slim", "slim")
        return None
    if name == "eclipse-temurin":
        m = re.fullmatch(r"(\d+(?:[._+\w]*?)?)(?:-jdk)?(-(?:jammy|focal|noble|ubi9-minimal|alpine|windowsservercore\S*|nanoserver\S*))?", tag)
        if not m or "windows" in tag or "nanoserver" in tag or "jre" in tag:
            return None
        ver, suffix = m.group(1), m.group(2) or ""
        if not re.match(r"\d", ver):
            return None
        return Variant(f"{ver}-jre{suffix}", "jre")
    if name == "openjdk":
        m = re.fullmatch(r"(8|11)(u\d+)?(?:-jdk)?(-slim|-alpine)?(-(?:buster|bullseye|stretch))?", tag)
        if m and m.group(4) is None and not (m.group(1) == "11" and m.group(3) == "-alpine"):
            # codename tags: the jre twin was not always published; 11 never had jre-alpine
            return Variant(f"{m.group(1)}{m.group(2) or ''}-jre{m.group(3) or ''}", "jre")
        return None
    return None


def java_version(ref: ImageRef) -> str:
    """The Java feature version a JDK/build image carries ("" when the tag does not say)."""
    tag = ref.tag
    if ref.repository in ("eclipse-temurin", "openjdk", "amazoncorretto"):
        m = re.match(r"(\d+)", tag)
        return m.group(1) if m else ""
    if ref.repository in ("maven", "gradle"):
        m = re.search(r"(?:jdk|temurin|openjdk|corretto)-?(\d+)", tag)
        return m.group(1) if m else ""
    return ""


# Tools the full python/node/ruby (buildpack-deps) and full JDK images ship that their
# slim variants lack; a stage that calls one without installing it breaks on slim.
FULL_ONLY_TOOLS = frozenset(
    "git curl wget ssh scp svn hg gcc g++ cc c++ make cmake autoconf automake libtool "
    "pkg-config patch unzip bzip2 file gpg dirmngr ps procps xz jq netcat nc".split()
)
# apt/apk package -> the tools it provides (enough for "was it installed first?")
TOOL_PACKAGES: dict[str, tuple[str, ...]] = {
    "build-essential": ("gcc", "g++", "cc", "c++", "make", "patch"),
    "gcc": ("gcc", "cc"), "g++": ("g++", "c++"), "make": ("make",), "cmake": ("cmake",),
    "git": ("git",), "curl": ("curl",), "wget": ("wget",), "openssh-client": ("ssh", "scp"),
    "subversion": ("svn",), "mercurial": ("hg",), "autoconf": ("autoconf",), "automake": ("automake",),
    "libtool": ("libtool",), "pkg-config": ("pkg-config",), "patch": ("patch",), "unzip": ("unzip",),
    "bzip2": ("bzip2",), "file": ("file",), "gnupg": ("gpg", "dirmngr"), "gpg": ("gpg",),
    "dirmngr": ("dirmngr",), "procps": ("ps", "procps"), "xz-utils": ("xz",), "jq": ("jq",),
    "netcat": ("netcat", "nc"), "netcat-openbsd": ("netcat", "nc"), "netcat-traditional": ("netcat", "nc"),
}  # fmt: skip
# pip packages that have no manylinux wheels and compile on install: a full python
# image has the compiler and headers, slim does not.
PIP_NEEDS_COMPILER = frozenset(("uwsgi", "mysqlclient", "psycopg2", "python-ldap", "pycrypto", "pyodbc"))
JAVA_COMPILERS = frozenset(("javac", "mvn", "mvnw", "gradle", "gradlew", "jar", "jlink", "jpackage", "native-image", "sbt", "lein", "ant"))


# ---------------------------------------------------------------------------- toolchains


class Toolchain(Record):
    __slots__ = ()
    _fields = ("ecosystem", "runtime")
    ecosystem = field(0, "str: go | rust | java | node | dotnet | c")
    runtime = field(1, 'str: a runtime image for the same version ("" when it cannot be told)')

    def __new__(cls, ecosystem, runtime):
        return tuple.__new__(cls, (ecosystem, runtime))


def toolchain_of(ref: ImageRef) -> str:
    """The ecosystem whose SDK this image is, or "" (node is decided by the stage)."""
    name = ref.name
    if name in ("golang", "rust", "gcc", "maven", "gradle"):
        return {"golang": "go", "rust": "rust", "gcc": "c", "maven": "java", "gradle": "java"}[name]
    if name in ("mcr.microsoft.com/dotnet/sdk", "mcr.microsoft.com/dotnet/core/sdk"):
        return "dotnet"
    if name in ("eclipse-temurin", "openjdk", "amazoncorretto") and "jre" not in ref.tag:
        return "java"
    if name == "node":
        return "node"
    return ""


def dotnet_runtime(ref: ImageRef) -> str:
    """``sdk:8.0-alpine`` -> ``aspnet:8.0-alpine`` (aspnet includes the plain runtime)."""
    if not re.fullmatch(r"\d+\.\d+(?:-[a-z0-9.-]+)?", ref.tag):
        return ""
    base = ref.name.rsplit("/", 1)[0]
    return f"{base}/aspnet:{ref.tag}"


def go_runtime(ref: ImageRef) -> str:
    # a tag, because an untagged or :latest reference is its own lint finding (DL3006/DL3007)
    return "gcr.io/distroless/static-debian12:nonroot"


def rust_runtime(ref: ImageRef) -> str:
    """Same Debian release as the build image (glibc must not be older), else ""."""
    m = re.search(rf"-({'|'.join(DEBIAN_SUITES)})$", ref.tag)
    return f"debian:{m.group(1)}-slim" if m else ""


def node_runtime(ref: ImageRef) -> str:
    v = lighter_variant(ref)
    if v is not None:
        return ref.with_tag(v.tag)
    return ref.with_tag(ref.tag) if ref.tag else ref.name


# Lockfile evidence of native code: such a package built or downloaded for glibc in a
# Debian builder breaks on musl, so its presence rules out an Alpine runtime.
NATIVE_MARKERS = ("\"gypfile\": true", "\"hasInstallScript\": true", "node-gyp", "node-pre-gyp", "prebuild-install",
                  "prebuildify", "node-addon-api", "nan\":", "-linux-x64-gnu", "-linux-arm64-gnu", "@img/sharp",
                  "\"sharp\"", "bcrypt", "canvas", "sqlite3", "node-sass", "grpc", "@swc/", "esbuild", "lightningcss",
                  "@parcel/watcher", "re2", "cpu-features", "ssh2")  # fmt: skip
LOCK_TEXT_LIMIT = 256 * 1024  # the engine reads this much of a file: a longer lockfile is unknown


def node_alpine_evidence(ref: ImageRef, context) -> tuple[str, str] | None:
    """``(node:<ver>-alpine, evidence)`` when the lockfile shows no native addon, else None."""
    m = re.fullmatch(rf"({_VERSION})(?:-(?:{'|'.join(DEBIAN_SUITES)}))?", ref.tag)
    if context is None or m is None or ref.registry or ref.repository != "node":
        return None
    text = context.text("package-lock.json") if context.exists("package-lock.json") else None
    if not text or len(text) >= LOCK_TEXT_LIMIT or '"lockfileVersion"' not in text:
        return None
    if any(marker in text for marker in NATIVE_MARKERS) or context.exists("binding.gyp"):
        return None
    count = text.count('"node_modules/')
    return ref.with_tag(f"{m.group(1)}-alpine"), f"package-lock.json lists {count} packages, none native"


def java_runtime(ref: ImageRef) -> str:
    ver = java_version(ref)
    if not ver:
        return ""
    alpine = "-alpine" if "alpine" in ref.tag else ""
    return f"eclipse-temurin:{ver}-jre{alpine}"


# ---------------------------------------------------------------------------- commands



def tool_args(cmd: Command) -> tuple[str, list[Word]]:
    """The tool a command runs and its arguments: ``python -m pip install x`` -> pip."""
    prog, args = _tool_and_args(cmd)
    return prog, list(args)  # the caller's own list: the kept answer is shared


@command_fact  # asked of each command by DT301, DT302, DT401, DT402, DT601 (dependency_install) and python_build
def _tool_and_args(cmd: Command) -> tuple[str, tuple[Word, ...]]:
    prog = cmd.program
    args = cmd.args
    if PYTHON_NAME.fullmatch(prog) and len(args) >= 2 and args[0].text == "-m":
        prog, args = args[1].text, args[2:]
    if prog in ("npx", "corepack") and args and not args[0].text.startswith("-"):
        prog, args = args[0].text, args[1:]
    if PIP_NAME.fullmatch(prog):
        prog = "pip"
    if prog == "uv" and len(args) >= 2 and args[0].text == "pip":
        prog, args = "pip", args[1:]
    if prog in ("./mvnw", "mvnw"):
        prog = "mvn"
    if prog in ("./gradlew", "gradlew"):
        prog = "gradle"
    if cmd.name in ("./mvnw", "./gradlew"):
        prog = "mvn" if "mvnw" in cmd.name else "gradle"
    return prog, args


def _has(args: list[Word], *names: str) -> bool:
    for a in args:
        t = a.text.split("=", 1)[0]
        if t in names:
            return True
    return False


def _values(args: list[Word], *names: str) -> list[Word] | None:
    """Values of options like ``-r FILE`` / ``--requirement=FILE``; None if one is dynamic."""
    out: list[Word] = []
    for i, a in enumerate(args):
        t = a.text
        for n in names:
            if t == n and i + 1 < len(args):
                out.append(args[i + 1])
            elif n.startswith("--") and t.startswith(n + "="):
                out.append(Word(t[len(n) + 1 :], a.raw, a.span, a.dynamic))
            elif not n.startswith("--") and t.startswith(n) and len(t) > len(n):
                out.append(Word(t[len(n) :], a.raw, a.span, a.dynamic))
    if any(w.dynamic or "$" in w.text for w in out):
        return None
    return out


class Install(Record):
    """A dependency-install step, and what it needs from the build context.

    ``manifests``: files it reads (canonical names: DT301 checks them against the
    build context). ``lock_choices``: alternatives of which the existing ones count.
    ``dep_only``: a command that installs only the dependencies when this one also
    needs the project source ("" when this command needs only the manifests, None
    when no correct split is known). ``builds``: the command compiles the project's
    sources (``go build``, ``mvn package``, ``dotnet publish``), so it needs the whole
    tree; it installs dependencies only on the side.
    """

    __slots__ = ()
    _fields = ("ecosystem", "command", "manifests", "lock_choices", "optional", "dep_only", "flag_split", "canonical",
               "builds")
    ecosystem = field(0, "str")
    command = field(1, "Command")
    manifests = field(2, "tuple[str, ...]")
    lock_choices = field(3, "tuple[str, ...]")
    optional = field(4, "tuple[str, ...]: copied along when they exist (.npmrc, poetry.toml)")
    dep_only = field(5, "str | None")
    flag_split = field(6, "str: a flag that turns this same command into the dependency-only step")
    canonical = field(7, "str: the COPY sources to name when the context is unknown")
    builds = field(8, "bool")

    def __new__(cls, ecosystem, command, manifests, lock_choices=(), optional=(), dep_only="", flag_split="",
                canonical="", builds=False):
        return tuple.__new__(cls, (ecosystem, command, manifests, lock_choices, optional, dep_only, flag_split,
                                   canonical, builds))


def _pip(cmd: Command, args: list[Word]) -> Install | None:
    if not args or args[0].text != "install":
        return None
    rest = args[1:]
    reqs = _values(rest, "-r", "--requirement")
    cons = _values(rest, "-c", "--constraint") or []
    local = [w for w in operands(rest, PIP_INSTALL_VALUES) if _is_local_path(w.text)]
    editable = _values(rest, "-e", "--editable")
    if local or editable:
        return Install("pip", cmd, ("pyproject.toml",), dep_only=None)
    if reqs is None:
        return Install("pip", cmd, (), dep_only=None)
    if not reqs:
        return None  # named packages from an index: no manifest involved
    files = tuple(w.text for w in reqs + cons)
    return Install("pip", cmd, files)


def _is_local_path(text: str) -> bool:
    """``.``, ``./pkg``, ``src/pkg``, ``dist/x.whl``: the project or files of the context."""
    return text in (".", "..") or text.startswith(("./", "/", "../")) or ("/" in text and "://" not in text)


NPM_LOCKS = ("package-lock.json", "npm-shrinkwrap.json")


def _node(prog: str, cmd: Command, args: list[Word]) -> Install | None:
    pos = operands(args, frozenset(("--prefix", "-C", "--cwd", "--filter", "--registry")))
    sub = pos[0].text if pos else ""
    if prog == "npm":
        if sub == "ci" or (sub in ("install", "i") and len(pos) == 1 and not _has(args, "-g", "--global")):
            return Install("npm", cmd, ("package.json",), NPM_LOCKS, (".npmrc",), canonical="package*.json")
        return None
    if prog == "yarn":
        if _has(args, "--version", "-v", "--help", "-h", "-V"):
            return None
        if (not sub and not args) or (sub == "install" and len(pos) == 1) or (not sub and all(a.text.startswith("-") for a in args)):
            return Install("yarn", cmd, ("package.json",), ("yarn.lock",), (".npmrc", ".yarnrc", ".yarnrc.yml"),
                           canonical="package.json yarn.lock")
        return None
    if prog == "pnpm":
        if sub in ("install", "i") and len(pos) == 1:
            return Install("pnpm", cmd, ("package.json",), ("pnpm-lock.yaml",), (".npmrc",),
                           canonical="package.json pnpm-lock.yaml")
        return None
    return None


_INSTALLING_TOOLS = frozenset(("pip", "npm", "yarn", "pnpm", "poetry", "uv", "pipenv", "go", "cargo", "bundle",
                               "bundler", "composer", "mvn", "gradle", "dotnet"))  # fmt: skip


def dependency_install(cmd: Command) -> Install | None:
    """The dependency install this command performs, if it is one."""
    prog, kept = _tool_and_args(cmd)
    if prog not in _INSTALLING_TOOLS:  # the tools of the branches below: most commands are none
        return None
    args = list(kept)
    pos = [a.text for a in operands(args)]
    sub = pos[0] if pos else ""
    if prog == "pip":
        return _pip(cmd, args)
    if prog in ("npm", "yarn", "pnpm"):
        return _node(prog, cmd, args)
    if prog == "poetry" and sub == "install":
        if _has(args, "--no-root", "--only-root"):
            return Install("poetry", cmd, ("pyproject.toml",), ("poetry.lock",), ("poetry.toml",))
        return Install("poetry", cmd, ("pyproject.toml",), ("poetry.lock",), ("poetry.toml",), flag_split="--no-root")
    if prog == "uv" and sub == "sync":
        if _has(args, "--no-install-project", "--no-install-workspace"):
            return Install("uv", cmd, ("pyproject.toml",), ("uv.lock",))
        return Install("uv", cmd, ("pyproject.toml",), ("uv.lock",), flag_split="--no-install-project")
    if prog == "pipenv" and sub in ("install", "sync") and len(pos) == 1:
        return Install("pipenv", cmd, ("Pipfile",), ("Pipfile.lock",))
    if prog == "go" and sub == "mod" and pos[1:2] == ["download"]:
        return Install("go", cmd, ("go.mod",), ("go.sum",))
    if prog == "go" and sub in ("build", "install"):
        return Install("go", cmd, ("go.mod",), ("go.sum",), dep_only="go mod download", builds=True)
    if prog == "cargo" and sub in ("build", "fetch", "install"):
        # cargo refuses a manifest without targets, so a manifests-only step needs a
        # stub main.rs (or cargo-chef): no mechanical split
        return Install("cargo", cmd, ("Cargo.toml",), ("Cargo.lock",), dep_only=None, builds=sub != "fetch")
    if prog in ("bundle", "bundler") and (sub == "install" or (not sub and not args)):
        return Install("bundler", cmd, ("Gemfile",), ("Gemfile.lock",))
    if prog == "composer" and sub in ("install", "i"):
        if _has(args, "--no-scripts") and _has(args, "--no-autoloader"):
            return Install("composer", cmd, ("composer.json",), ("composer.lock",))
        return Install("composer", cmd, ("composer.json",), ("composer.lock",), dep_only=None)
    if prog == "mvn" and any(p in ("dependency:go-offline", "dependency:resolve") for p in pos):
        return Install("maven", cmd, ("pom.xml",))
    if prog == "mvn" and any(p in ("package", "install", "verify", "compile") for p in pos):
        plain = cmd.program == "mvn" and not _has(args, "-f", "--file", "-s", "--settings", "-pl", "--projects", "-P")
        return Install("maven", cmd, ("pom.xml",), dep_only="mvn -B dependency:go-offline" if plain else None, builds=True)
    if prog == "gradle" and any(p in ("build", "dependencies", "assemble", "bootJar", "jar", "installDist", "shadowJar") for p in pos):
        return Install("gradle", cmd, ("build.gradle",), dep_only=None, builds=pos != ["dependencies"])
    if prog == "dotnet" and sub == "restore":
        project = _dotnet_project(pos)
        return Install("dotnet", cmd, (project,) if project else (), canonical="" if project else "*.csproj")
    if prog == "dotnet" and sub in ("publish", "build"):
        project = _dotnet_project(pos)
        if project is None:
            return Install("dotnet", cmd, (), dep_only=None, builds=True)
        return Install("dotnet", cmd, (project,) if project else (), dep_only=f"dotnet restore {project}".strip(),
                       canonical="" if project else "*.csproj", builds=True)
    return None


def _dotnet_project(pos: list[str]) -> str | None:
    """The project file named (""), when none; None for a directory or other argument."""
    rest = pos[1:]
    if not rest:
        return ""
    if len(rest) == 1 and rest[0].endswith((".csproj", ".fsproj", ".vbproj")) and "$" not in rest[0]:
        return rest[0]
    return None


# ---------------------------------------------------------------------------- dev dependencies

NODE_BUILD_SCRIPTS = frozenset(("build", "compile", "bundle", "dist", "prepare", "tsc", "webpack", "vite"))
# build and task tools a project declares as devDependencies
NODE_BUILD_TOOLS = frozenset(("tsc", "webpack", "vite", "ng", "next", "nest", "rollup", "esbuild", "parcel", "gulp",
                              "grunt"))


def runs_node_build(cmd: Command) -> bool:
    """``npm run build``, ``yarn build``, ``npx tsc``, ...: steps that need devDependencies."""
    prog, args = tool_args(cmd)
    pos = [a.text for a in operands(args)]
    if prog in ("npm", "pnpm") and pos[:1] in (["run"], ["run-script"]) and len(pos) > 1:
        return any(s in pos[1] for s in NODE_BUILD_SCRIPTS)
    if prog in ("yarn", "pnpm") and pos:
        target = pos[1] if pos[0] == "run" and len(pos) > 1 else pos[0]
        return any(s in target for s in NODE_BUILD_SCRIPTS)
    if prog in ("npm", "pnpm") and pos[:1] == ["test"]:
        return True
    # Rails' asset build runs the JavaScript bundler (jsbundling, cssbundling, webpacker)
    if any(a.text == "assets:precompile" for a in args) and (prog in ("rails", "rake") or "rails" in pos or "rake" in pos):
        return True
    return prog in NODE_BUILD_TOOLS


# ---------------------------------------------------------------------------- stage facts

SOURCE_FREE = frozenset(
    "apt-get apt apk yum dnf microdnf zypper useradd groupadd adduser addgroup usermod "
    "update-ca-certificates locale-gen true set echo ln mkdir rm chmod chown".split()
)
_PATH_COMMANDS = frozenset(("ln", "mkdir", "rm", "chmod", "chown"))
_SYSTEM_DIRS = ("/var/", "/tmp", "/etc/", "/usr/", "/root", "/home/", "/run", "/opt/", "/srv/")


def source_free(cmd: Command, app_dirs: tuple[str, ...] = ()) -> bool:
    """A command that cannot read or change the copied project source: package
    managers, user management, file commands on absolute system paths."""
    prog, args = tool_args(cmd)
    if prog == "pip":
        return bool(args) and args[0].text == "install" and _pip(cmd, args) is None
    if prog in ("npm", "gem") and args and args[0].text == "install":
        return prog == "gem" or _has(args, "-g", "--global")
    if prog not in SOURCE_FREE:
        return False
    if prog in _PATH_COMMANDS or prog == "echo":
        if prog == "echo":
            return True
        for w in cmd.positionals():
            t = w.text
            if prog in ("chmod", "chown") and w is cmd.positionals()[0]:
                continue  # the mode / owner
            if w.dynamic or not t.startswith(_SYSTEM_DIRS) or any(t.startswith(d) for d in app_dirs if d):
                return False
    return True


# official images whose working directory is / and holds no package.json
_EMPTY_ROOT_BASES = frozenset("node ruby python alpine debian ubuntu buildpack-deps centos fedora amazonlinux "
                              "rockylinux almalinux".split())
# commands that may bring a package.json into the working directory
_BRINGS_FILES = frozenset("cd pushd git curl wget tar unzip cp mv rsync ln".split())


def reads_no_manifest(ctx, ins, cmd: Command) -> bool:
    """A bare ``npm install`` / ``yarn install`` / ``pnpm install`` that finds no package.json,
    so installs nothing and leaves no cache: it runs in an official image whose working
    directory holds none (no WORKDIR, no ``--prefix``/``--cwd``), nothing before it in the
    image brought files there (no COPY or ADD, no cd, clone, download or unpack, no
    ``npm init``, no mention of package.json), and the project is somewhere else: its files
    come in later (a COPY or ADD after it) or were cloned into a directory of their own."""
    inst = dependency_install(cmd)
    if inst is None or inst.ecosystem not in ("npm", "yarn", "pnpm"):
        return False
    _, args = tool_args(cmd)
    if _has(args, "--prefix", "-C", "--cwd", "--dir", "--filter", "-w", "--workspace"):
        return False
    ref = parse_image(ctx.base_image(ctx.stage(ins)))
    if ref is None or ref.registry or ref.repository not in _EMPTY_ROOT_BASES:
        return False
    before = ctx.before(ins)
    if workdir_at(ctx.df, before) != "/" or any(i.keyword in ("COPY", "ADD", "ONBUILD") for i in before):
        return False
    earlier = [c for s in ctx.scripts(ins) for c in s.commands if c.span.start < cmd.span.start]
    for other in before:
        if other.keyword == "RUN":
            if "package.json" in other.body.text:
                return False
            earlier += [c for s in ctx.scripts(other) for c in s.commands]
    cloned_elsewhere = False
    same_run = {id(c) for s in ctx.scripts(ins) for c in s.commands}
    for c in earlier:
        prog, c_args = tool_args(c)
        if prog in ("cd", "pushd") and id(c) not in same_run:
            continue  # a cd in an earlier RUN leaves this RUN's working directory alone
        if prog == "git" and _clones_into_a_subdirectory(c_args):
            cloned_elsewhere = True
            continue
        if prog in _BRINGS_FILES or (prog in ("npm", "yarn", "pnpm") and any(a.text in ("init", "create") for a in c_args)):
            return False
    if "package.json" in ins.body.text:
        return False
    return cloned_elsewhere or any(i.keyword in ("COPY", "ADD") for i in ctx.after(ins))


def _clones_into_a_subdirectory(args: list[Word]) -> bool:
    """``git clone URL`` or ``git clone URL name``: the files land in a new directory below /,
    not in / itself (``git clone URL .`` or ``/`` would)."""
    pos = [a.text for a in operands(args, GIT_CLONE_VALUES)]
    if pos[:1] != ["clone"] or len(pos) < 2 or any("$" in p for p in pos):
        return False
    return len(pos) == 2 or pos[2].rstrip("/") not in ("", ".")


def final_image_root(ctx) -> "tuple[list, object, ImageRef] | None":
    """The final stage's lineage (final first), its root stage and the root's external
    image, or None when there is no final stage or the image is not known."""
    final = ctx.df.final_stage
    if final is None:
        return None
    chain = ctx.lineage(final)
    ref = parse_image(chain[-1].image)
    return (chain, chain[-1], ref) if ref is not None else None
