"""Planted waste in real buildah images, known to the byte, found on the right lines.

Every size below comes from the Dockerfile itself (dd block counts, the files packed into
the tarball), not from a previous run. Random bytes make every file distinct, so only
the planted copy is a duplicate.
"""

from __future__ import annotations

import io
import os
import random
import tarfile

import pytest

from bot.measure.engines import BuildRequest
from bot.measure.layers.inspection import inspect_built, line_table

pytestmark = pytest.mark.buildah
KiB = 1024

PLANTED = """FROM debian:bookworm-slim
RUN dd if=/dev/urandom of=/big.bin bs=1K count=8192 status=none
RUN rm /big.bin
RUN dd if=/dev/urandom of=/etc/app.conf bs=1K count=3000 status=none
RUN dd if=/dev/urandom of=/etc/app.conf bs=1K count=100 status=none
RUN mkdir -p /root/.cache/pip/http/a && dd if=/dev/urandom of=/root/.cache/pip/http/a/w bs=1K count=2048 status=none
COPY tool.tar.gz /tool.tar.gz
RUN tar -xzf /tool.tar.gz -C /tmp && rm /tool.tar.gz
RUN mkdir -p /src/app/.git/objects && echo 'int main(){}' > /src/app/main.c \\
 && dd if=/dev/urandom of=/src/app/.git/objects/pack bs=1K count=1500 status=none
RUN mkdir -p /opt/data /srv && dd if=/dev/urandom of=/opt/data/model bs=1K count=1200 status=none \\
 && cp /opt/data/model /srv/model
"""
CLEAN = """FROM debian:bookworm-slim
COPY app.bin /opt/app/app.bin
RUN dd if=/dev/urandom of=/opt/app/data bs=1K count=500 status=none && chmod 0644 /opt/app/data
ENV APP_HOME=/opt/app
"""
TOOL_FILES = {"tool-1.0/src/a.c": 700 * KiB, "tool-1.0/src/b.c": 300 * KiB, "tool-1.0/README": 5 * KiB}


def _tarball(path: str) -> int:
    """A gzip tarball of incompressible files; returns its size."""
    rnd = random.Random(16)
    with tarfile.open(path, "w:gz") as tf:
        for name, size in TOOL_FILES.items():
            info = tarfile.TarInfo(name)
            info.size = size
            tf.addfile(info, io.BytesIO(rnd.randbytes(size)))
    return os.path.getsize(path)


def _build(engine, tmp_path, text: str):
    (tmp_path / "Dockerfile").write_text(text)
    out = engine.build(BuildRequest(str(tmp_path / "Dockerfile"), str(tmp_path), pull="never"))
    assert out.ok, out.log[-2000:]
    return inspect_built(engine, out.image_id, text, "Dockerfile")


def _close(measured: int, planted: int) -> bool:
    return abs(measured - planted) <= 0.02 * planted


def test_planted_waste_found_on_its_lines_within_2_percent(buildah, tmp_path):
    tarball = _tarball(str(tmp_path / "tool.tar.gz"))
    insp = _build(buildah, tmp_path, PLANTED)
    got = {}
    for m in insp.measured:
        got.setdefault((m.finding.rule_id, m.finding.span.start.line), []).append(m)

    def one(rule, line):
        items = got.get((rule, line), [])
        assert len(items) == 1, (rule, line, [m.finding.message for m in insp.measured])
        return items[0]

    big = one("DT701", 2)
    assert _close(big.bytes, 8192 * KiB) and big.removed_by == (3, 3)
    conf = one("DT701", 4)
    assert _close(conf.bytes, 3000 * KiB) and conf.removed_by == (5, 5) and "overwritten" in conf.finding.message
    pip = one("DT702", 6)
    assert pip.kind == "pip-cache" and _close(pip.bytes, 2048 * KiB)
    # DT206 reports the same bytes statically (an archive COPYed then unpacked): it gains the number
    copied = one("DT206", 7)
    assert copied.merged == ("DT701",) and copied.finding.estimate.source == "measured"
    assert _close(copied.bytes, tarball) and copied.removed_by == (8, 8)
    tmp = one("DT703", 8)
    assert tmp.kind == "tmp" and _close(tmp.bytes, sum(TOOL_FILES.values()))
    git = one("DT703", 9)
    assert git.kind == "git" and _close(git.bytes, 1500 * KiB) and git.finding.span.end.line == 10
    dup = one("DT704", 11)
    assert _close(dup.bytes, 1200 * KiB)
    assert len(insp.measured) == 7, [m.finding.message for m in insp.measured]
    assert all(m.finding.estimate.source == "measured" for m in insp.measured)
    rows = {r.line: r for r in line_table(insp)}
    assert rows[3].waste == 0 and _close(rows[2].waste, 8192 * KiB)


