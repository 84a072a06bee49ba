from __future__ import annotations

import re
from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import BY_KEY
from bot.rules.edits import append_command, insert_after
from bot.rules.facts import (
    cache_claim,
    copy_args,
    mount_overlaps,
    normalise_home,
    program_args,
)

GEM = re.compile(r"(?:gem|fluent-gem|td-agent-gem)(?:\d+(?:\.\d+)*)?")
GEM_VALUE_OPTIONS = frozenset(("-v", "--version", "-i", "--install-dir", "-n", "--bindir", "--source", "-s",
                               "--platform", "-P", "--trust-policy", "-g", "--file", "--build-root"))  # fmt: skip
DOC_DECIDED = ("--no-document", "-N", "--document", "--no-rdoc", "--no-ri", "--rdoc", "--ri")
LEGACY_DOC_FLAGS = ("--no-ri", "--no-rdoc")  # RubyGems < 2 knows only these; RubyGems 3 dropped them
# Images whose gemrc already says `install: --no-document` (docker-library/ruby writes
# /usr/local/etc/gemrc; images built on it inherit it).
GEMRC_IMAGES = frozenset(("ruby", "jruby", "jekyll"))
BUNDLER = BY_KEY["bundler"]
OFFICIAL_GEM_HOME = BUNDLER.defaults[0].removesuffix(BUNDLER.env_suffix)  # the official ruby images' GEM_HOME


