from __future__ import annotations

from typing import Iterator

from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command, ShellScript, Word
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import (
    BY_KEY,
    PIP_NO_CACHE_FLAG,
    disables_pip_cache,
    in_home,
    may_run_pip,
    pip_install,
    pip_positionals,
)
from bot.rules.edits import insert_after
from bot.rules.facts import (
    PIP_NAME,
    PYTHON_NAME,
    assigned,
    cache_claim,
    mount_overlaps,
    normalise_home,
    option_value,
    removes,
    unwrap,
)

PIP = BY_KEY["pip"]
# bases whose distro pip is older than 6.0 (no --no-cache-dir, and no wheel cache to leave):
# Ubuntu 12.04/14.04 ship pip 1.x, Debian 7/8 pip 1.1/1.5
ANCIENT_PIP_BASES = frozenset((
    "ubuntu:12.04", "ubuntu:precise", "ubuntu:14.04", "ubuntu:trusty",
    "debian:7", "debian:wheezy", "debian:8", "debian:jessie",
))


def ancient_pip(base_image: str) -> bool:
    name = base_image.removeprefix("docker.io/").removeprefix("library/")
    repo, _, tag = name.partition(":")
    return f"{repo}:{tag.split('-')[0]}" in ANCIENT_PIP_BASES


def _words_after(args: list[Word], names: tuple[str, ...]) -> list[str]:
    out = []
    for i, a in enumerate(args):
        for n in names:
            if a.text == n and i + 1 < len(args) and not args[i + 1].dynamic:
                out.append(args[i + 1].text)
            elif n.startswith("--") and a.text.startswith(n + "=") and not a.dynamic:
                out.append(a.text[len(n) + 1 :])
            elif not n.startswith("--") and a.text.startswith(n) and len(a.text) > len(n) and not a.dynamic:
                out.append(a.text[len(n) :])
    return out


def _configures_no_cache(ctx: Context, ins: Instruction) -> bool:
    """``pip config set global.no-cache-dir ...`` run in an earlier RUN (any value: the
    config file entry behaves like the environment variable)."""
    if ins.keyword != "RUN":
        return False
    for s in ctx.scripts(ins):
        for c in map(unwrap, s.commands):
            if (PIP_NAME.fullmatch(c.program) or PYTHON_NAME.fullmatch(c.program)) and any(
                a.text.endswith(".no-cache-dir") for a in c.args
            ):
                if any(a.text == "config" for a in c.args) and any(a.text == "set" for a in c.args):
                    return True
    return False


def _configures(ctx: Context, run: Instruction, kept: dict[int, bool]) -> bool:
    """``_configures_no_cache`` of a RUN, found once per file (``kept``): each pip RUN asks it of
    every RUN before it (only those: a later RUN or another stage's is never read)."""
    found = kept.get(run.index)
    if found is None:
        found = kept[run.index] = _configures_no_cache(ctx, run)
    return found


class PipCacheInLayer(Rule):
    id = "DT105"
    name = "pip-cache-in-layer"
    severity = Severity.WARNING
    summary = "`pip install` keeps its download and wheel cache in the layer"
    hadolint = ("DL3042",)
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds `pip install` (also `pip3`, `pip3.12`, `/opt/venv/bin/pip`, `python -m pip`)
without `--no-cache-dir` (or an abbreviation pip accepts, such as `--no-cache`) in a
stage that ends up in the final image, when nothing else keeps the cache out of the
layer. Not reported on bases whose distro pip predates 6.0 (Ubuntu 12.04/14.04, Debian
7/8) unless pip was upgraded first: pip 1.x keeps no wheel cache and rejects the flag.
Nor for `pip install --no-index` (ready wheels from a local directory: nothing is
downloaded or built, so nothing is cached).

## Why is this bad?
pip keeps every downloaded file and every wheel it builds in `~/.cache/pip`
(`/root/.cache/pip` as root). In an image that cache is dead weight, often as large as
the installed packages themselves (hundreds of MB for torch or tensorflow).

