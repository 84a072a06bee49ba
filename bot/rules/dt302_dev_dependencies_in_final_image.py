from __future__ import annotations

import re
from fnmatch import fnmatch
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command
from bot.model.text import Edit
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import insert_after, insert_before
from bot.rules.facts import assigned, command_dirs, copy_args, option_value, path_within, resolve, unwrap
from bot.model.images import parse_image
from bot.rules.ecosystems import NODE_BUILD_TOOLS, Install, dependency_install, reads_no_manifest, runs_node_build, tool_args

NODE_PROD_FLAGS = ("--omit", "--production", "--only", "--prod", "-P")
# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
DEV_REQUIREMENTS = r"(^|/)(requirements[-_.]?(dev|test|tests|testing|local|ci)[^/]*\.txt|(dev|test|tests|testing)[-_.]?requirements[^/]*\.txt|requirements/(dev|test|tests|testing|local|ci)[^/]*\.txt)$"


DEV_SERVER = r"^(serve|dev|develop|watch|start:dev|dev:.*|nodemon|ts-node|ts-node-dev|vue-cli-service|vite)$"
RUNS_IN_PRODUCTION = r"\b(RAILS|RACK|APP)_ENV\b[\s=:]*[\"']?production|(-e|--environment)[\"',\s=]+production"
# a container command that runs one of these (`ENTRYPOINT ["grunt"]`, `CMD npx jest`) runs a
# task, build or test tool: those are devDependencies by convention (`next start` is not)
DEV_TOOLS = (NODE_BUILD_TOOLS - {"next"}) | frozenset(("webpack-dev-server", "jest", "mocha", "karma", "ava", "eslint"))
# Variables that hand a command the node_modules it runs tools from (`NODE_MODULES=/node/node_modules
# make`, `NODE_PATH=... node build.js`): a build that reads the install's lint and build tools
NODE_MODULES_VARS = ("NODE_MODULES", "NODE_PATH")
# Build drivers that run the project's scripts: in the directory that holds package.json, or given
# its node_modules, they run its (dev) tools
MAKE = frozenset(("make", "gmake"))


def _node_major(image: str) -> int | None:
    ref = parse_image(image)
    if ref is None or ref.name != "node":
        return None
    m = re.match(r"(\d+)", ref.tag)
    if m:
        return int(m.group(1))
    return 99 if ref.tag.split("-")[0] in ("", "latest", "lts", "current", "slim", "alpine") else None


def _production_env(env: dict[str, str], cmd: Command) -> bool:
    values = dict(env)
    values.update(assigned(cmd))
    if values.get("NODE_ENV", "").strip("\"'") == "production":
        return True
    lowered = {k.lower(): v.strip("\"'").lower() for k, v in values.items()}
    return lowered.get("npm_config_production") == "true" or lowered.get("npm_config_omit") == "dev"


class DevDependenciesInFinalImage(Rule):
    id = "DT302"
    name = "dev-dependencies-in-final-image"
    severity = Severity.WARNING
    summary = "development dependencies installed in the final image (npm, yarn, pnpm, composer, bundler, pip)"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds dependency installs in the final image that include development dependencies:
`npm ci`/`npm install` without `--omit=dev` (or `--production`) while `NODE_ENV` is not
`production`, `yarn install` without `--production`, `pnpm install` without `--prod`,
`composer install` without `--no-dev`, `bundle install` with the development and test
groups, and `pip install -r requirements-dev.txt` (or `requirements/test.txt`, ...).

## Why is this bad?
Test runners, linters, type checkers, bundlers and debuggers often outweigh the runtime
dependencies, and nothing in the running container uses them. They also widen the attack
surface of the image.

## Example
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
CMD ["node", "server.js"]
```

## Use instead
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
CMD ["node", "server.js"]
```

