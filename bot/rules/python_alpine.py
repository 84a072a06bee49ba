"""Evidence that a Python image can run on ``python:<ver>-alpine`` (musl).

Alpine is proposed only on evidence, never by default: every requirement the image
installs must be pinned (``name==version``), the set must be closed under the releases'
own dependencies (a full lock, as ``pip-compile`` or ``pip freeze`` writes), and each
release must have a pure-Python wheel or a musllinux wheel for the image's CPython
version and architecture, as PyPI's JSON API lists them. The look-ups come from
``Context.pypi`` (set by the engine only with ``--online``); without it nothing is
proposed. Anything the check cannot read (an unpinned or URL requirement, another index,
a local project, apt/apk packages, a file that is not a plain pip install, a copied
binary) means no proposal: a wrong Alpine proposal breaks an image at run time.
"""

from __future__ import annotations

import re

from bot.model.dockerfile import Instruction
from bot.model.images import ImageRef
from bot.model.records import Record, field
from bot.rules.base import Context
from bot.rules.ecosystems import tool_args

# python:3.12, 3.12.4, 3.12-slim, 3.12-bookworm, 3.12-slim-bookworm: the version is known
TAG = re.compile(r"(?P<ver>3\.(?P<minor>\d+)(?:\.\d+)?)(?:-slim)?(?:-(?:bookworm|bullseye|trixie|buster))?$")
# Commands an Alpine (busybox sh) image runs the same way as a Debian one.
PORTABLE = frozenset(("pip", "mkdir", "rm", "cp", "mv", "chmod", "ln", "echo", "cd", "true", "touch", "export",
                      "test", "[", ":", "set", "python", "python3"))  # fmt: skip
SEED = frozenset(("pip", "setuptools", "wheel"))  # pure Python, and in the image already
PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]*)\])?\s*===?\s*(?P<ver>[A-Za-z0-9.+!_-]+)$")
LOCK_LIMIT = 400  # releases looked up per file at most
ARCH = {"amd64": "x86_64", "arm64": "aarch64", "arm64/v8": "aarch64"}


class Evidence(Record):
    __slots__ = ()
    _fields = ("image", "summary")
    image = field(0, "str: python:3.12-alpine")
    summary = field(1, 'str: "all 14 pinned requirements have a pure-Python or musllinux wheel (PyPI)"')

    def __new__(cls, image, summary):
        return tuple.__new__(cls, (image, summary))


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def alpine_evidence(ctx: Context, chain, ref: ImageRef) -> Evidence | None:
    """``python:<ver>-alpine`` and the evidence, or None (no proof, or offline)."""
    pypi = getattr(ctx, "pypi", None)
    m = TAG.fullmatch(ref.tag or "")
    if pypi is None or m is None or ref.registry or ref.digest or ref.repository != "python":
        return None
    cp = f"cp3{m.group('minor')}"
    arch = "x86_64"
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    sources: list[str] = []
    for stage in chain:
        for platform in stage.from_instruction.flag_values("platform"):
            arch = ARCH.get(platform.split("/", 1)[-1], "")
            if not arch:
                return None  # another architecture, or a build argument
        for ins in stage.instructions:
            ins = ins.effective()
            if not _portable(ctx, ins, pins, sources):
                return None
    if not pins:
        return None
    checked = _closed_lock(pypi, pins, cp, arch)
    if checked is None:
        return None
    where = " and ".join(dict.fromkeys(sources)) or "pip install arguments"
    return Evidence(ref.with_tag(f"{m.group('ver')}-alpine"),
                    f"all {checked} pinned requirements ({where}) have a pure-Python or musllinux "
                    f"{cp}/{arch} wheel on PyPI")


def _portable(ctx: Context, ins: Instruction, pins: dict, sources: list[str]) -> bool:
    """The instruction works on Alpine as written; pip requirements are added to ``pins``."""
    if ins.keyword in ("ADD",):
        return False  # URLs and archives: what they hold is unknown
    if ins.keyword == "COPY":
        return not ins.flag_values("from")  # what another stage or image built may link against glibc
    if ins.keyword == "SHELL":
        return False
    if ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
        words = list(ins.json_args) if ins.json_args else ins.body.text.split()
        return not any(w.endswith(".sh") or w.rsplit("/", 1)[-1] == "bash" for w in words)
    if ins.keyword != "RUN":
        return True
    if ins.json_args is not None or ins.heredocs:
        return False
    scripts = ctx.scripts(ins)
    if len(scripts) != 1 or not scripts[0].ok:
        return False
    for cmd in scripts[0].commands:
        prog, args = tool_args(cmd)
        if prog not in PORTABLE:
            return False  # apt-get, apk, useradd, bash, curl, a build tool: not for us to judge
        if prog == "pip":
            if not args or args[0].text != "install" or not _pip_args(ctx, [a.text for a in args[1:]], pins, sources):
                return False
        elif prog in ("python", "python3") and cmd.program == prog:
            return False  # a script of the project: what it needs is unknown
    return True


OK_FLAGS = frozenset(("--no-cache-dir", "--upgrade", "-U", "--user", "--no-compile", "-q", "--quiet",
                      "--disable-pip-version-check", "--root-user-action=ignore", "--require-hashes",
                      "--only-binary=:all:", "--prefer-binary", "--no-warn-script-location"))  # fmt: skip


def _pip_args(ctx: Context, args: list[str], pins: dict, sources: list[str]) -> bool:
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-r", "--requirement"):
            if i + 1 >= len(args) or not _requirements_file(ctx, args[i + 1], pins, sources, 0):
                return False
            i += 2
            continue
        if a.startswith("--requirement="):
            if not _requirements_file(ctx, a.split("=", 1)[1], pins, sources, 0):
                return False
        elif a.startswith("-"):
            if a not in OK_FLAGS:
                return False  # another index, --no-deps, -e, a target: outside what is checked
        elif not _add_pin(a, pins):
            return False
        i += 1
    return True


