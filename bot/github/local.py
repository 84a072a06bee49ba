"""``dockerdiet review --base REF``: the review the action would post, from a local git diff.

The same code as the action from the files on: the configuration is read from ``REF`` (as
the action reads it from the base branch, never from the change under review), findings
are compared with the merge base of ``REF`` and ``HEAD``, files are read as bytes like
``dockerdiet check`` reads them (BOM, binary and UTF-8 checks), symlinks and submodules are
skipped with the action's note, and ``analyse_pull`` + ``plan`` decide what to post. The
working tree stands in for the PR head; the result is printed as Markdown.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from bot.config import ConfigError
from bot.github.analysis import analyse_pull, chosen_files
from bot.github.event import DEFAULT_PATHS, Inputs
from bot.github.publish import Existing, PlanOptions, ReviewPlan, plan
from bot.github.reading import PullTexts, base_path, config_texts
from bot.github.records import FileText, PullFile, PullInfo
from bot.github.settings import config_from, config_paths, effective

_MARKER_LINE = "<!-- dockerdiet:v"  # v1 and v2 markers
LOCAL_SHA = "0" * 40


class ReviewError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class LocalReview:
    plan: ReviewPlan
    markdown: str


def _git(args: list[str], cwd: str, *, binary: bool = False, ok: tuple[int, ...] = (0,)):
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise ReviewError(f"cannot run git: {exc.strerror}") from None
    if proc.returncode not in ok:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise ReviewError(f"git {' '.join(args[:2])} failed: {err or proc.returncode}")
    return proc if binary else proc.stdout.decode("utf-8", "replace")


def _at(ref: str, path: str, root: str) -> FileText:
    """A file at a commit, read as the action reads it (bytes; symlinks and submodules by mode)."""
    listing = _git(["ls-tree", "-z", ref, "--", path], root)
    if not listing:
        return FileText("missing")
    mode = listing.split(" ", 1)[0]
    if mode == "120000":
        return FileText("symlink")
    if mode == "160000":
        return FileText("submodule")
    from bot.github.client import file_text

    return file_text(_git(["show", f"{ref}:{path}"], root, binary=True).stdout)


def _worktree(root: str, path: str) -> FileText:
    from bot.github.client import MAX_FILE_BYTES, file_text, too_big

    full = os.path.join(root, path)
    try:
        st = os.lstat(full)
    except OSError:
        return FileText("missing")
    if stat.S_ISLNK(st.st_mode):
        return FileText("symlink")
    if stat.S_ISDIR(st.st_mode):
        return FileText("submodule")
    if st.st_size > MAX_FILE_BYTES:
        return too_big(st.st_size)
    try:
        with open(full, "rb") as fh:
            return file_text(fh.read())
    except OSError as exc:
        return FileText("unreadable", note=exc.strerror or "cannot read")


def _pull_files(diff_text: str) -> list[PullFile]:
    """The files of ``git diff`` as the files endpoint describes them (hunk-only patches)."""
    try:
        patches = PatchSet(diff_text)
    except UnidiffParseError as exc:
        raise ReviewError(f"cannot parse git diff: {exc}") from None
    out = []
    for pf in patches:
        status = ("added" if pf.is_added_file else "removed" if pf.is_removed_file
                  else "renamed" if pf.is_rename else "modified")
        source = pf.source_file[2:] if pf.source_file.startswith("a/") else pf.source_file
        patch = "\n".join(str(h).rstrip("\n") for h in pf) or None
        out.append(PullFile(pf.path, status, None, patch, source if pf.is_rename else None))
    return out


def local_review(base: str, path: str = ".", *, online: bool = False, max_comments: int = 30,
                 patterns: tuple[str, ...] = DEFAULT_PATHS, config: str = "") -> LocalReview:
    if base.startswith("-"):
        raise ReviewError(f"--base {base!r}: not a git revision")
    where = path if os.path.isdir(path) else os.path.dirname(path) or "."
    root = _git(["rev-parse", "--show-toplevel"], where).strip()
    base_sha = _git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], root, ok=(0, 1)).strip()
    if not base_sha:
        raise ReviewError(f"--base {base!r}: no such commit in {root}")
    # "new" as on GitHub: against the merge base, not the base branch's latest commit
    merge_base = _git(["merge-base", base_sha, "HEAD"], root, ok=(0, 1)).strip() or base_sha
    rel = os.path.relpath(os.path.abspath(path), root)
    files = _pull_files(_git(["diff", "--no-color", "--no-ext-diff", "-M", merge_base, "--", rel], root))
    try:
        cfg = config_from(*config_texts({p: _at(base_sha, p, root) for p in config_paths(config)}), config)
    except ConfigError as exc:
        raise ReviewError(f"configuration (read from {base}): {exc}") from None
    settings = effective(cfg, Inputs(token="", config=config, online=online))
    chosen = [f for f in chosen_files(files, patterns) if f.status != "removed"]
    texts = PullTexts({f.filename: _worktree(root, f.filename) for f in chosen},
                      {f.filename: _at(merge_base, old, root) for f in chosen if (old := base_path(f))})
    pull = PullInfo(0, "open", False, LOCAL_SHA, base_sha, "", "", len(files))
    analysis = analyse_pull(pull, files, patterns, texts, settings.online, settings.options)
    review = plan(analysis.files, Existing(), PlanOptions(LOCAL_SHA, "local", max_comments,
                                                          changed_paths=analysis.changed_paths,
                                                          notes=analysis.notes))
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