## Fix safety
Review: something used at run time may be declared as a dev dependency (a start script
using `ts-node` or `nodemon`, a Rails initializer requiring a test gem). The flag matches
the tool's version where the base image tells it (`--production` for npm before 7).
A Ruby image with no `CMD`/`ENTRYPOINT` of its own is taken for a development image
(compose gives the command, typically `rails s`) and not reported for bundler; nor is one
that shows no production environment (`RAILS_ENV`/`RACK_ENV`/`APP_ENV=production`, `-e
production`): Rails and Rack then run in development, which requires the development gems.
For bundler the fix sets `ENV BUNDLE_WITHOUT=development:test`, which also keeps
`bundle exec` from asking for the skipped groups at run time. Not reported when the same
stage then runs a build or test step that needs the dev dependencies (`npm run build`,
`tsc`, `npm test`, Rails' `assets:precompile`, which runs the JavaScript bundler, a `make` run
in the directory that holds package.json, or any step given the install's `node_modules` in
`NODE_MODULES`/`NODE_PATH` or as a `make` argument): that stage should be split into a build stage and a runtime stage
(DT402), not stripped; nor when the container runs a development server (`npm run serve`,
`npm run dev`, nodemon, ts-node) or a task, build or test tool (`grunt`, `gulp`,
`webpack`, `jest`, `npm test`), which are devDependencies by convention; nor for
a bare install that can find no package.json (in the root of an official image, before any
WORKDIR, COPY, clone or download, while the project is copied in later): it installs nothing;
nor for a Node image that gets its manifest but never its code (it copies only `package.json`,
lockfiles, `.npmrc` or shell scripts, and clones or downloads nothing): compose mounts the code
and runs its test runners, nodemon or migrations there, which are devDependencies. No fix for pip, where the dev requirements file has to go.

