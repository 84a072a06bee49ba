"""pip and npm/yarn caches from the generated tables: per Python version, shared packages
once, index pages and package documents allowed for, "unknown" when a package is not there."""

import json

import pytest

from bot.estimate import Estimator, tarballs, textdata, wheels
from bot.estimate.tables import TableError
from bot.model import hints as K
from bot.model.findings import Confidence, SizeHint

MB = 1_000_000
est = Estimator()


def run(kind, **params):
    return est.estimate(SizeHint(kind, params))


# ------------------------------------------------------------------ pip
@pytest.mark.parametrize("image,python", [
    ("python:3.12-slim", "3.12"), ("python:3.10.14-bookworm", "3.10"), ("debian:12", "3.11"),
    ("ubuntu:22.04", "3.10"), ("debian:bullseye-slim", "3.9"), ("python:3", ""), ("alpine:3.20", ""), ("", ""),
])  # fmt: skip
def test_python_version_of_the_image(image, python):
    assert wheels.python_of(image)[0] == python


def _row(package, python):
    return dict(wheels.table()[package][python])


def test_one_package_on_a_known_python_is_its_wheels_plus_index_pages():
    got = wheels.pip_cache(["requests"], "3.12")
    own = sum(_row("requests", "3.12").values())
    assert got.pythons == ("3.12",) and got.wheels_low == got.wheels_high == own
    pages = sum(wheels.index_pages()[d.split("==")[0]] for d in _row("requests", "3.12"))
    assert got.high == own + pages and pages > 0


def test_shared_wheels_count_once():
    both = wheels.pip_cache(["pandas", "numpy"], "3.12")
    alone = wheels.pip_cache(["pandas"], "3.12")
    assert any(d.startswith("numpy==") for d in _row("pandas", "3.12"))  # numpy is in pandas's closure
    assert both.wheels_low == alone.wheels_low


def test_unknown_python_spans_every_tabulated_version():
    got = wheels.pip_cache(["numpy"], "")
    sizes = [sum(w.values()) for w in (dict(v) for v in wheels.table()["numpy"].values())]
    assert len(got.pythons) >= 3 and (got.wheels_low, got.wheels_high) == (min(sizes), max(sizes))
    assert wheels.pip_cache(["numpy"], "3.6").pythons == got.pythons  # not tabulated: all of them


def test_pip_estimate_names_the_python_and_the_index_pages():
    e, _ = run(K.PIP_CACHE, packages=("numpy==2.1",), base_image="python:3.12-slim")
    got = wheels.pip_cache(["numpy"], "3.12")
    assert (e.bytes_low, e.bytes_high) == (got.wheels_low, got.high)
    assert "CPython 3.12 (the python:3.12-slim image)" in e.basis and "index pages" in e.basis
    assert e.confidence is Confidence.MEDIUM
    any_py, _ = run(K.PIP_CACHE, packages=("numpy",), base_image="alpine:3.20")
    assert "not known" in any_py.basis and any_py.confidence is Confidence.LOW


def test_a_package_not_in_the_table_is_unknown_or_leaves_a_floor():
    none, reason = run(K.PIP_CACHE, packages=("no-such-package-xyz",), base_image="python:3.12")
    assert none is None and reason.startswith("unknown")
    e, _ = run(K.PIP_CACHE, packages=("requests", "no-such-package-xyz"), base_image="python:3.12")
    assert e.bytes_low == wheels.pip_cache(["requests"], "3.12").wheels_low
    assert "no-such-package-xyz: size unknown" in e.basis and "floor" in e.basis and e.confidence is Confidence.LOW


def test_the_wheel_table_covers_several_pythons_and_heavy_packages():
    t = wheels.table()
    assert len({v for rows in t.values() for v in rows}) >= 4
    assert {"numpy", "pandas", "requests", "flask", "django", "scipy"} <= set(t)


# ------------------------------------------------------------------ npm / yarn
def _closure_package():
    t = tarballs.table()
    return next(iter(sorted(t.closures, key=lambda n: len(t.closures[n][1]))[-1:]))


def test_npm_install_by_name_holds_its_measured_cache():
    t = tarballs.table()
    for name, (_, closure, cache, _) in t.closures.items():
        got = tarballs.from_names([name])
        assert got.low <= cache <= got.high, name
        assert got.counted == len(set(closure)) and got.closures == (name,)  # nested copies: one tarball


def test_npm_lockfile_entries_priced_one_by_one():
    t = tarballs.table()
    name = _closure_package()
    specs = t.closures[name][1][:5]
    got = tarballs.from_lock(specs)
    exact = sum(t.tarballs[n][v] for n, v in map(tarballs.split_spec, specs))
    assert got.low == exact and not got.approximated and got.counted == len(specs)
    assert got.high >= exact + sum(t.packuments.get(tarballs.split_spec(s)[0], 0) for s in specs)
    n, _ = tarballs.split_spec(specs[0])
    other = tarballs.from_lock([f"{n}@0.0.0-not-measured", "no-such-npm-package-xyz@1.0.0"])
    assert other.approximated == (f"{n}@0.0.0-not-measured",) and other.unknown == ("no-such-npm-package-xyz",)
    assert other.low == min(t.tarballs[n].values())


