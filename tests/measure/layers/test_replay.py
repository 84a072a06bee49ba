"""Stacking synthetic layer tars: whiteouts, opaque directories, overwrites, hard links."""

from __future__ import annotations

import io
import tarfile

import pytest

from bot.measure.layers.efficiency import efficiency
from bot.measure.layers.replay import apply_all
from bot.measure.layers.tarscan import LayerFormatError, LayerScan
from tests.measure.layers.synth import layer_bytes


def stack_of(*layers):
    return apply_all(LayerScan(io.BytesIO(layer_bytes(members))) for members in layers)


def removed(stack):
    return {(r.writer, r.remover): (r.bytes, r.files, sorted(p for _, p, _ in r.top)) for r in stack.removed.values()}


def final(stack):
    return {p: stack.blob_size[n.blob] for p, n in stack.files()}


def test_whiteout_deletes_a_lower_file():
    s = stack_of([("dir", "opt"), ("file", "opt/big", b"x" * 5000), ("file", "opt/keep", b"k" * 10)],
                 [("whiteout", "opt/big")])
    assert removed(s) == {(0, 1): (5000, 1, ["opt/big"])}
    assert final(s) == {"opt/keep": 10}


def test_whiteout_of_a_directory_removes_everything_below():
    s = stack_of([("dir", "src"), ("file", "src/a", b"a" * 300), ("dir", "src/sub"), ("file", "src/sub/b", b"b" * 700)],
                 [("whiteout", "src")])
    assert removed(s) == {(0, 1): (1000, 2, ["src/a", "src/sub/b"])}
    assert final(s) == {}


def test_opaque_directory_hides_lower_contents_but_not_its_own_layer():
    # the layer's own file comes BEFORE the marker in tar order: it must survive
    s = stack_of([("dir", "d"), ("file", "d/x", b"x" * 3000), ("file", "d/y", b"y" * 2000), ("file", "e", b"e" * 5)],
                 [("dir", "d"), ("file", "d/z", b"z" * 100), ("opaque", "d")])
    assert removed(s) == {(0, 1): (5000, 2, ["d/x", "d/y"])}
    assert final(s) == {"d/z": 100, "e": 5}


def test_overwrite_in_a_later_layer():
    s = stack_of([("file", "etc/conf", b"1" * 4000)], [], [("file", "etc/conf", b"2" * 4100)])
    r = stack_of([("file", "etc/conf", b"1" * 4000)], [], [("file", "etc/conf", b"2" * 4100)]).removed[(0, 2)]
    assert (r.bytes, [how for _, _, how in r.top]) == (4000, ["overwritten"])
    assert final(s) == {"etc/conf": 4100}


def test_file_replacing_a_directory_removes_its_contents():
    s = stack_of([("dir", "d"), ("file", "d/x", b"x" * 1000)], [("file", "d", b"now a file")])
    assert removed(s) == {(0, 1): (1000, 1, ["d/x"])}


def test_hardlinked_bytes_are_gone_only_with_the_last_name():
    s = stack_of([("file", "a", b"h" * 6000), ("hardlink", "b", "a")], [("whiteout", "a")], [("whiteout", "b")])
    assert removed(s) == {(0, 2): (6000, 1, ["b"])}


def test_hardlinks_count_once_in_the_final_filesystem():
    s = stack_of([("file", "a", b"h" * 6000), ("hardlink", "b", "a")])
    files = list(s.files())
    assert {p for p, _ in files} == {"a", "b"} and len({n.blob for _, n in files}) == 1


def test_whiteout_of_a_path_no_lower_layer_has_is_harmless():
    s = stack_of([("file", "a", b"a" * 10)], [("whiteout", "nothing/here")])
    assert removed(s) == {} and final(s) == {"a": 10}


def test_layer_stats_and_tar_size():
    raw = layer_bytes([("dir", "usr"), ("dir", "usr/lib"), ("file", "usr/lib/big", b"b" * 9000),
                       ("file", "usr/small", b"s" * 100)])
    scan = LayerScan(io.BytesIO(raw))
    s = apply_all([scan])
    st = s.layers[0]
    assert scan.tar_size == len(raw)
    assert (st.file_bytes, st.entries) == (9100, 4)
    assert max(st.top_files) == (9000, "usr/lib/big")
    assert dict((d, b) for b, d in st.top_dirs()) == {"usr": 9100, "usr/lib": 9000}


def test_gzip_layer_is_read_as_its_tar():
    import gzip

    raw = layer_bytes([("file", "a", b"a" * 2048)])
    scan = LayerScan(io.BytesIO(gzip.compress(raw)))
    assert [e.path for e in scan] == ["a"] and scan.tar_size == len(raw)


def test_damaged_layer_is_a_clear_error():
    raw = layer_bytes([("file", "a", b"a" * 20000)])
    with pytest.raises(LayerFormatError, match="layer"):
        list(LayerScan(io.BytesIO(raw[:1500])))


def test_dive_efficiency_counts_every_copy_of_a_path():
    # f written twice (1000 each), g once (3000): minimums 1000 + 3000 over sums 2000 + 3000
    s = stack_of([("file", "f", b"1" * 1000), ("file", "g", b"g" * 3000)], [("file", "f", b"2" * 1000)])
    e = efficiency(s)
    assert e.score == pytest.approx(4000 / 5000)
    assert e.wasted_bytes == 2000 and e.user_size == 1000


