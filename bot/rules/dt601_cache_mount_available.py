from __future__ import annotations

import re
from typing import Iterator, NamedTuple

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.images import parse_image
from bot.model.shell import Command, ShellScript
from bot.model.text import Edit, Span
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import pip_install, pip_positionals
from bot.rules.dt102_apt_recommends_installed import disables_recommends, packages as apt_packages
from bot.rules.ecosystems import dependency_install, tool_args
from bot.rules.edits import prefix_script
from bot.rules.facts import APT, unwrap, user_at

APT_CLEAN = "/etc/apt/apt.conf.d/docker-clean"
# Environment the official images set, which decides where their managers cache.
IMAGE_ENV = {
    "golang": {"GOPATH": "/go"},
    "rust": {"CARGO_HOME": "/usr/local/cargo"},
    "composer": {"COMPOSER_HOME": "/tmp"},
    "ruby": {"GEM_HOME": "/usr/local/bundle"},
}
# `# syntax=docker/dockerfile:1.0` and 1.1 predate RUN --mount (1.2; 1.0-experimental had it).
OLD_SYNTAX = re.compile(r"(?:docker\.io/)?docker/dockerfile:1\.[01](?:\.\d+)?$")


class Manager(NamedTuple):
    name: str
    targets: tuple[str, ...]
    locked: bool = False  # apt: its lock files forbid two builds in one cache at once


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


def _manager(cmd: Command) -> str:
    if cmd.program in APT and cmd.subcommand() == "install":
        return "apt"
    if pip_install(cmd) is not None:
        return "pip"
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


def _drops(name: str, script: ShellScript, cmd: Command, manager_cmds: list[Command]) -> list[Command]:
    """Cleanup commands of this RUN that only kept the cache out of the layer."""
    out = []
    for c in script.top_level():
        prog, args = tool_args(c)
        words = [a.text for a in args]
        if name == "apt" and ((c.program in APT and c.subcommand() in ("clean", "autoclean"))
                              or (c.program == "rm" and any(w.startswith("/var/lib/apt/lists") or w.startswith("/var/cache/apt")
                                                            for w in words))):  # fmt: skip
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


def _drop_command(script: ShellScript, cmd: Command) -> Edit | None:
    """Delete ``&& cmd`` (from the end of the command before it), keeping the chain."""
    top = script.top_level()
    i = top.index(cmd)
    if i == 0 or cmd.operator_before != "&&" or (i + 1 < len(top) and top[i + 1].operator_before not in ("&&", "\n", ";")):
        return None
    return Edit(Span(top[i - 1].span.end, cmd.span.end), "")


