#!/usr/bin/env python3
"""Regenerate bot/estimate/data/apt_packages.csv with apt's own simulation.

For the packages most often installed with ``apt-get install`` / ``apt install`` in a
corpus of Dockerfiles, ask apt (on a Debian host) what installing each package alone on
a bookworm-slim-like system adds, with and without Recommends:

    apt-get install -s [--no-install-recommends] -o Dir::State::status=<slim status> PKG

and sum the ``Installed-Size`` of every newly installed package (the number apt prints
as "After this operation, ... will be used"). Packages the host's apt sources do not
know are skipped and listed in ``apt_packages.skipped.csv``.

The status file should be the dpkg status of a real bookworm-slim rootfs (by default
the one measure_image.sh built, else ``--status``); with ``--pseudo-status`` a status is
synthesised from the Priority: required packages plus apt (like debootstrap minbase).

The corpus tokenisation (scripts/corpus_commands.py, shared with gen_pip_table) is deliberately simple (join continuation lines, take the
words after ``install`` up to the next shell operator, drop flags, variables and version
pins): it only picks which packages to measure, it is not the product's parser.

Usage (root not required, but run ``apt-get update`` first):
    python3 scripts/gen_apt_table.py --corpus ../shared/corpus/dockerfiles --top 300
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Iterator

from corpus_commands import count_names, operands

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bot" / "estimate" / "data"
SLIM_TARBALL = Path("/var/tmp/measure-image/base/bookworm-slim.tar")

PKG_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
INSTALL = re.compile(r"(?:^|\s)apt(?:-get)?\s(?P<rest>.*)")


def corpus_packages(corpus: Path) -> collections.Counter[str]:
    """Package name -> number of Dockerfiles that install it."""
    return count_names(corpus, INSTALL, _install_names)


def _install_names(words: list[str]) -> Iterator[str]:
    # skip global options before the subcommand: apt-get -y -q install ...
    while words and words[0].startswith("-"):
        words.pop(0)
    if not words or words[0] != "install":
        return
    for w in operands(words[1:], ("-o", "-t", "--target-release", "--option")):
        if w.startswith("-") or "$" in w or "/" in w or "*" in w:
            continue
        w = w.strip("'\"").split("=", 1)[0]
        if PKG_NAME.match(w):
            yield w


def read_status(args: argparse.Namespace, tmp: Path) -> tuple[Path, str]:
    if args.status:
        return Path(args.status), f"dpkg status file {args.status}"
    if not args.pseudo_status and SLIM_TARBALL.exists():
        with tarfile.open(SLIM_TARBALL) as tar:
            member = tar.getmember("var/lib/dpkg/status")
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
        out = tmp / "status"
        out.write_bytes(data)
        return out, f"dpkg status of {SLIM_TARBALL.name} (debootstrap minbase + debuerreotype-slimify)"
    return pseudo_status(tmp), "pseudo bookworm-slim status: Priority required + apt"


def pseudo_status(tmp: Path) -> Path:
    """Priority: required packages plus apt, as debootstrap --variant=minbase installs."""
    avail = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    out = []
    for block in avail.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(" ")
        )
        if fields.get("Priority") == "required" or fields.get("Package") == "apt":
            keep = [line for line in block.splitlines() if not line.startswith(("Filename", "MD5", "SHA"))]
            out.append("\n".join(keep[:1] + ["Status: install ok installed"] + keep[1:]))
    path = tmp / "status"
    path.write_text("\n\n".join(out) + "\n")
    return path


def installed_sizes() -> dict[tuple[str, str], int]:
    """(package, version) -> Installed-Size in KiB, from the host's package indexes."""
    avail = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    sizes: dict[tuple[str, str], int] = {}
    for block in avail.split("\n\n"):
        pkg = ver = size = None
        for line in block.splitlines():
            if line.startswith("Package: "):
                pkg = line[9:].strip()
            elif line.startswith("Version: "):
                ver = line[9:].strip()
            elif line.startswith("Installed-Size: "):
                size = int(line[16:].strip())
        if pkg and ver and size is not None:
            sizes[(pkg, ver)] = size
    return sizes


INST = re.compile(r"^Inst (\S+) (\[[^\]]*\] )?\((\S+)")


def simulate(pkg: str, status: Path, recommends: bool, sizes: dict) -> tuple[int, int] | str:
    """(new packages, installed bytes) or an error text."""
    cmd = [
        "apt-get", "install", "-s", "-q",
        "-o", f"Dir::State::status={status}",
        "-o", f"Dir::State::extended_states={status.parent / 'extended_states'}",
        "-o", "Debug::NoLocking=1",
        "-o", f"APT::Install-Recommends={'true' if recommends else 'false'}",
        pkg,
    ]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    if r.returncode != 0:
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("E:")]
        return (lines[0] if lines else r.stderr.strip()[:200]) or f"exit {r.returncode}"
    new = total = 0
    for line in r.stdout.splitlines():
        m = INST.match(line)
        if m and not m.group(2):  # no [old version]: a newly installed package
            new += 1
            total += sizes.get((m.group(1).split(":")[0], m.group(3)), 0) * 1024
    return new, total


