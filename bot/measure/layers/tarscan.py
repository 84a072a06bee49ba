"""Stream one layer tar into entries: paths, sizes, whiteouts, opaque directories.

Nothing is extracted and nothing is kept but the current member: memory does not
grow with the layer's size. Regular files of at least ``hash_min`` bytes get a
content digest (for duplicate detection) computed while the bytes stream past.
Compressed layers (gzip) are decompressed on the fly; the uncompressed tar size is
counted on the way, as ``rootfs.diff_ids`` describe it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zlib
from typing import IO, Iterator, NamedTuple

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_CHUNK = 1 << 20

FILE, DIR, SYMLINK, HARDLINK, WHITEOUT_KIND, OPAQUE_KIND, OTHER = (
    "file", "dir", "symlink", "hardlink", "whiteout", "opaque", "other")


class Entry(NamedTuple):
    path: str  # normalised: no leading "./" or "/", no trailing "/"; "" is the root
    kind: str
    size: int  # content bytes (regular files only; 0 otherwise)
    target: str = ""  # hardlink: the path it links to (normalised)
    digest: bytes = b""  # regular files of at least hash_min bytes


class LayerFormatError(ValueError):
    """A layer that is not a (gzip-compressed) tar."""


def norm(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path.strip("/")


def parent(path: str) -> str:
    return path.rpartition("/")[0]


class _Counting:
    """A read-only stream that decompresses gzip when needed and counts the tar bytes."""

    def __init__(self, raw: IO[bytes]) -> None:
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw, _CHUNK)  # type: ignore[arg-type]
        head = raw.peek(4)[:4]  # type: ignore[attr-defined]
        if head[:2] == b"\x1f\x8b":
            self._inner: IO[bytes] = gzip.GzipFile(fileobj=raw)
        elif head == b"\x28\xb5\x2f\xfd":
            raise LayerFormatError("zstd-compressed layers are not supported")
        else:
            self._inner = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        self.count += len(data)
        return data


class LayerScan:
    """Iterate a layer's entries; ``tar_size`` is known once iteration finishes."""

    def __init__(self, stream: IO[bytes], hash_min: int = 1024, name: str = "layer") -> None:
        self._stream = _Counting(stream)
        self.hash_min = hash_min
        self.name = name
        self.tar_size = 0

    def __iter__(self) -> Iterator[Entry]:
        try:
            tf = tarfile.open(fileobj=self._stream, mode="r|")  # type: ignore[arg-type]
        except tarfile.TarError as e:
            raise LayerFormatError(f"{self.name}: not a tar archive ({e})") from e
        try:
            for m in tf:
                yield self._entry(tf, m)
        except (tarfile.TarError, zlib.error, EOFError, OSError) as e:
            raise LayerFormatError(f"{self.name}: damaged tar ({e})") from e
        finally:
            while self._stream.read(_CHUNK):  # the zero blocks after the last member
                pass
            self.tar_size = self._stream.count

    def _entry(self, tf: tarfile.TarFile, m: tarfile.TarInfo) -> Entry:
        path = norm(m.name)
        base = path.rpartition("/")[2]
        if base == OPAQUE:
            return Entry(parent(path), OPAQUE_KIND, 0)
        if base.startswith(WHITEOUT):
            return Entry(_join(parent(path), base[len(WHITEOUT):]), WHITEOUT_KIND, 0)
        if m.isdir():
            return Entry(path, DIR, 0)
        if m.issym():
            return Entry(path, SYMLINK, 0)
        if m.islnk():
            return Entry(path, HARDLINK, 0, norm(m.linkname))
        if not m.isreg():
            return Entry(path, OTHER, 0)
        digest = b""
        if m.size >= self.hash_min:
            f = tf.extractfile(m)
            h = hashlib.sha1(usedforsecurity=False)
            while chunk := f.read(_CHUNK):  # type: ignore[union-attr]
                h.update(chunk)
            digest = h.digest()
        return Entry(path, FILE, m.size, digest=digest)


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name
