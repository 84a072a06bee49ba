"""From a synthetic image (OCI layout, docker save) and its Dockerfile to measured findings."""

from __future__ import annotations

import json
import os

import pytest

from bot.cli import main
from bot.config import ConfigError, parse_fail_on
from bot.measure.layers.inspection import inspect_source, line_table
from bot.measure.layers.source import open_image
from tests.measure.layers.synth import docker_save, layer_bytes, oci_layout

DOCKERFILE = """FROM debian:12
RUN make big
RUN rm /big
RUN pip install flask
COPY data /app/data
RUN mkdir -p /src/.git && make clean-build
"""
RND = os.urandom(1)  # the content of the duplicated file differs run to run: hashing, not luck
BLOB = bytes(range(256)) * 8 + RND  # 2049 bytes
LAYERS = [
    [("dir", "etc"), ("file", "etc/base.dat", BLOB), ("dir", "var/lib/apt/lists"),
     ("file", "var/lib/apt/lists/base_Packages", b"p" * 50_000)],  # the base's own waste
    [("file", "big", b"b" * 500_000)],
    [("whiteout", "big")],
    [("file", "root/.cache/pip/http/1/wheel", b"w" * 300_000), ("file", "usr/lib/py/flask.py", b"f" * 4000)],
    [("dir", "app"), ("file", "app/data", BLOB)],
    [("file", "src/.git/objects/pack", b"g" * 70_000), ("file", "src/config.status", b"c" * 100),
     ("file", "src/main.o", b"o" * 9000), ("file", "src/main.c", b"m" * 700)],
]
HISTORY = ["/bin/sh -c #(nop) ADD file:0123 in / ", "/bin/sh -c #(nop)  CMD [\"bash\"]",
           "RUN /bin/sh -c make big # buildkit", "RUN /bin/sh -c rm /big # buildkit",
           "RUN /bin/sh -c pip install flask # buildkit", "COPY data /app/data # buildkit",
           "RUN /bin/sh -c mkdir -p /src/.git && make clean-build # buildkit"]


@pytest.fixture(params=["oci", "oci-raw", "oci-zstd", "docker-save"])
def image(request, tmp_path):
    raws = [layer_bytes(m) for m in LAYERS]
    hist = [{"created_by": h} for h in HISTORY]
    hist[1]["empty_layer"] = True
    if request.param == "docker-save":
        path = docker_save(str(tmp_path / "image.tar"), raws, HISTORY)
    else:
        compression = {"oci": "gzip", "oci-zstd": "zstd"}.get(request.param, "")
        path = oci_layout(str(tmp_path / "oci"), raws, HISTORY, compression)
    _mark_empty(path, request.param)
    return path


def _mark_empty(path: str, kind: str) -> None:
    """The CMD entry made no layer: say so in the config, as builders do."""
    # synth writes history without empty_layer; rewrite the config in place
    import hashlib
    import tarfile

    if kind == "docker-save":
        with tarfile.open(path) as tf:
            members = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
        manifest = json.loads(members["manifest.json"])
        cfg = json.loads(members[manifest[0]["Config"]])
        cfg["history"][1]["empty_layer"] = True
        members[manifest[0]["Config"]] = json.dumps(cfg).encode()
        import io

        with tarfile.open(path, "w") as tf:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return
    from tests.measure.layers.synth import write_index

    index = json.load(open(os.path.join(path, "index.json")))
    blob = lambda d: os.path.join(path, "blobs", "sha256", d.split(":")[1])  # noqa: E731
    manifest = json.load(open(blob(index["manifests"][0]["digest"])))
    cfg = json.load(open(blob(manifest["config"]["digest"])))
    history = [h["created_by"] for h in cfg["history"]]
    write_index(path, manifest["layers"], cfg["rootfs"]["diff_ids"], history)
    manifest = json.load(open(blob(json.load(open(os.path.join(path, "index.json")))["manifests"][0]["digest"])))
    cfg_path = blob(manifest["config"]["digest"])
    cfg = json.load(open(cfg_path))
    cfg["history"][1]["empty_layer"] = True
    data = json.dumps(cfg).encode()
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(path, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    manifest["config"] = {**manifest["config"], "digest": f"sha256:{digest}", "size": len(data)}
    mdata = json.dumps(manifest).encode()
    mdigest = hashlib.sha256(mdata).hexdigest()
    with open(os.path.join(path, "blobs", "sha256", mdigest), "wb") as f:
        f.write(mdata)
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                       "digest": f"sha256:{mdigest}", "size": len(mdata)}]}, f)


def _inspect(path):
    with open_image(path) as src:
        return inspect_source(src, DOCKERFILE, "Dockerfile")