def test_dive_scores_a_deleted_file_as_fully_wasted_and_a_hidden_directory_once():
    # f: 1000 then its whiteout (0): min 0, sum 1000, seen twice -> wasted
    s = stack_of([("file", "f", b"f" * 1000)], [("whiteout", "f")])
    assert efficiency(s) == (0.0, 1000, 0, 0.0)
    # d is not a leaf of layer 0, so its whiteout (counted at the 600 bytes it hides) is d's only
    # appearance: dive scores that 600/600 and does not count it as wasted
    s = stack_of([("dir", "d"), ("file", "d/x", b"x" * 600)], [("whiteout", "d")])
    assert efficiency(s).score == pytest.approx(1.0) and efficiency(s).wasted_bytes == 0


def test_duplicates_are_content_copies_outside_system_dirs_and_not_hard_links():
    from bot.measure.layers.waste import duplicates

    data, lic = bytes(range(256)) * 10, b"L" * 3000
    s = stack_of([("file", "opt/a", data), ("hardlink", "opt/b", "opt/a"), ("file", "usr/share/doc/x/copyright", lic),
                  ("file", "var/cache/debconf/templates.dat-old", lic)],
                 [("file", "srv/c", data), ("file", "usr/share/doc/y/copyright", lic), ("file", "srv/small", b"s" * 10),
                  ("file", "var/cache/debconf/templates.dat", lic), ("file", "usr/lib/git-core/git", data),
                  ("file", "usr/local/bin/c2", data),
                  ("file", "srv/small2", b"s" * 10)])
    assert [(d.layer, d.path, d.original, d.bytes) for d in duplicates(s)] == [
        (1, "srv/c", "opt/a", 2560), (1, "usr/local/bin/c2", "opt/a", 2560)]
    # a copy that is known waste (a cache) is that waste, never a duplicate, even as the first copy
    cached = stack_of([("file", "root/.cache/pip/w.whl", data)], [("file", "opt/w.whl", data)],
                      [("file", "srv/w.whl", data)])
    is_cache = lambda path: path.startswith("root/.cache/")  # noqa: E731
    assert [(d.path, d.original) for d in duplicates(cached, waste=is_cache)] == [("srv/w.whl", "opt/w.whl")]


def test_waste_kinds_by_path_and_hard_links_shared_with_kept_files():
    from bot.measure.layers.waste import waste_items

    s = stack_of([("file", "root/.cache/pip/h/x", b"p" * 2000), ("file", "tmp/build/y.c", b"t" * 100),
                  ("file", "app/.git/HEAD", b"g" * 40), ("file", "usr/src/pkg/config.status", b"c" * 30),
                  ("file", "usr/src/pkg/lib/z.c", b"z" * 70), ("file", "var/lib/apt/lists/p", b"a" * 500),
                  ("file", "home/u/.cargo/registry/cache/k.crate", b"k" * 60),
                  ("file", "opt/conda/pkgs/n.conda", b"n" * 80), ("hardlink", "opt/conda/lib/n.so", "opt/conda/pkgs/n.conda"),
                  ("file", "usr/bin/tool", b"b" * 900),
                  ("file", "root/.cache/pypoetry/artifacts/0a/w.whl", b"w" * 300),
                  ("file", "root/.cache/pypoetry/virtualenvs/app/lib/m.py", b"m" * 200)])  # installed, not cache
    got = {(w.kind, w.root): w.bytes for w in waste_items(s)}
    assert got == {("pip-cache", "root/.cache/pip"): 2000, ("tmp", "tmp"): 100, ("git", "app/.git"): 40,
                   ("build-tree", "usr/src/pkg"): 100, ("apt-lists", "var/lib/apt/lists"): 500,
                   ("cargo-cache", "home/u/.cargo/registry"): 60,  # the conda blob is also a kept library
                   ("poetry-cache", "root/.cache/pypoetry/artifacts"): 300}


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_long_names_and_links_in_pax_and_gnu_headers(fmt):
    long_dir = "/".join(["d" * 60] * 4)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        info = tarfile.TarInfo(f"{long_dir}/file")
        info.size = 3000
        tf.addfile(info, io.BytesIO(b"x" * 3000))
        link = tarfile.TarInfo(f"{long_dir}/link")
        link.type, link.linkname = tarfile.LNKTYPE, f"{long_dir}/file"
        tf.addfile(link)
    entries = list(LayerScan(io.BytesIO(buf.getvalue())))
    assert [(e.path, e.kind, e.size, e.target) for e in entries] == [
        (f"{long_dir}/file", "file", 3000, ""), (f"{long_dir}/link", "hardlink", 0, f"{long_dir}/file")]
    assert entries[0].digest  # hashed: at least 1 kB


@pytest.mark.parametrize("path, expected", [
    ("usr/arm-linux-gnueabihf/lib/crt1.o", None),  # a cross toolchain's libc (corpus 0328)
    ("usr/lib/x86_64-linux-gnu/crti.o", None),
    ("lib64/crtn.o", None),
    ("opt/build/src/main.o", ("build-tree", "opt/build/src")),
    ("usr/src/app/obj/util.o", ("build-tree", "usr/src/app/obj")),
])
def test_object_files_are_a_build_tree_only_outside_library_directories(path, expected):
    from bot.measure.layers.waste import classify

    assert classify(path) == expected
