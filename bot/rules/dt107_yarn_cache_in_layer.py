from __future__ import annotations

from typing import Iterator

from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import BY_KEY, YARN_VALUES, in_home
from bot.rules.ecosystems import reads_no_manifest
from bot.rules.edits import append_command
from bot.rules.facts import (
    assigned,
    cache_claim,
    copy_args,
    home_dir,
    mount_overlaps,
    normalise_home,
    option_value,
    program_args,
    removes_dir,
    user_at,
)

YARN = BY_KEY["yarn"]
VALUE_OPTIONS = YARN_VALUES
BERRY_FILES = (".yarnrc.yml", ".yarn", ".yarn/releases", ".pnp.cjs")
ROOT_CACHE = YARN.defaults[1]  # yarn v1's cache when it runs as root


def removes_yarn_cache_dir(cmd: Command) -> bool:
    """``rm -rf $(yarn cache dir)``."""
    return cmd.program == "rm" and any("yarn cache dir" in " ".join(w.text.split()) for w in cmd.positionals())


def _version_is_berry(spec: str) -> bool | None:
    """``berry``/``stable``/``3.6.1`` -> True, ``classic``/``1.22.19`` -> False, else None."""
    spec = spec.rsplit("@", 1)[-1] if "@" in spec else spec
    if spec in ("berry", "stable", "canary", "latest"):
        return True
    if spec in ("classic", "legacy"):
        return False
    major = spec.lstrip("v^~=").split(".", 1)[0]
    return int(major) >= 2 if major.isdigit() else None


def berry_setup(cmd: Command) -> bool:
    """A command that switches to Yarn 2+: ``yarn set version stable``, ``corepack prepare yarn@4``."""
    if cmd.program not in ("yarn", "corepack"):
        return False  # asked of every command of every RUN: most are neither
    pos = [w.text for w in program_args(cmd, VALUE_OPTIONS)]
    if cmd.program == "yarn":
        if pos[:2] == ["set", "version"] and len(pos) > 2:
            return bool(_version_is_berry(pos[2]))
        if pos[:2] == ["policies", "set-version"] and len(pos) > 2:
            return bool(_version_is_berry(pos[2]))
        return pos[:2] == ["workspaces", "focus"]
    if cmd.program == "corepack" and pos[:1] in (["prepare"], ["use"], ["install"]):
        return any(w.startswith("yarn@") and _version_is_berry(w) for w in pos[1:])
    return False


def _runs_yarn(ctx: Context, ins) -> bool:
    """Whether a command of the RUN is yarn itself (what ``YARN.writes`` asks first)."""
    return any(c.program == "yarn" for s in ctx.scripts(ins) for c in s.commands)


class YarnCacheInLayer(Rule):
    id = "DT107"
    name = "yarn-cache-in-layer"
    severity = Severity.WARNING
    summary = "yarn v1 cache left in the layer after `yarn install`"
    hadolint = ("DL3060",)
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a `RUN` that runs Yarn 1 (`yarn`, `yarn install`, `yarn add`, `yarn global add`)
without `yarn cache clean` afterwards, in a stage that ends up in the final image.

## Why is this bad?
Yarn 1 keeps an unpacked copy of every package it installs in its global cache
(`/usr/local/share/.cache/yarn` as root, `~/.cache/yarn` otherwise, or
`YARN_CACHE_FOLDER`). In an image layer that copy is dead weight, often as large as
`node_modules` itself. Deleting it in a *later* `RUN` saves nothing.

Yarn 2+ ("berry") keeps its cache in the project (`.yarn/cache`, or a global cache
in Yarn 4) and `yarn cache clean` means something else there, so the rule stays
silent where the file shows berry: berry-only flags (`--immutable`, `--mode`),
`yarn set version stable`, `corepack prepare yarn@4`, a `.yarnrc.yml` or `.yarn/`
copied in or present in the build context. Like hadolint's DL3060, a plain
`yarn install` with no such sign counts as Yarn 1 (the yarn bundled in the official
node images).

## Example
```dockerfile
FROM node:20
RUN yarn install --frozen-lockfile --production
```

## Use instead
```dockerfile
FROM node:20
RUN yarn install --frozen-lockfile --production && yarn cache clean
```
or keep the cache out of the layer with
`RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile`.

## Fix safety
Safe: `yarn cache clean` runs after every command of the `RUN` and empties only the
cache. No fix is offered when the cache folder is given only on the command line
(`--cache-folder DIR`), since the appended command would not see it, or when `yarn`
only runs in a subshell.

## Size impact
About the unpacked size of the installed packages. Not reported when a cache or
tmpfs mount covers the cache folder, when the same `RUN` removes it, in stages
that do not reach the final image, or for a bare install that can find no package.json (in the root of an official image, before any
WORKDIR, COPY, clone or download, while the project is copied in later): it installs nothing.

