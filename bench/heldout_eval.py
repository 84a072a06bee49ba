"""Held-out evaluation of the size estimates (issue 11, "Must show").

Corpus Dockerfiles the model was never tuned on are rebased onto the local Debian 12 bases,
built as written, then built again with each finding's fix applied alone (the calibration
machinery of ``dockerdiet measure --calibrate``); the measured saving is set against the
estimated range, and the file's reported total against the measured image.

Steps (each writes under bench/heldout/seed<N>/):

  select  --seed N [--count K] [--avoid DIR ...]   choose files, before any result is seen
  prepare --seed N                                  rebased Dockerfile + stand-in context per file
  measure --seed N                                  build (buildah); measured.csv (no estimates)
  score   --seed N                                  estimates with the CURRENT code; scored.csv,
                                                    report.md

Measuring and scoring are separate so one set of builds can be scored by any model version,
and a second round can be built while the model is changed without anyone looking at it.

Selection rules (fixed before the first build):
- not named anywhere in tests/, bench/ (other than bench/heldout) or the closing note;
- every base is debian, ubuntu or buildpack-deps (rebased: ``*slim*`` -> debian:bookworm-slim,
  else debian:bookworm); no base from a build argument;
- every apt package it names exists in Debian 12 after a fixed rename table (python-pip ->
  python3-pip ...); at most MAX_PACKAGES of them (small images);
- no fetch from a host this machine cannot reach (only Debian, PyPI and npm are), no PPA or
  apt key, no ADD of a URL, no COPY --from an image;
- it parses (no DT900) and has at least one size finding with a fix (DT1xx, DT2xx, DT4xx) on
  the rebased file.
Round 2 (``--python-slim``) also admits python ``*-slim`` bases, rebased on a stand-in built from
bench/heldout/standin/python-slim.Dockerfile (Debian 12's CPython 3.11 and pip on bookworm-slim),
because only three Debian/Ubuntu files were left after round 1. Round 3 (``--lang-images``) also admits
every non-Alpine node and python base (and maps buildpack-deps to its own stand-in), because round 2
exhausted the Debian/Ubuntu files: node ``*slim*`` -> node:18-bookworm-slim, other node ->
node:18-bookworm, python ``*slim*`` -> python:3.11-slim-bookworm, other python -> python:3.11-bookworm,
buildpack-deps -> buildpack-deps:bookworm, each built from bench/heldout/standin/ (Debian 12's Node.js
18 with npm 10 from the npm registry; Debian 12's CPython 3.11; buildpack-deps as the package set the
model's graph holds for it). Round 3 also admits files named only in tests/precision/verdicts.csv
(reviews of findings and diffs, issue 13), unless a review row of the file talks about sizes or
estimates. What rebasing adds: ``ARG DEBIAN_FRONTEND=noninteractive`` after each FROM (no bytes), and
``ENV PIP_BREAK_SYSTEM_PACKAGES=1`` when the file runs pip (Debian 12's pip refuses the system
interpreter otherwise). COPY/ADD sources are small stand-in files (an executable no-op for
``*.sh``, an empty requirements file, a minimal package.json). From round 3 on, a glob such as
``package*.json`` gets its plain name (package.json), the files a RUN reads from a whole-context
``COPY .`` (``pip install -r FILE``, package.json for npm/yarn/pnpm) get stand-ins as well, the
stand-in package.json has no-op ``build``/``test`` scripts, and pnpm-lock.yaml is an empty lockfile:
in rounds 1-2 such builds failed as written (counted as failed, never scored).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from bot.engine import Options, analyse_file, build_context_for  # noqa: E402
from bot.model.dockerfile import parse  # noqa: E402
from bot.rules.facts import copy_args  # noqa: E402

MB = 1_000_000
MAX_PACKAGES = 30
OUT = os.environ.get("DOCKERDIET_HELDOUT", os.path.join(HERE, "heldout"))  # scoring from another checkout
CORPUS = os.environ.get("DOCKERDIET_CORPUS", "/work/shared/corpus/dockerfiles")
REACHABLE = ("deb.debian.org", "security.debian.org", "pypi.org", "pypi.python.org", "files.pythonhosted.org",
             "registry.npmjs.org", "bootstrap.pypa.io")
RENAMES = {"python": "python3", "python-pip": "python3-pip", "python-dev": "python3-dev",
           "python-setuptools": "python3-setuptools", "python-numpy": "python3-numpy",
           "python-virtualenv": "python3-virtualenv", "python-wheel": "python3-wheel"}
SIZE_RULES = ("DT1", "DT2", "DT4")
_FROM = re.compile(r"^(\s*FROM\s+)((?:--\S+\s+)*)(\S+)(.*)$", re.I)
_APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b((?:\\\n|\\.|[^&|;\n\\])*)")
_URL = re.compile(r"(?:https?|ftp)://([^/\s\"'$:]+)")


def _seed_dir(seed: int) -> str:
    return os.path.join(OUT, f"seed{seed}")


# ---------------------------------------------------------------------------- selection
def _mentioned_ids() -> set[str]:
    """Corpus ids named in tests, bench scripts and the closing note (calibration, precision)."""
    ids: set[str] = set()
    roots = [os.path.join(REPO, "tests"), HERE, "/work/notes/closing.md"]
    for root in roots:
        paths = [root] if os.path.isfile(root) else [
            os.path.join(d, n) for d, dirs, names in os.walk(root) for n in names
            if not d.startswith(OUT)]
        for p in paths:
            if _lang_images and p.endswith(os.path.join("precision", "verdicts.csv")):
                ids |= _precision_ids_about_estimates(p)
                continue
            try:
                with open(p, encoding="utf-8", errors="replace") as f:
                    ids |= set(re.findall(r"(?<![0-9.])(0[0-9]{3})(?![0-9])", f.read()))
            except OSError:
                pass
    return ids


def _precision_ids_about_estimates(path: str) -> set[str]:
    """Round 3: the precision reviews (issue 13) judged findings and fix diffs, not estimates, so
    a file they name stays held out unless one of its review rows talks about a size or estimate."""
    with open(path, newline="", encoding="utf-8") as f:
        return {r["file"][:4] for r in csv.DictReader(f)
                if re.search(r"estimate|\bMB\b|\bkB\b|quiet|price|saves", r["reason"], re.I)}


PYTHON_STANDIN = "python:3.11-slim-bookworm"  # bench/heldout/standin/python-slim.Dockerfile
_python_slim = False  # round 2 on: python *-slim bases on the stand-in
# round 3 on (--lang-images): every non-Alpine node and python base, and buildpack-deps, on the
# stand-ins of bench/heldout/standin/ (Debian 12's own interpreters; buildpack-deps from the graph's set)
LANG_STANDINS = {("python", True): PYTHON_STANDIN, ("python", False): "python:3.11-bookworm",
                 ("node", True): "node:18-bookworm-slim", ("node", False): "node:18-bookworm",
                 ("buildpack-deps", False): "buildpack-deps:bookworm"}
_lang_images = False


def _base_for(image: str) -> str | None:
    name = image.split("@")[0]
    repo, _, tag = name.partition(":")
    repo = repo.removeprefix("docker.io/").removeprefix("library/")
    if _python_slim and repo == "python" and "slim" in tag and "alpine" not in tag:
        return PYTHON_STANDIN
    if _lang_images and repo in ("python", "node", "buildpack-deps") and "alpine" not in tag \
            and "windows" not in tag:
        return LANG_STANDINS.get((repo, "slim" in tag and repo != "buildpack-deps"))
    if repo not in ("debian", "ubuntu", "buildpack-deps"):
        return None
    return "debian:bookworm-slim" if "slim" in tag else "debian:bookworm"


def rebase(text: str) -> tuple[str, list[str]]:
    """The file on the local Debian 12 bases, and why it cannot be (reasons) if it cannot."""
    why: list[str] = []
    stages: set[str] = set()
    out: list[str] = []
    uses_pip = re.search(r"\bpip3?\b", text) is not None
    for line in text.splitlines():
        m = _FROM.match(line)
        if not m:
            out.append(line)
            continue
        image, rest = m.group(3), m.group(4)
        alias = re.search(r"\bas\s+(\S+)", rest, re.I)
        if image.lower() in stages:
            out.append(line)
        elif "$" in image:
            why.append(f"base from a build argument ({image})")
            out.append(line)
        else:
            new = _base_for(image)
            if new is None:
                why.append(f"base {image} is not Debian/Ubuntu")
                new = image
            out.append(f"{m.group(1)}{m.group(2)}{new}{rest}")
            out.append("ARG DEBIAN_FRONTEND=noninteractive")
            if uses_pip:
                out.append("ENV PIP_BREAK_SYSTEM_PACKAGES=1")
        if alias:
            stages.add(alias.group(1).lower())
    new_text = "\n".join(out) + "\n"
    new_text = _rename_packages(new_text)
    return new_text, why


def _rename_packages(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        words = re.split(r"(\s+)", m.group(0))
        return "".join(RENAMES.get(w, w) for w in words)
    return _APT_INSTALL.sub(fix, text)


def apt_packages(text: str) -> list[str]:
    pkgs: list[str] = []
    for m in _APT_INSTALL.finditer(text):
        for w in m.group(1).replace("\\\n", " ").split():
            if w.startswith("-") or any(c in w for c in "$=*/\"'`(){}<>") or w == "\\":
                continue
            pkgs.append(w)
    return pkgs


def not_installable(pkgs: list[str]) -> list[str]:
    """Packages apt's own resolver cannot install on Debian 12 (this host's sources)."""
    def ok(names: list[str]) -> bool:
        proc = subprocess.run(["apt-get", "install", "-s", "-qq", "--no-install-recommends", *names],
                              capture_output=True, text=True)
        return proc.returncode == 0
    if not pkgs or ok(pkgs):
        return []
    return [p for p in dict.fromkeys(pkgs) if not ok([p])]


def unreachable(text: str) -> list[str]:
    why = []
    for host in _URL.findall(text):
        if not host.endswith(REACHABLE):
            why.append(f"fetches from {host}")
    if re.search(r"\bgit\s+clone\b|add-apt-repository|apt-key\b|\bppa:", text):
        why.append("git clone / PPA / apt key")
    df = parse(text)
    aliases = {st.name.lower() for st in df.stages if getattr(st, "name", None)} if hasattr(df, "stages") else set()
    for ins in df.instructions:
        flag = ins.flag("from") if ins.keyword == "COPY" else None
        if flag is not None and not flag.value.isdigit() and flag.value.lower() not in aliases:
            why.append(f"COPY --from={flag.value}")
    return why


def size_findings(path: str) -> list:
    res = analyse_file(path, Options(min_saving=0), build_context_for(path))
    if res.error or any(f.rule_id == "DT900" for f in res.findings):  # must parse as BuildKit does
        return []
    return [f for f in res.findings if f.rule_id.startswith(SIZE_RULES) and f.fix is not None
            and f.fix.safety.value != "display-only"]


def select(seed: int, count: int, avoid: list[str]) -> None:
    used = _mentioned_ids()
    for d in avoid:  # earlier rounds
        with open(os.path.join(d, "selection.csv"), newline="") as f:
            used |= {r["id"] for r in csv.DictReader(f) if r["verdict"] == "selected"}
    ids = sorted(n[:4] for n in os.listdir(CORPUS) if n.endswith(".Dockerfile"))
    random.Random(seed).shuffle(ids)
    os.makedirs(_seed_dir(seed), exist_ok=True)
    rows, chosen = [], 0
    for i in ids:
        if chosen >= count:
            break
        if i in used:
            rows.append((i, "excluded", "named in tests/bench/notes or an earlier round"))
            continue
        with open(os.path.join(CORPUS, f"{i}.Dockerfile"), encoding="utf-8-sig", errors="replace") as f:
            text = f.read()
        new, why = rebase(text)
        why += unreachable(new)
        pkgs = apt_packages(new)
        if len(pkgs) > MAX_PACKAGES:
            why.append(f"{len(pkgs)} apt packages (> {MAX_PACKAGES})")
        elif not why:
            missing = not_installable(pkgs)
            if missing:
                why.append("not in Debian 12: " + " ".join(missing[:5]))
        if not why:
            tmp = os.path.join(_seed_dir(seed), "_probe", "Dockerfile")
            os.makedirs(os.path.dirname(tmp), exist_ok=True)
            with open(tmp, "w") as f:
                f.write(new)
            if not size_findings(tmp):
                why.append("no size finding with a fix after rebasing")
        if why:
            rows.append((i, "excluded", "; ".join(why)))
        else:
            rows.append((i, "selected", ""))
            chosen += 1
    with open(os.path.join(_seed_dir(seed), "selection.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "verdict", "reason"])
        w.writerows(rows)
    print(f"seed {seed}: {chosen} selected, {len(rows) - chosen} examined and excluded")


# ---------------------------------------------------------------------------- preparation
def _standin(context: str, src: str) -> None:
    src = src.lstrip("/")
    if src in (".", "./", "") or "*" in src or "$" in src or src.startswith(".."):
        if "*" in src:  # a glob: one matching file, the plain name when there is one (package*.json)
            d, _, pat = src.rpartition("/")
            name = pat.replace("*", "")
            if not name or name.startswith(".") or "." not in name:
                name = pat.replace("*", "standin")
            _standin(context, f"{d}/{name}" if d else name)
        return
    path = os.path.join(context, src)
    base = os.path.basename(src.rstrip("/"))
    if src.endswith("/") or "." not in base:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "STANDIN"), "w") as f:
            f.write("stand-in for a build-context directory\n")
        return
    os.makedirs(os.path.dirname(path) or context, exist_ok=True)
    if base.endswith(".sh"):
        body = "#!/bin/sh\nexit 0\n"
    elif base.endswith(".py"):
        body = "pass\n"
    elif base.startswith("requirements") and base.endswith(".txt"):
        body = ""
    elif base == "package.json":  # round 3: scripts that `npm run build` and the like call
        body = '{"name": "standin", "version": "1.0.0", "scripts": {"build": "true", "test": "true"}}\n'
    elif base == "pnpm-lock.yaml":  # round 3: what pnpm 9+ writes for a project without dependencies
        body = ("lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n"
                "\nimporters:\n\n  .: {}\n")
    else:
        body = "stand-in\n"
    with open(path, "w") as f:
        f.write(body)
    if base.endswith(".sh"):
        os.chmod(path, 0o755)


def _read_from_whole_context(context: str, text: str) -> None:
    """``COPY . x`` then ``pip install -r requirements.txt`` / ``npm install``: the files the RUNs
    read from the copied tree get stand-ins too (round 3 on; before, such builds failed)."""
    wanted = re.findall(r"\bpip3?\s+install\b[^&;|\n]*?\s(?:-r|--requirement)\s+([^\s&;|]+)", text)
    if re.search(r"\b(?:npm|yarn|pnpm)\s+(?:install|ci|i)\b|\byarn\s*(?:$|&&|;)", text, re.M):
        wanted.append("package.json")
    for name in wanted:
        if "$" not in name and not name.startswith(("/", "..")) and not os.path.exists(os.path.join(context, name)):
            _standin(context, name)


def prepare(seed: int) -> None:
    root = _seed_dir(seed)
    with open(os.path.join(root, "selection.csv"), newline="") as f:
        ids = [r["id"] for r in csv.DictReader(f) if r["verdict"] == "selected"]
    for i in ids:
        with open(os.path.join(CORPUS, f"{i}.Dockerfile"), encoding="utf-8-sig", errors="replace") as f:
            text, _ = rebase(f.read())
        d = os.path.join(root, i)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write(text)
        df = parse(text)
        for ins in df.instructions:
            ca = copy_args(df, ins)
            if ca is None or ins.flag("from") is not None or ca.heredoc:
                continue
            for s in ca.sources:
                _standin(d, s)
        if any(s in (".", "./") for ins in df.instructions if (ca := copy_args(df, ins)) is not None
               and ins.flag("from") is None for s in ca.sources):
            _read_from_whole_context(d, text)
    print(f"prepared {len(ids)} files under {root}")


# ---------------------------------------------------------------------------- measuring
def measure(seed: int, only: list[str]) -> None:
    from bot.measure.calibrate import calibrate_file, write_csv
    from bot.measure.engines import make_engine

    root = _seed_dir(seed)
    out = os.path.join(root, "measured.csv")
    done: set[str] = set()
    rows = []
    if os.path.exists(out):
        with open(out, newline="") as f:
            old = list(csv.DictReader(f))
        done = {r["file"].split("/")[0] for r in old}
    engine = make_engine("buildah")
    engine.root = os.environ.get("DOCKERDIET_MEASURE_ROOT", "/var/tmp/measure-esteval")
    ca = ["-v", "/usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro"]
    ids = only or sorted(d for d in os.listdir(root) if d.isdigit())  # --only: in the order given
    for i in ids:
        if i in done:
            continue
        path = os.path.join(root, i, "Dockerfile")
        print(f"[{i}] building ...", flush=True)
        rows = calibrate_file(path, engine, pull="never", extra_args=ca, rel=f"{i}/Dockerfile",
                              keep=lambda fd: fd.rule_id.startswith(SIZE_RULES))
        new = not os.path.exists(out)
        with open(out, "a", newline="") as f:
            write_csv(rows, f, header=new)
        for r in rows:
            print(f"  {r.rule} line {r.line}: {r.status} {r.measured_delta} {r.detail}", flush=True)
    # no cleanup: the private store keeps the layer cache for the next round


# ---------------------------------------------------------------------------- scoring
def _fmt(n: float | None) -> str:
    return "" if n is None else f"{n / MB:.2f}"


def score(seed: int) -> dict:
    from bot.estimate.totals import file_total

    root = _seed_dir(seed)
    with open(os.path.join(root, "measured.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["file"] != "file"]  # appended by runs side by side
    seen: set[tuple[str, str, str]] = set()
    measured = []
    for r in rows:  # a file measured twice (two runs on two stores): the first one counts
        key = (r["file"], r["rule"], r["line"])
        if key not in seen:
            seen.add(key)
            measured.append(r)
    scored, files = [], {}
    for r in measured:
        path = os.path.join(root, r["file"])
        if path not in files:
            files[path] = (analyse_file(path, Options(min_saving=0), build_context_for(path)),
                           analyse_file(path, Options(), build_context_for(path)))
        full, _ = files[path]
        found = [f for f in full.findings if f.rule_id == r["rule"] and f.span.start.line == int(r["line"])]
        est = found[0].estimate if found else None
        lo, hi = (est.bytes_low, est.bytes_high) if est else (None, None)
        m = int(r["measured_delta"]) if r["measured_delta"] else None
        verdict = ""
        if r["status"] == "ok" and m is not None:
            if m >= MB:
                verdict = "unknown" if est is None else ("inside" if lo <= m <= hi else
                                                         ("below" if m < lo else "above"))
            else:
                verdict = "quiet-ok" if est is None or hi <= 5 * MB else "announced>5MB"
        scored.append({**r, "estimated_low": "" if lo is None else lo, "estimated_high": "" if hi is None else hi,
                       "verdict": verdict, "basis": est.basis if est else ""})
    with open(os.path.join(root, "scored.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(scored[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(scored)
    # file totals (default options, as reported) against the measured image
    tot_rows = []
    for path, (_, shown) in files.items():
        rel = os.path.relpath(path, root)
        sizes = [int(r["image_size"]) for r in measured if r["file"] == rel and r.get("image_size")]
        if not sizes:
            continue
        low, high = file_total(shown.findings, shown.base_size)  # as reported: capped at the image floor
        tot_rows.append((rel, low, high, sizes[0]))
    big = [s for s in scored if s["verdict"] in ("inside", "below", "above", "unknown")]
    inside = [s for s in big if s["verdict"] == "inside"]
    ratios = [((int(s["estimated_low"]) + int(s["estimated_high"])) / 2) / int(s["measured_delta"])
              for s in big if s["estimated_low"] != ""]
    small = [s for s in scored if s["verdict"] in ("quiet-ok", "announced>5MB")]
    summary = {
        "files": len(files), "builds_ok": sum(1 for s in scored if s["status"] == "ok"),
        "failed": sum(1 for s in scored if s["status"] in ("fix-failed", "original-failed")),
        "big": len(big), "inside": len(inside),
        "median_ratio": statistics.median(ratios) if ratios else None,
        "small": len(small), "small_over_5": sum(1 for s in small if s["verdict"] == "announced>5MB"),
        "totals_ok": sum(1 for _, lo, hi, img in tot_rows if hi <= img), "totals": len(tot_rows),
    }
    _report(root, seed, scored, tot_rows, summary)
    return summary


def _report(root: str, seed: int, scored: list, tot_rows: list, s: dict) -> None:
    lines = [f"# Held-out evaluation, seed {seed}", "",
             "Rebased corpus files built with buildah on the local Debian 12 bases; each fix applied alone "
             "(`bench/heldout_eval.py`). Estimates recomputed with the code at scoring time.", "",
             f"- files: {s['files']}; single-fix builds ok: {s['builds_ok']}; failed builds: {s['failed']}",
             f"- measured savings >= 1 MB inside the range: {s['inside']}/{s['big']}"
             + (f" ({100 * s['inside'] / s['big']:.0f}%)" if s["big"] else ""),
             f"- median midpoint/measured: {s['median_ratio']:.2f}" if s["median_ratio"] else "- median: n/a",
             f"- fixes measured < 1 MB announced above 5 MB: {s['small_over_5']}/{s['small']}",
             f"- file totals (high end) within the measured image: {s['totals_ok']}/{s['totals']}", "",
             "| file | rule | line | status | measured MB | estimate MB | verdict |", "|---|---|---|---|---|---|---|"]
    for r in scored:
        m = int(r["measured_delta"]) if r["measured_delta"] else None
        est = (f"{_fmt(int(r['estimated_low']))}–{_fmt(int(r['estimated_high']))}"
               if r["estimated_low"] != "" else "unknown")
        lines.append(f"| {r['file'].split('/')[0]} | {r['rule']} | {r['line']} | {r['status']} | {_fmt(m)} | "
                     f"{est} | {r['verdict']} |")
    lines += ["", "| file | total estimate MB | measured image MB |", "|---|---|---|"]
    for rel, lo, hi, img in tot_rows:
        lines.append(f"| {rel.split('/')[0]} | {_fmt(lo)}–{_fmt(hi)} | {_fmt(img)} |")
    with open(os.path.join(root, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:9]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("step", choices=("select", "prepare", "measure", "score"))
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--count", type=int, default=14)
    p.add_argument("--avoid", action="append", default=[], help="an earlier round's directory")
    p.add_argument("--only", action="append", default=[], help="measure only these ids")
    p.add_argument("--python-slim", action="store_true",
                   help=f"also admit python *-slim bases, rebased on a stand-in tagged {PYTHON_STANDIN}")
    p.add_argument("--lang-images", action="store_true",
                   help="round 3: also admit node and python bases (and buildpack-deps) on the stand-ins")
    a = p.parse_args(argv)
    global _python_slim, _lang_images
    _python_slim = a.python_slim or a.lang_images
    _lang_images = a.lang_images
    if a.step == "select":
        select(a.seed, a.count, a.avoid)
    elif a.step == "prepare":
        prepare(a.seed)
    elif a.step == "measure":
        measure(a.seed, a.only)
    else:
        score(a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