## Size impact
The development dependencies of the project: unknown without the lock file, often tens
to hundreds of MB for node projects.
"""
    examples = (
        Invalid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nCMD [\"node\", \"server.js\"]\n",
            fixed="FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\nCMD [\"node\", \"server.js\"]\n",
            at="4:5-4:11",
        ),
        Invalid(
            "FROM node:14\nRUN npm install\n",
            fixed="FROM node:14\nRUN npm install --production\n",
            note="npm 6 (node 14) predates --omit",
        ),
        Invalid("FROM node:20-alpine\nRUN yarn install --frozen-lockfile\n",
                fixed="FROM node:20-alpine\nRUN yarn install --production --frozen-lockfile\n"),
        Invalid("FROM php:8.3-cli\nRUN composer install --optimize-autoloader\n",
                fixed="FROM php:8.3-cli\nRUN composer install --no-dev --optimize-autoloader\n"),
        Invalid(
            "FROM ruby:3.3-slim\nENV RAILS_ENV=production\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCMD [\"puma\"]\n",
            fixed="FROM ruby:3.3-slim\nENV RAILS_ENV=production\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nENV BUNDLE_WITHOUT=development:test\n"
            "RUN bundle install\nCMD [\"puma\"]\n",
        ),
        Valid("FROM ruby:3.3-slim\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\n",
              note="no command of its own: compose starts it, typically `rails s` in development"),
        Invalid("FROM python:3.12-slim\nRUN pip install -r requirements-dev.txt\n", message="requirements-dev.txt"),
        Valid("FROM node:20-slim\nRUN npm ci --omit=dev\n"),
        Valid("FROM node:20-slim\nENV NODE_ENV=production\nRUN npm ci\n", note="NODE_ENV=production skips devDependencies"),
        Valid(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"node\", \"dist/main.js\"]\n",
            note="the build needs devDependencies: DT402's multi-stage advice applies, not --omit=dev",
        ),
        Valid(
            "FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nCOPY --from=build /app/dist /app\n",
            note="a builder stage",
        ),
        Valid("FROM node:14-alpine\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCMD [\"npm\", \"run\", \"serve\"]\n",
              note="a development server runs in the container: it needs its devDependencies"),
        Valid("FROM ruby:3.3\nRUN bundle config set without 'development test' && bundle install\n"),
        Valid("FROM php:8.3\nRUN composer install --no-dev\n"),
        Valid("FROM python:3.12-slim\nRUN pip install -r requirements.txt\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        final = ctx.df.final_stage
        for ins in ctx.runs(final_only=True):
            for script in ctx.scripts(ins):
                for cmd in script.commands:
                    found = self._dev_install(ctx, ins, cmd)
                    if found is None or reads_no_manifest(ctx, ins, cmd):
                        continue
                    eco, fix = found
                    if (self._builds_later(ctx, ins, cmd, eco, final) or self._dev_server(ctx, eco, final)
                            or _gets_only_its_manifest(ctx, final, dependency_install(cmd))):
                        continue
                    label = " ".join([tool_args(cmd)[0]] + [a.text for a in tool_args(cmd)[1][:1]])
                    what = {"npm": "devDependencies", "yarn": "devDependencies", "pnpm": "devDependencies",
                            "composer": "require-dev packages", "bundler": "development and test gems"}.get(eco)
                    msg = f"`{label}` installs {what} into the final image" if what else ""
                    if eco == "pip":
                        msg = f"`{label}` installs {fix} (development requirements) into the final image"
                        fix = None
                    yield ctx.finding(self, ins, cmd.span, msg, fix=fix,
                                      hint=SizeHint(hints.DEV_DEPENDENCIES, {"ecosystem": eco}))

    def _dev_install(self, ctx: Context, ins: Instruction, cmd: Command):
        prog, args = tool_args(cmd)
        if prog == "pip":
            files = [args[i + 1].text for i, a in enumerate(args[:-1]) if a.text in ("-r", "--requirement")]
            dev = [f for f in files if re.search(DEV_REQUIREMENTS, f)]
            return ("pip", dev[0]) if dev else None
        inst = dependency_install(cmd)
        if inst is None or inst.ecosystem not in ("npm", "yarn", "pnpm", "composer", "bundler"):
            return None
        words = [a.text.split("=", 1)[0] for a in args]
        env = ctx.env(ins)  # asked here, of an install only: most RUNs have none
        eco = inst.ecosystem
        sub = next((a for a in args if not a.text.startswith("-")), None)
        if eco in ("npm", "yarn", "pnpm"):
            if any(w in NODE_PROD_FLAGS for w in words) or _production_env(env, cmd):
                return None
            if eco == "npm":
                major = _node_major(ctx.base_image(ctx.stage(ins)))
                flag = "--omit=dev" if major is not None and major >= 16 else "--production"
            else:
                flag = "--production" if eco == "yarn" else "--prod"
            if eco == "yarn" and ctx.build_context is not None and ctx.build_context.exists(".yarnrc.yml"):
                return eco, None  # yarn 2+: `yarn workspaces focus --production`, not a flag
            anchor = sub if sub is not None else cmd
            return eco, self._fix(insert_after(anchor, f" {flag}"), eco)
        if eco == "composer":
            if "--no-dev" in words or env.get("COMPOSER_NO_DEV", "") in ("1", "true"):
                return None
            return eco, self._fix(insert_after(sub, " --no-dev"), eco)
        # bundler
        if "--without" in words or "BUNDLE_WITHOUT" in env or any(a.startswith("BUNDLE_WITHOUT=") for a in cmd.assignments):
            return None
        if any(self._bundle_config_without(c) for s in ctx.scripts(ins) for c in s.commands) or any(
            self._bundle_config_without(c)
            for other in ctx.before(ins)
            if other.keyword == "RUN"
            for s in ctx.scripts(other)
            for c in s.commands
        ):
            return None
        bc = ctx.build_context
        if bc is not None and bc.exists("Gemfile") and not re.search(r"group\b[^\n]*:(development|test)", bc.text("Gemfile") or ""):
            return None
        return eco, self._fix(insert_before(ctx.df, ins, "ENV BUNDLE_WITHOUT=development:test"), eco)

    @staticmethod
    def _bundle_config_without(cmd: Command) -> bool:
        return cmd.program in ("bundle", "bundler") and cmd.subcommand() == "config" and bool(cmd.arg("without"))

    @staticmethod
    def _fix(edit: Edit, eco: str) -> Fix:
        reasons = {
            "npm": "Check that nothing at run time needs a devDependency (e.g. a start script using ts-node or nodemon)",
            "yarn": "Check that nothing at run time needs a devDependency (e.g. a start script using ts-node or nodemon)",
            "pnpm": "Check that nothing at run time needs a devDependency (e.g. a start script using ts-node)",
            "composer": "Check that no require-dev package is used at run time (e.g. a debug bundle enabled in prod)",
            "bundler": "Check that no development or test gem is required at run time (initializers, Rakefile tasks)",
        }
        return Fix("Install production dependencies only", (edit,), Safety.REVIEW, reasons[eco])

    @staticmethod
    def _dev_server(ctx: Context, eco: str, final) -> bool:
        """The container runs a development server (``npm run serve``, nodemon) or a task,
        build or test tool (grunt, jest): it needs its dev dependencies, the image is a
        development image. A Ruby app image with no
        command of its own gets one from compose, typically ``rails s`` in development."""
        if final is None:
            return False
        commands = [i for s in ctx.lineage(final) for i in s.instructions if i.keyword in ("CMD", "ENTRYPOINT")]
        if eco == "bundler":
            # with no command of its own, or no sign that it runs in production, the app runs in
            # Rails' and Rack's default development environment, which requires the development gems
            text = "\n".join(i.body.text for s in ctx.lineage(final) for i in s.instructions)
            return not commands or not re.search(RUNS_IN_PRODUCTION, text)
        if eco not in ("npm", "yarn", "pnpm"):
            return False
        for ins in commands:
            words = list(ins.json_args) if ins.json_args else ins.body.text.split()
            # `CMD ['yarn', 'serve']` is not JSON (single quotes): read its words all the same
            words = [t.strip("[]'\",;&") for w in words for t in w.split()]
            if any(re.search(DEV_SERVER, w) for w in words) or any(w.rsplit("/", 1)[-1] in DEV_TOOLS for w in words):
                return True
            if words[:1] in (["npm"], ["yarn"], ["pnpm"]) and "test" in words:
                return True  # `npm test` runs the test runner
            # installs or compiles when it starts (`npm install typescript && npm run start`)
            pairs = set(zip(words, words[1:]))
            if "tsc" in words or pairs & {("npm", "install"), ("npm", "i"), ("yarn", "install"), ("pnpm", "install")}:
                return True
        return False

    @staticmethod
    def _builds_later(ctx: Context, ins: Instruction, cmd: Command, eco: str, final) -> bool:
        """A later step of the final image (same RUN or a later one) that needs dev deps."""
        if eco not in ("npm", "yarn", "pnpm"):
            return False
        project = _project_dir(ctx, ins, cmd)
        for other in ctx.runs(final_only=True):
            if other.index < ins.index:
                continue
            start = ctx.workdir(other, None) or ""
            env = ctx.env(other)
            for s in ctx.scripts(other):
                for c, cwd in zip(s.commands, command_dirs(s, start)):
                    if other.index == ins.index and c.span.start <= cmd.span.start:
                        continue
                    if runs_node_build(c) or _builds_with_node_modules(unwrap(c), cwd, project, env):
                        return True
        return False


def _project_dir(ctx: Context, ins: Instruction, cmd: Command) -> str:
    """The directory a node install works in (its package.json and node_modules), "" when unknown."""
    start = ctx.workdir(ins, None) or ""
    cwd = next((d for s in ctx.scripts(ins) for c, d in zip(s.commands, command_dirs(s, start)) if c is cmd), "")
    target = option_value(unwrap(cmd), "--prefix", "--cwd", "--dir", "-C")
    if target is not None:
        return "" if target.dynamic else resolve(target.text, cwd, "/root")
    return cwd


def _names_node_modules(value: str, cwd: str, project: str) -> bool:
    """A path (or a `:`-separated list of them) naming the install's node_modules (any
    node_modules when the install's directory is not known)."""
    for part in value.strip("\"'").split(":"):
        path = resolve(part, cwd, "/root") if part else ""
        if project and path and path_within(path, f"{project.rstrip('/')}/node_modules"):
            return True
        if not (project and path) and "node_modules" in part.split("/"):
            return True
    return False


