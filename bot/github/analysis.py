"""Analyse a PR's Dockerfiles, read through the API (``reading``), at head and merge base.

Nothing is checked out or executed: texts come from the API at the PR's head commit and
its merge base (what the PR's diff is taken against) and are only parsed. Base findings are computed under the HEAD path, so a
renamed file keeps its fingerprints (the engine's fingerprint includes the path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from bot.github.diff import parse_file_patch
from bot.github.event import path_matches
from bot.github.publish import AnalysedFile, fingerprint_of
from bot.github.reading import PullTexts, skip_reason
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
    """"`Dockerfile`: ≈ 480 MB (…) avoidable of an image of at least ≈ 1.1 GB (…): at most ≈ 44%"."""
    if not any(f.estimate for f in findings):
        return ""
    from bot.engine import final_base
    from bot.estimate.format import format_share

    image, size = final_base(text, online=online)
    return f"`{path}`: {format_share(findings, size, image)}"


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


def analyse_pull(pull: PullInfo, files: Sequence[PullFile], patterns: tuple[str, ...], texts: PullTexts,
                 online: bool, options=None, tree=None, notes: Sequence[str] = ()) -> Analysis:
    """Analyse the chosen Dockerfiles from ``texts`` (``reading.read_pull``): the head
    version, and the merge-base version for "new". ``tree``: a RepoTree of the head commit
    (the build context), or None for none. Symlinks, submodules, binary and unreadable
    files are skipped with a one-line note each, never analysed."""
    chosen = selected_files(files, patterns)
    notes = list(notes)
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
        read = texts.head.get(f.filename)
        if read is None or not read.ok:
            why = skip_reason(read) if read is not None else "not read"
            skipped.append(f"{f.filename}: {why}")
            notes.append(f"{code_span(f.filename)} not analysed: {why}.")
            continue
        head = read.text or ""
        base_read = texts.base.get(f.filename)
        base = base_read.text if base_read is not None and base_read.ok else None
        head_findings = _analyse_with_context(f.filename, head, online, True, options, tree)
        # The base version is analysed with the head's build context too: "new" then means
        # the Dockerfile change brought the finding, not a change elsewhere in the tree.
        base_fps = frozenset(fingerprint_of(x) for x in _analyse_with_context(f.filename, base, False, False, options, tree)) \
            if base else frozenset()
        diff = parse_file_patch(f.filename, f.patch, added_file=f.status == "added")
        note = "" if diff.annotatable else "analysed, not annotatable (GitHub sent no diff for this file)"
        out.append(AnalysedFile(f.filename, head, head_findings, base_fps, diff, note,
                                previous_path=f.previous_filename or "", bom=read.bom, options=options))
        share = image_share(f.filename, head, head_findings, online)
        if share:
            notes.append(share)
    if any(not a.diff.annotatable for a in out):
        notes.append("Some files came without a diff from GitHub (too large, binary or rename-only): their "
                     "findings are listed here, not inline.")
    if tree is not None and tree.problem:
        notes.append(f"Build context unknown ({tree.problem}): rules that look at the files next to a "
                     "Dockerfile stayed silent or assumed defaults.")
    return Analysis(tuple(out), tuple(notes), tuple(skipped), frozenset(f.filename for f in files))


def code_span(text: str) -> str:
    """``text`` as an inline code span that no backtick inside it can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
