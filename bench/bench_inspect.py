"""Bench: layer analysis (``dockerdiet inspect``) of a ~1 GB synthetic image.

Writes an OCI layout (gzip layers, streamed to disk) whose layers look like a real
image's: a base of many small files, layers of mid-size files, a layer deleting a
directory (whiteout) and one hiding another (opaque), overwrites, hard links, a pip
cache and a .git directory. Then analyses it in a child process and prints the wall
time, the throughput and the child's peak resident memory. File contents are
generated cheaply (a random header on a repeated block), so they compress well and
the layout is quick to write; the analyser still reads, decompresses and hashes every
byte. Usage: .venv/bin/python bench/bench_inspect.py [--gb 1.0] [--dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.measure.layers.synth import write_index  # noqa: E402

BLOCK = bytes(random.Random(1).randbytes(8 * 1024))  # within gzip's window: compresses


class _Hashing(io.RawIOBase):
    """Forward writes to a gzip file and hash the uncompressed bytes (the diff_id)."""

    def __init__(self, gz) -> None:
        self.gz, self.h, self.n = gz, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.h.update(b)
        self.gz.write(b)
        self.n += len(b)
        return len(b)


def _content(rnd: random.Random, size: int) -> bytes:
    head = rnd.randbytes(min(64, size))
    body = (BLOCK * (size // len(BLOCK) + 1))[: size - len(head)]
    return head + body


def write_layer(layout: str, members) -> tuple[dict, str, int]:
    tmp = os.path.join(layout, "layer.tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        sink = _Hashing(gz)
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tf:
            for kind, path, arg in members:
                info = tarfile.TarInfo(path)
                if kind == "file":
                    info.size = len(arg)
                    tf.addfile(info, io.BytesIO(arg))
                elif kind == "hardlink":
                    info.type, info.linkname = tarfile.LNKTYPE, arg
                    tf.addfile(info)
                else:  # an empty marker file: whiteout or opaque
                    tf.addfile(info)
    h = hashlib.sha256()
    with open(tmp, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    digest = h.hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    os.replace(tmp, os.path.join(layout, "blobs", "sha256", digest))
    desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": f"sha256:{digest}",
            "size": os.path.getsize(os.path.join(layout, "blobs", "sha256", digest))}
    return desc, "sha256:" + sink.h.hexdigest(), sink.n


def build_layout(layout: str, gb: float) -> tuple[int, int]:
    rnd = random.Random(16)
    total = int(gb * 1e9)
    per = total // 5

    def files(prefix: str, budget: int, lo: int, hi: int):
        k = 0
        while budget > 0:
            size = min(budget, rnd.randint(lo, hi))
            yield ("file", f"{prefix}/d{k // 100}/f{k}", _content(rnd, size))
            budget -= size
            k += 1

    from itertools import chain

    # generators: the bench never holds a layer in memory either
    layers = [
        lambda: files("usr/lib", per, 1_000, 60_000),  # base: many small files
        lambda: chain(files("opt/app", per, 50_000, 2_000_000), [("hardlink", "opt/app/link", "opt/app/d0/f0")]),
        lambda: chain(files("root/.cache/pip/http", per // 2, 100_000, 1_000_000),
                      files("src/proj/.git/objects", per // 2, 10_000, 500_000)),
        lambda: chain([("marker", "opt/.wh.app", None), ("marker", "usr/lib/d1/.wh..wh..opq", None)],
                      files("srv/data", per, 1_000_000, 20_000_000)),
        lambda: chain(files("usr/lib", per // 4, 1_000, 60_000), files("var/tmp/build", per * 3 // 4, 10_000, 300_000)),
    ]
    descs, diff_ids, raw = [], [], 0
    for make in layers:
        desc, diff_id, n = write_layer(layout, make())
        descs.append(desc)
        diff_ids.append(diff_id)
        raw += n
    write_index(layout, descs, diff_ids, [f"RUN /bin/sh -c step {k} # buildkit" for k in range(len(layers))])
    return raw


CHILD = """
import sys, time
sys.path.insert(0, {root!r})


def peak_kb():  # VmHWM: this process's own peak (ru_maxrss would include the parent's before exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


from bot.measure.layers.source import open_image
from bot.measure.layers.inspection import inspect_source
t0 = time.perf_counter()
with open_image({layout!r}) as src:
    insp = inspect_source(src)
a = insp.analysis
print(time.perf_counter() - t0, a.size, a.efficiency.score, sum(r.bytes for r in a.removed),
      sum(w.bytes for w in a.waste), sum(d.bytes for d in a.duplicates), sum(li.entries for li in a.layers),
      peak_kb(), time.process_time())
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--dir", help="where to write the layout (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the layout")
    ap.add_argument("--reuse", action="store_true", help="analyse the layout already in --dir")
    args = ap.parse_args()
    base = args.dir or tempfile.mkdtemp(prefix="bench-inspect-")
    layout = os.path.join(base, "oci")
    os.makedirs(layout, exist_ok=True)
    try:
        if not args.reuse:
            t0 = time.perf_counter()
            raw = build_layout(layout, args.gb)
            print(f"wrote {raw / 1e9:.2f} GB of layer tars in {time.perf_counter() - t0:.1f} s")
        proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), layout=layout)],
                              capture_output=True, text=True, check=True)
        secs, size, score, removed, waste, dups, entries, rss, cpu = proc.stdout.split()
        peak = int(rss) / 1024
        print(f"analysed {int(size) / 1e9:.2f} GB ({entries} entries) in {float(secs):.1f} s wall, "
              f"{float(cpu):.1f} s CPU ({int(size) / 1e6 / float(secs):.0f} MB/s), peak RSS {peak:.0f} MB")
        print(f"efficiency {float(score) * 100:.1f} %, removed {int(removed) / 1e6:.0f} MB, "
              f"waste left {int(waste) / 1e6:.0f} MB, duplicates {int(dups) / 1e6:.0f} MB")
    finally:
        if not args.keep and not args.reuse:
            shutil.rmtree(base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
