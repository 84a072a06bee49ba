import fnmatch
from functools import lru_cache
import re
from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Fix, Safety, SizeHint
from bot.model.records import Record, field
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.context_files import final_copies, proposal, size_text, tagged as tagged_files
from bot.rules.facts import LazyPattern, copy_args

# At least this much of them, or the finding is not worth a comment.
MIN_BYTES = 256 * 1024
BIG = 300_000  # examples: the size of a file big enough to report


class Kind(Record):
    __slots__ = ()
    _fields = ("label", "names", "needed_by")
    label = field(0, "str")
    names = field(1, 'tuple[str, ...]: top-level names, or "**/" + a name at any depth')
    needed_by = field(2, "tuple[str, ...]: words in a RUN/CMD that say the image uses them")

    def __new__(cls, label, names, needed_by):
        return tuple.__new__(cls, (label, names, needed_by))


# Venvs, caches, .git, node_modules and build outputs are DT501's.
KINDS = (
    Kind("tests", ("tests", "test", "spec", "**/__tests__"),
         ("test", "tests", "testing", "pytest", "tox", "nose", "nosetests", "jest", "rspec", "spec", "unittest")),
    Kind("docs", ("docs", "doc"), ("doc", "docs", "mkdocs", "sphinx", "pdoc", "javadoc")),
    Kind("examples", ("examples", "example", "samples"), ("example", "examples", "sample", "samples")),
    Kind("CI files", (".github", ".gitlab", ".gitlab-ci.yml", ".circleci", ".travis.yml", "Jenkinsfile",
                      "azure-pipelines.yml", ".drone.yml"), ()),  # fmt: skip
    Kind("editor and OS files", (".vscode", ".idea", "**/.DS_Store", "**/*.swp", "**/Thumbs.db"), ()),
)


# Which names of KINDS a path matches: a top-level name is its first part, a "**/" name any
# part (fnmatchcase). Every path of a context is classified, so its test is done for all names
# at once, the path split once: the top-level names as a set, and each "**/" name with
# fnmatchcase's own test of a part (a match of fnmatch.translate's pattern, compiled on first
# use), run over the parts without a Python call per part.
_NAMES = tuple(name for kind in KINDS for name in kind.names)
_TOP_NAMES = frozenset(name for name in _NAMES if not name.startswith("**/"))
_DEEP_NAMES = tuple((name, LazyPattern(fnmatch.translate(name[3:]))) for name in _NAMES if name.startswith("**/"))


@lru_cache(maxsize=65536)  # a context's paths are classified once, not once per COPY and kind
def _names_of(path: str) -> tuple[str, ...]:
    """The names of KINDS that ``path`` matches, in KINDS' order."""
    parts = path.split("/")
    found = {parts[0]} & _TOP_NAMES
    found.update(name for name, pattern in _DEEP_NAMES if any(map(pattern.match, parts)))
    return tuple(name for name in _NAMES if name in found) if found else ()