def test_the_cache_index_factor_is_computed_for_lockfiles_only():
    """index_factor, the median of measured cache / (tarballs + packuments) over the closures,
    is not computed when packages are priced by name; on a lockfile it is that median."""
    t = tarballs.table()
    tarballs.index_factor.cache_clear()
    tarballs.from_names([_closure_package()])
    assert tarballs.index_factor.cache_info().currsize == 0
    ratios = sorted(cache / sum(t.tarballs.get(n, {}).get(v, 0) + t.packuments.get(n, 0)
                                for n, v in map(tarballs.split_spec, closure))
                    for _, closure, cache, _ in t.closures.values())
    tarballs.from_lock(t.closures[_closure_package()][1][:3])
    assert tarballs.index_factor.cache_info().currsize == 1 and tarballs.index_factor() == ratios[len(ratios) // 2]
    assert 1.0 <= tarballs.index_factor() < 1.1


def test_npm_estimates_say_unknown_and_floor():
    name = _closure_package()
    e, _ = run(K.NPM_CACHE, packages=(name,))
    assert e is not None and "measured" in e.basis and e.confidence is Confidence.MEDIUM
    none, reason = run(K.NPM_CACHE, packages=("no-such-npm-package-xyz",))
    assert none is None and reason.startswith("unknown")
    floor, _ = run(K.NPM_CACHE, packages=(name, "no-such-npm-package-xyz"))
    assert floor.bytes_low == e.bytes_low and "floor" in floor.basis and floor.confidence is Confidence.LOW
    lock, _ = run(K.NPM_CACHE, packages=tuple(tarballs.table().closures[name][1]), lockfile=True)
    assert "lockfile" in lock.basis and lock.bytes_low < e.bytes_low  # npm ci: tarballs, documents only on npm 9


def test_yarn_uses_the_measured_node_modules():
    name = _closure_package()
    e, _ = run(K.YARN_CACHE, packages=(name,))
    installed = tarballs.table().closures[name][3]
    assert e.bytes_low <= installed <= e.bytes_high
    assert run(K.YARN_CACHE, packages=("no-such-npm-package-xyz",))[0] is None


@pytest.mark.parametrize("spec,parts", [("@scope/x@1.2.3", ("@scope/x", "1.2.3")), ("@scope/x", ("@scope/x", "")),
                                        ("lodash@4.17.21", ("lodash", "4.17.21")), ("lodash", ("lodash", ""))])
def test_split_spec(spec, parts):
    assert tarballs.split_spec(spec) == parts


def test_npm_table_without_provenance_is_rejected(tmp_path, monkeypatch):
    table = tarballs.Table({"a": {"1.0.0": 10}}, {"a": 5}, {"a": ["1.0.0", ["a@1.0.0"], 20, 30]}, {"date": "2026-12-02"})
    for part, rows in tarballs.encode(table).items():
        textdata.write(str(tmp_path / f"npm.{part}.txt"), rows)
    monkeypatch.setattr(tarballs, "DATA", str(tmp_path / "npm"))
    tarballs.forget()
    try:
        for read in (tarballs.table, tarballs.closures, lambda: tarballs.from_lock(["a@1.0.0"]), lambda: tarballs.from_names(["a"])):
            with pytest.raises(TableError, match="provenance"):
                read()
        textdata.write(str(tmp_path / "npm.meta.txt"), {"date": '"2026-12-02"', "source": '"measured"'})
        (tmp_path / "npm.closures.txt").unlink()
        tarballs.forget()
        with pytest.raises(TableError, match=r"npm: cannot read .*npm\.closures\.txt"):
            tarballs.closures()
    finally:
        tarballs.forget()


def test_the_npm_table_files_read_back_as_written(tmp_path):
    """The text files decode to what encode gives them back (same bytes), every value typed
    as the estimates read it; the parts read lazily answer as the whole table does."""
    t = tarballs.table()
    assert t.closures and t.tarballs and t.packuments and t.meta["source"]
    for part, rows in tarballs.encode(t).items():
        textdata.write(str(tmp_path / part), rows)
        with open(tarballs.part_path(part), "rb") as a, open(tmp_path / part, "rb") as b:
            assert a.read() == b.read(), part
    assert all(isinstance(n, int) for sizes in t.tarballs.values() for n in sizes.values())
    assert all(isinstance(n, int) for n in t.packuments.values())
    assert all(isinstance(c[0], str) and isinstance(c[2], int) and isinstance(c[3], int) and c[1] for c in t.closures.values())
    assert tarballs.versions("no-such-npm-package-xyz") is None and "no-such-npm-package-xyz" not in tarballs.packuments()


def test_lockfile_versions_are_read_from_v1_and_v3_lockfiles():
    from bot.engine import Options, analyse_text
    from bot.rules.base import BuildContext

    text = "FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\n"
    name = _closure_package()
    version = tarballs.table().closures[name][0]
    v3 = json.dumps({"lockfileVersion": 3, "packages": {"": {}, f"node_modules/{name}": {"version": version}}})
    v1 = json.dumps({"lockfileVersion": 1, "dependencies": {name: {"version": version, "dependencies": {}}}})
    for lock in (v3, v1):
        ctx = BuildContext("/ctx", {"package.json": 2, "package-lock.json": len(lock)},
                           {"package.json": "{}", "package-lock.json": lock})
        f = next(f for f in analyse_text("Dockerfile", text, Options(min_saving=0), ctx).findings if f.rule_id == "DT106")
        tb = tarballs.table().tarballs[name][version]
        assert f.estimate.bytes_low == tb and "package-lock.json" in f.estimate.basis


def test_the_tables_are_read_only_when_a_finding_needs_them(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\nimport bot.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    bot.cli.main(['check', sys.argv[1]])\n"
        "print(','.join(m for m in ('bot.estimate.wheels', 'bot.estimate.tarballs') if m in sys.modules))\n"
    )
    apt = tmp_path / "apt.Dockerfile"
    apt.write_text("FROM debian:12\nRUN apt-get update && apt-get install -y curl\n")
    pip = tmp_path / "pip.Dockerfile"
    pip.write_text("FROM python:3.12-slim\nRUN pip install requests\nRUN npm install express\n")
    loaded = [subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True).stdout.strip()
              for p in (apt, pip)]
    assert loaded == ["", "bot.estimate.wheels,bot.estimate.tarballs"]


