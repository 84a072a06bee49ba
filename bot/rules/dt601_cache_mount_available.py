from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.images import parse_image
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript
from bot.model.text import Edit, Span
from bot.rules.apt_lists import later_install_needs_lists, later_unseen_script
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import pip_install, pip_positionals
from bot.rules.dt102_apt_recommends_installed import disables_recommends, packages as apt_packages
from bot.rules.ecosystems import dependency_install, tool_args
from bot.rules.edits import prefix_script
from bot.rules.facts import APT, LazyPattern, unwrap, user_at

APT_CLEAN = "/etc/apt/apt.conf.d/docker-clean"
# Environment the official images set, which decides where their managers cache.
IMAGE_ENV = {
    "golang": {"GOPATH": "/go"},
    "rust": {"CARGO_HOME": "/usr/local/cargo"},
    "composer": {"COMPOSER_HOME": "/tmp"},
    "ruby": {"GEM_HOME": "/usr/local/bundle"},
}
# The Dockerfile frontend images: RUN --mount reached their mainline channel in 1.2.0;
# the experimental channel (`experimental`, `1.0-experimental`, `1.1.7-experimental`) and
# labs had it before, so only a mainline tag below 1.2 lacks it.
FRONTEND = LazyPattern(r"(?:docker\.io/)?docker/dockerfile(?:-upstream)?(?::(?P<tag>[^@\s]+))?(?:@sha256:[0-9a-f]+)?$")
MAINLINE = LazyPattern(r"(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.\d+)?(?:-rc\d*)?$")


def frontend_has_mounts(syntax: str) -> bool:
    """Whether a ``# syntax=`` value names a frontend known to have ``RUN --mount``.

    No directive: the builder's own frontend (BuildKit's has mounts; the legacy builder
    rejects any --mount, which is the team's choice of builder, said in the docs). Another
    frontend than docker/dockerfile: unknown, so no."""
    syntax = syntax.strip()
    if not syntax:
        return True
    found = FRONTEND.match(syntax)
    if found is None:
        return False
    tag = (found.group("tag") or "latest").lower()
    if tag == "latest" or "experimental" in tag or "labs" in tag:
        return True
    version = MAINLINE.match(tag)
    if version is None:
        return False  # a tag we cannot read
    return (int(version.group("major")), int(version.group("minor") or 99)) >= (1, 2)


class Manager(Record):
    __slots__ = ()
    _fields = ("name", "targets", "locked", "ids")
    name = field(0, "str")
    targets = field(1, "tuple[str, ...]")
    locked = field(2, "bool: apt, Maven: not safe for two builds in one cache at once")
    ids = field(3, "tuple[str, ...]: one per target when stages on different bases must not share it")

    def __new__(cls, name, targets, locked=False, ids=()):
        return tuple.__new__(cls, (name, targets, locked, ids))


LOCKED = ("apt", "maven")  # apt's lock files; Maven's local repository is not concurrency-safe


def _targets(name: str, env: dict[str, str]) -> tuple[str, ...] | None:
    """Where a manager run as root keeps what it downloaded (None: the env moves it
    somewhere the file does not say, or switches the cache off)."""
    get = env.get
    if name == "pip":
        if get("PIP_NO_CACHE_DIR", "").lower() not in ("", "0", "false", "no", "off"):
            return None  # the author switched the cache off: a mount would change nothing
        return (get("PIP_CACHE_DIR") or "/root/.cache/pip",)
    if name == "npm":
        return (get("npm_config_cache") or get("NPM_CONFIG_CACHE") or "/root/.npm",)
    if name == "yarn":
        return (get("YARN_CACHE_FOLDER") or "/usr/local/share/.cache/yarn",)
    if name == "pnpm":
        return (get("PNPM_STORE_DIR") or "/root/.local/share/pnpm/store",)
    if name == "go":
        mod = get("GOMODCACHE") or (get("GOPATH", "/root/go").split(":")[0] + "/pkg/mod")
        return (mod, get("GOCACHE") or "/root/.cache/go-build")
    if name == "cargo":
        home = get("CARGO_HOME") or "/root/.cargo"
        return (home + "/registry", home + "/git")
    if name == "maven":
        return ("/root/.m2/repository",)
    if name == "gradle":
        return ((get("GRADLE_USER_HOME") or "/root/.gradle") + "/caches",)
    if name == "composer":
        cache = get("COMPOSER_CACHE_DIR") or (get("COMPOSER_HOME") + "/cache" if get("COMPOSER_HOME") else "")
        return (cache or "/root/.cache/composer",)
    if name == "bundler":
        return ((get("GEM_HOME") or "/usr/local/bundle") + "/cache",) if get("GEM_HOME") else None
    if name == "apt":
        return ("/var/cache/apt", "/var/lib/apt")
    return None