def _image_name(image: str) -> str:
    """``registry/library/ruby:3.2-slim`` -> ``ruby``."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()


def gem_install(cmd: Command) -> bool:
    if not GEM.fullmatch(cmd.program):
        return False
    pos = program_args(cmd, GEM_VALUE_OPTIONS)
    return bool(pos) and pos[0].text == "install"


def doc_decided(cmd: Command) -> bool:
    return cmd.has_option(*DOC_DECIDED) or any(a.text.startswith("--no-doc") for a in cmd.args)


def writes_gemrc(cmd: Command) -> bool:
    """``echo 'gem: --no-document' > ~/.gemrc`` and the like (the redirect is not kept,
    so any echo/printf/tee of a no-document line counts)."""
    if cmd.program not in ("echo", "printf", "tee", "cat"):
        return False
    return any(k in a.text for a in cmd.args for k in ("--no-document", "--no-rdoc", "--no-ri", "no-document"))


def removes_gem_cache(cmd: Command, home: str) -> bool:
    """``rm`` of a gem cache: ``/usr/local/bundle/cache``, ``$BUNDLE_PATH/ruby/*/cache``,
    ``.../cache/*.gem``, or the whole gem directory."""
    if cmd.program != "rm":
        return False
    for w in cmd.positionals():
        t = normalise_home(w.text, home).rstrip("/")
        t = t[:-2] if t.endswith("/*") else t
        if t.endswith("/cache") or "/cache/" in t or t.endswith(("/bundle", "/.bundle", "/gems")):
            return True
    return False


class GemDocsInLayer(Rule):
    id = "DT108"
    name = "gem-docs-in-layer"
    severity = Severity.WARNING
    summary = "`gem install` documentation or bundler's gem cache left in the layer"
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds, in stages that end up in the final image:
- `gem install` without `--no-document` (or the legacy `--no-rdoc --no-ri`), where no
  gemrc says `gem: --no-document` (one written earlier in the file, or the one the
  official `ruby` images ship in `/usr/local/etc/gemrc`);
- `bundle install` that leaves the downloaded `.gem` files in the gem cache
  (`$GEM_HOME/cache`, `/usr/local/bundle/cache` in the official `ruby` images).

## Why is this bad?
RubyGems generates ri and RDoc documentation for every gem it installs (often more
than the gem itself), and keeps every downloaded `.gem` archive in its cache. Neither is
used at run time. Deleting them in a *later* `RUN` saves nothing.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y ruby && gem install rake
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y ruby && gem install --no-document rake
```
and for bundler: `RUN bundle install && rm -rf /usr/local/bundle/cache`.

## Fix safety
Safe: `--no-document` only skips generating documentation (where the image's gem commands
already use `--no-ri --no-rdoc`, the fix uses those: RubyGems 1.x, e.g. on ubuntu:14.04,
does not know `--no-document`), and the `.gem` archives
in the cache are only read to reinstall a gem. The bundler fix is offered only when the
cache path is known: `ENV GEM_HOME` set in the file, or the official `ruby` image
(`GEM_HOME=/usr/local/bundle`) with no `BUNDLE_PATH`/deployment setting; elsewhere
the finding carries no fix.

## Size impact
Documentation: roughly the installed size of the gems again. Bundler cache: the
compressed size of every gem installed. Not reported when a cache mount covers the
gem directory, or in stages that do not reach the final image.
"""
    examples = (
        Invalid(
            "FROM debian:12\nRUN gem install rake -v 13.0.6\n",
            fixed="FROM debian:12\nRUN gem install --no-document rake -v 13.0.6\n",
            at="2:5-2:31",
        ),
        Invalid(
            "FROM centos:7\nRUN /opt/td-agent/embedded/bin/fluent-gem install fluent-plugin-s3\n",
            fixed="FROM centos:7\nRUN /opt/td-agent/embedded/bin/fluent-gem install --no-document fluent-plugin-s3\n",
            note="gem wrappers such as fluent-gem take the same options",
        ),
        Invalid(
            "FROM ruby:3.3-slim\nRUN bundle install --jobs 4\n",
            fixed="FROM ruby:3.3-slim\nRUN bundle install --jobs 4 && rm -rf /usr/local/bundle/cache\n",
            message="bundle install",
        ),
        Invalid(
            "FROM ruby:3.3\nENV BUNDLE_PATH=/gems\nRUN bundle install\n",
            note="no fix: with BUNDLE_PATH the cache sits under a Ruby-version directory",
        ),
        Invalid(
            "FROM ubuntu:14.04\nRUN gem install --no-ri --no-rdoc fluentd && fluent-gem install fluent-plugin-s3\n",
            fixed="FROM ubuntu:14.04\nRUN gem install --no-ri --no-rdoc fluentd && fluent-gem install --no-ri --no-rdoc fluent-plugin-s3\n",
            message="add --no-ri --no-rdoc",
            note="the file already uses the legacy flags: its RubyGems (1.x here) may not know --no-document",
        ),
        Valid("FROM debian:12\nRUN gem install --no-document rake\n"),
        Valid("FROM debian:12\nRUN gem install -N rake\n"),
        Valid("FROM ubuntu:14.04\nRUN gem install --no-ri --no-rdoc fluentd\n", note="legacy flags"),
        Valid(
            "FROM debian:12\nRUN echo 'gem: --no-document' > /etc/gemrc\nRUN gem install rake\n",
            note="a gemrc written earlier turns documentation off",
        ),
        Valid("FROM ruby:3.3\nRUN gem install bundler\n", note="the official ruby images ship a no-document gemrc"),
        Valid("FROM ruby:3.3\nRUN bundle install && rm -rf /usr/local/bundle/cache/*.gem\n"),
        Valid(
            "FROM ruby:3.3\nRUN --mount=type=cache,target=/usr/local/bundle/cache bundle install\n",
            note="the cache lives in a BuildKit cache mount",
        ),
        Valid(
            "FROM ruby:3.3 AS build\nRUN bundle install\nFROM ruby:3.3-slim\nCOPY --from=build /usr/local/bundle /usr/local/bundle\n",
            note="a builder stage: its layers do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        gemrc_runs = {
            ins.index
            for ins in ctx.runs()
            if any(writes_gemrc(c) for s in ctx.scripts(ins) for c in s.commands)
        }
        for ins in ctx.runs(final_only=True):
            if not _runs_gem_or_bundle(ctx, ins):
                continue  # most RUNs: neither finding below can hold
            stage = ctx.stage(ins)
            base = ctx.base_image(stage)
            before = list(ctx.before(ins))
            gemrc = any(b.index in gemrc_runs for b in before) or any(
                b.keyword in ("COPY", "ADD") and self._copies_gemrc(ctx, b) for b in before
            )
            env = ctx.env(ins)
            home = ctx.home(ins)
            for script in ctx.scripts(ins):
                docs_known_off = gemrc or not base or _image_name(base) in GEMRC_IMAGES
                for i, cmd in enumerate(script.commands):
                    if writes_gemrc(cmd):
                        docs_known_off = True
                    if gem_install(cmd) and not docs_known_off and not doc_decided(cmd):
                        yield self._gem_finding(ctx, ins, cmd, base, _legacy_dialect(ctx, ins, before))
                finding = self._bundle_finding(ctx, ins, script, env, home, base, before)
                if finding is not None:
                    yield finding

    def _copies_gemrc(self, ctx: Context, ins) -> bool:
        args = copy_args(ctx.df, ins)
        return args is not None and args.dest.rstrip("/").endswith("gemrc")

    def _gem_finding(self, ctx: Context, ins, cmd: Command, base: str, legacy: bool) -> Finding:
        install = program_args(cmd, GEM_VALUE_OPTIONS)[0]
        # the image's RubyGems accepts the dialect the file already uses; --no-document
        # fails on RubyGems 1.x (ubuntu:14.04), --no-ri on RubyGems 3
        flags = " ".join(LEGACY_DOC_FLAGS) if legacy else "--no-document"
        fix = Fix("Install gems without documentation", (insert_after(install, f" {flags}"),), Safety.SAFE)
        gems = tuple(w.text for w in program_args(cmd, GEM_VALUE_OPTIONS)[1:] if not w.dynamic)
        return ctx.finding(
            self,
            ins,
            cmd.span,
            f"`{cmd.program} install` writes ri/rdoc documentation into this layer; add {flags}",
            fix=fix,
            hint=SizeHint(hints.GEM_DOCS, {"gems": gems, "base_image": base}, (cache_claim(hints.GEM_DOCS, ins),)),
        )

    def _bundle_finding(self, ctx: Context, ins, script, env, home, base, before) -> Finding | None:
        installs = [(i, c) for i, c in enumerate(script.commands) if BUNDLER.writes(c)]
        if not installs:
            return None
        i, cmd = installs[-1]
        if BUNDLER.disabled(cmd, env):
            return None  # the author already chose what to cache (and --local downloads nothing)
        if any(removes_gem_cache(c, home) for c in script.commands[i + 1 :]):
            return None
        custom_path = (
            any(env.get(k) for k in ("BUNDLE_PATH", "BUNDLE_DEPLOYMENT", "BUNDLE_SYSTEM"))
            or cmd.has_option("--path", "--deployment", "--system", "--standalone")
            or any(_bundle_config(c) for b in before for s in ctx.scripts(b) for c in s.commands)
            or any(_bundle_config(c) for c in script.commands[:i])
        )
        gem_home = env.get(BUNDLER.env, "")
        if not gem_home and _image_name(base) == "ruby":
            gem_home = OFFICIAL_GEM_HOME
        mounts = ctx.cache_mounts(ins)
        watched = [p for p in (gem_home, env.get("BUNDLE_PATH", "")) if p.startswith("/")]
        if any(mount_overlaps(mounts, f"{p}/cache") or mount_overlaps(mounts, p) for p in watched):
            return None
        fix = None
        if gem_home.startswith("/") and "$" not in gem_home and not custom_path and cmd.depth == 0:
            edit = append_command(ctx.df, ins, script, f"rm -rf {gem_home.rstrip('/')}/cache")
            if edit is not None:
                fix = Fix("Remove the downloaded gems in the same RUN", (edit,), Safety.SAFE)
        return ctx.finding(
            self,
            ins,
            installs[0][1].span,
            "`bundle install` leaves the downloaded .gem files in this layer; remove the gem cache",
            fix=fix,
            hint=SizeHint(BUNDLER.kind, {"base_image": base}, (cache_claim(BUNDLER.kind, ins),)),
        )


def _runs_gem_or_bundle(ctx: Context, ins) -> bool:
    """Whether a command of the RUN is gem or bundle itself (what ``gem_install`` and
    ``BUNDLER.writes`` ask first)."""
    return any(c.program in ("bundle", "bundler") or GEM.fullmatch(c.program) for s in ctx.scripts(ins) for c in s.commands)


def _legacy_dialect(ctx: Context, ins, before) -> bool:
    """The image's gem commands already use --no-ri/--no-rdoc (this RUN or an earlier one)."""
    runs = [ins] + [b for b in before if b.keyword == "RUN"]
    return any(
        gem_install(c) and c.has_option(*LEGACY_DOC_FLAGS)
        for r in runs
        for s in ctx.scripts(r)
        for c in s.commands
    )


def _bundle_config(cmd: Command) -> bool:
    """``bundle config [set] [--local] path|deployment ...``: gems go elsewhere."""
    if cmd.program not in ("bundle", "bundler"):
        return False
    pos = [w.text for w in cmd.positionals()]
    return pos[:1] == ["config"] and any(p in ("path", "deployment", "system", "BUNDLE_PATH") for p in pos[1:3])
