"""Read zstd-compressed layers (OCI ``application/vnd.oci.image.layer.v1.tar+zstd``).

podman and buildah push them with ``--compression-format zstd`` (and ``zstd:chunked``,
whose skippable metadata frames libzstd passes over), and docker's containerd image
store can save them. Decompression streams through the ``zstandard`` package (the
optional extra ``dockerdiet[zstd]``), imported only when such a layer is met, so
neither ``check`` nor a gzip-only image pays for it. It runs in-process with bounded
memory; a ``zstd`` CLI would add a subprocess per layer and is absent from the action's
image, where zstandard installs as a binary wheel.
"""

from __future__ import annotations

from typing import IO

from bot.measure.images import ImageFormatError

MAGIC = b"\x28\xb5\x2f\xfd"  # a zstd frame
MEDIA_SUFFIX = "+zstd"


def is_zstd(head: bytes) -> bool:
    return head[:4] == MAGIC


def decompressing(raw: IO[bytes], name: str = "layer") -> IO[bytes]:
    """A stream of the decompressed bytes of ``raw`` (every frame, in order)."""
    try:
        import zstandard
    except ImportError as e:
        raise ImageFormatError(f"{name}: zstd-compressed, and reading it needs the zstandard package: "
                               "pip install 'dockerdiet[zstd]'") from e
    return _Reader(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False),
                   zstandard.ZstdError)


class _Reader:
    """zstandard's reader with its errors as ValueError, which the layer readers report as
    a damaged layer (the package's own exception class exists only once it is imported)."""

    def __init__(self, reader, error: type[Exception]) -> None:
        self._reader, self._error = reader, error

    def read(self, n: int = -1) -> bytes:
        try:
            return self._reader.read(n)
        except self._error as e:
            raise ValueError(f"zstd: {e}") from e

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> "_Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def unpacked_length(raw: IO[bytes], chunk: int = 1 << 20) -> int:
    total = 0
    with decompressing(raw) as f:
        while data := f.read(chunk):
            total += len(data)
    return total
