from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.images import parse_image
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.context_files import final_copies, proposal, size_text, tagged as tagged_files
from bot.rules.facts import LazyPattern

MIN_BYTES = 100 * 1024
MIN_WEB_BYTES = 1_000_000
# Files no running program reads: source maps, static libraries, split debug symbols.
UNNEEDED = (("source maps", "**/*.map"), ("static libraries", "**/*.a"), ("debug symbols", "**/*.debug"),
            ("debug symbols", "**/*.pdb"), ("debug symbols", "**/*.dSYM"))  # fmt: skip
WEB_SERVERS = frozenset(("nginx", "httpd", "caddy", "nginxinc/nginx-unprivileged", "bitnami/nginx"))
COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".svg", ".json", ".wasm", ".txt", ".xml")
BIG = 150_000  # examples: a file's size


def _hit(pattern: str, path: str) -> bool:
    """Whether ``path`` holds a file or folder ``pattern`` (``**/*<suffix>``, a suffix with no
    wildcard) names: fnmatch's answer, without compiling a regular expression per suffix."""
    suffix = pattern[4:]
    return any(part.endswith(suffix) for part in path.split("/"))


# a part of a path ending with one of the UNNEEDED suffixes: most paths have none and are let go at one search
_ANY_UNNEEDED = LazyPattern(r"\.(?:map|a|debug|pdb|dSYM)(?:/|$)")
_NONE: frozenset[str] = frozenset()


@lru_cache(maxsize=65536)  # a context's paths are classified once, not once per COPY
def _patterns_of(path: str) -> frozenset[str]:
    if not _ANY_UNNEEDED.search(path):
        return _NONE
    return frozenset(pattern for _, pattern in UNNEEDED if _hit(pattern, path))


class UnneededAssetsInCopy(Rule):
    id = "DT503"
    name = "unneeded-assets-in-copy"
    summary = "source maps, static libraries or debug symbols copied into the final image; web assets unshrunk"
    fix_safety = Safety.DISPLAY_ONLY
    severity = Severity.INFO
    explanation = f"""
## What it does
With the build context known, looks at the files each `COPY`/`ADD` of a stage that
reaches the final image sends (after `.dockerignore`) and reports:
- JavaScript/CSS source maps (`*.map`), static libraries (`*.a`) and split debug symbols
  (`*.debug`, `*.pdb`, `*.dSYM`) of at least {MIN_BYTES // 1024} kB: no running program reads them;
- on a web-server image (nginx, httpd, caddy), at least 1 MB of compressible assets
  (`.js`, `.css`, `.html`, `.svg`, `.json`, `.wasm`) with no `.gz`/`.br` copy beside
  them: the server compresses them on every request, or sends them uncompressed.

## Why is this bad?
Source maps are often as large as the code they map and reveal the original source;
static libraries and debug symbols are link-time and debugging inputs. They ship with
every pull. Assets compressed once at build time (`gzip -k`, `brotli`) with
`gzip_static on;` cost no CPU per request and go out smaller.

## Example
```dockerfile
FROM nginx:1.27-alpine
COPY dist /usr/share/nginx/html
```
(with `dist/app.js.map` of 150 kB in the context)

## Use instead
A `.dockerignore` with `**/*.map` (or a build that does not emit them for production),
and pre-compressed assets served with `gzip_static on;`.

## Fix safety
Display only: the proposed `.dockerignore` lines are shown, never written. Keep source
maps if an error tracker in the image reads them; pre-compressing adds files (the
image grows a little) and needs the server's static-compression setting.

## Size impact
The listed files' sizes in the build context. Pre-compression saves transfer, not image
bytes, so it carries no size estimate.
"""
    examples = (
        Invalid(
            "FROM nginx:1.27-alpine\nCOPY dist /usr/share/nginx/html\n",
            at="2:6-2:10",
            message="source maps (150.0 kB)",
            context={"dist/index.html": "<html></html>\n", "dist/app.js": "x", "dist/app.js.map": BIG},
        ),
        Invalid(
            "FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\n",
            message="no .gz",
            context={"site/index.html": "<html></html>\n", "site/app.js": 1_200_000},
        ),
        Valid("FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\n",
              context={"site/app.js": 1_200_000, "site/app.js.gz": 300_000},
              note="pre-compressed already"),
        Valid("FROM nginx:1.27-alpine\nCOPY dist /usr/share/nginx/html\n",
              context={"dist/app.js.map": BIG, ".dockerignore": "**/*.map\n"},
              note="excluded by .dockerignore"),
        Valid("FROM python:3.12-slim\nCOPY site /srv\n",
              context={"site/app.js": 1_200_000},
              note="not a web-server image: how it serves them is the app's business"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        final = ctx.df.final_stage
        ref = parse_image(ctx.base_image(final)) if final is not None else None
        web = ref is not None and ref.name in WEB_SERVERS
        # not a web server: only the COPYs of a context with an UNNEEDED file (few) can be reported
        for copied in final_copies(ctx, broad_only=False, any_tagged=None if web else _patterns_of):
            ins, args = copied.ins, copied.args
            span = ctx.df.logical_span(ins.body, args.source_offsets[0][0], args.source_offsets[-1][1])
            found: dict[str, list] = {}
            tagged = tagged_files(ctx, copied, _patterns_of)
            for label, pattern in UNNEEDED:
                hits = {p: n for p, n, patterns in tagged if pattern in patterns}
                if hits:
                    entry = found.setdefault(label, [0, []])
                    entry[0] += sum(hits.values())
                    entry[1].append(pattern)
            total = sum(v[0] for v in found.values())
            if total >= MIN_BYTES:
                shown = ", ".join(f"{label} ({size_text(v[0])})" for label, v in sorted(found.items(), key=lambda kv: -kv[1][0]))
                lines = [p for v in found.values() for p in v[1]]
                yield ctx.finding(
                    self, ins, span, f"`{ins.keyword}` ships {shown}; no program reads them"[:100],
                    fix=Fix(f"Exclude them in {copied.ignore_path}", (), Safety.DISPLAY_ONLY,
                            proposal=proposal(copied.ignore_text, lines)),
                    hint=SizeHint(hints.BUILD_CONTEXT, {"missing": tuple(lines), "bytes": total,
                                                        "ignore_file": copied.ignore_path}),
                )  # fmt: skip
            if web:
                plain = {p: n for p, n in copied.files.items() if p.endswith(COMPRESSIBLE)
                         and p + ".gz" not in copied.files and p + ".br" not in copied.files}  # fmt: skip
                size = sum(plain.values())
                if size >= MIN_WEB_BYTES:
                    yield ctx.finding(
                        self, ins, span,
                        f"{size_text(size)} of web assets with no .gz/.br copy: pre-compress them at build time",
                    )
