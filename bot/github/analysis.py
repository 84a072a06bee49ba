"""Fetch a PR's Dockerfiles through the API and analyse head and base versions.

Nothing is checked out or executed: texts come from the API at the PR's head and base
commits and are only parsed. Base findings are computed under the HEAD path, so a
renamed file keeps its fingerprints (the engine's fingerprint includes the path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bot.github.diff import parse_file_patch
from bot.github.event import path_matches
from bot.github.publish import AnalysedFile, fingerprint_of
from bot.github.records import PullFile, PullInfo
from bot.model.findings import Finding

MAX_DOCKERFILES = 300  # bound the work a hostile PR can ask for


@dataclass(frozen=True, slots=True)
class Analysis:
    files: tuple[AnalysedFile, ...]
    notes: tuple[str, ...]
    skipped: tuple[str, ...]  # Dockerfiles we could not analyse, with the reason
    changed_paths: frozenset[str]


def analyse_text(path: str, text: str, online: bool, estimate: bool = True, *, options=None,
                 build_context=None) -> tuple[Finding, ...]:
    """The engine's findings, with size estimates.

    ``options`` carries the repository's configuration (select, ignore, ...); ``online``
    and ``estimate`` are set on top of it.
    """

    from bot.engine import Options, analyse_text as engine_analyse

    opts = (options or Options())._replace(online=online, estimate=estimate)
    return tuple(engine_analyse(path, text, opts, build_context).findings)


def image_share(path: str, text: str, findings: Sequence[Finding], online: bool) -> str:
    """"`Dockerfile`: ≈ 480 MB (…) avoidable of an image of at least 1.1 GB (…): ≈ −44%"."""
    if not any(f.estimate for f in findings):
        return ""
    from bot.engine import final_base
    from bot.estimate import totals
    from bot.estimate.format import format_share

    image, size = final_base(text, online=online)
    t = totals(findings)
    return f"`{path}`: {format_share(t.bytes_low, t.bytes_high, size, image)}"


def _analyse_with_context(path: str, text: str, online: bool, estimate: bool, options, tree) -> tuple[Finding, ...]:
    """With the tree-based build context while the tree is usable; a tree found unusable
    during this analysis (truncated, unreadable) means analysing again without one."""
    if tree is None or not tree.usable:
        return analyse_text(path, text, online, estimate, options=options)
    from bot.github.context import TreeBuildContext, context_root

    found = analyse_text(path, text, online, estimate, options=options,
                         build_context=TreeBuildContext(tree, context_root(path)))
    if not tree.usable:
        return analyse_text(path, text, online, estimate, options=options)
    return found


def selected_files(files: Sequence[PullFile], patterns: tuple[str, ...]) -> list[PullFile]:
    return [f for f in files if path_matches(f.filename, patterns)]


def chosen_files(files: Sequence[PullFile], patterns: tuple[str, ...]) -> list[PullFile]:
    return selected_files(files, patterns)[:MAX_DOCKERFILES]


def base_paths(files: Sequence[PullFile], patterns: tuple[str, ...]) -> list[str]:
    """Where the chosen Dockerfiles lived on the base branch (renames: the old path)."""
    return [f.previous_filename or f.filename for f in chosen_files(files, patterns)
            if f.status not in ("removed", "added", "copied")]


def analyse_pull(client, pull: PullInfo, files: Sequence[PullFile], patterns: tuple[str, ...],
                 online: bool, options=None, tree=None,
                 base_texts: tuple[dict[str, str | None], dict[str, str]] | None = None) -> Analysis:
    """``tree``: a RepoTree of the head commit (the build context), or None for none.
    ``base_texts``: the base versions read beforehand (``client.texts_at``), else read here."""
    from bot.github.client import ApiError

    chosen = selected_files(files, patterns)
    prefetched, unreadable = base_texts or ({}, {})
    notes: list[str] = []
    skipped: list[str] = []
    out: list[AnalysedFile] = []
    if pull.changed_files > 3000:
        notes.append(f"Partial analysis: the pull request changes {pull.changed_files} files and GitHub "
                     "lists only the first 3000.")
    if len(chosen) > MAX_DOCKERFILES:
        notes.append(f"Only the first {MAX_DOCKERFILES} of {len(chosen)} Dockerfiles were analysed.")
        chosen = chosen[:MAX_DOCKERFILES]
    for f in chosen:
        if f.status == "removed":
            continue
        try:
            head = client.blob_text(f.sha) if f.sha else client.text_at(f.filename, pull.head_sha)
            if head is None:
                skipped.append(f"{f.filename}: not found at the head commit")
                continue
            base = None
            old = f.previous_filename or f.filename
            if f.status not in ("added", "copied"):
                if old in unreadable:
                    raise ApiError(413, unreadable[old])
                base = prefetched[old] if old in prefetched else client.text_at(old, pull.base_sha)
        except ApiError as exc:
            if exc.status in (403, 404, 413):
                skipped.append(f"{f.filename}: {exc.message}")
                continue
            raise
        head_findings = _analyse_with_context(f.filename, head, online, True, options, tree)
        # The base version is analysed with the head's build context too: "new" then means
        # the Dockerfile change brought the finding, not a change elsewhere in the tree.
        base_fps = frozenset(fingerprint_of(x) for x in _analyse_with_context(f.filename, base, False, False, options, tree)) \
            if base else frozenset()
        diff = parse_file_patch(f.filename, f.patch, added_file=f.status == "added")
        note = "" if diff.annotatable else "analysed, not annotatable (GitHub sent no diff for this file)"
        out.append(AnalysedFile(f.filename, head, head_findings, base_fps, diff, note,
                                previous_path=f.previous_filename or "", options=options))
        share = image_share(f.filename, head, head_findings, online)
        if share:
            notes.append(share)
    if any(not a.diff.annotatable for a in out):
        notes.append("Some files came without a diff from GitHub (too large, binary or rename-only): their "
                     "findings are listed here, not inline.")
    if skipped:
        notes.append("Not analysed: " + "; ".join(skipped))
    if tree is not None and tree.problem:
        notes.append(f"Build context unknown ({tree.problem}): rules that look at the files next to a "
                     "Dockerfile stayed silent or assumed defaults.")
    return Analysis(tuple(out), tuple(notes), tuple(skipped), frozenset(f.filename for f in files))
