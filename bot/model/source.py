"""Reading a Dockerfile from bytes: encoding, BOM, size and binary checks.

Bad input becomes a :class:`SourceError` with a sentence a user can act on; the
caller names the file.
"""

from __future__ import annotations

import os

from bot.model.records import Record, field


BOM = "\ufeff"
MAX_BYTES = 5 * 1024 * 1024  # the largest real Dockerfiles are a few hundred kB


class SourceError(Exception):
    """The file cannot be read as a Dockerfile; the message says why."""


class Source(Record):
    __slots__ = ()
    _fields = ("path", "text", "bom")
    path = field(0, "str")
    text = field(1, "str: without BOM, line endings as in the file")
    bom = field(2, "bool")

    def __new__(cls, path: str, text: str, bom: bool = False) -> "Source":
        return tuple.__new__(cls, (path, text, bom))

    def render(self, text: str) -> bytes:
        """Bytes to write back: the same BOM as the original."""
        return ((BOM if self.bom else "") + text).encode("utf-8")


def decode(path: str, data: bytes, max_bytes: int = MAX_BYTES) -> Source:
    if len(data) > max_bytes:
        raise SourceError(
            f"file is {len(data) / 1e6:.1f} MB, larger than the {max_bytes / 1e6:.0f} MB limit for a Dockerfile"
        )
    if b"\x00" in data[:8192]:
        raise SourceError("file looks binary (contains NUL bytes), not a Dockerfile")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})") from None
    bom = text.startswith(BOM)
    return Source(path, text[1:] if bom else text, bom)


def read(path: str, max_bytes: int = MAX_BYTES) -> Source:
    try:
        with open(path, "rb") as fh:
            # Ask for the size the file has, not the limit: a read of the limit allocates (and
            # frees) 5 MB per file, which costs more than the read itself in a corpus run. One
            # byte more, and the rest up to the limit, keep the answer exact for a file that
            # grows meanwhile or has no size (a pipe).
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(size + 1 if 0 < size <= max_bytes else max_bytes + 1)
            if len(data) == size + 1 and size <= max_bytes:
                data += fh.read(max_bytes + 1 - len(data))
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    return decode(path, data, max_bytes)