def _builds_with_node_modules(cmd: Command, cwd: str, project: str, env: dict[str, str]) -> bool:
    """A later build step that runs the install's tools: given its node_modules in a
    NODE_MODULES/NODE_PATH assignment, or a `make` given that path as an argument, or run
    in (`-C`) the directory that holds package.json."""
    if any(_names_node_modules(v, cwd, project) for k, v in assigned(cmd).items() if k in NODE_MODULES_VARS):
        return True
    if cmd.program not in MAKE:
        return False
    if any(_names_node_modules(v, cwd, project) for k, v in env.items() if k in NODE_MODULES_VARS):
        return True
    words = [a.text for a in cmd.args if not a.dynamic]
    if any(_names_node_modules(w.partition("=")[2] or w, cwd, project) for w in words):
        return True
    where = option_value(cmd, "-C", "--directory")
    if where is not None:
        cwd = "" if where.dynamic else resolve(where.text, cwd, "/root")
    return bool(project) and cwd == project


def _gets_only_its_manifest(ctx: Context, final, inst: Install | None) -> bool:
    """A Node image that gets the install's manifest but never the application: every
    COPY/ADD brings only the files the install reads (manifest, lockfile, registry
    settings) or shell scripts, and nothing is cloned or downloaded. The code is mounted at
    run time (compose's development setup), and the tools it runs there (test runners,
    nodemon, migrations) are devDependencies."""
    if inst is None or inst.ecosystem not in ("npm", "yarn", "pnpm"):
        return False
    project = (*inst.manifests, *inst.lock_choices, *inst.optional)
    copied = False
    for stage in ctx.lineage(final):
        for ins in stage.instructions:
            if ins.keyword in ("COPY", "ADD"):
                args = copy_args(ctx.df, ins)
                if args is None or args.heredoc or ins.flag("from") is not None:
                    return False
                for src in args.sources:
                    name = src.rstrip("/").rsplit("/", 1)[-1]
                    if not (any(fnmatch(f, name) for f in project) or name.endswith(".sh")):
                        return False
                copied = True
            elif ins.keyword == "RUN":
                for s in ctx.scripts(ins):
                    for c in s.commands:
                        prog, args = tool_args(c)
                        if prog in ("git", "curl", "wget", "svn", "hg") or (prog == "npm" and "pack" in [a.text for a in args]):
                            return False
    return copied