## Example
```dockerfile
FROM python:3.12-slim
RUN pip install -r requirements.txt
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN pip install --no-cache-dir -r requirements.txt
```

## Fix safety
Safe: `--no-cache-dir` changes where pip keeps downloads, not what it installs.

Not reported when `PIP_NO_CACHE_DIR` is set (by `ENV`, `ARG`, or on the command line)
to any non-empty value: pip then disables the cache, even for `0` or `false` (a
backwards-compatibility quirk pip documents; hadolint only accepts true-looking
values). Also not reported when an earlier `RUN` ran `pip config set
global.no-cache-dir ...`, when a BuildKit cache mount covers the cache directory (or
`PIP_CACHE_DIR`), when the same `RUN` later removes it (`rm -rf ~/.cache/pip`,
`pip cache purge`), or in stages that do not reach the final image.
`uv pip install`, `pipx` and `pipenv` use their own caches and are not pip.

## Size impact
The downloaded archives and built wheels of the installed packages.
"""
    examples = (
        Invalid(
            "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n",
            fixed="FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\n",
            at="2:5-2:36",
        ),
        Invalid(
            "FROM python:3.12\nRUN python3 -m pip install --upgrade pip \\\n    && /opt/venv/bin/pip install flask\n",
            fixed="FROM python:3.12\nRUN python3 -m pip install --no-cache-dir --upgrade pip \\\n"
            "    && /opt/venv/bin/pip install --no-cache-dir flask\n",
            note="hadolint misses pip called by path",
        ),
        Invalid(
            "FROM python:3.12\nENV PIP_NO_CACHE_DIR=\nRUN pip3.12 install numpy\n",
            fixed="FROM python:3.12\nENV PIP_NO_CACHE_DIR=\nRUN pip3.12 install --no-cache-dir numpy\n",
            note="an empty PIP_NO_CACHE_DIR leaves the cache on",
        ),
        Invalid(
            "FROM python:3.12\nRUN pip install flask && rm -rf /root/.cache/pip/http\n",
            fixed="FROM python:3.12\nRUN pip install --no-cache-dir flask && rm -rf /root/.cache/pip/http\n",
            note="removing only the http cache keeps the built wheels",
        ),
        Valid("FROM python:3.12\nRUN pip install --no-cache-dir flask\n"),
        Valid("FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n"),
        Valid(
            "FROM python:3.12\nENV PIP_NO_CACHE_DIR=off\nRUN pip install flask\n",
            note="pip disables the cache for any valid value, false ones included (hadolint reports this)",
        ),
        Valid("FROM python:3.12\nRUN pip install flask && rm -rf ~/.cache/pip\n"),
        Valid(
            "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
            note="the cache lives in a BuildKit cache mount",
        ),
        Valid("FROM python:3.12\nRUN uv pip install --system flask\n", note="uv keeps its own cache"),
        Valid("FROM python:3.12\nRUN pip download -d /wheels flask\n"),
        Valid(
            "FROM python:3.12 AS build\nRUN pip wheel -w /wheels -r requirements.txt && pip install flask\n"
            "FROM python:3.12-slim\nCOPY --from=build /wheels /wheels\n",
            note="a builder stage: its layers do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        configures: dict[int, bool] = {}  # RUN index -> _configures_no_cache, asked of the RUNs before a pip RUN
        for ins in ctx.runs(final_only=True):
            if not any(may_run_pip(c) for s in ctx.scripts(ins) for c in s.commands):
                continue  # no pip here (most RUNs): _check_script would find nothing
            env = ctx.env(ins)
            if disables_pip_cache(env.get("PIP_NO_CACHE_DIR")):
                continue
            if any(o.keyword == "RUN" and _configures(ctx, o, configures) for o in ctx.before(ins)):
                continue
            if ancient_pip(ctx.base_image(ctx.stage(ins))) and not _pip_upgraded(ctx, ins):
                continue  # pip 1.x: no cache to leave, and --no-cache-dir is an error
            home = ctx.home(ins)
            mounts = ctx.cache_mounts(ins)
            for script in ctx.scripts(ins):
                finding = self._check_script(ctx, ins, script, env, home, mounts)
                if finding is not None:
                    yield finding

    def _cache_dir(self, cmd: Command, env: dict[str, str], home: str) -> str | None:
        """Where this pip keeps its cache; None when it cannot be told."""
        local = assigned(cmd)
        flag = option_value(cmd, "--cache-dir")
        if flag is not None:
            return None if flag.dynamic else normalise_home(flag.text, home)
        configured = local.get(PIP.env) or env.get(PIP.env)
        if configured:
            return normalise_home(configured, home)
        xdg = local.get("XDG_CACHE_HOME") or env.get("XDG_CACHE_HOME")
        if xdg:
            return normalise_home(xdg, home).rstrip("/") + "/pip"
        return in_home(PIP.defaults[0], home)

    def _check_script(self, ctx, ins, script: ShellScript, env, home, mounts) -> Finding | None:
        leaking: list[tuple[int, Command, Word, list[Word]]] = []
        for i, outer in enumerate(script.commands):
            found = pip_install(outer)
            if found is None:
                continue
            cmd, install, rest = found
            if PIP.disabled(cmd, env) or _exported_no_cache(script):
                continue
            if any(a.text == "--no-index" for a in rest):
                continue  # local wheels only: nothing downloaded, nothing built to cache
            cache = self._cache_dir(cmd, env, home)
            if cache is None or not cache.startswith("/"):
                continue  # a cache directory we cannot place: do less
            if mount_overlaps(mounts, cache):
                continue
            later = [unwrap(c) for c in script.commands[i + 1 :]]
            if any(removes(c, cache, home) for c in later):  # not just ~/.cache/pip/http: it keeps the wheels
                continue
            if any(PIP.cleans(c) for c in later):
                continue
            leaking.append((i, cmd, install, rest))
        if not leaking:
            return None
        fix = None
        if script.ok:
            edits = tuple(insert_after(install, f" {PIP_NO_CACHE_FLAG}") for _, _, install, _ in leaking)
            fix = Fix("Add --no-cache-dir to pip install", edits, Safety.SAFE)
        first = script.commands[leaking[0][0]]
        packages = tuple(p for _, _, _, rest in leaking for p in pip_positionals(rest))
        requirements = tuple(r for _, _, _, rest in leaking for r in _words_after(rest, ("-r", "--requirement")))
        return ctx.finding(
            self,
            ins,
            first.span,
            f"`pip install` without `{PIP_NO_CACHE_FLAG}` keeps the pip cache in this layer",
            fix=fix,
            hint=SizeHint(
                PIP.kind,
                {"packages": packages, "requirements": requirements, "base_image": ctx.base_image(ctx.stage(ins))},
                (cache_claim(PIP.kind, ins),),
            ),
        )


def _exported_no_cache(script: ShellScript) -> bool:
    """``PIP_NO_CACHE_DIR=1`` set anywhere in the script, e.g. by ``export`` (declarations
    are not commands in the parsed script, so look at its text; hadolint does the same)."""
    text = script.logical.text
    at = text.find("PIP_NO_CACHE_DIR=")
    while at >= 0:
        value = text[at + len("PIP_NO_CACHE_DIR=") :].split(None, 1)
        if value and disables_pip_cache(value[0].rstrip(";&|")):
            return True
        at = text.find("PIP_NO_CACHE_DIR=", at + 1)
    return False


def _pip_upgraded(ctx: Context, ins: Instruction) -> bool:
    """pip replaced by a current one earlier (``get-pip.py``, ``pip install -U pip``)."""
    for other in (*reversed(ctx.before(ins)), ins):
        for script in ctx.scripts(other):
            for c in script.commands:
                found = pip_install(c)
                if found is not None and any(w.text.split("=")[0].split("<")[0] == "pip" for w in found[2]):
                    return True
                if any("get-pip" in w.text for w in c.args):
                    return True
    return False
