"""Write synthetic layer tars and OCI layouts for the layer-analysis tests (and the bench)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from typing import Iterable, Sequence

# A layer is a list of members: ("file", path, data) | ("dir", path) | ("whiteout", path)
# | ("opaque", dir) | ("hardlink", path, target) | ("symlink", path, target)
Member = tuple


def layer_tar(members: Iterable[Member], out: io.BufferedIOBase) -> None:
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        for m in members:
            kind, path = m[0], m[1]
            if kind == "whiteout":
                folder, _, name = path.rpartition("/")
                path = f"{folder}/.wh.{name}" if folder else f".wh.{name}"
            elif kind == "opaque":
                path = f"{path}/.wh..wh..opq"
            info = tarfile.TarInfo(path)
            info.mode = 0o755 if kind == "dir" else 0o644
            data = b""
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, m[2]
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, m[2]
            elif kind == "file":
                data = m[2]
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data else None)


def layer_bytes(members: Iterable[Member]) -> bytes:
    buf = io.BytesIO()
    layer_tar(members, buf)
    return buf.getvalue()


def _blob(layout: str, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def oci_layout(layout: str, layers: Sequence[bytes], created_by: Sequence[str], compression: str = "gzip",
               cmd: Sequence[str] = ()) -> str:
    """An OCI layout with these raw layer tars, compressed with ``compression`` (gzip, zstd
    or "": none); ``cmd``: the config's Cmd."""
    descs, diff_ids = [], []
    for raw in layers:
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        blob = compress(raw, compression)
        media = "application/vnd.oci.image.layer.v1.tar" + (f"+{compression}" if compression else "")
        descs.append({"mediaType": media, **_blob(layout, blob)})
    return write_index(layout, descs, diff_ids, created_by, cmd)


def compress(raw: bytes, compression: str) -> bytes:
    if compression == "gzip":
        return gzip.compress(raw, compresslevel=1, mtime=0)
    if compression == "zstd":  # two frames, as a streaming compressor may write them
        import zstandard

        half = len(raw) // 2
        c = zstandard.ZstdCompressor(level=1)
        return c.compress(raw[:half]) + c.compress(raw[half:])
    return raw


def write_index(layout: str, descs: list, diff_ids: list, created_by: Sequence[str], cmd: Sequence[str] = ()) -> str:
    config = {"rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": [{"created_by": c} for c in created_by]}
    if cmd:
        config["config"] = {"Cmd": list(cmd)}
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", **_blob(layout, json.dumps(config).encode())}
    manifest = {"schemaVersion": 2, "config": cdesc, "layers": descs}
    mdesc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", **_blob(layout, json.dumps(manifest).encode())}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return layout


def docker_save(path: str, layers: Sequence[bytes], created_by: Sequence[str]) -> str:
    """A legacy ``docker save`` archive (manifest.json, <id>/layer.tar)."""
    diff_ids = ["sha256:" + hashlib.sha256(raw).hexdigest() for raw in layers]
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": [{"created_by": c} for c in created_by]}).encode()
    cid = hashlib.sha256(config).hexdigest()
    names = [f"{d[7:]}/layer.tar" for d in diff_ids]
    manifest = json.dumps([{"Config": f"{cid}.json", "RepoTags": [], "Layers": names}]).encode()
    with tarfile.open(path, "w") as tf:
        for name, data in [("manifest.json", manifest), (f"{cid}.json", config), *zip(names, layers)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path