def test_nothing_on_a_clean_image(buildah, tmp_path):
    (tmp_path / "app.bin").write_bytes(random.Random(7).randbytes(200 * KiB))
    insp = _build(buildah, tmp_path, CLEAN)
    assert insp.measured == (), [m.finding.message for m in insp.measured]
    assert [li.instruction.line for li in insp.analysis.layers if li.instruction] == [2, 3]


def test_zstd_layers_pushed_by_buildah_read_as_their_gzip_push(buildah, tmp_path):
    """A real zstd layer: the local base pushed with each compression buildah offers."""
    import hashlib
    import subprocess

    from bot.measure import zstd
    from bot.measure.export import read_layout
    from bot.measure.layers.analyse import analyse
    from bot.measure.layers.source import open_oci_layout

    got = {}
    for fmt in ("gzip", "zstd", "zstd:chunked"):
        dest = str(tmp_path / fmt.replace(":", "-"))
        with buildah._locked():
            proc = subprocess.run(buildah._base() + ["push", "--compression-format", fmt, "debian:bookworm-slim",
                                                      f"oci:{dest}:image"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-1000:]
        _, _, descs, diff_ids = read_layout(dest)
        assert descs[0]["mediaType"].endswith("+" + fmt.split(":")[0]), descs[0]
        a = analyse(open_oci_layout(dest))
        got[fmt] = [(li.file_bytes, li.entries, li.tar_size) for li in a.layers], descs, diff_ids, dest
    print({k: v[0] for k, v in got.items()})
    (gz, _, gz_ids, _), (zs, descs, zs_ids, dest) = got["gzip"], got["zstd"]
    assert zs == gz and zs_ids == gz_ids  # the same tar, byte for byte
    h = hashlib.sha256()
    with open(f"{dest}/blobs/sha256/{descs[0]['digest'][7:]}", "rb") as f, zstd.decompressing(f) as r:
        while data := r.read(1 << 20):
            h.update(data)
    assert "sha256:" + h.hexdigest() == zs_ids[0]
    # zstd:chunked writes every file as its own frames plus skippable metadata frames: the same
    # entries and file bytes (its tar stream lacks the end-of-archive padding of the plain one)
    chunked = got["zstd:chunked"][0]
    assert [(b, n) for b, n, _ in chunked] == [(b, n) for b, n, _ in gz]


TOOLCHAIN = """FROM debian:bookworm-slim
RUN mkdir -p /usr/lib/gcc/x86_64-linux-gnu/12 /usr/include/app \\
 && dd if=/dev/urandom of=/usr/lib/gcc/x86_64-linux-gnu/12/cc1 bs=1K count=3000 status=none \\
 && dd if=/dev/urandom of=/usr/include/app/api.h bs=1K count=700 status=none \\
 && dd if=/dev/urandom of=/usr/bin/x86_64-linux-gnu-gcc-12 bs=1K count=900 status=none \\
 && dd if=/dev/urandom of=/usr/lib/x86_64-linux-gnu/libapp.so.1 bs=1K count=400 status=none
CMD ["sleep", "infinity"]
"""


def test_planted_toolchain_is_dt705_unless_the_command_is_a_shell(buildah, tmp_path):
    insp = _build(buildah, tmp_path, TOOLCHAIN)
    (m,) = insp.measured
    print(f"DT705 measured: {m.bytes} B (planted {4600 * KiB} B)")
    assert (m.finding.rule_id, m.finding.span.start.line, m.finding.span.end.line) == ("DT705", 2, 6)
    assert _close(m.bytes, (3000 + 700 + 900) * KiB)  # the runtime library is not counted
    assert "libapp" not in str(m.paths)
    shell = _build(buildah, tmp_path, TOOLCHAIN.replace('["sleep", "infinity"]', '["bash"]'))
    assert shell.measured == ()
