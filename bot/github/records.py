"""Plain records of what we read from GitHub (no PyGithub types leave client.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PullInfo:
    number: int
    state: str
    draft: bool
    head_sha: str
    base_sha: str
    head_repo: str  # "" when the fork was deleted
    base_repo: str
    changed_files: int

    @property
    def is_fork(self) -> bool:
        return self.head_repo != self.base_repo


@dataclass(frozen=True, slots=True)
class PullFile:
    filename: str
    status: str
    sha: str | None
    patch: str | None
    previous_filename: str | None


@dataclass(frozen=True, slots=True)
class RemoteComment:
    id: int
    node_id: str
    path: str
    line: int | None  # None: outdated (the anchor was pushed away)
    body: str
    user_login: str
    user_type: str
    original_line: int | None = None  # where it was posted, in its original commit
    start_line: int | None = None  # first line of a multi-line comment, as GitHub tracks it

    @property
    def outdated(self) -> bool:
        return self.line is None


@dataclass(frozen=True, slots=True)
class RemoteReview:
    id: int
    body: str
    commit_id: str
    user_login: str
    user_type: str


@dataclass(frozen=True, slots=True)
class FileText:
    """One file as read at a commit. ``text`` is set only when ``kind`` is "file".

    kind: "file"; "missing"; "symlink" (mode 120000) and "submodule" (mode 160000), which
    are never analysed; "binary"; "unreadable" (``note`` says why: too large, not UTF-8).
    """

    kind: str
    text: str | None = None
    bom: bool = False  # the file starts with a UTF-8 BOM (``text`` is without it)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "file"


@dataclass(frozen=True, slots=True)
class TreeListing:
    """A commit's tree: blobs as {path: (size, blob sha)} (symlinks included, as git stores
    them), and the entries that are not regular files as {path: "symlink" | "submodule"}."""

    blobs: dict[str, tuple[int, str]]
    special: dict[str, str]
    truncated: bool = False