class BroadCopyBringsUnneededFiles(Rule):
    id = "DT502"
    name = "broad-copy-brings-unneeded-files"
    summary = "a broad COPY sends tests, docs, examples, CI or editor files into the final image"
    fix_safety = Safety.DISPLAY_ONLY
    explanation = f"""
## What it does
With the build context known (the local tree, or the repository tree in the action),
finds a `COPY .` / `ADD .` in a stage that reaches the final image that copies, after
`.dockerignore`, at least {MIN_BYTES // 1024} kB of files the running application does not read:
top-level `tests`/`test`/`spec` and any `__tests__`, `docs`/`doc`, `examples`/`samples`,
CI files (`.github`, `.gitlab-ci.yml`, `.circleci`, `Jenkinsfile`, ...) and editor or OS
litter (`.vscode`, `.idea`, `.DS_Store`, `*.swp`). The finding names the biggest with
their sizes. A kind stays out when the Dockerfile names it (a COPY of it, a RUN or CMD
that runs tests or builds docs). Virtual environments, caches, `.git`, `node_modules`
and build outputs are DT501's.

## Why is this bad?
Every byte copied ships with every pull, and a change to any of these files (a new test,
a CI tweak) invalidates the COPY layer and everything after it.

## Example
```dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["python", "app.py"]
```
(with a 2 MB `tests/` and a 1 MB `docs/` in the context)

## Use instead
A `.dockerignore` that leaves them out:
```
tests
docs
```
or a narrower COPY of what runs: `COPY src /app/src`.

## Fix safety
Display only: the proposed `.dockerignore` is shown in the comment, never written. Check
that nothing at run time reads the excluded folders (a docs server, tests run in the
container).

## Size impact
The listed files' sizes in the build context, after `.dockerignore`.
"""
    examples = (
        Invalid(
            "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n",
            at="3:6-3:7",
            message="tests (300.0 kB)",
            context={"app.py": "print(1)\n", "tests/test_app.py": BIG, ".github/workflows/ci.yml": "on: push\n"},
        ),
        Valid("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n",
              context={"app.py": "print(1)\n", "tests/test_app.py": BIG, ".dockerignore": "tests\n"},
              note="already excluded"),
        Valid("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pytest\nCMD [\"python\", \"app.py\"]\n",
              context={"app.py": "print(1)\n", "tests/test_app.py": BIG},
              note="the image runs the tests"),
        Valid("FROM python:3.12-slim\nWORKDIR /app\nCOPY app.py .\nCMD [\"python\", \"app.py\"]\n",
              context={"app.py": "print(1)\n", "tests/test_app.py": BIG},
              note="a narrow COPY"),
        Valid("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n",
              context={"app.py": "print(1)\n", "tests/test_app.py": "def test(): pass\n"},
              note="a few bytes of tests: not worth a comment"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        used: set[str] | None = None
        for copied in final_copies(ctx, broad_only=True):
            found: list[tuple[str, list[str], int]] = []
            tagged = tagged_files(ctx, copied, _names_of)
            if not tagged:
                continue
            if used is None:  # only a COPY that ships such files needs the words (a walk of every RUN)
                used = _used_words(ctx)
            for kind in KINDS:
                if any(w in used for w in kind.needed_by) or any(n in used for n in kind.names):
                    continue
                own = set(kind.names)
                hits = {p: n for p, n, names in tagged if own.intersection(names)}
                if hits:
                    names = sorted({name for p, _, names in tagged if p in hits for name in names if name in own})
                    found.append((kind.label, names, sum(hits.values())))
            total = sum(f[2] for f in found)
            if total < MIN_BYTES:
                continue
            found.sort(key=lambda f: -f[2])
            shown = ", ".join(f"{label} ({size_text(n)})" for label, _, n in found[:3])
            ins, args = copied.ins, copied.args
            hit = next(i for i, s in enumerate(args.sources) if s in (".", "./", "./.", "*", "./*"))
            span = ctx.df.logical_span(ins.body, *args.source_offsets[hit])
            lines = [name for _, names, _ in found for name in names]
            yield ctx.finding(
                self, ins, span, f"`{ins.keyword} {args.sources[hit]}` ships {shown}"[:100],
                fix=Fix(f"Exclude them in {copied.ignore_path}", (), Safety.DISPLAY_ONLY,
                        proposal=proposal(copied.ignore_text, lines)),
                hint=SizeHint(hints.BUILD_CONTEXT, {"missing": tuple(lines), "bytes": total,
                                                    "ignore_file": copied.ignore_path},
                              (f"context:{copied.ignore_path}:{','.join(lines)}",)),
            )  # fmt: skip
            return  # one broad COPY is enough: the same .dockerignore serves the others


def _used_words(ctx: Context) -> set[str]:
    """Words the Dockerfile itself uses: RUN programs and arguments, CMD/ENTRYPOINT
    words, and the path parts of COPY sources (split so "tests/" gives "test" too)."""
    out: set[str] = set()
    for ins in ctx.instructions():
        if ins.keyword == "RUN":
            for script in ctx.scripts(ins):
                for c in script.commands:
                    for w in [c.program] + [a.text for a in c.args]:
                        out.update(_pieces(w))
        elif ins.keyword in ("CMD", "ENTRYPOINT"):
            for w in ins.json_args or ins.body.text.split():
                out.update(_pieces(w))
        elif ins.keyword in ("COPY", "ADD"):
            args = copy_args(ctx.df, ins)
            for s in args.sources if args is not None else ():
                out.update(p for p in s.split("/") if p not in (".", ""))
    return out


def _pieces(word: str) -> set[str]:
    """``sphinx-build`` -> {sphinx, build}; ``tests/unit`` -> {tests, unit}."""
    return {p for p in re.split(r"[^a-z0-9]+", word.lower()) if p}