## References
hadolint DL3060 (which, unlike this rule, also accepts a `yarn cache clean` that
runs *before* the install).
"""
    examples = (
        Invalid(
            "FROM node:20\nRUN yarn install --frozen-lockfile\n",
            fixed="FROM node:20\nRUN yarn install --frozen-lockfile && yarn cache clean\n",
            at="2:5-2:35",
        ),
        Invalid(
            "FROM node:18-alpine\nRUN yarn global add pm2 && \\\n    yarn --production\n",
            fixed="FROM node:18-alpine\nRUN yarn global add pm2 && \\\n    yarn --production && \\\n    yarn cache clean\n",
            note="a bare `yarn` is `yarn install`",
        ),
        Invalid(
            "FROM node:20\nRUN yarn install --cache-folder /tmp/yc\n",
            note="no fix: an appended `yarn cache clean` would not see the folder given on the command line",
        ),
        Invalid(
            "FROM node:20\nRUN yarn cache clean && yarn install\n",
            fixed="FROM node:20\nRUN yarn cache clean && yarn install && yarn cache clean\n",
            note="hadolint DL3060 misses this one: the clean runs before the install fills the cache",
        ),
        Valid("FROM node:20\nRUN yarn install --frozen-lockfile && yarn cache clean\n"),
        Valid("FROM node:20\nRUN yarn install && rm -rf /usr/local/share/.cache/yarn\n"),
        Valid(
            "FROM node:20\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn/v6 yarn install\n",
            note="the cache lives in a BuildKit cache mount, not in the layer",
        ),
        Valid(
            "FROM node:20\nENV YARN_CACHE_FOLDER=/cache/yarn\n"
            "RUN --mount=type=cache,target=/cache yarn install\n",
        ),
        Valid(
            "FROM node:20\nRUN corepack enable && yarn set version stable\nRUN yarn install --immutable\n",
            note="Yarn 2+: its cache is in the project and `yarn cache clean` means something else",
        ),
        Valid(
            "FROM node:20\nCOPY package.json yarn.lock .yarnrc.yml ./\nRUN yarn install\n",
            note="a .yarnrc.yml is Yarn 2+ configuration",
        ),
        Valid("FROM node:20\nRUN yarn install\n", context={".yarnrc.yml": "nodeLinker: node-modules\n", "package.json": "{}"},
              note="the build context holds Yarn 2+ configuration"),
        Valid("FROM node:20\nRUN yarn build\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        # the context is only consulted when a yarn command exists: listing it costs I/O
        if not any(True for _ in ctx.commands("yarn")) or self._berry_context(ctx):
            return
        berry_runs = set()
        for ins in ctx.runs():
            if any(berry_setup(c) for s in ctx.scripts(ins) for c in s.commands):
                berry_runs.add(ins.index)
        for ins in ctx.runs(final_only=True):
            if not _runs_yarn(ctx, ins):
                continue  # most RUNs: YARN.writes holds for none of their commands
            before = list(ctx.before(ins))
            if any(b.index in berry_runs for b in before) or any(
                b.keyword in ("COPY", "ADD") and self._copies_berry_files(ctx, b) for b in before
            ):
                continue
            env = ctx.env(ins)
            user = user_at(before, ctx.df.escape)
            home = home_dir(user, env)
            mounts = ctx.cache_mounts(ins)
            for script in ctx.scripts(ins):
                finding = self._check_script(ctx, ins, script, env, user, home, mounts)
                if finding is not None:
                    yield finding

    def _berry_context(self, ctx: Context) -> bool:
        bc = ctx.build_context
        if bc is None:
            return False
        # the same for every Dockerfile of the context: its listing is scanned once
        return bc.derived(("yarn berry",), lambda: any(
            p.rsplit("/", 1)[-1] == ".yarnrc.yml" or p.startswith(".yarn/releases/") for p in bc.files))

    def _copies_berry_files(self, ctx: Context, ins) -> bool:
        args = copy_args(ctx.df, ins)
        if args is None:
            return False
        return any(s.rstrip("/").rsplit("/", 1)[-1] in (".yarnrc.yml", ".yarn") for s in args.sources)

    def _check_script(self, ctx, ins, script, env, user, home, mounts) -> Finding | None:
        leaking: list[tuple[Command, str, bool]] = []
        commands = script.commands
        for i, cmd in enumerate(commands):
            if berry_setup(cmd):
                return None
            if not YARN.writes(cmd) or reads_no_manifest(ctx, ins, cmd):
                continue
            if YARN.disabled(cmd, env):
                continue
            flag = option_value(cmd, "--cache-folder")
            local = assigned(cmd)
            configured = (flag.text if flag and not flag.dynamic else None) or local.get(YARN.env)
            only_here = configured is not None
            configured = configured or env.get(YARN.env) or None
            if configured:
                dirs = [normalise_home(configured, home)]
            elif user in ("root", "0"):
                dirs = [ROOT_CACHE]
            else:
                dirs = [in_home(d, home) for d in YARN.defaults]
            if any(not d.startswith("/") for d in dirs) or any(mount_overlaps(mounts, d) for d in dirs):
                continue
            later = commands[i + 1 :]
            if any((YARN.cleans(c) and not only_here) or removes_yarn_cache_dir(c) for c in later):
                continue
            if any(removes_dir(c, d, home) for c in later for d in dirs):
                continue
            leaking.append((cmd, dirs[0], only_here))
        if not leaking:
            return None
        cmd = leaking[0][0]
        last, _, only_here = leaking[-1]
        fix = None
        if not any(o for _, _, o in leaking) and last.depth == 0:
            edit = append_command(ctx.df, ins, script, YARN.cleanup.replace("{tool}", last.name))
            if edit is not None:
                fix = Fix("Clean the yarn cache in the same RUN", (edit,), Safety.SAFE)
        packages = tuple(
            w.text
            for c, _, _ in leaking
            for w in program_args(c, VALUE_OPTIONS)
            if not w.dynamic and w.text not in ("install", "add", "global")
        )
        return ctx.finding(
            self,
            ins,
            cmd.span,
            f"`yarn` leaves its package cache ({leaking[0][1]}) in this layer; run `yarn cache clean`",
            fix=fix,
            hint=SizeHint(
                YARN.kind,
                {"packages": packages, "base_image": ctx.base_image(ctx.stage(ins))},
                (cache_claim(YARN.kind, ins),),
            ),
        )
