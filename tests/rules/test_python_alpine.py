"""Python -> python:<ver>-alpine only on PyPI evidence (musllinux or pure-Python wheels of a
fully pinned, dependency-closed requirement set), looked up from a local fake PyPI."""

from __future__ import annotations

import pytest

from bot import engine
from bot.engine import Options, analyse_source
from bot.estimate.lookups import Endpoints, Lookups
from bot.model.source import Source
from bot.rules.base import BuildContext
from tests.fakes.pypi_server import fake_pypi

MUSL = "-cp312-cp312-musllinux_1_2_x86_64.whl"
RELEASES = {
    ("flask", "3.0.3"): {"files": ["flask-3.0.3-py3-none-any.whl", "flask-3.0.3.tar.gz"],
                         "requires_dist": ["werkzeug>=3.0.0", "markupsafe>=2.0", "asgiref>=3.2; extra == \"async\"",
                                           "importlib-metadata>=3.6; python_version < \"3.10\""]},
    ("werkzeug", "3.0.3"): {"files": ["werkzeug-3.0.3-py3-none-any.whl"], "requires_dist": ["MarkupSafe>=2.1.1"]},
    ("markupsafe", "2.1.5"): {"files": ["MarkupSafe-2.1.5" + MUSL, "MarkupSafe-2.1.5-cp312-cp312-manylinux_2_17_x86_64.whl"]},
    ("psycopg2", "2.9.9"): {"files": ["psycopg2-2.9.9.tar.gz"]},  # sdist only: C code built at install
    ("numpy", "1.26.4"): {"files": ["numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"]},
}
LOCK = "flask==3.0.3\nwerkzeug==3.0.3  # via flask\nmarkupsafe==2.1.5\n"


def check(dockerfile: str, files: dict[str, str], online=True, tmp_path=None):
    ctx = BuildContext("/ctx", {k: len(v) for k, v in files.items()}, files)
    return analyse_source(Source("Dockerfile", dockerfile), Options(select=("DT401",), online=online, estimate=False),
                          build_context=ctx).findings


@pytest.fixture
def pypi(tmp_path, monkeypatch):
    with fake_pypi(RELEASES) as (url, asked):
        monkeypatch.setattr(engine, "_pypi_lookups", Lookups(Endpoints(pypi=url), cache_dir=tmp_path / "cache"))
        yield asked


APP = ("FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
       "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n")


def test_slim_with_a_full_musl_ready_lock_gets_alpine_with_the_evidence(pypi):
    (f,) = check(APP, {"requirements.txt": LOCK})
    assert f.message == "`python:3.12-slim` can run on `python:3.12-alpine`: PyPI has musl or pure wheels of every pin"
    assert f.fix.edits[0].text == "python:3.12-alpine"
    assert "all 3 pinned requirements (requirements.txt) have a pure-Python or musllinux cp312/x86_64 wheel" \
        in f.fix.reason and "`python:3.12-slim` is the glibc alternative" in f.fix.reason
    assert f.hint.params["alternative"] == "python:3.12-slim"
    assert "/pypi/markupsafe/2.1.5/json" in pypi


def test_the_estimate_shows_alpine_beside_slim_and_names_the_evidence(pypi):
    res = analyse_source(Source("Dockerfile", APP), Options(select=("DT401",), online=True),
                         build_context=BuildContext("/ctx", {"requirements.txt": 1}, {"requirements.txt": LOCK}))
    (f,) = res.findings
    assert "`python:3.12-alpine` ≈" in f.estimate.basis and "against `python:3.12-slim` ≈" in f.estimate.basis
    assert "(evidence: all 3 pinned requirements" in f.estimate.basis
    assert f.estimate.bytes_low > 0


def test_full_image_gets_alpine_instead_of_slim(pypi):
    code = "FROM python:3.12\nRUN pip install flask==3.0.3 werkzeug==3.0.3 markupsafe==2.1.5\nCMD [\"flask\", \"run\"]\n"
    (f,) = check(code, {})
    assert f.fix.edits[0].text == "python:3.12-alpine" and f.hint.params["alternative"] == "python:3.12-slim"
    assert "(pip install arguments)" in f.fix.reason


