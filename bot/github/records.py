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
