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


def analyse_text(path: str, text: str, online: bool, estimate: bool = True) -> tuple[Finding, ...]:
    """The engine's findings, with estimates when estimate/ is available."""
    from bot.engine import Options, analyse_text as engine_analyse

    try:
        result = engine_analyse(path, text, Options(online=online, estimate=estimate))
    except ImportError:  # estimate/ not installed yet: findings without numbers
        result = engine_analyse(path, text, Options(estimate=False))
    return tuple(result.findings)


def selected_files(files: Sequence[PullFile], patterns: tuple[str, ...]) -> list[PullFile]:
    return [f for f in files if path_matches(f.filename, patterns)]


def analyse_pull(client, pull: PullInfo, files: Sequence[PullFile], patterns: tuple[str, ...],
                 online: bool) -> Analysis:
    from bot.github.client import ApiError

    chosen = selected_files(files, patterns)
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
            if f.status not in ("added", "copied"):
                base = client.text_at(f.previous_filename or f.filename, pull.base_sha)
        except ApiError as exc:
            if exc.status in (403, 404, 413):
                skipped.append(f"{f.filename}: {exc.message}")
                continue
            raise
        head_findings = analyse_text(f.filename, head, online)
        base_fps = frozenset(fingerprint_of(x) for x in analyse_text(f.filename, base, False, estimate=False)) if base else frozenset()
        diff = parse_file_patch(f.filename, f.patch, added_file=f.status == "added")
        note = "" if diff.annotatable else "analysed, not annotatable (GitHub sent no diff for this file)"
        out.append(AnalysedFile(f.filename, head, head_findings, base_fps, diff, note))
    if any(not a.diff.annotatable for a in out):
        notes.append("Some files came without a diff from GitHub (too large, binary or rename-only): their "
                     "findings are listed here, not inline.")
    if skipped:
        notes.append("Not analysed: " + "; ".join(skipped))
    return Analysis(tuple(out), tuple(notes), tuple(skipped), frozenset(f.filename for f in files))
