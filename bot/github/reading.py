"""Read everything a run needs from a PR's commits in as few requests as GitHub allows.

One batched GraphQL query answers the configuration files at the base branch's tip, every
chosen Dockerfile at the head and at the merge base, and the head directory listings that
say which of those Dockerfiles are symlinks or submodules (a Blob alone does not tell).
When GraphQL is unavailable the REST fallback costs one tree listing of the base tip (the
configuration probe), the head's recursive tree (shared with the build context), one blob
per head Dockerfile, and a read of the merge-base version only where the PR's patch cannot
be reversed onto the head text. In requests per run, with N Dockerfiles:
GraphQL path 8 (+1 when a rule asks for the build context), REST fallback N + 10.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Sequence

from bot.github.diff import reverse_patch
from bot.github.records import FileText, PullFile, PullInfo

SKIP_REASONS = {
    "symlink": "a symbolic link (mode 120000); its target is reviewed where it changes",
    "submodule": "a git submodule (mode 160000), not a file of this repository",
    "binary": "a binary file",
    "missing": "not found at the head commit",
}


@dataclass(frozen=True, slots=True)
class PullTexts:
    head: dict[str, FileText]  # by head path
    base: dict[str, FileText]  # by head path; no key: the file is new in the PR
    config: dict[str, str | None] = field(default_factory=dict)  # path -> text, None when absent
    config_problems: dict[str, str] = field(default_factory=dict)
    fallback: str = ""  # why GraphQL was not used ("" when it was)


def base_path(f: PullFile) -> str | None:
    """Where a changed file lived at the merge base (renames: the old path)."""
    if f.status in ("added", "copied", "removed"):
        return None
    return f.previous_filename or f.filename


def skip_reason(read: FileText) -> str:
    return SKIP_REASONS.get(read.kind) or read.note or read.kind


def read_pull(client, pull: PullInfo, chosen: Sequence[PullFile], config_paths: Sequence[str],
              merge_base: str, tree=None) -> PullTexts:
    """``tree``: the head's RepoTree (the build context), reused by the REST fallback."""
    from bot.github.client import ApiError, RateLimited

    live = [f for f in chosen if f.status != "removed"]
    files = [(pull.base_sha, p) for p in config_paths]
    files += [(pull.head_sha, f.filename) for f in live]
    files += [(merge_base, p) for f in live if (p := base_path(f))]
    dirs = sorted({(pull.head_sha, posixpath.dirname(f.filename)) for f in live})
    try:
        texts, listings = client.read_graphql(files, dirs)
    except RateLimited:
        raise
    except ApiError as exc:
        return _read_rest(client, pull, live, config_paths, merge_base, tree,
                          f"GraphQL unavailable ({exc.status or 'no response'} {exc.message})")

    def kind_of(path: str) -> str | None:
        listing = listings.get((pull.head_sha, posixpath.dirname(path)))
        return None if listing is None else listing.get(posixpath.basename(path))

    head: dict[str, FileText] = {}
    base: dict[str, FileText] = {}
    for f in live:
        read = texts.get((pull.head_sha, f.filename), FileText("missing"))
        kind = kind_of(f.filename)
        if kind in ("symlink", "submodule"):
            read = FileText(kind)
        elif read.kind == "missing" and kind == "submodule":
            read = FileText("submodule")
        elif read.kind == "unread":
            read = _head_rest(client, pull, f)
        head[f.filename] = read
        old = base_path(f)
        if old is not None:
            b = texts.get((merge_base, old), FileText("missing"))
            base[f.filename] = _guarded(lambda: client.text_at(old, merge_base)) if b.kind == "unread" else b
    config, problems = config_texts({p: texts.get((pull.base_sha, p), FileText("missing")) for p in config_paths})
    return PullTexts(head, base, config, problems)


def _read_rest(client, pull: PullInfo, live: Sequence[PullFile], config_paths: Sequence[str],
               merge_base: str, tree, why: str) -> PullTexts:
    from bot.github.context import RepoTree

    # configuration: one listing of the base tip says which candidates exist
    listing = client.tree(pull.base_sha, recursive=any("/" in p for p in config_paths)) if config_paths else None
    config_reads: dict[str, FileText] = {}
    for path in config_paths:
        if listing is not None and path in listing.special:
            config_reads[path] = FileText("unreadable", note=f"a {listing.special[path]}, not a file")
        elif listing is not None and path in listing.blobs:
            config_reads[path] = client.blob(listing.blobs[path][1])
        elif listing is None or listing.truncated:
            config_reads[path] = client.text_at(path, pull.base_sha)
        else:
            config_reads[path] = FileText("missing")
    tree = tree if tree is not None else RepoTree(client, pull.head_sha)
    special = tree.special()
    head: dict[str, FileText] = {}
    base: dict[str, FileText] = {}
    for f in live:
        kind = (special or {}).get(f.filename)
        head[f.filename] = FileText(kind) if kind is not None else _head_rest(client, pull, f)
        old = base_path(f)
        if old is None:
            continue
        read = head[f.filename]
        text = reverse_patch(read.text, f.patch) if read.ok and not read.bom else None
        base[f.filename] = FileText("file", text) if text is not None else \
            _guarded(lambda: client.text_at(old, merge_base))
    config, problems = config_texts(config_reads)
    return PullTexts(head, base, config, problems, why)


def _head_rest(client, pull: PullInfo, f: PullFile) -> FileText:
    return _guarded(lambda: client.blob(f.sha) if f.sha else client.text_at(f.filename, pull.head_sha))


def _guarded(read) -> FileText:
    """One file GitHub refuses (403, 404) is skipped with the reason; the rest carry on."""
    from bot.github.client import ApiError

    try:
        return read()
    except ApiError as exc:
        if exc.status in (403, 404):
            return FileText("unreadable", note=f"GitHub answered {exc.status}: {exc.message}")
        raise


def config_texts(reads: dict[str, FileText]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Configuration candidates as ``settings.config_from`` takes them: texts (None when
    absent) and the files that exist but cannot be read."""
    texts: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    for path, read in reads.items():
        if read.ok:
            texts[path] = read.text
        elif read.kind == "missing":
            texts[path] = None
        else:
            problems[path] = skip_reason(read)
    return texts, problems