def _requirements_file(ctx: Context, path: str, pins: dict, sources: list[str], depth: int) -> bool:
    context = ctx.build_context
    if context is None or depth > 3 or "$" in path:
        return False
    rel = path.lstrip("./") if path.startswith("./") else path
    candidates = [rel, rel.rsplit("/", 1)[-1]]
    found = next((c for c in candidates if context.exists(c)), None)
    text = context.text(found) if found else None
    if text is None:
        return False
    sources.append(found)
    logical = re.sub(r"\\\r?\n", " ", text)
    for raw in logical.splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if not line:
            continue
        words = line.split()
        if words[0] in ("-r", "--requirement"):
            if len(words) < 2 or not _requirements_file(ctx, words[1], pins, sources, depth + 1):
                return False
            continue
        if words[0] in ("-c", "--constraint"):
            continue  # constraints install nothing
        # only hashes may follow a pin on its line; any other option changes where pip looks
        if any(w.startswith("-") and not w.startswith("--hash") for w in words[1:]) or words[0].startswith("-"):
            return False
        if not _add_pin(words[0] if "--hash" in line else line.split(" --hash")[0].strip(), pins):
            return False
    return True


def _add_pin(text: str, pins: dict) -> bool:
    text = text.strip().strip("'\"")
    if ";" in text:
        return False  # an environment marker: what is installed depends on the platform
    m = PIN.fullmatch(text.replace(" ", ""))
    if m is None:
        name = re.split(r"[<>=!~\[ ]", text, maxsplit=1)[0]
        return _norm(name) in SEED and re.fullmatch(r"[A-Za-z0-9._-]+", text) is not None  # `pip install -U pip`
    extras = frozenset(_norm(e) for e in (m.group("extras") or "").split(",") if e.strip())
    name = _norm(m.group("name"))
    old = pins.get(name)
    if old is not None and old[0] != m.group("ver"):
        return False
    pins[name] = (m.group("ver"), extras | (old[1] if old else frozenset()))
    return True


def _closed_lock(pypi, pins: dict, cp: str, arch: str) -> int | None:
    """How many releases were checked, when each has a usable wheel and every dependency
    it declares (for the image's Python, with the extras asked) is pinned too; else None."""
    if len(pins) > LOCK_LIMIT:
        return None
    py = (3, int(cp[3:]))
    for name, (version, extras) in sorted(pins.items()):
        release = pypi.pypi_release(name, version)
        if not isinstance(release, dict) or not _musl_ready(release.get("files") or [], cp, arch):
            return None
        for req in release.get("requires_dist") or []:
            dep, needed = _requirement(str(req), py, extras)
            if needed is None:
                return None  # a marker we cannot decide
            if needed and dep not in pins and dep not in SEED:
                return None  # not a full lock: that dependency's version is unknown
    return len(pins)


def _musl_ready(files: list, cp: str, arch: str) -> bool:
    for f in files:
        fn = str(f.get("filename", "")) if isinstance(f, dict) else ""
        if not fn.endswith(".whl"):
            continue
        parts = fn[:-4].split("-")
        if len(parts) < 5:
            continue
        pytags, abis, plats = (set(p.split(".")) for p in parts[-3:])
        if plats == {"any"}:
            if abis == {"none"} and pytags & {"py3", f"py3{cp[3:]}", cp}:
                return True  # pure Python
            continue
        musl = any(p.startswith("musllinux_") and p.endswith("_" + arch) for p in plats)
        if not musl:
            continue
        if cp in pytags and (abis & {cp, "abi3", "none"}):
            return True
        if "abi3" in abis and any(t.startswith("cp3") and t[3:].isdigit() and int(t[3:]) <= int(cp[3:])
                                  for t in pytags):  # fmt: skip
            return True
        if abis == {"none"} and pytags & {"py3"}:
            return True  # a binary wheel for any Python (ruff, uv)
    return False


_CLAUSE = re.compile(r"""\s*(?P<var>python_version|extra|sys_platform|platform_system|os_name"""
                     r"""|implementation_name|platform_python_implementation)\s*(?P<op>==|!=|<=|>=|<|>)\s*"""
                     r"""["'](?P<val>[^"']*)["']\s*""")  # fmt: skip
LINUX = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
         "platform_python_implementation": "CPython"}  # fmt: skip


def _requirement(req: str, py: tuple[int, int], extras: frozenset[str]) -> tuple[str, bool | None]:
    """(normalised name, whether it is installed here; None when the marker is unreadable)."""
    spec, _, marker = req.partition(";")
    name = _norm(re.split(r"[<>=!~\[( ]", spec.strip(), maxsplit=1)[0])
    if not marker.strip():
        return name, True
    marker = marker.strip()
    if "(" in marker or " or " in marker:
        return name, None
    result = True
    for clause in marker.split(" and "):
        m = _CLAUSE.fullmatch(clause)
        if m is None:
            return name, None
        var, op, val = m.group("var", "op", "val")
        if var == "extra":
            ok = (_norm(val) in extras) if op == "==" else (_norm(val) not in extras) if op == "!=" else None
        elif var == "python_version":
            try:
                want = tuple(int(x) for x in val.split(".")[:2])
            except ValueError:
                return name, None
            have = py[: len(want)]
            ok = {"==": have == want, "!=": have != want, "<": have < want, "<=": have <= want,
                  ">": have > want, ">=": have >= want}[op]  # fmt: skip
        else:
            ok = (LINUX[var] == val) if op == "==" else (LINUX[var] != val) if op == "!=" else None
        if ok is None:
            return name, None
        result = result and ok
    return name, result