def apt_pkg_simulator(status: Path):
    """In-process resolver with python-apt (cache built once, not per package).

    Follows (Pre-)Depends [and Recommends] of candidate versions, taking the first
    installable alternative of each or-group not already satisfied, like apt's
    resolver for a single package; checked to give the same new-package sets and
    sizes as ``apt-get install -s`` for curl, git, wget, build-essential, python3-pip.
    """
    try:
        import apt_pkg  # Debian's python3-apt (system python)
    except ImportError:
        return None
    apt_pkg.init_config()
    apt_pkg.config.set("Dir::State::status", str(status))
    apt_pkg.config.set("Debug::NoLocking", "1")
    apt_pkg.init_system()
    cache = apt_pkg.Cache(None)
    dep = apt_pkg.DepCache(cache)

    def sim(name: str, recommends: bool) -> tuple[int, int] | str:
        try:
            root = cache[name]
        except KeyError:
            return "E: Unable to locate package " + name
        if not root.has_versions:
            providers = {v.parent_pkg.name for _, _, v in root.provides_list}
            if len(providers) != 1:
                return f"E: {name} is a virtual package ({len(providers)} providers)"
            root = cache[providers.pop()]
        kinds = ("PreDepends", "Depends", "Recommends") if recommends else ("PreDepends", "Depends")
        seen: dict[str, int] = {}
        todo = [root]
        while todo:
            p = todo.pop()
            if p.name in seen or p.current_ver is not None:
                continue
            v = dep.get_candidate_ver(p)
            if v is None:
                if p is root:
                    return f"E: {name} has no installation candidate"
                continue
            seen[p.name] = v.installed_size  # bytes (Installed-Size x 1024)
            for kind in kinds:
                for group in v.depends_list.get(kind, []):
                    targets = [t for d in group for t in d.all_targets()]
                    if any(t.parent_pkg.name in seen or (
                        t.parent_pkg.current_ver is not None and t.parent_pkg.current_ver.id == t.id) for t in targets):
                        continue
                    cands = [t.parent_pkg for t in targets
                             if (c := dep.get_candidate_ver(t.parent_pkg)) is not None and c.id == t.id]
                    if cands:
                        todo.append(cands[0])
        return len(seen), sum(seen.values())

    return sim


def apt_version() -> str:
    out = subprocess.run(["apt-get", "--version"], capture_output=True, text=True).stdout
    return out.split()[1] if out else "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "corpus", "dockerfiles"))
    ap.add_argument("--top", type=int, default=300)
    ap.add_argument("--status", help="dpkg status file of the base to simulate against")
    ap.add_argument("--pseudo-status", action="store_true", help="synthesise the status file")
    ap.add_argument("--out-dir", default=str(OUT_DIR))
    ap.add_argument("--distro", default="debian-12-bookworm-amd64")
    ap.add_argument("--no-sizes-index", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    counts = corpus_packages(Path(args.corpus))
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: args.top]
    sizes = installed_sizes() if not args.no_sizes_index else {}
    version = apt_version()
    today = dt.date.today().isoformat()
    rows, skipped = [], []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        status, status_desc = read_status(args, tmp)
        (tmp / "extended_states").write_text("")
        method = (
            f"apt dependency resolution against <{status_desc}> (python-apt; same result as apt-get install -s "
            "[--no-install-recommends] -o Dir::State::status=...); sum of Installed-Size (KiB x 1024) of new packages"
        )
        fast = apt_pkg_simulator(status)
        if fast is None:
            print("python3-apt not importable: one apt-get -s per package (slow)", file=sys.stderr)
        for pkg, n_files in top:
            with_r = fast(pkg, True) if fast else simulate(pkg, status, True, sizes)
            without = fast(pkg, False) if fast else simulate(pkg, status, False, sizes)
            if isinstance(with_r, str) or isinstance(without, str):
                skipped.append((pkg, n_files, with_r if isinstance(with_r, str) else without))
                continue
            rows.append({
                "package": pkg, "corpus_files": n_files, "distro": args.distro, "apt_version": version,
                "new_pkgs_with_recommends": with_r[0], "installed_bytes_with_recommends": with_r[1],
                "new_pkgs_no_recommends": without[0], "installed_bytes_no_recommends": without[1],
                "saving_bytes": with_r[1] - without[1],
                "source": f"apt simulation on the host's Debian 12 indexes ({today})",
                "method": method, "date": today,
            })  # fmt: skip
            print(f"{pkg:32} {with_r[1] / 1e6:9.1f} MB -> {without[1] / 1e6:9.1f} MB", file=sys.stderr)
    out_dir = Path(args.out_dir)
    with open(out_dir / "apt_packages.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(sorted(rows, key=lambda r: r["package"]))
    with open(out_dir / "apt_packages.skipped.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["package", "corpus_files", "reason"])
        w.writerows(sorted(skipped))
    print(f"{len(rows)} packages written, {len(skipped)} skipped (not in {args.distro})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
