"""Stream one layer tar into entries: paths, sizes, whiteouts, opaque directories.

Nothing is extracted and nothing is kept but the current member: memory does not
grow with the layer's size. Regular files of at least ``hash_min`` bytes get a
content digest (for duplicate detection) computed while the bytes stream past.
Compressed layers (gzip, zstd) are decompressed on the fly; the uncompressed tar size is
counted on the way, as ``rootfs.diff_ids`` describe it.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zlib
from typing import IO, Iterator, NamedTuple

from bot.measure import zstd

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
    """A read-only stream that decompresses gzip or zstd when needed and counts the tar bytes.

    ``read`` may return fewer bytes than asked (never zero before the end). Gzip is
    inflated with zlib directly in large steps: ``gzip.GzipFile`` reads 8 kB at a
    time, which dominates the analysis of a large image.
    """

    def __init__(self, raw: IO[bytes], name: str = "layer") -> None:
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw, _CHUNK)  # type: ignore[arg-type]
        head = raw.peek(4)[:4]  # type: ignore[attr-defined]
        if zstd.is_zstd(head):  # zstd streams as plain bytes once decompressed
            raw, head = zstd.decompressing(raw, name), b""  # type: ignore[assignment]
        self._raw = raw
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS) if head[:2] == b"\x1f\x8b" else None
        self._buf = b""
        self._pos = 0
        self._eof = False
        self.count = 0

    def _inflate(self) -> bytes:
        z = self._z
        while not self._eof:
            if z.unconsumed_tail:
                data = z.decompress(z.unconsumed_tail, _CHUNK * 4)
            elif z.eof and z.unused_data:  # another gzip member follows
                rest = z.unused_data
                z = self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                data = z.decompress(rest, _CHUNK * 4)
            else:
                chunk = self._raw.read(_CHUNK)
                if not chunk:
                    self._eof = True
                    return b"" if z.eof else z.flush()
                data = z.decompress(chunk, _CHUNK * 4)
            if data:
                return data
        return b""

    def read(self, n: int) -> bytes:
        if self._z is None:
            data = self._raw.read(n)
        else:
            if self._pos >= len(self._buf):
                self._buf, self._pos = self._inflate(), 0
            data = self._buf[self._pos : self._pos + n]
            self._pos += len(data)
        self.count += len(data)
        return data


class LayerScan:
    """Iterate a layer's entries; ``tar_size`` is known once iteration finishes.

    Headers are parsed here (ustar via ``tarfile.TarInfo.frombuf``, PAX and GNU long
    names by hand) rather than with ``tarfile``'s stream mode, whose buffer handling
    copies its whole buffer on every small read and is several times slower.
    """

    def __init__(self, stream: IO[bytes], hash_min: int = 1024, name: str = "layer") -> None:
        self._stream = _Counting(stream, name)
        self.hash_min = hash_min
        self.name = name
        self.tar_size = 0

    def _read(self, n: int) -> bytes:
        data = self._stream.read(n)
        while len(data) < n:
            more = self._stream.read(n - len(data))
            if not more:
                raise LayerFormatError(f"{self.name}: damaged tar (ends inside a member)")
            data += more
        return data

    def _skip(self, n: int, h=None) -> None:
        while n > 0:
            chunk = self._stream.read(min(n, _CHUNK))
            if not chunk:
                raise LayerFormatError(f"{self.name}: damaged tar (ends inside a member)")
            if h is not None:
                h.update(chunk)
            n -= len(chunk)

    def __iter__(self) -> Iterator[Entry]:
        pax: dict[str, str] = {}
        long_name = long_link = None
        try:
            while True:
                block = self._stream.read(_BLOCK)
                if not block:
                    break
                if len(block) < _BLOCK:
                    block += self._read(_BLOCK - len(block))
                if block == _ZERO:
                    continue  # the end-of-archive blocks (and any padding after them)
                try:
                    info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
                except tarfile.HeaderError as e:
                    raise LayerFormatError(f"{self.name}: not a tar archive ({e})") from e
                padded = -(-info.size // _BLOCK) * _BLOCK
                kind = info.type
                if kind in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
                    data = self._read(padded)[: info.size]
                    if kind == tarfile.XHDTYPE:
                        pax = _pax(data)
                    elif kind == tarfile.GNUTYPE_LONGNAME:
                        long_name = data.rstrip(b"\0").decode("utf-8", "surrogateescape")
                    elif kind == tarfile.GNUTYPE_LONGLINK:
                        long_link = data.rstrip(b"\0").decode("utf-8", "surrogateescape")
                    continue
                info.name = pax.get("path") or long_name or info.name
                info.linkname = pax.get("linkpath") or long_link or info.linkname
                if "size" in pax:
                    info.size = int(pax["size"])
                    padded = -(-info.size // _BLOCK) * _BLOCK
                pax, long_name, long_link = {}, None, None
                entry = self._entry(info)
                if not info.isreg():
                    self._skip(padded)
                elif info.size >= self.hash_min:
                    h = hashlib.sha1(usedforsecurity=False)
                    self._skip(info.size, h)
                    self._skip(padded - info.size)
                    entry = entry._replace(digest=h.digest())
                else:
                    self._skip(padded)
                yield entry
        except (zlib.error, EOFError, OSError, ValueError) as e:
            if isinstance(e, LayerFormatError):
                raise
            raise LayerFormatError(f"{self.name}: damaged layer ({e})") from e
        self.tar_size = self._stream.count

    @staticmethod
    def _entry(m: tarfile.TarInfo) -> Entry:
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
        return Entry(path, FILE, m.size)


_BLOCK = 512
_ZERO = bytes(_BLOCK)


def _pax(data: bytes) -> dict[str, str]:
    """PAX extended header records: "LEN key=value\\n" each."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        sp = data.find(b" ", pos)
        if sp < 0:
            break
        length = int(data[pos:sp])
        if length <= 0:
            raise LayerFormatError("bad PAX header record")
        key, _, value = data[sp + 1 : pos + length - 1].partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name