# ------------------------------------------------------------------ pnpm (rebuild downloads, DT601)
def test_pnpm_lockfile_keys_of_v5_v6_and_v9():
    from bot.estimate.manifests import pnpm_lock_packages

    v5 = "lockfileVersion: 5.4\n\nspecifiers:\n  ms: ^2.1.3\n\npackages:\n\n  /ms/2.1.3:\n    resolution: {}\n" \
         "  /@babel/core/7.1.0_react@18.0.0:\n    dev: false\n"
    v6 = "lockfileVersion: '6.0'\n\npackages:\n\n  /ms@2.1.3:\n    resolution: {}\n" \
         "  /@babel/core@7.1.0(react@18.0.0):\n    dev: false\n  /local@file:../x:\n    dev: false\n"
    v9 = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies: {}\n\npackages:\n\n  ms@2.1.3:\n" \
         "    resolution: {}\n\n  '@babel/core@7.1.0':\n    resolution: {}\n\nsnapshots:\n\n  ms@2.1.3: {}\n"
    for text in (v5, v6, v9):
        assert pnpm_lock_packages(text) == ["@babel/core@7.1.0", "ms@2.1.3"]
    assert pnpm_lock_packages("lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n") == []


def test_a_pnpm_rebuild_is_priced_from_its_lockfile_and_unknown_without_it():
    from bot.engine import Options, analyse_text
    from bot.rules.base import BuildContext

    text = ("# syntax=docker/dockerfile:1\nFROM node:20-slim\nWORKDIR /app\nCOPY package.json pnpm-lock.yaml ./\n"
            "RUN pnpm install --frozen-lockfile\n")
    name = _closure_package()
    version, closure = tarballs.table().closures[name][0], tarballs.table().closures[name][1]
    lock = "lockfileVersion: '9.0'\n\npackages:\n\n" + "".join(f"  '{s}':\n    resolution: {{}}\n\n" for s in closure)

    def dt601(files):
        ctx = BuildContext("/ctx", {k: len(v) for k, v in files.items()}, files)
        return next(f for f in analyse_text("Dockerfile", text, Options(min_saving=0, select=("DT601",)), ctx).findings
                    if f.rule_id == "DT601")

    f = dt601({"package.json": "{}", "pnpm-lock.yaml": lock})
    assert f.estimate is not None and "pnpm-lock.yaml" in f.estimate.basis
    assert f.estimate.bytes_low == tarballs.from_lock(sorted(set(closure))).low > 0  # each package once
    assert f"{name}@{version}" in closure
    f = dt601({"package.json": "{}"})  # no lockfile in the context: unknown, as before
    assert f.estimate is None
    unknown = "lockfileVersion: '9.0'\n\npackages:\n\n  no-such-npm-package-xyz@1.0.0:\n    resolution: {}\n"
    assert dt601({"package.json": "{}", "pnpm-lock.yaml": unknown}).estimate is None