# Default cache places that belong to the user the build runs as (root's home, or yarn's
# root-only default): right only where the base image is known to build as root.
USER_DEPENDENT = ("/root/", "/usr/local/share/.cache/yarn")


def _runs_as_root(ref) -> bool:
    """Docker Official Images (Docker Hub, no namespace) build as root unless the file says
    otherwise; any other image may set a USER of its own (ekidd/rust-musl-builder builds as
    `rust`), which this file does not show."""
    return ref is not None and ref.registry == "" and "/" not in ref.repository


def _module_mode(ref, env: dict[str, str]) -> bool:
    """Whether go surely runs in module mode: GO111MODULE=on, or a golang image of Go 1.16 or
    later (module mode by default). Before, `go get` may fetch into $GOPATH/src."""
    mode = env.get("GO111MODULE", "").lower()
    if mode in ("on", "off"):
        return mode == "on"
    if ref is None or ref.repository != "golang" or "$" in ref.tag:
        return False
    if not ref.tag[:1].isdigit():
        return True  # `golang`, `golang:alpine`: the latest Go
    m = re.match(r"(\d+)\.(\d+)", ref.tag)
    return m is not None and (int(m[1]), int(m[2])) >= (1, 16)


def _gopath_download(ctx: Context, ins: Instruction, cmd: Command) -> bool:
    """`go get` itself, or a go build after an earlier `go get` of the image: in GOPATH mode both
    work on $GOPATH/src, so a mount of the module cache would catch nothing (and the build
    downloads nothing of its own)."""
    if cmd.subcommand() == "get":
        return True
    for other in ctx.before(ins):
        if other.keyword == "RUN" and any(
            unwrap(c).program == "go" and unwrap(c).subcommand() == "get" for sc in ctx.scripts(other) for c in sc.commands
        ):
            return True
    return False


# Programs that run none of the managers below, through no wrapper and as no tool: most
# commands of a RUN, answered without the look-ups of _manager (tests hold them to its answer).
NOT_MANAGERS = frozenset(("rm", "mkdir", "cd", "echo", "chmod", "chown", "curl", "wget", "tar", "make", "set", "sed",
                          "ln", "cp", "mv", "git", "bash", "sh", "useradd", "adduser", "groupadd", "addgroup", "apk",
                          "yum", "dnf", "microdnf", "gem", "gpg", "unzip", "export", "true", "ls", "cat", "find",
                          "printf", "test"))  # fmt: skip


def _manager(cmd: Command) -> str:
    if cmd.program in APT:
        return "apt" if cmd.subcommand() == "install" else ""
    if cmd.program in NOT_MANAGERS:
        return ""
    if pip_install(cmd) is not None:
        # --no-index installs from local wheels (-f /wheels): nothing is downloaded
        return "" if cmd.has_option("--no-index") else "pip"
    if cmd.program == "go" and cmd.subcommand() == "get":
        return "go"  # `go get -d ./...`: a download step (into the module cache in module mode)
    found = dependency_install(cmd)
    if found is None:
        return ""
    eco = found.ecosystem
    return eco if eco in ("npm", "yarn", "pnpm", "go", "cargo", "maven", "gradle", "composer", "bundler") else ""


def _downloads(mounts: list[Manager], managers: dict[str, list[Command]]) -> tuple[str, ...]:
    """"manager:package" for the packages named in the RUN (apt, pip): what the estimate prices."""
    out = []
    for m in mounts:
        for cmd in managers[m.name]:
            if m.name == "apt":
                out += [f"apt:{n}" for n in apt_packages(unwrap(cmd)) if not n.startswith((".", "/"))]
            elif m.name == "pip" and (found := pip_install(cmd)) is not None:
                out += [f"pip:{n}" for n in pip_positionals(found[2]) if not n.startswith((".", "/")) and "/" not in n]
    return tuple(dict.fromkeys(out))


def _under(word: str, targets: tuple[str, ...]) -> bool:
    """An rm operand inside one of the cache targets (``/var/lib/apt/lists/*``, ``~/.npm``)."""
    path = word.replace("~/", "/root/", 1) if word.startswith("~/") else word
    path = path.rstrip("*").rstrip("/")
    # an ancestor (`rm -rf /root/.cache` over /root/.cache/pip) would hit the mount point: EBUSY
    return any(path == t or path.startswith(t + "/") or t.startswith(path + "/") for t in targets)


def _rm_edits(script: ShellScript, targets: tuple[str, ...]) -> list[Edit]:
    """The ``rm`` of this RUN that empty the cache targets: a command that removes only
    cache paths is dropped; from a mixed one (``rm -rf /var/lib/apt/lists/* /tmp/*``)
    only the cache operands go, the rest of the cleanup stays."""
    out: list[Edit] = []
    for c in script.top_level():
        if c.program != "rm" or not c.args:
            continue
        operands = [a for a in c.args if not a.text.startswith("-")]
        cached = [a for a in operands if _under(a.text, targets)]
        if not cached:
            continue
        if len(cached) == len(operands):
            drop = _drop_command(script, c)
            if drop is not None:
                out.append(drop)
            continue
        for a in cached:
            i = c.args.index(a)
            out.append(Edit(Span(c.args[i - 1].span.end if i else c.name_span.end, a.span.end), ""))
    return out


def _drops(name: str, script: ShellScript, cmd: Command, manager_cmds: list[Command]) -> list[Command]:
    """Cleanup commands of this RUN that only kept the cache out of the layer (``rm`` is
    handled by ``_rm_edits``)."""
    out = []
    for c in script.top_level():
        if name == "apt":
            if c.program in APT and c.subcommand() in ("clean", "autoclean"):
                out.append(c)
            continue
        prog, args = tool_args(c)
        if prog != name:
            continue  # each clean below is the manager's own command
        words = [a.text for a in args]
        if name == "pip" and words[:2] in (["cache", "purge"], ["cache", "remove"]):
            out.append(c)
        elif name == "pnpm" and words[:2] == ["store", "prune"]:
            out.append(c)
        elif name == "npm" and words[:2] == ["cache", "clean"]:
            out.append(c)
        elif name == "yarn" and words[:2] == ["cache", "clean"]:
            out.append(c)
        elif name == "composer" and words[:1] in (["clear-cache"], ["clearcache"], ["cc"]):
            out.append(c)
        elif name == "go" and words[:1] == ["clean"] and ("-modcache" in words or "-cache" in words):
            out.append(c)
    return out


# Managers whose cache is also what later builds read (the module cache, ~/.m2, the cargo
# registry): `go mod download`, `mvn dependency:go-offline` or `cargo fetch` fill it for a
# later RUN. Under a mount on one RUN only, that later RUN finds nothing in the layer.
SHARED_STORE = frozenset(("go", "maven", "gradle", "cargo"))
OFFLINE = {  # a build that must find the store filled: no download of its own
    "maven": LazyPattern(r"(?:^|\s)(?:-o|--offline)(?:\s|$)"),
    "gradle": LazyPattern(r"(?:^|\s)--offline(?:\s|$)"),
    "cargo": LazyPattern(r"(?:^|\s)(?:--offline|--frozen)(?:\s|$)"),
    "go": LazyPattern(r"GOPROXY=off"),
}


def _store_sharers(ctx: Context, ins: Instruction, candidates, names: set[str], later: bool):
    """(RUN, the shared stores it uses) for the candidate RUNs of the stage of ``ins`` after
    it (``later``) or before it that use one of ``names``, in file order."""
    if not names:
        return  # no shared store asked of (apt, pip, npm...): nothing to share
    stage, line = ins.stage, ins.span.start.line
    for other, _, managers, _, _ in candidates:
        if other is ins or other.stage != stage or (other.span.start.line > line) is not later:
            continue
        shared = names & set(managers)
        if shared:
            yield other, shared


def _later_users(ctx: Context, ins: Instruction, candidates, mounts: list[Manager]) -> tuple[list[int], bool]:
    """Lines of later RUNs in the same stage that use one of this RUN's shared stores, and
    whether one of them builds offline (then a mount here alone breaks the build)."""
    lines, offline = [], False
    for other, used in _store_sharers(ctx, ins, candidates, {m.name for m in mounts} & SHARED_STORE, later=True):
        lines.append(other.span.start.line)
        offline = offline or any(OFFLINE[n].search(other.body.text) for n in used)
    return lines, offline


# Programs that run apt and leave its binary caches once docker-clean is gone
# (add-apt-repository updates the lists itself on Ubuntu 18.04 and later).
APT_USERS = frozenset((*APT, "apt-cache", "add-apt-repository"))


def _runs_apt(ctx: Context, run: Instruction) -> bool:
    """Whether a RUN runs apt (APT_USERS), through a wrapper too."""
    return any(unwrap(c).program in APT_USERS for sc in ctx.scripts(run) for c in sc.commands)


def _with_later_apt(ctx: Context, ins: Instruction, fix: Fix, mounted: set, runs_apt: dict) -> Fix | None:
    """The apt fix removes docker-clean for good: a later apt RUN of the image without the cache
    mount then keeps apt's .debs and its ~70 MB pkgcache.bin/srcpkgcache.bin in its layer
    (measured: split-update-kept). The fix stands when every such RUN gets the mount from its
    own finding (the reason names them) or has one; else it would grow the image: no fix.
    ``runs_apt``: ``_runs_apt`` of each RUN (start -> answer), kept across the apt findings
    of a file, which all ask it of the RUNs after them."""
    lines = []
    for other in ctx.after(ins):
        if other.keyword != "RUN":
            continue
        uses = runs_apt.get(other.span.start)
        if uses is None:
            uses = runs_apt[other.span.start] = _runs_apt(ctx, other)
        if not uses:
            continue
        if ctx.mounts_cover(other, "/var/cache/apt"):
            continue
        if other.span.start not in mounted:
            return None
        lines.append(other.span.start.line)
    if not lines:
        return fix
    return Fix(fix.title, fix.edits, fix.safety, fix.reason + "; apply it with the mount of the RUN on line "
               + ", ".join(map(str, lines)) + " too: without it that layer keeps apt's package caches (~70 MB)")


def _earlier_filler(ctx: Context, ins: Instruction, candidates, managers) -> tuple[str, int] | None:
    """The shared store (go, maven, gradle, cargo) and line of an earlier RUN of the stage that
    downloads into it (`go get -d`, `go mod download`, `dependency:go-offline`), or None."""
    for other, shared in _store_sharers(ctx, ins, candidates, set(managers) & SHARED_STORE, later=False):
        return sorted(shared)[0], other.span.start.line
    return None


@lru_cache(maxsize=256)  # the same few mounts (pip's, apt's) on every finding
def _mount_flags(m: Manager) -> str:
    """``--mount=type=cache,...`` for each target of a manager, blank-separated."""
    return " ".join("--mount=type=cache," + (f"id={m.ids[i]}," if m.ids else "") + f"target={t}"
                    + (",sharing=locked" if m.locked else "") for i, t in enumerate(m.targets))


