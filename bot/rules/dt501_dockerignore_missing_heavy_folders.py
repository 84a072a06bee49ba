from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.dockerignore import ignore_file, is_excluded, parse
from bot.rules.facts import PIP, copy_args

BROAD = frozenset((".", "./", "*", "./*", "/", "**"))
# folder -> (pattern to propose, condition name); conditions are checked in _needed
HEAVY = (
    (".git", ".git", "git"),
    ("node_modules", "**/node_modules", "node"),
    (".venv", "**/.venv", "python"),
    ("venv", "**/venv", "python"),
    ("__pycache__", "**/__pycache__", "always"),
    (".tox", ".tox", "always"),
    (".pytest_cache", "**/.pytest_cache", "always"),
    ("target", "target", "jvm-rust"),
    ("dist", "dist", "rebuilt"),
    ("build", "build", "rebuilt"),
)
REPO_MARKERS = (".git", ".gitignore", ".gitattributes", ".github")
NODE_INSTALL = frozenset(("npm", "yarn", "pnpm", "bun"))


class DockerignoreMissingHeavyFolders(Rule):
    id = "DT501"
    name = "dockerignore-missing-heavy-folders"
    severity = Severity.WARNING
    summary = "broad `COPY .` while the build context's `.dockerignore` lets `.git`, `node_modules`, ... in"
    fix_safety = Safety.DISPLAY_ONLY
    explanation = """
## What it does
Finds a broad `COPY`/`ADD` (`.`, `./`, `*`) in a stage that reaches the final image
when the build context holds folders that do not belong in an image and no
`.dockerignore` excludes them: `.git` (when the context is a repository root),
`node_modules` and `.venv`/`venv` (when the Dockerfile installs dependencies itself),
`__pycache__`, `.tox`, `target/` (when the Dockerfile runs cargo, Maven or Gradle) and
`dist/`/`build/` (when the Dockerfile rebuilds them and `.gitignore` lists them).
BuildKit's `<Dockerfile>.dockerignore` next to the Dockerfile is honoured before
`.dockerignore`, with Go pattern semantics (`**`, `!` exceptions, last match wins).

## Why is this bad?
Everything the context holds is sent to the builder and copied into the layer:
the repository history, dependencies built for the host, caches. The image grows,
the build is slower, and any change in those folders (every commit changes `.git`)
invalidates the layer cache of the `COPY` and of everything after it.

## Example
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
```
with a context holding `.git/` and `node_modules/` and no `.dockerignore`.

## Use instead
A `.dockerignore` next to the Dockerfile:
```
.git
**/node_modules
```

## Fix safety
Display only: the comment proposes the `.dockerignore` (the existing one plus the
missing lines). Folders the Dockerfile names in a `COPY` source are never proposed,
nor `.git` when a `RUN` uses git (version stamping, setuptools-scm).

## Size impact
The bytes of the context files under the missing folders, where the context is known.
Without a build context (reading a Dockerfile alone) the rule is silent.
"""
    examples = (
        Invalid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"index.js\"]\n",
            context={"package.json": "{}", "index.js": "x", ".gitignore": "node_modules\n",
                     "node_modules/a/index.js": "x" * 100, ".git/HEAD": "ref: refs/heads/main\n"},
            at="3:6-3:7",
            message="node_modules",
        ),
        Invalid(
            "FROM python:3.12-slim\nCOPY . /app\nRUN pip install --no-cache-dir -r /app/requirements.txt\n",
            context={".dockerignore": "*.pyc\n", "requirements.txt": "flask\n", "app.py": "x",
                     "pkg/__pycache__/app.cpython-312.pyc": "x" * 50},
            message="__pycache__",
            note="an existing .dockerignore that misses a folder",
        ),
        Invalid(
            "FROM node:20-slim\nCOPY . .\nRUN npm ci\n",
            context={"package.json": "{}", "Dockerfile.dockerignore": "dist\n", ".dockerignore": "node_modules\n",
                     "node_modules/x.js": "x"},
            note="BuildKit reads Dockerfile.dockerignore first: the .dockerignore next to it is ignored",
        ),
        Valid(
            "FROM node:20-slim\nCOPY . .\nRUN npm ci\n",
            context={"package.json": "{}", ".dockerignore": ".git\nnode_modules\n", ".git/HEAD": "x",
                     "node_modules/x.js": "x"},
        ),
        Valid(
            "FROM node:20-slim\nCOPY . .\nRUN npm ci\n",
            context={"package.json": "{}", ".dockerignore": "*\n!src\n!package*.json\n", "node_modules/x.js": "x",
                     ".git/HEAD": "x"},
            note="an allow-list .dockerignore: `*` excludes everything else",
        ),
        Valid(
            "FROM node:20-slim\nCOPY . .\nCMD [\"node\", \"index.js\"]\n",
            context={"package.json": "{}", "index.js": "x", "node_modules/x.js": "x"},
            note="no install in the Dockerfile: the image needs the node_modules it copies",
        ),
        Valid("FROM python:3.12-slim\nCOPY . /app\n", note="no build context known: silent"),
        Valid(
            "FROM python:3.12-slim\nCOPY app.py /app/\n",
            context={"app.py": "x", ".git/HEAD": "x"},
            note="not a broad COPY",
        ),
        Valid(
            "FROM node:20 AS build\nCOPY . .\nRUN npm ci && npm run build\n"
            "FROM nginx:1.27\nCOPY --from=build /dist /usr/share/nginx/html\n",
            context={"package.json": "{}", "node_modules/x.js": "x"},
            note="a builder stage: the copied files do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        bc = ctx.build_context
        if bc is None:
            return
        broad = None
        for ins in ctx.instructions("COPY", "ADD", final_only=True):
            args = copy_args(ctx.df, ins)
            if args is None or args.heredoc or ins.flag("from") or not args.source_offsets:
                continue
            hit = next((i for i, s in enumerate(args.sources) if s in BROAD), None)
            if hit is not None:
                broad = (ins, args, hit)
                break
        if broad is None or not bc.files:  # list the context only for a broad COPY
            return
        present = bc.derived(("heavy folders",), lambda: _present(bc))
        if not present:
            return  # (most contexts): no Dockerfile of this context has anything to report
        ins, args, hit = broad
        ignore_path, text = ignore_file(bc, ctx.path)
        patterns = parse(text or "")
        facts = _facts(ctx)
        missing: list[tuple[str, str, int]] = []  # (folder, pattern, bytes)
        for folder, pattern, condition, files in present:
            if not _needed(condition, folder, facts, bc):
                continue
            if folder in facts["copied_names"]:
                continue
            kept = {p: n for p, n in files.items() if not is_excluded(patterns, p)}
            if files and not kept:
                continue
            if folder == ".git" and not files and is_excluded(patterns, ".git/HEAD"):
                continue
            missing.append((folder, pattern, sum(kept.values())))
        if not missing:
            return
        names = [m[0] for m in missing]
        shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
        where = f"{ignore_path} does not exclude" if text is not None else "no .dockerignore excludes"
        existing = (text or "").rstrip("\n")
        proposal = (existing + "\n" if existing else "") + "\n".join(m[1] for m in missing) + "\n"
        return_span = ctx.df.logical_span(ins.body, *args.source_offsets[hit])
        yield ctx.finding(
            self,
            ins,
            return_span,
            f"`{ins.keyword} {args.sources[hit]}` sends {shown} into the image: {where} them",
            fix=Fix(f"Exclude them in {ignore_path}", (), Safety.DISPLAY_ONLY, proposal=proposal),
            hint=SizeHint(
                hints.BUILD_CONTEXT,
                {"missing": tuple(m[1] for m in missing), "context_dir": bc.root,
                 "bytes": sum(m[2] for m in missing), "ignore_file": ignore_path},
            ),
        )


def _present(bc) -> list[tuple[str, str, str, dict[str, int]]]:
    """The entries of HEAVY the context holds, with their files: a folder with files its
    pattern matches, or a repository's .git (its files may not be listed). What the
    Dockerfile says decides the rest; this is the context's alone, found once for it."""
    out = []
    for folder, pattern, condition in HEAVY:
        files = {p: n for p, n in bc.under(folder).items() if _top_or_any(pattern, p, folder)}
        if files or (folder == ".git" and any(bc.exists(m) or _has_dir(bc, m) for m in REPO_MARKERS)):
            out.append((folder, pattern, condition, files))
    return out


def _top_or_any(pattern: str, path: str, folder: str) -> bool:
    """Root-only patterns (``target``) concern the top-level folder only."""
    return pattern.startswith("**/") or path.split("/", 1)[0] == folder


def _has_dir(bc, name: str) -> bool:
    return any(p.startswith(name + "/") for p in bc.under(name))


def _facts(ctx: Context) -> dict:
    programs: set[str] = set()
    words: set[str] = set()
    for run in ctx.runs():
        for script in ctx.scripts(run):
            for c in script.commands:
                programs.add(c.program)
                words.update((c.program + " " + w.text) for w in c.args)
    copied = set()
    for ins in ctx.instructions("COPY", "ADD"):
        args = copy_args(ctx.df, ins)
        if args is not None and not ins.flag("from"):
            for s in args.sources:
                copied.update(part for part in s.split("/") if part not in (".", ""))
    return {"programs": programs, "words": words, "copied_names": copied}


def _needed(condition: str, folder: str, facts: dict, bc) -> bool:
    programs, words = facts["programs"], facts["words"]
    if condition == "always":
        return True
    if condition == "git":
        if "git" in programs:
            return False
        text = (bc.text("pyproject.toml") or "") + (bc.text("setup.py") or "") + (bc.text("setup.cfg") or "")
        return not any(k in text for k in ("setuptools_scm", "setuptools-scm", "hatch-vcs", "versioningit", "dunamai"))
    if condition == "node":
        return bool(programs & NODE_INSTALL) and any(
            w.split(" ", 1)[1] in ("install", "ci", "i", "add") for w in words if w.split(" ", 1)[0] in NODE_INSTALL
        ) or (bool(programs & {"yarn"}) and "yarn" in programs)
    if condition == "python":
        return bool(programs & (PIP | {"poetry", "uv", "pipenv", "pdm"})) or "python -m" in " ".join(words)
    if condition == "jvm-rust":
        return bool(programs & {"cargo", "mvn", "mvnw", "gradle", "gradlew", "sbt"})
    if condition == "rebuilt":
        if not any(w in words for w in ("npm run", "yarn build", "pnpm build", "npm build")) and not any(
            w.startswith(("npm run", "yarn run", "pnpm run")) for w in words
        ):
            return False
        gitignore = bc.text(".gitignore") if bc.exists(".gitignore") else None
        if gitignore is None:
            return False
        return is_excluded(parse(gitignore), folder + "/x")
    return False