def test_every_planted_waste_is_found_on_its_line(image):
    insp = _inspect(image)
    got = {(m.finding.rule_id, m.finding.span.start.line, m.kind): m for m in insp.measured}
    removed = got[("DT701", 2, "removed")]
    assert removed.bytes == 500_000 and removed.removed_by == (3, 3)
    assert "line 3 (RUN)" in removed.finding.message
    assert removed.finding.estimate[:2] == (500_000, 500_000) and removed.finding.estimate.source == "measured"
    assert got[("DT703", 6, "git")].bytes == 70_000
    assert got[("DT703", 6, "build-tree")].bytes == 100 + 9000 + 700
    assert got[("DT704", 5, "duplicate")].bytes == len(BLOB)
    # the pip cache is DT105's waste: the static finding carries the measured bytes
    pip = next(m for m in insp.measured if m.kind == "pip-cache")
    assert pip.finding.rule_id == "DT105" and pip.merged == ("DT702",) and pip.bytes == 300_000
    assert pip.finding.estimate.bytes_low == pip.finding.estimate.bytes_high == 300_000
    assert not any(f.rule_id == "DT702" for f in insp.findings)
    # the base image's apt lists are the base's, not a line's
    assert not any(m.kind == "apt-lists" for m in insp.measured)
    assert insp.waste_bytes == 500_000 + 300_000 + 70_000 + 9800 + len(BLOB)


def test_line_table_and_json(image):
    insp = _inspect(image)
    rows = {r.line: r for r in line_table(insp)}
    assert rows[2].waste == 500_000 and rows[2].added > 500_000
    assert rows[3].waste == 0
    doc = json.loads(json.dumps(__import__("bot.measure.layers.report", fromlist=["x"]).to_json(insp)))
    dt701 = next(f for f in doc["findings"] if f["rule"] == "DT701")
    assert dt701["removed_by"] == {"line": 3, "end_line": 3}
    assert dt701["estimate"]["source"] == "measured"
    assert doc["layers"][1]["instruction"]["line"] == 2 and doc["layers"][0]["instruction"] is None


def test_without_a_dockerfile_layers_are_named_by_history(image, capsys):
    assert main(["inspect", image, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"] == [] and doc["layers"][1]["created_by"].startswith("RUN /bin/sh -c make big")
    assert doc["removed"][0]["bytes"] == 500_000


def test_cli_sarif_and_fail_on(image, tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text(DOCKERFILE)
    assert main(["inspect", image, "--dockerfile", str(df), "--format", "sarif", "--fail-on", "measured-waste>1MB"]) == 0
    doc = json.loads(capsys.readouterr().out)
    res = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "DT701")
    assert res["properties"]["removed_by"] == {"line": 3, "end_line": 3}
    assert main(["inspect", image, "--dockerfile", str(df), "--fail-on", "measured-waste>800kB"]) == 1
    assert "DT701" in capsys.readouterr().out


def test_clear_errors_for_bad_images(tmp_path, capsys):
    bad = tmp_path / "x.tar"
    bad.write_bytes(b"not a tar")
    assert main(["inspect", str(bad)]) == 2
    assert "x.tar" in capsys.readouterr().err
    (tmp_path / "d").mkdir()
    assert main(["inspect", str(tmp_path / "d")]) == 2
    assert "index.json" in capsys.readouterr().err


def test_fail_on_measured_waste_parses_and_check_ignores_it():
    assert parse_fail_on("measured-waste>50MB", "f").measured == 50_000_000
    assert str(parse_fail_on("measured-waste > 1kB", "f")) == "measured-waste>1000B"
    with pytest.raises(ConfigError):
        parse_fail_on("measured-waste>lots", "f")


def test_pragmas_suppress_measured_findings_and_are_not_unused_in_check(image):
    from bot.engine import Options, analyse_text

    text = DOCKERFILE.replace("RUN mkdir -p /src/.git", "# dockerdiet ignore=DT703\nRUN mkdir -p /src/.git")
    with open_image(image) as src:
        insp = inspect_source(src, text, "Dockerfile")
    assert not any(m.finding.rule_id == "DT703" for m in insp.measured)
    assert any(m.finding.rule_id == "DT701" for m in insp.measured)
    assert not [f for f in analyse_text("Dockerfile", text, Options()).findings if f.rule_id == "DT901"]
    bad = analyse_text("Dockerfile", text.replace("DT703", "DT799"), Options()).findings
    assert [f.rule_id for f in bad if f.rule_id == "DT901"] == ["DT901"]  # unknown codes still reported


def test_an_image_the_first_engine_lacks_names_how_to_pick_another(monkeypatch):
    # measured table run: without DOCKER_HOST the first engine found was podman, and the error
    # named podman only
    import subprocess

    from bot.measure import engines
    from bot.measure.engines import Engine, MeasureError
    from bot.measure.layers.source import exported

    def failing(cmd, **kw):
        return subprocess.CompletedProcess(cmd, 125, "", "Error: app:1: image not known")

    monkeypatch.setattr(engines, "make_engine", lambda name=None: Engine("podman", "/usr/bin/podman", failing))
    with pytest.raises(MeasureError) as err:
        with exported("app:1"):
            pass
    assert "image not known" in str(err.value) and "--engine docker|podman|buildah" in str(err.value)
    with pytest.raises(MeasureError) as chosen:
        with exported("app:1", "podman"):
            pass
    assert "--engine" not in str(chosen.value)  # the user chose the engine: no advice to choose
