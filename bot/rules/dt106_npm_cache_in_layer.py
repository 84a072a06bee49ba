from __future__ import annotations

from typing import Iterator

from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import BY_KEY, NPM_VALUES, in_home
from bot.rules.ecosystems import reads_no_manifest
from bot.rules.edits import append_command
from bot.rules.facts import (
    assigned,
    cache_claim,
    mount_overlaps,
    normalise_home,
    option_value,
    program_args,
    removes_dir,
)

NPM = BY_KEY["npm"]
VALUE_OPTIONS = NPM_VALUES
CACHE_ENV = (NPM.env, NPM.env.upper())  # npm reads its settings from either spelling


class NpmCacheInLayer(Rule):
    id = "DT106"
    name = "npm-cache-in-layer"
    severity = Severity.WARNING
    summary = "npm cache left in the layer after `npm install` / `npm ci`"
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a `RUN` that runs `npm install` (or `npm ci`, `npm i`, `npm install -g x`) and
keeps npm's download cache (`~/.npm/_cacache`, or the directory `npm_config_cache`
names) in the layer, in a stage that ends up in the final image.

## Why is this bad?
npm stores every downloaded tarball in its cache besides unpacking it into
`node_modules`. The cache is only useful to the next install on the same machine;
in an image layer it is dead weight, typically 40% to 160% of the installed size.
Deleting it in a *later* `RUN` saves nothing.

## Example
```dockerfile
FROM node:20-slim
RUN npm ci --omit=dev
```

## Use instead
```dockerfile
FROM node:20-slim
RUN npm ci --omit=dev && npm cache clean --force
```
or keep the cache out of the layer with a BuildKit cache mount:
`RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev`.

## Fix safety
Safe: `npm cache clean --force` runs after every command of the `RUN` and removes
only the download cache, which nothing in the image reads. No fix is offered when the
cache directory is set on the command line (`--cache DIR`, `npm_config_cache=DIR npm ci`)
since the appended command would not see it, or when `npm` only runs in a subshell.

## Size impact
The cache holds the compressed tarballs of every package installed (measured: 6 MB
for express, 136 MB for next). Not reported when a cache or tmpfs mount covers the
cache directory, when the same `RUN` removes it or runs `npm cache clean`, in
stages that do not reach the final image, or for a bare install that can find no package.json (in the root of an official image, before any
WORKDIR, COPY, clone or download, while the project is copied in later): it installs nothing.
"""
    examples = (
        Invalid(
            "FROM node:20\nRUN npm ci --omit=dev\n",
            fixed="FROM node:20\nRUN npm ci --omit=dev && npm cache clean --force\n",
            at="2:5-2:22",
        ),
        Invalid(
            "FROM node:20-slim\nRUN npm install -g pm2 \\\n    && npm install\n",
            fixed="FROM node:20-slim\nRUN npm install -g pm2 \\\n    && npm install \\\n    && npm cache clean --force\n",
            note="global installs fill the same cache; leading && style kept",
        ),
        Invalid(
            "FROM node:20\nRUN npm --prefix /app i express\n",
            fixed="FROM node:20\nRUN npm --prefix /app i express && npm cache clean --force\n",
            note="options before the subcommand",
        ),
        Invalid(
            "FROM node:20\nRUN npm_config_cache=/tmp/npm npm ci\n",
            at="2:5-2:37",
            note="no fix: an appended `npm cache clean` would not see the cache set only for npm ci",
        ),
        Invalid(
            "FROM node:20\nRUN rm -rf /root/.npm && npm ci\n",
            fixed="FROM node:20\nRUN rm -rf /root/.npm && npm ci && npm cache clean --force\n",
            note="removing the cache before the install does not help",
        ),
        Valid("FROM node:20\nRUN npm ci && npm cache clean --force\n"),
        Valid("FROM node:20\nRUN npm install && rm -rf ~/.npm\n"),
        Valid(
            "FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
            note="the cache lives in a BuildKit cache mount, not in the layer",
        ),
        Valid(
            "FROM node:20\nENV npm_config_cache=/tmp/npm-cache\nRUN npm ci && rm -rf /tmp/*\n",
            note="the configured cache directory is removed in the same RUN",
        ),
        Valid(
            "FROM node:20\nUSER node\nRUN --mount=type=cache,target=/home/node/.npm,uid=1000 npm ci\n",
        ),
        Valid(
            "FROM node:20 AS build\nRUN npm ci && npm run build\n"
            "FROM nginx:alpine\nCOPY --from=build /app/dist /usr/share/nginx/html\n",
            note="a builder stage: its layers do not reach the final image",
        ),
        Valid("FROM node:20\nRUN npm run build\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            if not _runs_npm(ctx, ins):
                continue  # most RUNs: NPM.writes holds for none of their commands
            env = ctx.env(ins)
            home = ctx.home(ins)
            mounts = ctx.cache_mounts(ins)
            for script in ctx.scripts(ins):
                finding = self._check_script(ctx, ins, script, env, home, mounts)
                if finding is not None:
                    yield finding

    def _check_script(self, ctx, ins, script, env, home, mounts) -> Finding | None:
        installs: list[tuple[int, Command]] = []
        for i, cmd in enumerate(script.commands):
            if NPM.writes(cmd) and not reads_no_manifest(ctx, ins, cmd):
                installs.append((i, cmd))
        if not installs:
            return None
        leaking: list[tuple[Command, str, bool]] = []  # (install, cache dir, cache set only for it)
        for i, cmd in installs:
            local = assigned(cmd)
            flag = option_value(cmd, "--cache")
            configured = (
                (flag.text if flag and not flag.dynamic else None)
                or next((local[k] for k in CACHE_ENV if k in local), None)
            )
            only_here = configured is not None
            if configured is None:
                configured = next((env[k] for k in CACHE_ENV if env.get(k)), None)
            dirs = [normalise_home(configured, home)] if configured else [in_home(d, home) for d in NPM.defaults]
            if any(not d.startswith("/") for d in dirs):
                continue  # a relative or dynamic cache path: cannot tell where it is
            if any(mount_overlaps(mounts, d) for d in dirs):
                continue
            later = script.commands[i + 1 :]
            if any(NPM.cleans(c) and not only_here for c in later):
                continue
            if any(removes_dir(c, d, home) for c in later for d in dirs):
                continue
            leaking.append((cmd, dirs[0], only_here))
        if not leaking:
            return None
        cmd, cache_dir, only_here = leaking[0]
        fix = None
        if not only_here and all(c.depth == 0 for c, _, _ in leaking[-1:]):
            edit = append_command(ctx.df, ins, script, NPM.cleanup.replace("{tool}", leaking[-1][0].name))
            if edit is not None:
                fix = Fix("Clean the npm cache in the same RUN", (edit,), Safety.SAFE)
        packages = tuple(
            w.text for c, _, _ in leaking for w in program_args(c, VALUE_OPTIONS)[1:] if not w.dynamic
        )
        return ctx.finding(
            self,
            ins,
            cmd.span,
            f"`npm {program_args(cmd, VALUE_OPTIONS)[0].text}` leaves its download cache ({cache_dir}) "
            "in this layer",
            fix=fix,
            hint=SizeHint(
                NPM.kind,
                {"packages": packages, "base_image": ctx.base_image(ctx.stage(ins))},
                (cache_claim(NPM.kind, ins),),
            ),
        )


def _runs_npm(ctx: Context, ins: Instruction) -> bool:
    """Whether a command of the RUN is npm itself (what ``NPM.writes`` asks first)."""
    return any(c.program == "npm" for s in ctx.scripts(ins) for c in s.commands)
