"""Open an image for layer analysis: an OCI layout directory, a ``docker save`` archive,
or an image an engine has (exported to a temporary directory first).

An :class:`ImageSource` is the image config (history, diff_ids) and one opener per
layer; layers are streamed when opened, one at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tarfile
import tempfile
from typing import IO, Any, Callable, ContextManager, Iterator, NamedTuple

from bot.measure import zstd
from bot.measure.export import _blob_path, read_layout
from bot.measure.images import ImageFormatError


class LayerRef(NamedTuple):
    diff_id: str
    blob_size: int  # bytes as stored (compressed in a registry layout, raw in docker save)
    compressed: bool  # blob_size is the (gzip or zstd) size a registry stores
    open: Callable[[], ContextManager[IO[bytes]]]


class ImageSource(NamedTuple):
    name: str
    image_id: str
    history: list[dict[str, Any]]
    layers: list[LayerRef]
    command: tuple[str, ...] = ()  # the config's Entrypoint then Cmd: what a container runs


def _command(config: dict[str, Any]) -> tuple[str, ...]:
    run = config.get("config") or {}
    words = [*(run.get("Entrypoint") or ()), *(run.get("Cmd") or ())]
    return tuple(w for w in words if isinstance(w, str))


def _file_opener(path: str) -> Callable[[], ContextManager[IO[bytes]]]:
    return lambda: open(path, "rb")


def open_oci_layout(layout: str) -> ImageSource:
    manifest, config, descs, diff_ids = read_layout(layout)
    layers = []
    for desc, diff_id in zip(descs, diff_ids):
        path = _blob_path(layout, desc["digest"])
        if not os.path.isfile(path):
            raise ImageFormatError(f"{layout}: layer blob {desc['digest']} is missing")
        media = desc.get("mediaType", "")
        packed = "gzip" in media or media.endswith(zstd.MEDIA_SUFFIX)
        layers.append(LayerRef(diff_id, int(desc.get("size", 0)), packed, _file_opener(path)))
    return ImageSource(layout, manifest["config"]["digest"], config.get("history") or [], layers, _command(config))


@contextlib.contextmanager
def open_docker_save(archive: str) -> Iterator[ImageSource]:
    """``docker save`` output: layers are members of the archive, read in place."""
    try:
        tf = tarfile.open(archive, mode="r:")
    except (OSError, tarfile.TarError) as e:
        raise ImageFormatError(f"{archive}: {e}") from e
    with tf:
        def member(name: str) -> IO[bytes]:
            try:
                f = tf.extractfile(name)
            except KeyError:
                f = None
            if f is None:
                raise ImageFormatError(f"{archive}: {name} is missing")
            return f

        try:
            manifest = json.load(member("manifest.json"))[0]
            config = json.load(member(manifest["Config"]))
            diff_ids = config.get("rootfs", {}).get("diff_ids", [])
            names = manifest["Layers"]
        except (KeyError, IndexError, TypeError, json.JSONDecodeError) as e:
            raise ImageFormatError(f"{archive}: not docker save output ({e})") from e
        if len(names) != len(diff_ids):
            raise ImageFormatError(f"{archive}: {len(names)} layers but {len(diff_ids)} diff_ids")
        layers = []
        for name, diff_id in zip(names, diff_ids):
            size = tf.getmember(name).size
            layers.append(LayerRef(diff_id, size, False,
                                   lambda n=name: contextlib.closing(member(n))))
        image_id = "sha256:" + os.path.basename(manifest["Config"]).removesuffix(".json")
        yield ImageSource(archive, image_id, config.get("history") or [], layers, _command(config))


@contextlib.contextmanager
def open_image(spec: str, engine: str | None = None) -> Iterator[ImageSource]:
    """A layout directory, a ``docker save`` archive, or an image name the engine has."""
    if os.path.isdir(spec):
        yield open_oci_layout(spec)
        return
    if os.path.isfile(spec):
        with open_docker_save(spec) as src:
            yield src
        return
    with exported(spec, engine) as src:
        yield src


@contextlib.contextmanager
def exported(image: str, engine_name: str | None = None, engine=None) -> Iterator[ImageSource]:
    """Export an engine's image to a temporary directory and open it there."""
    from bot.measure.engines import MeasureError, make_engine

    eng = engine or make_engine(engine_name)
    with tempfile.TemporaryDirectory(prefix="dockerdiet-inspect-") as tmp:
        dest = os.path.join(tmp, "image.tar" if eng.name == "docker" else "oci")
        with eng._locked():  # the engine's store lock (buildah/podman private roots)
            proc = eng.runner(eng.export_command(image, dest), env=eng._env(), stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            # the first engine found may not be the one that holds the image: say how to choose
            hint = "" if engine_name or engine else (
                f" ({eng.name} was the first engine found; --engine docker|podman|buildah picks another,"
                " and DOCKER_HOST points docker at its daemon)")
            raise MeasureError(f"{eng.name}: exporting image {image} failed: "
                               f"{(proc.stderr or '').strip()[-300:]}{hint}")
        if eng.name == "docker":
            with open_docker_save(dest) as src:
                yield src._replace(name=image)
        else:
            yield open_oci_layout(dest)._replace(name=image)
