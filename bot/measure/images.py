"""What a measured image is made of: history entries and the layers they produced.

Engines differ in how they hand out an image (an OCI layout, a ``docker save``
tarball), but all of them end up here: the image config's history in order, each
entry with the layer it created (``None`` for metadata-only entries such as ENV).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Layer:
    diff_id: str  # digest of the uncompressed tar (the image config's rootfs.diff_ids)
    size: int  # uncompressed tar bytes
    gzip_size: int  # gzip-compressed bytes, as a registry stores the blob

    def to_json(self) -> dict[str, Any]:
        return {"diff_id": self.diff_id, "size": self.size, "gzip_size": self.gzip_size}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    created_by: str
    empty_layer: bool
    layer: Layer | None  # None exactly when empty_layer


# What an uncompressed layer size counts (reported with every measured image).
TAR_BYTES = "tar"  # the layer's tar stream: file contents plus 512-byte headers and padding
ENGINE_SIZE = "engine"  # the engine's own count (docker: file bytes, as `docker images` shows)


@dataclass(frozen=True, slots=True)
class ImageLayers:
    image_id: str
    history: tuple[HistoryEntry, ...]
    layers: tuple[Layer, ...]
    size_basis: str = TAR_BYTES

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)

    @property
    def gzip_size(self) -> int:
        return sum(layer.gzip_size for layer in self.layers)


class ImageFormatError(ValueError):
    """An exported image that does not look like an OCI layout or docker save output."""


def pair_history(history: list[dict[str, Any]], layers: list[Layer]) -> tuple[HistoryEntry, ...]:
    """Attach layers to the history entries that created them (non-empty ones, in order).

    When the counts disagree (images assembled by tools that skip history) the
    history cannot be trusted: every layer then gets an anonymous entry, so sizes
    stay right even though attribution is lost.
    """
    non_empty = [h for h in history if not h.get("empty_layer")]
    if len(non_empty) != len(layers):
        return tuple(HistoryEntry("", False, layer) for layer in layers)
    out: list[HistoryEntry] = []
    it = iter(layers)
    for h in history:
        empty = bool(h.get("empty_layer"))
        out.append(HistoryEntry(str(h.get("created_by", "")), empty, None if empty else next(it)))
    return tuple(out)


def with_engine_sizes(image: ImageLayers, newest_first: list[int]) -> ImageLayers:
    """``image`` with each layer's uncompressed size replaced by the engine's own figure.

    ``newest_first``: one size per history entry, as ``docker history`` lists them (it
    walks the image config's history, so the counts agree unless the history could not be
    paired with the layers; then the tar sizes stay).
    """
    sizes = list(reversed(newest_first))
    if len(sizes) != len(image.history):
        return image
    history, layers = [], []
    for entry, size in zip(image.history, sizes):
        if entry.layer is None:
            history.append(entry)
            continue
        layer = Layer(entry.layer.diff_id, size, entry.layer.gzip_size)
        layers.append(layer)
        history.append(HistoryEntry(entry.created_by, False, layer))
    return ImageLayers(image.image_id, tuple(history), tuple(layers), ENGINE_SIZE)
