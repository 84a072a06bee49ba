"""DT705: compilers and headers measured in an image whose command does not compile.

Synthetic layers whose toolchain bytes are known: what gcc, libc6-dev and binutils put
in /usr/bin, /usr/lib/gcc, /usr/include and the static libraries, next to runtime
libraries that must not count.
"""

from __future__ import annotations

import pytest

from bot.measure.layers.inspection import inspect_source
from bot.measure.layers.source import open_image
from tests.measure.layers.synth import layer_bytes, oci_layout

BASE = [("dir", "usr/include"), ("file", "usr/include/base.h", b"h" * 3000),  # the base's own: never a line's
        ("file", "usr/lib/x86_64-linux-gnu/libc.so.6", b"c" * 20_000)]
TOOLCHAIN = {
    "usr/bin/x86_64-linux-gnu-gcc-12": 90_000,
    "usr/bin/x86_64-linux-gnu-ld.bfd": 40_000,
    "usr/lib/gcc/x86_64-linux-gnu/12/cc1": 300_000,
    "usr/include/stdio.h": 30_000,
    "usr/include/x86_64-linux-gnu/bits/types.h": 5_000,
    "usr/lib/x86_64-linux-gnu/libc.a": 60_000,
    "usr/lib/x86_64-linux-gnu/crt1.o": 2_000,
    "usr/lib/x86_64-linux-gnu/libbfd-2.40-system.so": 25_000,
}
RUNTIME = {"usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30": 70_000, "usr/bin/python3": 50_000}
LAYER = [("file", p, bytes([k]) * n) for k, (p, n) in enumerate({**TOOLCHAIN, **RUNTIME}.items())]
PLANTED = sum(TOOLCHAIN.values())


def _image(tmp_path, install: str, cmd: tuple[str, ...]) -> str:
    history = ["/bin/sh -c #(nop) ADD file:0123 in / ", f"RUN /bin/sh -c {install} # buildkit"]
    return oci_layout(str(tmp_path / "oci"), [layer_bytes(BASE), layer_bytes(LAYER)], history, cmd=cmd)


def _inspect(path: str, text: str | None):
    with open_image(path) as src:
        return inspect_source(src, text, "Dockerfile")


APT = "apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*"


def test_static_dt207_gains_the_measured_toolchain_bytes(tmp_path):
    text = f'FROM python:3.12-slim\nRUN {APT}\nCMD ["python", "app.py"]\n'
    insp = _inspect(_image(tmp_path, APT, ("python", "app.py")), text)
    (m,) = insp.measured
    assert m.finding.rule_id == "DT207" and m.merged == ("DT705",) and m.kind == "toolchain"
    assert m.bytes == PLANTED and m.finding.estimate[:2] == (PLANTED, PLANTED)
    assert m.finding.estimate.source == "measured"
    assert not any(f.rule_id == "DT705" for f in insp.findings)


def test_a_toolchain_no_static_rule_sees_is_dt705(tmp_path):
    text = 'FROM python:3.12-slim\nRUN ./install-deps.sh\nCMD ["python", "app.py"]\n'
    insp = _inspect(_image(tmp_path, "./install-deps.sh", ("python", "app.py")), text)
    (m,) = insp.measured
    assert (m.finding.rule_id, m.finding.span.start.line, m.bytes) == ("DT705", 2, PLANTED)
    assert m.finding.message.startswith("toolchain left in an image that never compiles: ")
    assert len(m.finding.message) <= 100
    assert "/usr/lib/gcc" in m.finding.message  # the biggest place
    assert {p for _, p in m.paths} <= set(TOOLCHAIN)


@pytest.mark.parametrize("text, cmd", [
    ('FROM ubuntu:24.04\nRUN ./install-deps.sh\nCMD ["bash"]\n', ("bash",)),
    ('FROM python:3.12-slim\nRUN ./install-deps.sh\nCMD ["sh", "-c", "make && ./app"]\n', ("sh", "-c", "make && ./app")),
    ('FROM python:3.12-slim AS dev\nRUN ./install-deps.sh\nCMD ["python", "app.py"]\n', ("python", "app.py")),
    ('FROM debian:12\nRUN ./install-deps.sh\n', ()),
], ids=["shell", "compiles-at-start", "dev-stage", "os-base-without-command"])
def test_nothing_when_the_image_is_meant_for_building(tmp_path, text, cmd):
    insp = _inspect(_image(tmp_path, "./install-deps.sh", cmd), text)
    assert insp.measured == (), [m.finding.message for m in insp.measured]


def test_without_a_dockerfile_the_image_command_decides(tmp_path):
    serving = _inspect(_image(tmp_path / "a", "x", ("python", "app.py")), None).analysis
    by_layer = {}
    for w in serving.waste:
        by_layer[w.layer] = by_layer.get(w.layer, 0) + w.bytes * (w.kind == "toolchain")
    assert by_layer == {0: 3000, 1: PLANTED}  # the analysis names the base's header too; no line wrote it
    shell = _inspect(_image(tmp_path / "b", "x", ("bash",)), None).analysis
    assert not any(w.kind == "toolchain" for w in shell.waste)


def test_a_multi_stage_rewrite_absorbs_the_toolchain_and_keeps_its_own_estimate(tmp_path):
    # corpus images 0121-0746 (measured table): DT705 beside DT402 on the same gcc bytes gave
    # two comments; the rewrite saves those bytes and more, so it keeps its estimate
    text = (f"FROM python:3.12-slim\nRUN {APT}\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            'CMD ["python", "app.py"]\n')
    history = ["/bin/sh -c #(nop) ADD file:0123 in / ", f"RUN /bin/sh -c {APT} # buildkit",
               "COPY requirements.txt . # buildkit", "RUN /bin/sh -c pip install -r requirements.txt # buildkit"]
    layers = [layer_bytes(BASE), layer_bytes(LAYER), layer_bytes([("file", "requirements.txt", b"psycopg2\n")]),
              layer_bytes([("file", "usr/local/lib/python3.12/site-packages/psycopg2/_psycopg.so", b"p" * 9000)])]
    insp = _inspect(oci_layout(str(tmp_path / "oci"), layers, history, cmd=("python", "app.py")), text)
    (m,) = insp.measured
    assert m.finding.rule_id == "DT402" and m.merged == ("DT705",) and m.bytes == PLANTED
    assert m.finding.estimate.source != "measured" and m.finding.estimate.bytes_high > PLANTED
    assert "measured in the built image" in m.finding.estimate.basis
    assert not any(f.rule_id in ("DT705", "DT207") for f in insp.findings)