def _cache_id(target: str, base: str) -> str:
    """``apt-cache-debian-12`` for /var/cache/apt on debian:12."""
    kind = "apt-lists" if target == "/var/lib/apt" else "apt-cache"
    return kind + "-" + (re.sub(r"[^a-z0-9.]+", "-", base.lower()).strip("-") or "base")


def _drop_command(script: ShellScript, cmd: Command) -> Edit | None:
    """Delete ``&& cmd`` or ``; cmd`` (from the end of the command before it), keeping the chain."""
    top = script.top_level()
    i = top.index(cmd)
    after = top[i + 1].operator_before if i + 1 < len(top) else ""
    if i == 0 or cmd.operator_before not in ("&&", ";", "\n"):
        return None
    # `a && rm && b` -> `a && b`; `a; rm; b` -> `a; b`; but `a; rm && b` must not become `a && b`
    if after not in ("", "\n", ";") and not (cmd.operator_before == "&&" and after == "&&"):
        return None
    return Edit(Span(top[i - 1].span.end, cmd.span.end), "")


def _base_of(ctx: Context, ins: Instruction, bases: dict) -> tuple:
    """The base image of the stage of ``ins`` and its parsed reference, kept per stage in ``bases``."""
    found = bases.get(ins.stage)
    if found is None:
        base = ctx.base_image(ctx.stage(ins))
        found = bases[ins.stage] = (base, parse_image(base))
    return found