@pytest.mark.parametrize("why,dockerfile,files", [
    ("offline: no evidence", None, {"requirements.txt": LOCK}),
    ("unpinned", APP, {"requirements.txt": "flask\nwerkzeug==3.0.3\nmarkupsafe==2.1.5\n"}),
    ("not a full lock: markupsafe's version is unknown", APP, {"requirements.txt": "flask==3.0.3\nwerkzeug==3.0.3\n"}),
    ("sdist-only C package", APP, {"requirements.txt": LOCK + "psycopg2==2.9.9\n"}),
    ("glibc-only wheel", APP, {"requirements.txt": LOCK + "numpy==1.26.4\n"}),
    ("unknown on PyPI", APP, {"requirements.txt": LOCK + "notthere==1.0\n"}),
    ("another index", APP, {"requirements.txt": "--extra-index-url https://example.invalid/simple\n" + LOCK}),
    ("a URL requirement", APP, {"requirements.txt": LOCK + "git+https://example.invalid/x.git\n"}),
    ("no requirements file in the context", APP, {}),
    ("apt-get -dev packages", APP.replace("WORKDIR /app\n", "WORKDIR /app\nRUN apt-get update && apt-get install -y libpq-dev\n"),
     {"requirements.txt": LOCK}),
    ("apk", APP.replace("WORKDIR /app\n", "WORKDIR /app\nRUN apk add --no-cache libpq\n"), {"requirements.txt": LOCK}),
    ("a binary from another stage", APP.replace("COPY . .\n", "COPY . .\nCOPY --from=tools /usr/bin/tool /usr/bin/\n"),
     {"requirements.txt": LOCK}),
    ("a shell script as command", APP.replace('CMD ["python", "app.py"]', 'CMD ["./start.sh"]'), {"requirements.txt": LOCK}),
    ("a local project", APP.replace("-r requirements.txt", "-r requirements.txt ."), {"requirements.txt": LOCK}),
    ("no Python version in the tag", APP.replace("python:3.12-slim", "python:3-slim"), {"requirements.txt": LOCK}),
    ("arm64 has no musllinux wheel listed", APP.replace("FROM python", "FROM --platform=linux/arm64 python"),
     {"requirements.txt": LOCK}),
])
def test_not_proposed(pypi, why, dockerfile, files):
    online = dockerfile is not None
    found = check(dockerfile or APP, files, online=online)
    assert not any("alpine" in f.message for f in found), why
    if not online:
        assert pypi == []  # offline: PyPI is never asked


def test_python_version_markers_and_extras_are_read():
    from bot.rules.python_alpine import _requirement

    assert _requirement('importlib-metadata>=3.6; python_version < "3.10"', (3, 12), frozenset()) == \
        ("importlib-metadata", False)
    assert _requirement('asgiref>=3.2; extra == "async"', (3, 12), frozenset({"async"})) == ("asgiref", True)
    assert _requirement('pywin32; sys_platform == "win32"', (3, 12), frozenset()) == ("pywin32", False)
    assert _requirement('x; python_version < "3.8" or extra == "y"', (3, 12), frozenset())[1] is None


def test_wheel_tags():
    from bot.rules.python_alpine import _musl_ready

    def ok(*names):
        return _musl_ready([{"filename": n} for n in names], "cp312", "x86_64")

    assert ok("x-1-py3-none-any.whl") and ok("x-1-py2.py3-none-any.whl")
    assert ok("x-1-cp39-abi3-musllinux_1_1_x86_64.whl")  # stable ABI from 3.9 on
    assert not ok("x-1-cp313-abi3-musllinux_1_1_x86_64.whl")  # needs 3.13
    assert not ok("x-1-cp311-cp311-musllinux_1_1_x86_64.whl")  # another CPython
    assert not ok("x-1-cp312-cp312-musllinux_1_1_aarch64.whl")
    assert not ok("x-1-py2-none-any.whl", "x-1.tar.gz")
    assert ok("ruff-0.5-py3-none-musllinux_1_2_x86_64.whl")


def test_release_look_ups_are_cached_on_disk_and_failures_are_none(tmp_path):
    with fake_pypi(RELEASES) as (url, asked):
        first = Lookups(Endpoints(pypi=url), cache_dir=tmp_path)
        got = first.pypi_release("MarkupSafe", "2.1.5")
        assert got["files"][0]["filename"].endswith("musllinux_1_2_x86_64.whl") and got["requires_dist"] == []
        again = Lookups(Endpoints(pypi=url), cache_dir=tmp_path).pypi_release("markupsafe", "2.1.5")
        assert again == got and asked == ["/pypi/markupsafe/2.1.5/json"]  # the second run reads the disk cache
        assert first.pypi_release("notthere", "1.0") is None and first.notes  # a 404: None, noted
        assert first.pypi_release("../etc", "1") is None and len(asked) == 2  # never sent