class CacheMountAvailable(Rule):
    id = "DT601"
    name = "cache-mount-available"
    severity = Severity.INFO
    summary = "a package-manager install re-downloads everything on each rebuild; a BuildKit cache mount keeps it"
    fix_safety = Safety.REVIEW
    size_rule = False  # build time: every stage's downloads count, not only the final image's
    # Opt-in: it fires on 69% of the corpus files (one comment per install RUN), and on a CI
    # runner without an exported cache the promised gain is zero: a team's choice, not a default.
    default_enabled = False
    explanation = """
## What it does
Finds a `RUN` that installs packages with apt, pip, npm, yarn, pnpm, go, cargo, Maven,
Gradle, Composer or Bundler without a BuildKit cache mount on that manager's download
cache. It runs as root only (a cache mount belongs to root unless `uid=` says otherwise),
never in heredoc or exec-form RUNs, and it stays quiet when the file pins an old
Dockerfile frontend (`# syntax=docker/dockerfile:1.0` or `1.1`) that has no `RUN --mount`,
or when the author switched the cache off in the environment (`PIP_NO_CACHE_DIR`).

## Why is this bad?
Whenever the layer is rebuilt (a changed requirements file, a new base image), the
manager downloads every package again. A cache mount keeps the downloads on the build
machine, outside the image: the rebuild fetches only what changed, and the image does
not grow, because a mount is never part of a layer. This is build time, not image size.

This is a choice a team makes: a CI runner starts with an empty BuildKit cache unless
the cache is exported and imported (`docker buildx build --cache-to/--cache-from`, or a
runner that keeps its builder), so the gain there can be zero; on developer machines
and long-lived builders it is large. So the rule is off by default (on the shared corpus
it fires on 370 of 538 files, one comment per install RUN): turn it on with
`select = ["ALL"]` or by listing `DT601` in `select`. Severity info, a review fix.

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
drops what only kept the cache out of the layer (`--no-cache-dir`, `npm cache clean`,
`yarn cache clean`, `apt-get clean`, `rm -rf /var/lib/apt/lists/*`, `go clean -modcache`,
`composer clear-cache`), which now would empty the shared cache. apt gets two mounts with
`sharing=locked` (apt locks its directories) and the removal of
`/etc/apt/apt.conf.d/docker-clean`, the official images' setting that deletes downloaded
packages after each install and would leave the cache empty; that file stays removed for
later RUNs of the image. Stages that use the same target share one cache (a cache mount's
id defaults to its target). The build needs BuildKit (default since Docker 23).

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
        syntax = ctx.df.directives.get("syntax", "").strip()
        if syntax and (OLD_SYNTAX.match(syntax) or "dockerfile" not in syntax):
            return
        for ins in ctx.runs():
            if ins.json_args is not None or ins.heredocs:
                continue
            scripts = ctx.scripts(ins)
            if len(scripts) != 1:
                continue
            found = self._check_run(ctx, ins, scripts[0])
            if found is not None:
                yield found

    def _check_run(self, ctx: Context, ins: Instruction, script: ShellScript) -> Finding | None:
        user = user_at(ctx.before(ins), ctx.df.escape)
        if user not in ("", "root", "0", "0:0", "root:root"):
            return None
        ref = parse_image(ctx.base_image(ctx.stage(ins)))
        env = {**IMAGE_ENV.get(ref.repository if ref is not None else "", {}), **ctx.env(ins)}
        managers: dict[str, list[Command]] = {}
        for cmd in script.commands:
            name = _manager(cmd)
            if name:
                managers.setdefault(name, []).append(cmd)
        mounts: list[Manager] = []
        for name in managers:
            targets = _targets(name, env)
            if not targets or any("$" in t for t in targets):
                continue
            if any(ctx.mounts_cover(ins, t) for t in targets):
                continue
            mounts.append(Manager(name, targets, name == "apt"))
        if not mounts:
            return None
        first = managers[mounts[0].name][0]
        names = ", ".join(m.name for m in mounts)
        message = f"{names} re-downloads every package when this layer rebuilds; mount a BuildKit cache"
        return ctx.finding(
            self, ins, first.span, message, fix=self._fix(ctx, ins, script, mounts, managers),
            hint=SizeHint(hints.REBUILD_DOWNLOAD, {
                "managers": tuple(m.name for m in mounts), "packages": _downloads(mounts, managers),
                "recommends": not all(disables_recommends(unwrap(c)) for c in managers.get("apt", ())),
                "base_image": ctx.base_image(ctx.stage(ins))}),
        )

    def _fix(self, ctx: Context, ins: Instruction, script: ShellScript, mounts: list[Manager],
             managers: dict[str, list[Command]]) -> Fix | None:
        if not script.ok:
            return None
        flags = []
        for m in mounts:
            for t in m.targets:
                flags.append(f"--mount=type=cache,target={t}" + (",sharing=locked" if m.locked else ""))
        prefix = " ".join(flags) + " "
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
        edits.sort(key=lambda e: e.span.start)
        reason = ("Needs BuildKit; a CI runner starts with an empty cache unless the builder's cache is exported "
                  "(--cache-to/--cache-from)")
        if any(m.name == "apt" for m in mounts):
            reason += "; docker-clean stays removed for later RUNs, so put apt-get installs under the same mounts"
        try:
            return Fix("Mount the package cache with BuildKit", tuple(edits), Safety.REVIEW, reason)
        except ValueError:
            return None
