"""Dependency manifests a RUN installs from, read from the build context.

``pip install -r requirements.txt`` and ``npm ci`` name no packages: the names are in
a file the Dockerfile COPYs in. Follow the COPY that put the file at that path back to
the build context (local tree or the action's git tree) and read the names there.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Callable

from bot.model.dockerfile import Dockerfile, Instruction
from bot.rules.base import Context
from bot.rules.facts import LazyPattern, copy_args, join_path, workdir_at

Reader = Callable[[str], "str | None"]


def run_of(df: Dockerfile, span) -> Instruction | None:
    for ins in df.all_instructions():
        if ins.keyword == "RUN" and ins.span.contains(span):
            return ins
    return None


def context_path(ctx: Context, run: Instruction, path: str) -> str | None:
    """The build-context file a COPY put at ``path`` (relative to the RUN's WORKDIR)."""
    before = ctx.before(run)
    cwd = workdir_at(ctx.df, before)
    if not cwd:
        return None
    target = join_path(cwd, path)
    for ins in before:  # nearest first: the last COPY to the path wins
        args = copy_args(ctx.df, ins) if ins.keyword in ("COPY", "ADD") else None
        if args is None or args.heredoc or ins.flag("from") is not None:
            continue
        dest = join_path(workdir_at(ctx.df, ctx.before(ins)) or "/", args.dest)
        for src in args.sources:
            name = posixpath.basename(src.rstrip("/"))
            # into a directory (written with a slash, or one that exists, such as ".")
            if join_path(dest, name) == target or (dest == target and not args.dest.endswith("/")):
                return src
            if src in (".", "./") and target.startswith(dest.rstrip("/") + "/"):
                return target[len(dest.rstrip("/")) + 1 :]
    return None


def py_name(req: str) -> str:
    """A requirement's project name, normalised: ``Foo_Bar[x]>=1`` -> ``foo-bar``."""
    return re.split(r"[\s\[<>=!~;@]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def requirement_names(text: str, read: Reader, here: str = "", depth: int = 0) -> tuple[list[str], list[str]]:
    """(package names, unreadable includes) of a requirements file, ``-r`` followed."""
    names: list[str] = []
    missing: list[str] = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ", "-c ", "--constraint ")):
            if line.startswith(("-c", "--constraint")):
                continue
            inc = posixpath.normpath(posixpath.join(here, line.split(None, 1)[1].strip()))
            sub = read(inc) if depth < 5 else None
            if sub is None:
                missing.append(inc)
                continue
            more, miss = requirement_names(sub, read, posixpath.dirname(inc), depth + 1)
            names += more
            missing += miss
        elif not line.startswith("-") and "://" not in line and not line.startswith((".", "/")):
            name = py_name(line)
            if name:
                names.append(name)
    return names, missing


def pip_requirements(ctx: Context, run: Instruction, files: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Names from the requirement files (context paths read), and files not found."""
    names, missing = [], []
    bc = ctx.build_context
    for f in files:
        src = context_path(ctx, run, f) if bc is not None else None
        text = bc.text(src) if bc is not None and src is not None else None
        if text is None:
            missing.append(f)
            continue
        more, miss = requirement_names(text, bc.text, posixpath.dirname(src))  # type: ignore[union-attr, arg-type]
        names += more
        missing += miss
    return names, missing


def _lock_v1(deps: dict, out: set[str]) -> None:
    for name, entry in deps.items():
        if isinstance(entry, dict):
            out.add(f"{name}@{entry['version']}" if isinstance(entry.get("version"), str) else name)
            _lock_v1(entry.get("dependencies") or {}, out)


def npm_packages(ctx: Context, run: Instruction) -> tuple[list[str], str]:
    """Every package the lockfile names (``name@version``), else package.json's
    dependencies (names), and which file."""
    bc = ctx.build_context
    if bc is None:
        return [], ""
    for manifest in ("package-lock.json", "package.json"):
        src = context_path(ctx, run, manifest)
        text = bc.text(src) if src is not None else None
        if text is None:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        if manifest == "package-lock.json":
            found: set[str] = set()
            for key, entry in (data.get("packages") or {}).items():
                if key and isinstance(entry, dict) and not entry.get("link"):
                    name = entry.get("name") or key.rsplit("node_modules/", 1)[-1]
                    found.add(f"{name}@{entry['version']}" if isinstance(entry.get("version"), str) else name)
            if not found:
                _lock_v1(data.get("dependencies") or {}, found)
            names = sorted(found)
        else:
            names = sorted({**(data.get("dependencies") or {}), **(data.get("devDependencies") or {})})
        if names:
            return names, manifest
    return [], ""


_PNPM_KEY = LazyPattern(r"^  (['\"]?)(/?[^\s'\"]+?)\1:\s*$")


def pnpm_lock_packages(text: str) -> list[str]:
    """``name@version`` of every package a pnpm-lock.yaml's ``packages:`` section names
    (lockfile v5: ``/name/1.0.0``, v6: ``/name@1.0.0(peer@2)``, v9: ``name@1.0.0``); peer
    suffixes dropped, local links and git or tarball URLs left out."""
    v5 = re.search(r"^lockfileVersion:\s*['\"]?5", text, re.M) is not None
    found: set[str] = set()
    section = ""
    for line in text.splitlines():
        if line and not line[0].isspace():
            section = line.split(":", 1)[0].strip()
            continue
        m = _PNPM_KEY.match(line) if section == "packages" else None
        if m is None:
            continue
        key = m.group(2).lstrip("/")
        if v5:
            key = key.split("_", 1)[0]
            name, _, version = key.rpartition("/")
        else:
            key = key.split("(", 1)[0]
            head, _, version = key[1:].rpartition("@")
            name = key[0] + head if head else ""
        if name and version and re.match(r"^[0-9][0-9A-Za-z.+-]*$", version):
            found.add(f"{name}@{version}")
    return sorted(found)


def pnpm_packages(ctx: Context, run: Instruction) -> list[str]:
    """The packages of the pnpm-lock.yaml the RUN installs from, when the build context has it."""
    bc = ctx.build_context
    src = context_path(ctx, run, "pnpm-lock.yaml") if bc is not None else None
    text = bc.text(src) if bc is not None and src is not None else None
    return pnpm_lock_packages(text) if text else []


__all__ = ["npm_packages", "pip_requirements", "pnpm_lock_packages", "pnpm_packages", "requirement_names", "run_of"]
