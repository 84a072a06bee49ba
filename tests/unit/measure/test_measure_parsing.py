"""Parsing of engine outputs: recorded buildah/podman outputs and documented Docker shapes."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile
import zlib

import pytest

from bot.measure.attribute import attribute, history_keyword, image_stages
from bot.measure.buildlog import failure_point
from bot.measure.export import SizeCache, gzipped_length, read_docker_save, read_oci_layout
from bot.measure.images import ImageFormatError, Layer, pair_history
from bot.measure.pair import image_instructions, locate_failure
from bot.model.dockerfile import parse

FIX = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name: str) -> str:
    return os.path.join(FIX, name)


def read(name: str) -> str:
    with open(fixture(name), encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------- OCI layout (recorded)

def test_oci_layout_sizes_match_podman_history_of_the_same_image():
    image = read_oci_layout(fixture("oci_scratch_gzip"))
    podman = json.loads(read("podman_history_scratch.json"))
    sizes_newest_first = [e["size"] for e in podman if e["size"]]
    assert [layer.size for layer in reversed(image.layers)] == sizes_newest_first
    assert [layer.gzip_size for layer in image.layers] == [112, 109]  # manifest blob sizes
    assert image.size == 4096 and image.gzip_size == 221


def test_oci_layout_history_pairs_layers_with_their_instructions():
    image = read_oci_layout(fixture("oci_scratch_gzip"))
    assert [(history_keyword(h.created_by), h.empty_layer) for h in image.history] == [
        ("ENV", True), ("COPY", False), ("COPY", False), ("LABEL", True)]
    assert image.history[1].layer is image.layers[0]
    assert image.history[0].layer is None


def test_oci_layout_attributes_layers_to_dockerfile_lines():
    df = parse("FROM scratch\nENV A=1\nCOPY hello.txt /hello.txt\nCOPY two.txt /\nLABEL k=v\n")
    att = attribute(image_instructions(df, None), read_oci_layout(fixture("oci_scratch_gzip")).history)
    got = [(r.instruction.line, r.entry is not None and r.entry.layer is not None) for r in att.rows]
    assert got == [(2, False), (3, True), (4, True), (5, False)]
    assert att.base == () and att.unattributed == ()


def test_size_cache_reuses_uncompressed_sizes_by_blob_digest(tmp_path):
    layout = tmp_path / "oci"
    shutil.copytree(fixture("oci_scratch_gzip"), layout)
    cache = SizeCache()
    first = read_oci_layout(str(layout), cache)
    # Corrupt one blob: a cached digest must not be read again.
    blob = layout / "blobs" / "sha256" / "a8742b0d08bc2abdf0264a118af1bb5572e684fbea6999d1a36069a6e0a1fc2a"
    blob.write_bytes(b"garbage")
    assert read_oci_layout(str(layout), cache).layers == first.layers
    with pytest.raises(Exception):
        read_oci_layout(str(layout), SizeCache())


def test_broken_layout_is_a_clear_error(tmp_path):
    (tmp_path / "index.json").write_text('{"manifests": []}')
    with pytest.raises(ImageFormatError, match="lists no manifest"):
        read_oci_layout(str(tmp_path))
    with pytest.raises(ImageFormatError, match="index.json"):
        read_oci_layout(str(tmp_path / "missing"))


# ---------------------------------------------------------------- build logs (recorded)

@pytest.mark.parametrize("log", ["buildah_bud_run_failed.log", "podman_build_run_failed.log"])
def test_buildah_and_podman_failure_names_the_step_and_its_lines(log):
    point = failure_point(read(log))
    assert point.instruction_text == "RUN echo failing &&     exit 7"
    assert point.tail[-1].startswith("Error: building at STEP")
    text = 'FROM debian:bookworm-slim\nRUN echo ok > /ok\nRUN echo failing && \\\n    exit 7\nCMD ["bash"]\n'
    assert locate_failure(parse(text), point)[:2] == (3, 4)


def test_buildkit_failure_names_the_dockerfile_line():  # synthesised from Docker's docs
    point = failure_point(read("docker_buildkit_failed.synth.log"))
    assert point.line == 3
    assert point.instruction_text == "RUN apt-get update && apt-get install -y no-such-package"
    assert "ERROR: failed to solve" in point.tail[-1]


def test_success_log_has_no_failing_step_text_beyond_the_last_step():
    point = failure_point(read("buildah_bud_scratch_ok.log"))
    assert point.instruction_text == "LABEL k=v" and point.line is None


# ---------------------------------------------------------------- docker (synthesised)

def _docker_save_tar(tmp_path, layer_payloads: list[bytes]) -> str:
    config = json.loads(read("docker_buildkit_config.synth.json"))
    cfg_name = "a" * 64 + ".json"
    layers = [f"{i:064d}/layer.tar" for i in range(len(layer_payloads))]
    path = tmp_path / "save.tar"
    with tarfile.open(path, "w") as tf:
        def add(name: str, data: bytes) -> None:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))

        add("manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": None, "Layers": layers}]).encode())
        add(cfg_name, json.dumps(config).encode())
        for name, payload in zip(layers, layer_payloads):
            add(name, payload)
    return str(path)


def test_docker_save_sizes_and_buildkit_history(tmp_path):
    payloads = [os.urandom(5000), b"\0" * 100_000, b"x" * 512, os.urandom(3000)]
    image = read_docker_save(_docker_save_tar(tmp_path, payloads))
    assert [layer.size for layer in image.layers] == [len(p) for p in payloads]
    for layer, p in zip(image.layers, payloads):
        assert layer.gzip_size == len(gzip.compress(p, 6, mtime=0))
    assert image.image_id == "sha256:" + "a" * 64
    df = parse(
        "FROM debian:bookworm-slim\nARG VERSION=1.2\nENV PIP_NO_CACHE_DIR=1\n"
        "RUN apt-get update && apt-get install -y python3\nWORKDIR /app\nCOPY . .\n"
        'CMD ["python3", "app.py"]\n'
    )
    att = attribute(image_instructions(df, None), image.history)
    sizes = {r.instruction.line: (r.entry.layer.size if r.entry and r.entry.layer else None) for r in att.rows}
    # BuildKit writes no history entry for ARG; the base's ADD stays the base's.
    assert sizes == {2: None, 3: None, 4: 100_000, 5: 512, 6: 3000, 7: None}
    assert [r.entry is None for r in att.rows] == [True, False, False, False, False, False]
    assert [history_keyword(h.created_by) for h in att.base] == ["ADD", "CMD"]


def test_docker_save_that_is_not_one_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w"):
        pass
    with pytest.raises(ImageFormatError, match="not docker save output"):
        read_docker_save(str(bad))


# ---------------------------------------------------------------- history and attribution

@pytest.mark.parametrize("created_by, keyword", [
    ("/bin/sh -c #(nop) ENV A=1", "ENV"),
    ("/bin/sh -c #(nop)  CMD [\"bash\"]", "CMD"),
    ("/bin/sh -c #(nop) COPY file:5b0d in /app/ ", "COPY"),
    ("|1 FOO=bar /bin/sh -c echo $FOO > /x", "RUN"),
    ("/bin/sh -c apt-get update", "RUN"),
    ("RUN /bin/sh -c make # buildkit", "RUN"),
    ("COPY . . # buildkit", "COPY"),
    ("WORKDIR /app", "WORKDIR"),
    ("/bin/bash -o pipefail -c curl x | sh", "RUN"),
    ("", ""),
])
def test_history_keyword(created_by, keyword):
    assert history_keyword(created_by) == keyword


def test_history_that_does_not_line_up_with_layers_keeps_sizes_only():
    layers = [Layer("sha256:a", 10, 5)]
    entries = pair_history([{"created_by": "x"}, {"created_by": "y"}], layers)
    assert [(e.created_by, e.layer) for e in entries] == [("", layers[0])]


def test_image_of_a_stage_built_from_an_earlier_stage_includes_both():
    df = parse("FROM debian AS base\nRUN a\nFROM base AS app\nRUN b\nFROM debian AS other\nRUN c\n")
    assert [s.label for s in image_stages(df, "app")] == ["base", "app"]
    assert [i.line for i in image_instructions(df, "app")] == [2, 4]
    assert [i.line for i in image_instructions(df, None)] == [6]


def test_gzipped_length_matches_gzip_module():
    data = b"hello world " * 1000
    raw, packed = gzipped_length(io.BytesIO(data))
    assert raw == len(data)
    assert packed == len(gzip.compress(data, 6, mtime=0))
    assert zlib.decompress(gzip.compress(data), 31) == data


def test_docker_save_compresses_a_shared_layer_once_per_engine(tmp_path):
    """head, fixed head and base branch share the base layer: one gzip pass for all three."""
    payloads = [os.urandom(5000), b"\0" * 100_000, b"x" * 512, os.urandom(3000)]
    cache = SizeCache()
    first = read_docker_save(_docker_save_tar(tmp_path, payloads), cache)
    assert cache.computed == 4
    (tmp_path / "again").mkdir()
    again = read_docker_save(_docker_save_tar(tmp_path / "again", payloads), cache)
    assert cache.computed == 4 and again.layers == first.layers


def test_docker_history_sizes_replace_tar_bytes_when_the_entries_line_up(tmp_path):
    from bot.measure.images import ENGINE_SIZE, TAR_BYTES, with_engine_sizes

    payloads = [os.urandom(5000), b"\0" * 100_000, b"x" * 512, os.urandom(3000)]
    image = read_docker_save(_docker_save_tar(tmp_path, payloads))
    n = len(image.history)
    sizes = [0 if e.layer is None else 1000 + i for i, e in enumerate(image.history)]
    mine = with_engine_sizes(image, list(reversed(sizes)))
    assert mine.size_basis == ENGINE_SIZE and [x.size for x in mine.layers] == [s for s in sizes if s]
    assert [x.gzip_size for x in mine.layers] == [x.gzip_size for x in image.layers]
    assert with_engine_sizes(image, [1] * (n + 1)).size_basis == TAR_BYTES  # counts disagree: tar bytes stay
