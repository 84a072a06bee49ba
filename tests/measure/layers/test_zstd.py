"""zstd-compressed layers (``+zstd`` media type) read like gzip ones: real zstd data."""

from __future__ import annotations

import os
import sys

import pytest

from bot.cli import main
from bot.measure.export import read_oci_layout
from tests.measure.layers.synth import layer_bytes, oci_layout
from tests.measure.layers.test_inspect import HISTORY, LAYERS


def _layout(tmp_path, compression: str) -> tuple[str, list[bytes]]:
    raws = [layer_bytes(m) for m in LAYERS]
    return oci_layout(str(tmp_path / compression), raws, [h for h in HISTORY if "CMD" not in h], compression), raws


def test_sizes_of_a_zstd_layout_are_the_tar_bytes_and_the_stored_blobs(tmp_path):
    from bot.measure.export import read_layout

    layout, raws = _layout(tmp_path, "zstd")
    image = read_oci_layout(layout)
    assert [layer.size for layer in image.layers] == [len(r) for r in raws]
    _, _, descs, _ = read_layout(layout)
    stored = [os.path.getsize(os.path.join(layout, "blobs", "sha256", d["digest"][7:])) for d in descs]
    assert [layer.gzip_size for layer in image.layers] == stored  # what a registry stores: the zstd blob
    assert stored[1] < len(raws[1]) // 100  # 500 kB of one byte: really compressed


def test_inspect_reads_zstd_as_it_reads_gzip(tmp_path, capsys):
    outputs = []
    for compression in ("gzip", "zstd"):
        layout, _ = _layout(tmp_path, compression)
        assert main(["inspect", layout, "--format", "json"]) == 0
        outputs.append(__import__("json").loads(capsys.readouterr().out))
    gz, zs = outputs
    for key in ("size", "removed", "waste", "duplicates", "dive"):
        assert zs[key] == gz[key], key
    assert [li["size"] for li in zs["layers"]] == [li["size"] for li in gz["layers"]]


def test_a_damaged_zstd_layer_is_a_clear_error(tmp_path, capsys):
    layout, _ = _layout(tmp_path, "zstd")
    from bot.measure.export import read_layout

    _, _, descs, _ = read_layout(layout)
    path = os.path.join(layout, "blobs", "sha256", descs[1]["digest"][7:])  # the 500 kB layer
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2:] = b"\0" * (len(data) - len(data) // 2)
    open(path, "wb").write(bytes(data))
    assert main(["inspect", layout]) == 2
    err = capsys.readouterr().err
    assert "dockerdiet inspect: error:" in err and "damaged layer" in err and "zstd" in err


def test_without_the_zstandard_package_the_error_says_what_to_install(tmp_path, capsys, monkeypatch):
    layout, _ = _layout(tmp_path, "zstd")
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard now raises ImportError
    assert main(["inspect", layout]) == 2
    err = capsys.readouterr().err
    assert "zstd-compressed" in err and "pip install 'dockerdiet[zstd]'" in err and "Traceback" not in err


def test_check_never_imports_zstandard():
    import subprocess

    code = ("import sys; from bot.cli import main; main(['check', '-q', 'examples']) ; "
            "print('zstandard' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr
