"""The build context of a PR's Dockerfiles, from the git tree API (no checkout).

One recursive tree listing of the head commit serves every Dockerfile of the run, and is
fetched only when a rule first asks. Each Dockerfile sees the files under its own
directory (the default build context). File texts (``.dockerignore``, manifests) are read
by blob SHA only when a rule asks, once per path per run, bounded in number and size.
A truncated listing (huge repositories) or a failed read means "unknown": the caller
then analyses with no build context at all rather than with a partial one.
"""

from __future__ import annotations

from typing import Mapping

from bot.github.records import TreeListing
from bot.rules.base import BuildContext

MAX_TEXT_READS = 16  # blob reads per run: manifests and ignore files are few
MAX_TEXT_BYTES = 256 * 1024


class RepoTree:
    """The head commit's files, fetched once on first use and shared by all Dockerfiles."""

    def __init__(self, client, sha: str, max_reads: int = MAX_TEXT_READS) -> None:
        self._client = client
        self._sha = sha
        self._tree: TreeListing | None = None
        self._texts: dict[str, str | None] = {}
        self._reads_left = max_reads
        self.fetched = False
        self.problem = ""  # why the tree is unknown ("" while it is usable)

    @property
    def usable(self) -> bool:
        return not self.problem

    def entries(self) -> dict[str, tuple[int, str]]:
        """{path: (size, blob sha)}; empty when unknown (see ``problem``)."""
        return self._listing().blobs

    def special(self) -> dict[str, str] | None:
        """{path: "symlink" | "submodule"}, or None when the tree is unknown."""
        listing = self._listing()
        return None if self.problem else listing.special

    def _listing(self) -> TreeListing:
        if self._tree is None:
            from bot.github.client import ApiError

            self.fetched = True
            try:
                listing = self._client.tree(self._sha)
            except ApiError as exc:
                self.problem = f"the repository tree could not be read ({exc.status or 'no response'} {exc.message})"
                listing = TreeListing({}, {})
            if listing.truncated:
                self.problem = "the repository tree is too large for GitHub to list"
                listing = TreeListing({}, {})
            self._tree = listing
        return self._tree

    def text(self, path: str) -> str | None:
        if path in self._texts:
            return self._texts[path]
        entry = self.entries().get(path)
        text = None
        if entry is not None and entry[0] <= MAX_TEXT_BYTES and self._reads_left > 0 \
                and path not in (self.special() or {}):
            from bot.github.client import ApiError

            self._reads_left -= 1
            try:
                text = self._client.blob(entry[1]).text
            except ApiError:
                text = None
        self._texts[path] = text
        return text


class TreeBuildContext(BuildContext):
    """The files under ``root`` (a directory of the repository, "" for the top)."""

    def __init__(self, tree: RepoTree, root: str) -> None:
        super().__init__(root)
        self._tree = tree
        self._prefix = f"{root}/" if root else ""

    @property
    def files(self) -> Mapping[str, int]:
        if self._files is None:
            n = len(self._prefix)
            self._files = {p[n:]: size for p, (size, _) in self._tree.entries().items() if p.startswith(self._prefix)}
        return self._files

    def text(self, path: str) -> str | None:
        rel = _norm(path)
        if rel not in self.files:  # no request for a file that is not there
            return None
        return self._tree.text(self._prefix + rel)


def _norm(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def context_root(dockerfile_path: str) -> str:
    return dockerfile_path.rsplit("/", 1)[0] if "/" in dockerfile_path else ""
