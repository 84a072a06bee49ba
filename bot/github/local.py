"""``dockerdiet review --base REF``: the review the action would post, from a local git diff.

Same planning as the action (the same ``publish.plan``), with the working tree as head
and ``REF`` as base; printed as Markdown instead of posted.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from bot.github.analysis import analyse_text, image_share
from bot.github.diff import parse_unified_diff
from bot.github.event import DEFAULT_PATHS, path_matches
from bot.github.publish import AnalysedFile, Existing, PlanOptions, ReviewPlan, fingerprint_of, plan

_MARKER_LINE = "<!-- dockerdiet:v"


class ReviewError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class LocalReview:
    plan: ReviewPlan
    markdown: str


def _git(args: list[str], cwd: str) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ReviewError(f"cannot run git: {exc.strerror}") from None
    if proc.returncode != 0:
        raise ReviewError(f"git {' '.join(args[:2])} failed: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def local_review(base: str, path: str = ".", *, online: bool = False, max_comments: int = 30,
                 patterns: tuple[str, ...] = DEFAULT_PATHS) -> LocalReview:
    if base.startswith("-"):
        raise ReviewError(f"--base {base!r}: not a git revision")
    root = _git(["rev-parse", "--show-toplevel"], path if os.path.isdir(path) else os.path.dirname(path) or ".").strip()
    rel = os.path.relpath(os.path.abspath(path), root)
    diff_text = _git(["diff", "--no-color", "--no-ext-diff", "-M", base, "--", rel], root)
    try:
        patches = PatchSet(diff_text)
    except UnidiffParseError as exc:
        raise ReviewError(f"cannot parse git diff: {exc}") from None
    commentable = parse_unified_diff(diff_text)
    files: list[AnalysedFile] = []
    notes: list[str] = []
    for pf in patches:
        if pf.is_removed_file or not path_matches(pf.path, patterns):
            continue
        try:
            with open(os.path.join(root, pf.path), encoding="utf-8", errors="replace") as fh:
                head = fh.read()
        except OSError as exc:
            raise ReviewError(f"{pf.path}: cannot read ({exc.strerror})") from None
        base_text = None
        if not pf.is_added_file:
            source = pf.source_file[2:] if pf.source_file.startswith("a/") else pf.source_file
            base_text = _git(["show", f"{base}:{source}"], root)
        findings = analyse_text(pf.path, head, online)
        base_fps = frozenset(fingerprint_of(f) for f in analyse_text(pf.path, base_text, False, estimate=False)) \
            if base_text else frozenset()
        files.append(AnalysedFile(pf.path, head, findings, base_fps, commentable.files[pf.path]))
        share = image_share(pf.path, head, findings, online)
        if share:
            notes.append(share)
    review = plan(files, Existing(), PlanOptions("0" * 40, "local", max_comments,
                                                 changed_paths=frozenset(p.path for p in patches),
                                                 notes=tuple(notes)))
    return LocalReview(review, render(review))


def render(review: ReviewPlan) -> str:
    parts = [review.summary]
    if review.comments:
        parts.append(f"### Inline comments ({len(review.comments)})")
    for c in review.comments:
        where = f"{c.path}:{c.start_line}-{c.line}" if c.start_line else f"{c.path}:{c.line}"
        body = "\n".join(line for line in c.body.splitlines() if not line.startswith(_MARKER_LINE)).rstrip()
        parts.append(f"#### `{where}`\n\n{body}")
    return "\n\n".join(parts) + "\n"