class CacheMountAvailable(Rule):
    id = "DT601"
    name = "cache-mount-available"
    severity = Severity.STYLE
    summary = "a package-manager install re-downloads everything on each rebuild; a BuildKit cache mount keeps it"
    fix_safety = Safety.REVIEW
    size_rule = False  # build time: every stage's downloads count, not only the final image's
    # On where the file can use BuildKit features, at severity style: the default fail-on
    # (info) does not fail on it and the pull-request review lists it in the summary, not
    # inline. On a CI runner without an exported cache the gain is zero: a team's choice.
    explanation = """
## What it does
Finds a `RUN` that installs packages with apt, pip, npm, yarn, pnpm, go, cargo, Maven,
Gradle, Composer or Bundler without a BuildKit cache mount on that manager's download
cache. One finding per `RUN` at most, naming every manager in it. It runs as root only
(a cache mount belongs to root unless `uid=` says otherwise), never in heredoc or
exec-form RUNs, and it is silent where the file cannot use `RUN --mount` or the author
already decided:
- a `# syntax=` pin on a frontend without it: `docker/dockerfile:1.0` and `1.1` (mainline
  got `RUN --mount` in 1.2; `1.0-experimental`, `experimental` and labs had it before, so
  they count as able), or another frontend than `docker/dockerfile`;
- a RUN that already has a cache mount (the author chose what it caches);
- the cache switched off in the environment (`PIP_NO_CACHE_DIR`).

## Why is this bad?
Whenever the layer is rebuilt (a changed requirements file, a new base image), the
manager downloads every package again. A cache mount keeps the downloads on the build
machine, outside the image: the rebuild fetches only what changed, and the image does
not grow, because a mount is never part of a layer. This is build time, not image size.

Adopting it is a choice a team makes, with trade-offs:
- It needs BuildKit (the default builder since Docker 23, and buildx); the legacy builder
  rejects `RUN --mount`.
- A CI runner starts with an empty BuildKit cache unless the cache is exported and
  imported (`docker buildx build --cache-to/--cache-from`, or a runner that keeps its
  builder), so there the gain can be zero; on developer machines and long-lived builders
  it is large.
- The cache lives on the builder and grows until pruned (`docker builder prune`).

So the rule is on, at severity `style`: below the default `fail-on` (info), so it never
fails a check by itself, and the pull-request review lists it in the summary rather than
inline. A team that does not build with a kept cache opts out with `ignore = ["DT601"]`;
one that wants it enforced sets `fail-on = "style"` or `[severity] DT601 = "warning"`.

## Example
```dockerfile
FROM python:3.12-slim
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
```

## Use instead
```dockerfile
FROM python:3.12-slim
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
```

## Fix safety
Review. The fix adds `--mount=type=cache,target=<cache>` for each manager in the RUN and
drops what only kept the cache out of the layer, which now would empty the shared cache:
`--no-cache-dir`, `--no-cache` of Composer, `pip cache purge`, `pnpm store prune`,
`npm cache clean`, `yarn cache clean`, `apt-get clean`, `go clean -modcache`,
`composer clear-cache`, and the `rm` operands inside a mounted cache such as
`/var/lib/apt/lists/*` (other operands of the same `rm`, like `/tmp/*`, stay). The build
needs BuildKit.
- apt gets `sharing=locked` (apt locks its directories) and the removal of
  `/etc/apt/apt.conf.d/docker-clean`, the official images' setting that deletes
  downloaded packages after each install and would leave the cache empty. That file stays
  removed for later RUNs of the image, so a later apt RUN without the mount would keep the
  .debs and apt's ~70 MB binary caches in its layer (measured on Debian 12: +74 MB): the
  reason names the later apt RUNs whose own finding adds the mount (apply them together),
  and when one cannot get it (exec form, a heredoc) there is no fix.
- apt's lists (`/var/lib/apt`) are mounted only when the same RUN runs `apt-get update`
  and no later RUN reads them without an update of its own (or runs a script this file
  does not show): otherwise the mount would hide the lists from that RUN and its install
  would fail.
- Caches in the build user's home (pip, npm, pnpm, cargo, Maven, Gradle, Composer, Go's
  build cache, yarn's default) are proposed only on Docker Official Images, which build as
  root: another base image may set a USER of its own, and the mount would catch nothing.
- Maven's repository is mounted with `sharing=locked` too. Stages on the same base share
  one cache (a cache mount's id defaults to its target); when apt caches appear on
  different bases, each gets an `id=` of its base (`apt-cache-debian-12`), since lists and
  packages of two releases must not mix.
- Go, Maven, Gradle and Cargo keep in their cache what later builds read: when a later RUN
  of the stage uses it (`go mod download`, then `go build`), the reason says that RUN needs
  the same mount (it has its own finding, which says it reads that store); when that later
  RUN builds offline (`mvn -o`, `--offline`, `--frozen`), a mount on this RUN alone would
  break it, so there is no fix. `go get` is a download step like `go mod download`, but
  only where go surely runs in module mode (Go 1.16 or later, or `GO111MODULE=on`): in
  GOPATH mode `go get` fills `$GOPATH/src`, which no cache mount holds, and neither it nor
  the build after it is reported.
- `pip install --no-index` downloads nothing and is not reported.

## Size impact
None on the image. The estimate is what a rebuild of this layer no longer downloads:
apt's .debs of the packages named (low) up to them with every dependency the base lacks
(high), Debian 12's download sizes; pip and npm packages named in the RUN from the same
tables as DT105/DT106 (a requirements file or lockfile is not counted). It is build time:
the comment says so, and the summaries (`check --statistics`, the job summary, the JSON
report's `rebuild_download`) show it as its own total, "Rebuild downloads a cache mount
saves", never in the image-size totals.
"""
    examples = (
        Invalid(
            "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n",
            fixed="FROM python:3.12-slim\nCOPY requirements.txt .\n"
            "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n",
            at="3:5-3:51",
        ),
        Invalid(
            "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl "
            "&& rm -rf /var/lib/apt/lists/*\n",
            fixed="FROM debian:12-slim\nRUN --mount=type=cache,target=/var/cache/apt,sharing=locked "
            "--mount=type=cache,target=/var/lib/apt,sharing=locked rm -f /etc/apt/apt.conf.d/docker-clean && "
            "apt-get update && apt-get install -y --no-install-recommends curl\n",
        ),
        Invalid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci && npm cache clean --force\n",
            fixed="FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\n"
            "RUN --mount=type=cache,target=/root/.npm npm ci\n",
        ),
        Invalid(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
            "FROM scratch\nCOPY --from=build /out/app /app\n",
            fixed="FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\n"
            "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build "
            "go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /app\n",
            note="builder stages count too: their downloads are rebuild time",
        ),
        Valid("FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
              note="the cache is mounted already"),
        Valid("# syntax=docker/dockerfile:1.1\nFROM python:3.12-slim\nRUN pip install flask\n",
              note="an old frontend pin: RUN --mount is not available"),
        Valid("FROM python:3.12-slim\nRUN useradd -m app\nUSER app\nRUN pip install --user flask\n",
              note="a non-root user: the mount would need uid=, left to the author"),
        Valid("FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n",
              note="the pip cache is switched off on purpose"),
        Valid("FROM python:3.12-slim\nRUN pip install .\n".replace("pip install .", "python -c 'print(1)'")),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        if not frontend_has_mounts(ctx.df.directives.get("syntax", "")):
            return
        candidates = []
        bases: dict = {}  # stage index -> (base image, its reference): _managers asks it of each manager RUN
        for ins in ctx.runs():
            if ins.json_args is not None or ins.heredocs:
                continue
            if ctx.cache_mounts(ins):
                continue  # the author already chose what this RUN caches
            scripts = ctx.scripts(ins)
            if len(scripts) != 1:
                continue
            found = self._managers(ctx, ins, scripts[0], bases)
            if found is not None:
                candidates.append((ins, scripts[0], *found))
        # Stages on different bases (Debian and Ubuntu, two releases) must not share one apt
        # cache: its package lists and .debs belong to one release. An id per base keeps
        # them apart; stages on the same base share it, as the default id (the target) does.
        apt_bases = {base for _, _, _, mounts, base in candidates if any(m.name == "apt" for m in mounts)}
        made = []
        for ins, script, managers, mounts, base in candidates:
            filled = _earlier_filler(ctx, ins, candidates, managers)
            if len(apt_bases) > 1:
                mounts = [m._replace(ids=tuple(_cache_id(t, base) for t in m.targets)) if m.name == "apt" else m
                          for m in mounts]  # fmt: skip
            lines, offline = _later_users(ctx, ins, candidates, mounts)
            fix = None if offline else self._fix(ctx, ins, script, mounts, managers, lines)
            made.append((ins, script, managers, mounts, base, fix, filled))
        mounted_apt = {ins.span.start for ins, _, _, mounts, _, fix, _ in made if fix and any(m.name == "apt" for m in mounts)}
        runs_apt: dict = {}
        for ins, script, managers, mounts, base, fix, filled in made:
            if ins.span.start in mounted_apt:
                fix = _with_later_apt(ctx, ins, fix, mounted_apt, runs_apt)
            yield self._finding(ctx, ins, managers, mounts, base, fix, filled)

    def _managers(self, ctx: Context, ins: Instruction, script: ShellScript, bases: dict | None = None):
        # NOT_MANAGERS asked here first, as _manager does: most commands, one call less each
        named = [(cmd, name) for cmd in script.commands if cmd.program not in NOT_MANAGERS and (name := _manager(cmd))]
        if not named:
            return None  # no package manager runs here (most RUNs): nothing to mount
        user = user_at(ctx.before(ins), ctx.df.escape)
        if user not in ("", "root", "0", "0:0", "root:root"):
            return None
        base, ref = _base_of(ctx, ins, {} if bases is None else bases)
        env = {**IMAGE_ENV.get(ref.repository if ref is not None else "", {}), **ctx.env(ins)}
        managers: dict[str, list[Command]] = {}
        modules = _module_mode(ref, env)
        for cmd, name in named:
            if name == "go" and not modules and _gopath_download(ctx, ins, cmd):
                continue  # GOPATH mode may apply: `go get` fills $GOPATH/src, which no cache mount holds
            managers.setdefault(name, []).append(cmd)
        mounts: list[Manager] = []
        root_home = _runs_as_root(ref)
        for name in managers:
            targets = _targets(name, env)
            if not targets or any("$" in t for t in targets):
                continue
            if not root_home and any(t.startswith(USER_DEPENDENT) for t in targets):
                continue  # the base image may set its own USER: where the cache lives is unknown
            if name == "apt" and (not any(c.program in APT and c.subcommand() == "update" for c in script.commands)
                                  or later_install_needs_lists(ctx, ins) is not None
                                  or later_unseen_script(ctx, ins) is not None):
                # the lists come from an earlier layer, or a later RUN reads them without an update
                # of its own: a mount on /var/lib/apt would hide them from it
                targets = targets[:1]
            mounts.append(Manager(name, targets, name in LOCKED))
        if not mounts:
            return None
        return managers, mounts, base

    def _finding(self, ctx: Context, ins: Instruction, managers: dict[str, list[Command]],
                 mounts: list[Manager], base: str, fix: Fix | None, filled: tuple[str, int] | None = None) -> Finding:
        first = managers[mounts[0].name][0]
        names = ", ".join(m.name for m in mounts)
        message = f"{names} re-downloads every package when this layer rebuilds (build time); mount a BuildKit cache"
        if filled is not None and len(mounts) == 1:
            # an earlier RUN downloads for this one: it reads that store, it does not fetch it
            message = (f"{filled[0]} reads the store the RUN on line {filled[1]} fills; "
                       "mount the same BuildKit cache in both (build time)")
        return ctx.finding(
            self, ins, first.span, message, fix=fix,
            hint=SizeHint(hints.REBUILD_DOWNLOAD, {
                "managers": tuple(m.name for m in mounts), "packages": _downloads(mounts, managers),
                "recommends": not all(disables_recommends(unwrap(c)) for c in managers.get("apt", ())),
                "base_image": base}),
        )

    def _fix(self, ctx: Context, ins: Instruction, script: ShellScript, mounts: list[Manager],
             managers: dict[str, list[Command]], later: list[int] = ()) -> Fix | None:
        if not script.ok:
            return None
        prefix = " ".join(map(_mount_flags, mounts)) + " "
        if any(m.name == "apt" for m in mounts):
            prefix += f"rm -f {APT_CLEAN} && "
        head = prefix_script(ctx.df, script, prefix)
        if head is None:
            return None
        edits = [head]
        for m in mounts:
            if m.name == "pip":
                for cmd in managers["pip"]:
                    for i, a in enumerate(cmd.args):
                        if a.text == "--no-cache-dir":
                            before = cmd.args[i - 1].span.end if i else cmd.name_span.end
                            edits.append(Edit(Span(before, a.span.end), ""))
            if m.name == "composer":
                for cmd in managers["composer"]:
                    for i, a in enumerate(cmd.args):
                        if a.text == "--no-cache":
                            edits.append(Edit(Span(cmd.args[i - 1].span.end if i else cmd.name_span.end, a.span.end), ""))
            for c in _drops(m.name, script, managers[m.name][0], managers[m.name]):
                drop = _drop_command(script, c)
                if drop is not None:
                    edits.append(drop)
        edits += _rm_edits(script, tuple(t for m in mounts for t in m.targets))  # Fix puts them in order
        reason = ("Needs BuildKit; a CI runner starts with an empty cache unless the builder's cache is exported "
                  "(--cache-to/--cache-from)")
        if any(m.name == "apt" for m in mounts):
            reason += "; docker-clean stays removed for later RUNs"
        if later:
            reason += ("; what this RUN fetches stays in the cache, not the layer: the RUN on line "
                       + ", ".join(map(str, later)) + " uses it and needs the same mount (its own finding)")
        try:
            return Fix("Mount the package cache with BuildKit", tuple(edits), Safety.REVIEW, reason)
        except ValueError:
            return None
