"""Stack layers as an overlay filesystem does and record the bytes that stop being visible.

Every layer is applied in order: first its whiteouts (``.wh.NAME`` removes NAME and
all below it; ``.wh..wh..opq`` hides everything the lower layers put in that
directory), then its entries (an entry replacing a lower file overwrites it; a
non-directory replacing a directory removes the directory's contents). Bytes that
stop being visible are still shipped in the layer that wrote them: they are
recorded with the writing and the removing layer.

Hard links share one blob: the bytes are gone only when the last name is removed.
Memory grows with the number of paths in the image, never with its bytes; removed
files are aggregated per (writer, remover) pair with only the largest paths kept.
"""

from __future__ import annotations

import heapq
from typing import Iterable, NamedTuple

from bot.measure.layers.tarscan import DIR, FILE, HARDLINK, OPAQUE_KIND, WHITEOUT_KIND, Entry, parent

TOP = 5  # largest paths kept per aggregate


class Node(NamedTuple):
    layer: int
    kind: str
    blob: int  # -1: no content (directories, symlinks, ...)


class Removed:
    """Bytes written by one layer and deleted or overwritten by a later one."""

    __slots__ = ("writer", "remover", "bytes", "files", "top")

    def __init__(self, writer: int, remover: int) -> None:
        self.writer, self.remover = writer, remover
        self.bytes = 0
        self.files = 0
        self.top: list[tuple[int, str, str]] = []  # min-heap of (size, path, how)

    def add(self, path: str, size: int, how: str) -> None:
        self.bytes += size
        self.files += 1
        keep(self.top, (size, path, how))


def keep(heap: list, item: tuple, n: int = TOP) -> None:
    """Keep the ``n`` largest items of a stream in a min-heap."""
    if len(heap) < n:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


class LayerStats:
    __slots__ = ("index", "tar_size", "file_bytes", "entries", "top_files", "dir_bytes")

    def __init__(self, index: int) -> None:
        self.index = index
        self.tar_size = 0
        self.file_bytes = 0  # content of regular files this layer adds
        self.entries = 0
        self.top_files: list[tuple[int, str]] = []
        self.dir_bytes: dict[str, int] = {}  # directories up to DIR_DEPTH deep -> bytes added

    def top_dirs(self, n: int = TOP) -> list[tuple[int, str]]:
        return heapq.nlargest(n, ((b, d) for d, b in self.dir_bytes.items()))


DIR_DEPTH = 3


class Stack:
    """The filesystem after the layers applied so far."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.children: dict[str, set[str]] = {}
        self.blob_size: list[int] = []
        self.blob_digest: list[bytes] = []
        self.blob_links: list[int] = []
        self.removed: dict[tuple[int, int], Removed] = {}
        self.layers: list[LayerStats] = []
        # dive's efficiency: per path, the sum and the minimum of its sizes over layers
        self.path_total: dict[str, int] = {}
        self.path_min: dict[str, int] = {}
        self.path_seen: dict[str, int] = {}

    # ------------------------------------------------------------------ applying
    def apply(self, entries: Iterable[Entry]) -> LayerStats:
        """Apply one layer (its entries in tar order) on top of the stack."""
        index = len(self.layers)
        stats = LayerStats(index)
        self.layers.append(stats)
        mine: list[Entry] = []
        for e in entries:  # whiteouts act on the lower layers only: apply them first
            stats.entries += 1
            if e.kind == WHITEOUT_KIND:
                size = self._size_below(e.path)
                self._remove(e.path, index, "deleted")
                self._dive(e.path, size)
            elif e.kind == OPAQUE_KIND:
                for child in list(self.children.get(e.path, ())):
                    self._remove(child, index, "deleted")
                self._dive(e.path + "/.wh..wh..opq", 0)
            else:
                mine.append(e)
        parents = {parent(e.path) for e in mine}
        for e in mine:
            self._add(e, index, stats)
            if e.path not in parents:  # dive scores leaves of each layer's tree
                self._dive(e.path, e.size)
        return stats

    def _add(self, e: Entry, index: int, stats: LayerStats) -> None:
        old = self.nodes.get(e.path)
        if old is not None:
            if old.kind == DIR and e.kind == DIR:
                return
            self._remove(e.path, index, "overwritten")
        if e.kind == FILE:
            blob = len(self.blob_size)
            self.blob_size.append(e.size)
            self.blob_digest.append(e.digest)
            self.blob_links.append(1)
            stats.file_bytes += e.size
            keep(stats.top_files, (e.size, e.path))
            self._count_dirs(stats, e.path, e.size)
        elif e.kind == HARDLINK:
            target = self.nodes.get(e.target)
            blob = target.blob if target is not None else -1
            if blob >= 0:
                self.blob_links[blob] += 1
        else:
            blob = -1
        self.nodes[e.path] = Node(index, FILE if e.kind == HARDLINK and blob >= 0 else e.kind, blob)
        self.children.setdefault(parent(e.path), set()).add(e.path)

    @staticmethod
    def _count_dirs(stats: LayerStats, path: str, size: int) -> None:
        parts = path.split("/")[:-1]
        for depth in range(1, min(len(parts), DIR_DEPTH) + 1):
            d = "/".join(parts[:depth])
            stats.dir_bytes[d] = stats.dir_bytes.get(d, 0) + size

    def _remove(self, path: str, remover: int, how: str) -> None:
        node = self.nodes.pop(path, None)
        kids = self.children.pop(path, None)
        if kids:
            for child in list(kids):
                self._remove(child, remover, how)
        if node is None:
            return
        sibs = self.children.get(parent(path))
        if sibs is not None:
            sibs.discard(path)
        if node.blob >= 0:
            self.blob_links[node.blob] -= 1
            if self.blob_links[node.blob] == 0:
                self._removed(node, remover).add(path, self.blob_size[node.blob], how)

    def _removed(self, node: Node, remover: int) -> Removed:
        key = (node.layer, remover)
        r = self.removed.get(key)
        if r is None:
            r = self.removed[key] = Removed(*key)
        return r

    def _size_below(self, path: str) -> int:
        """dive counts a whiteout as the size of the directory it hides (a file's: 0)."""
        node = self.nodes.get(path)
        if node is None or node.kind != DIR:
            return 0
        total, todo = 0, [path]
        while todo:
            p = todo.pop()
            for c in self.children.get(p, ()):
                n = self.nodes[c]
                if n.blob >= 0:
                    total += self.blob_size[n.blob]
                todo.append(c)
        return total

    def _dive(self, path: str, size: int) -> None:
        self.path_total[path] = self.path_total.get(path, 0) + size
        m = self.path_min.get(path)
        self.path_min[path] = size if m is None else min(m, size)
        self.path_seen[path] = self.path_seen.get(path, 0) + 1

    # ------------------------------------------------------------------ results
    def files(self) -> Iterable[tuple[str, Node]]:
        """Every visible file with content in the final filesystem."""
        return ((p, n) for p, n in self.nodes.items() if n.blob >= 0)


def apply_all(layers: Iterable[Iterable[Entry]]) -> Stack:
    stack = Stack()
    for entries in layers:
        stack.apply(entries)
    return stack
