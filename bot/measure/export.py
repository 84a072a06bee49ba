"""Read an exported image (OCI layout directory or ``docker save`` tarball) into sizes.

Compressed sizes are the blob sizes of a gzip OCI layout written by the engine
itself (``buildah push``/``podman push --compression-format gzip``): the exact bytes
a push uploads. ``docker save`` writes uncompressed layers, so there the gzip size
is computed here with gzip's default level, as ``docker push`` compresses.
Uncompressed sizes are counted by streaming, never by loading a layer into memory.
"""

from __future__ import annotations

import gzip
import json
import os
import tarfile
import zlib
from typing import IO, Any, Callable

from bot.measure import zstd
from bot.measure.images import ImageFormatError, ImageLayers, Layer, pair_history

_CHUNK = 1 << 20
GZIP_MEDIA_SUFFIXES = ("+gzip", ".tar.gzip")


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ImageFormatError(f"{path}: {e}") from e


def _blob_path(layout: str, digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    if not hexpart or "/" in hexpart or "/" in algo:
        raise ImageFormatError(f"bad digest {digest!r}")
    return os.path.join(layout, "blobs", algo, hexpart)


def read_layout(layout: str) -> tuple[dict, dict, list, list]:
    """The first image of an OCI layout: manifest, config, layer descriptors, diff ids."""
    index = _read_json(os.path.join(layout, "index.json"))
    manifests = index.get("manifests") or []
    if not manifests:
        raise ImageFormatError(f"{layout}: index.json lists no manifest")
    try:
        manifest = _read_json(_blob_path(layout, manifests[0]["digest"]))
        if "layers" not in manifest:  # an index of platform manifests: take the first
            manifest = _read_json(_blob_path(layout, manifest["manifests"][0]["digest"]))
        config = _read_json(_blob_path(layout, manifest["config"]["digest"]))
        diff_ids = config.get("rootfs", {}).get("diff_ids", [])
        descs = manifest["layers"]
    except (KeyError, IndexError, TypeError) as e:
        raise ImageFormatError(f"{layout}: not an OCI image layout ({e})") from e
    if len(diff_ids) != len(descs):
        raise ImageFormatError(f"{layout}: {len(descs)} layers but {len(diff_ids)} diff_ids")
    return manifest, config, descs, diff_ids


def gunzipped_length(stream: IO[bytes]) -> int:
    total = 0
    with gzip.GzipFile(fileobj=stream) as g:
        while chunk := g.read(_CHUNK):
            total += len(chunk)
    return total


def gzipped_length(stream: IO[bytes], level: int = 6) -> tuple[int, int]:
    """(uncompressed, gzip) byte counts of a stream; gzip framing adds 18 header/trailer bytes."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = packed = 0
    while chunk := stream.read(_CHUNK):
        raw += len(chunk)
        packed += len(comp.compress(chunk))
    packed += len(comp.flush())
    return raw, packed + 18


class SizeCache:
    """Digest -> sizes computed once per run: the base layers shared by every image an
    engine measures (head, fixed head, base branch) are unpacked or compressed only once."""

    def __init__(self) -> None:
        self._sizes: dict[str, Any] = {}
        self.computed = 0  # how many times a size had to be computed (the rest were reused)

    def get(self, digest: str, compute: Callable[[], Any]) -> Any:
        if digest not in self._sizes:
            self._sizes[digest] = compute()
            self.computed += 1
        return self._sizes[digest]


def read_oci_layout(layout: str, cache: SizeCache | None = None) -> ImageLayers:
    """Sizes and history of the first image in an OCI image layout directory."""
    cache = cache or SizeCache()
    manifest, config, descs, diff_ids = read_layout(layout)
    layers: list[Layer] = []
    for desc, diff_id in zip(descs, diff_ids):
        path = _blob_path(layout, desc["digest"])
        media = desc.get("mediaType", "")
        if media.endswith(GZIP_MEDIA_SUFFIXES):
            def unpacked(p: str = path) -> int:
                with open(p, "rb") as f:
                    return gunzipped_length(f)

            size = cache.get(desc["digest"], unpacked)
            layers.append(Layer(diff_id, size, int(desc["size"])))
        elif media.endswith(zstd.MEDIA_SUFFIX):  # the blob is what a registry stores
            def unzstd(p: str = path) -> int:
                with open(p, "rb") as f:
                    try:
                        return zstd.unpacked_length(f)
                    except ValueError as e:
                        raise ImageFormatError(f"{p}: damaged zstd layer ({e})") from e

            layers.append(Layer(diff_id, cache.get(desc["digest"], unzstd), int(desc["size"])))
        else:  # uncompressed blob: compress it ourselves to know the registry size
            with open(path, "rb") as f:
                raw, packed = gzipped_length(f)
            layers.append(Layer(diff_id, raw, packed))
    history = config.get("history") or []
    image_id = manifest["config"]["digest"]
    return ImageLayers(image_id, pair_history(history, layers), tuple(layers))


def read_docker_save(tar_path: str, cache: SizeCache | None = None) -> ImageLayers:
    """Sizes and history from ``docker save`` output (legacy manifest.json layout).

    Docker 25+ writes an OCI layout into the same tarball and keeps manifest.json
    pointing at ``blobs/sha256/...``; both are plain uncompressed tars here. A layer
    whose diff_id ``cache`` already knows is not read again (gzip of a base layer costs
    seconds per image).
    """
    cache = cache or SizeCache()
    try:
        tf = tarfile.open(tar_path, mode="r:*")
    except (OSError, tarfile.TarError) as e:
        raise ImageFormatError(f"{tar_path}: {e}") from e
    with tf:
        def member_json(name: str) -> Any:
            f = tf.extractfile(name)
            if f is None:
                raise ImageFormatError(f"{tar_path}: {name} is not a file")
            return json.load(f)

        try:
            manifest = member_json("manifest.json")[0]
            config = member_json(manifest["Config"])
            layers: list[Layer] = []
            diff_ids = config.get("rootfs", {}).get("diff_ids", [])
            for name, diff_id in zip(manifest["Layers"], diff_ids):
                def sizes(name: str = name) -> tuple[int, int]:
                    f = tf.extractfile(name)
                    if f is None:
                        raise ImageFormatError(f"{tar_path}: layer {name} missing")
                    return _layer_sizes(f)

                raw, packed = cache.get(diff_id, sizes)
                layers.append(Layer(diff_id, raw, packed))
        except (KeyError, IndexError, json.JSONDecodeError) as e:
            raise ImageFormatError(f"{tar_path}: not docker save output ({e})") from e
    image_id = "sha256:" + os.path.basename(manifest["Config"]).split(".")[0]
    return ImageLayers(image_id, pair_history(config.get("history") or [], layers), tuple(layers))


def _layer_sizes(f: IO[bytes]) -> tuple[int, int]:
    head = f.read(2)
    rest = _Prepend(head, f)
    if head == b"\x1f\x8b":  # already compressed (some exporters): count both ways
        data_len = 0
        packed = 0

        class _Count:
            def read(self, n: int = -1) -> bytes:
                nonlocal packed
                b = rest.read(n)
                packed += len(b)
                return b

        data_len = gunzipped_length(_Count())  # type: ignore[arg-type]
        return data_len, packed
    return gzipped_length(rest)  # type: ignore[arg-type]


class _Prepend:
    def __init__(self, head: bytes, f: IO[bytes]) -> None:
        self.head, self.f = head, f

    def read(self, n: int = -1) -> bytes:
        if self.head:
            h, self.head = self.head, b""
            return h + self.f.read(n - len(h) if n > 0 else -1)
        return self.f.read(n)
