#!/usr/bin/env python3
"""Regenerate bot/estimate/data/pip_wheels.csv: what pip's cache keeps per package and Python.

For each package (the ones the corpus's ``pip install`` lines name most often plus the
common heavy ones) and each CPython version, ask pip's own resolver which wheels
``pip install <package>`` downloads on manylinux x86_64:

    pip install --dry-run --ignore-installed --report <json> --only-binary=:all:
        --python-version 3.12 --implementation cp --platform manylinux_2_36_x86_64 ...

(the resolver ``pip download`` runs, without fetching the wheels: torch's resolution is
2.5 GB per Python version). The bytes of each resolved wheel come from PyPI's simple
index (PEP 691 JSON, PEP 700 ``size``), the page pip itself fetches; its length is kept
as the index page pip's HTTP cache also holds (``pip_index_pages.csv``). Each row lists
its wheels as ``project==version:bytes`` so several packages count shared wheels once. ``--verify PKG...`` runs the real
``pip download`` for a few packages and compares its bytes with the table.

Packages pip cannot resolve to wheels for a version (no wheel for that Python, not on
PyPI) are listed with the reason in ``pip_wheels.skipped.csv``.

The corpus tokenisation (scripts/corpus_commands.py) is deliberately simple: it only picks which packages to measure.

Usage (network to pypi.org; a few minutes per heavy package):
    python3 scripts/gen_pip_table.py --corpus /work/shared/corpus/dockerfiles --top 40
    python3 scripts/gen_pip_table.py --verify requests flask numpy --python 3.12
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Iterator

from corpus_commands import count_names, operands

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = Path(os.environ.get("PIP_TABLE_OUT") or ROOT / "bot" / "estimate" / "data")  # another dir: a partial run to merge
INDEX = "https://pypi.org/simple"
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
# every manylinux tag Debian 12's glibc 2.36 accepts (pip does not expand custom platforms)
PLATFORMS = tuple(f"manylinux_2_{i}_x86_64" for i in range(36, 4, -1)) + (
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64")
# common and heavy packages measured whether or not the corpus names them
COMMON = (
    "requests flask django fastapi uvicorn gunicorn boto3 pyyaml sqlalchemy psycopg2-binary celery redis "
    "pydantic jinja2 pillow cryptography setuptools wheel pytest poetry virtualenv httpx aiohttp "
    "beautifulsoup4 lxml numpy pandas scipy scikit-learn matplotlib opencv-python opencv-python-headless "
    "torch torchvision torchaudio tensorflow transformers jupyter streamlit plotly pyarrow grpcio xgboost "
    "onnxruntime spacy selenium scrapy"
).split()
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
PIP = re.compile(r"(?:^|\s)(?:python[0-9.]*\s+-m\s+)?pip[0-9.]*\s+install\s(?P<rest>.*)")
TAKES_VALUE = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
               "-f", "--find-links", "--target", "-t", "--prefix", "--root", "--trusted-host", "--cache-dir"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def corpus_packages(corpus: Path) -> collections.Counter[str]:
    """Project name -> number of Dockerfiles whose ``pip install`` names it."""
    return count_names(corpus, PIP, _install_names)


def _install_names(words: list[str]) -> Iterator[str]:
    for w in operands(words, TAKES_VALUE):
        w = w.strip("'\"")
        if w.startswith("-") or any(c in w for c in "$/*:"):
            continue
        name = norm(re.split(r"[\[<>=!~;@]", w, maxsplit=1)[0])
        if NAME.match(name) and not name.endswith((".txt", ".whl")):
            yield name


_PAGES: dict[str, tuple[dict[str, int], int]] = {}


def index_page(project: str) -> tuple[dict[str, int], int]:
    """(file name -> bytes, page length) from PyPI's PEP 691 page of the project."""
    if project not in _PAGES:
        req = urllib.request.Request(f"{INDEX}/{project}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
        files = {f["filename"]: int(f["size"]) for f in json.loads(body)["files"] if f.get("size") is not None}
        _PAGES[project] = (files, len(body))
    return _PAGES[project]


def pip_args(python: str) -> list[str]:
    """Only pypi.org: this host's pip configuration adds local indexes and constraints."""
    args = ["--isolated", "--disable-pip-version-check", "--index-url", f"{INDEX}/", "--only-binary=:all:",
            "--python-version", python, "--implementation", "cp"]
    cert = "/etc/ssl/certs/ca-certificates.crt"
    if os.path.exists(cert):
        args += ["--cert", cert]
    for p in PLATFORMS:
        args += ["--platform", p]
    return args


def resolve(pip: list[str], package: str, python: str, cache: str, timeout: int = 600) -> dict | str:
    """A table row, or the reason pip could not resolve the package to wheels."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = pip + ["install", "-q", "--dry-run", "--ignore-installed", "--report", report, "--cache-dir", cache,
                     "--target", os.path.join(tmp, "t"), *pip_args(python), package]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"pip's resolution took over {timeout} s (stopped)"
        if run.returncode != 0:
            lines = [x for x in run.stderr.splitlines() if x.startswith("ERROR")] or run.stderr.splitlines()[-1:]
            return (lines[0] if lines else f"pip exited {run.returncode}")[:200]
        items = json.load(open(report))["install"]
    wheels = total = 0
    dists = []
    for item in items:
        meta = item["metadata"]
        project = norm(meta["name"])
        url = item["download_info"]["url"]
        filename = url.rsplit("/", 1)[-1].split("#", 1)[0]
        files, page = index_page(project)
        if filename not in files:
            return f"{filename}: no size on the index page of {project}"
        total += files[filename]
        wheels += 1
        dists.append(f"{project}=={meta['version']}:{files[filename]}")
    own = next((d for d in dists if d.split("==")[0] == norm(package)), "")
    return {"package": norm(package), "python": python, "wheel_bytes": total, "files": wheels,
            "version": own.split("==")[-1].split(":")[0], "dists": " ".join(sorted(dists))}


def verify(pip: list[str], packages: list[str], python: str, rows: dict) -> int:
    """Run the real ``pip download`` and compare with the table; returns mismatches."""
    bad = 0
    for pkg in packages:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = pip + ["download", "-q", "--no-cache-dir", "-d", tmp, *pip_args(python), pkg]
            subprocess.run(cmd, check=True, capture_output=True, timeout=3600)
            got = sum(f.stat().st_size for f in Path(tmp).iterdir())
        want = rows.get((norm(pkg), python))
        ok = want is not None and int(want["wheel_bytes"]) == got
        bad += not ok
        print(f"{pkg} cp{python}: pip download {got} B, table {want and want['wheel_bytes']} B: {'ok' if ok else 'DIFFERS'}")
    return bad


def write(rows: list[dict], skipped: list[dict], today: str) -> None:
    """Written after every resolution, so a stopped run keeps what it has."""
    key = lambda r: (r["package"], tuple(int(x) for x in r["python"].split(".")))  # noqa: E731
    fields = ["package", "python", "version", "wheel_bytes", "files", "dists", "method", "date"]
    with open(OUT_DIR / "pip_wheels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fields, lineterminator="\n")
        w.writeheader()
        w.writerows(sorted(rows, key=key))
    with open(OUT_DIR / "pip_index_pages.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ["project", "page_bytes", "source", "date"], lineterminator="\n")
        w.writeheader()
        w.writerows({"project": p, "page_bytes": n, "source": f"{INDEX}/{p}/ (PEP 691 JSON)", "date": today}
                    for p, (_, n) in sorted(dict(_PAGES).items()))
    with open(OUT_DIR / "pip_wheels.skipped.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ["package", "python", "reason", "date"], lineterminator="\n")
        w.writeheader()
        w.writerows(sorted(skipped, key=key))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="/work/shared/corpus/dockerfiles")
    ap.add_argument("--top", type=int, default=40, help="corpus packages named most often")
    ap.add_argument("--python", nargs="*", default=list(PYTHONS))
    ap.add_argument("--packages", nargs="*", help="only these (default: corpus top + COMMON)")
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per resolution")
    ap.add_argument("--pip", default="pip3", help="the pip to run (its version goes in the method column)")
    ap.add_argument("--verify", nargs="*", help="pip download these and compare with the table")
    args = ap.parse_args()
    pip = [args.pip]
    version = subprocess.run(pip + ["--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    out = OUT_DIR / "pip_wheels.csv"
    if args.verify:
        rows = {(r["package"], r["python"]): r for r in csv.DictReader(open(out))}
        return 1 if any(verify(pip, args.verify, py, rows) for py in args.python) else 0
    if args.packages:
        names = [norm(p) for p in args.packages]
    else:
        counts = corpus_packages(Path(args.corpus))
        names = [n for n, _ in counts.most_common(args.top)]
        names += [n for n in COMMON if n not in names]
    today = dt.date.today().isoformat()
    method = f"pip {version} resolver, manylinux x86_64 wheels; sizes from PyPI's PEP 691 index"
    rows, skipped = [], []
    with tempfile.TemporaryDirectory() as cache, cf.ThreadPoolExecutor(args.jobs) as pool:
        heavy = {"torch", "torchvision", "torchaudio", "tensorflow", "transformers"}
        order = sorted(names, key=lambda n: n in heavy)  # the slow resolutions last
        jobs = {pool.submit(resolve, pip, n, py, cache, args.timeout): (n, py) for n in order for py in args.python}
        for job in cf.as_completed(jobs):
            n, py = jobs[job]
            got = job.result()
            if isinstance(got, str):
                skipped.append({"package": n, "python": py, "reason": got, "date": today})
                print(f"skip {n} cp{py}: {got}", file=sys.stderr)
            else:
                rows.append({**got, "method": method, "date": today})
                print(f"{n} cp{py}: {got['wheel_bytes']} B in {got['files']} wheels", file=sys.stderr)
            write(rows, skipped, today)
    print(f"{len(rows)} rows, {len(skipped)} skipped -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
