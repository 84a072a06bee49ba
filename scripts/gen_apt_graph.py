#!/usr/bin/env python3
"""Regenerate bot/estimate/data/apt_graph.{meta,bases,providers,packages}.txt from apt's
own data on a Debian 12 host (the file format: bot/estimate/layers/graph.py).

The graph covers the closure (Depends, Pre-Depends, Recommends, Provides; every
alternative) of the packages the corpus installs and of the base images' package
lists; each package keeps Installed-Size, its dependency groups (versions dropped),
what it provides and its .deb's Size (what apt downloads: DT601's rebuild estimate).
The candidate records come from ``apt-cache dumpavail`` (the host's bookworm,
bookworm-updates and bookworm-security indexes; run ``apt-get update`` first).

Base images' installed sets:
- debian-12 (also -slim: same packages, slimify only drops docs): the dpkg status of
  the official-like rootfs measure_image.sh builds (debootstrap minbase + debuerreotype).
- buildpack-deps curl / scm / full and the language images built on them, and the
  python -slim runtime: the package lists of their Dockerfiles (docker-library, see
  PROVENANCE.md) resolved with --no-install-recommends by the same resolver the
  estimator uses (bot/estimate/layers/graph.py).

Usage: python3 scripts/gen_apt_graph.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bot.estimate.layers.graph import Graph, encode_row, part_path, providers_of  # noqa: E402
from bot.estimate.textdata import write  # noqa: E402
from gen_apt_table import apt_version, corpus_packages  # noqa: E402

OFFICIAL_TARBALL = Path("/var/tmp/measure-image/base/bookworm-official.tar")

# docker-library/buildpack-deps debian/bookworm/{curl,scm,}/Dockerfile (commit 84e7e46)
BUILDPACK_CURL = "ca-certificates curl gnupg netbase sq wget"
BUILDPACK_SCM = "git git-lfs mercurial openssh-client subversion procps"
BUILDPACK_FULL = (
    "autoconf automake bzip2 dpkg-dev file g++ gcc imagemagick libbz2-dev libc6-dev libcurl4-openssl-dev "
    "libdb-dev libevent-dev libffi-dev libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev liblzma-dev "
    "libmagickcore-dev libmagickwand-dev libmaxminddb-dev libncurses5-dev libncursesw5-dev libpng-dev libpq-dev "
    "libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev libxslt-dev libyaml-dev make patch "
    "unzip xz-utils zlib1g-dev default-libmysqlclient-dev"
)
# docker-library/golang 1.2x/bookworm/Dockerfile: FROM buildpack-deps:bookworm-scm + cgo tools
GOLANG = "g++ gcc libc6-dev make pkg-config"
# docker-library/python 3.1x/slim-bookworm/Dockerfile: kept at run time (ca-certificates netbase
# tzdata installed; the build's libraries stay as the shared objects python links against)
PYTHON_SLIM = ("ca-certificates netbase tzdata libbz2-1.0 libdb5.3 libexpat1 libffi8 libgdbm6 liblzma5 "
               "libncursesw6 libreadline8 libsqlite3-0 libssl3 libuuid1 zlib1g")

FIELD = re.compile(r"^([A-Za-z-]+): (.*)$")


def groups(value: str) -> list[str]:
    out = []
    for group in value.split(","):
        alts = [re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", a).strip().split(":")[0] for a in group.split("|")]
        alts = [a for a in alts if a]
        if alts:
            out.append("|".join(alts))
    return out


def available() -> dict[str, list]:
    text = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    pkgs: dict[str, list] = {}
    for block in text.split("\n\n"):
        f: dict[str, str] = {}
        for line in block.splitlines():
            m = FIELD.match(line)
            if m:
                f[m.group(1)] = m.group(2)
        name = f.get("Package")
        if not name:
            continue
        deps = groups(f.get("Pre-Depends", "")) + groups(f.get("Depends", ""))
        provides = [p.split("(")[0].strip() for p in f.get("Provides", "").split(",") if p.strip()]
        deb = int(f["Size"]) if f.get("Size", "").isdigit() else None
        pkgs[name] = [int(f.get("Installed-Size", "0") or 0), deps, groups(f.get("Recommends", "")), provides, deb]
    return pkgs


def official_status() -> list[str]:
    with tarfile.open(OFFICIAL_TARBALL) as tar:
        data = tar.extractfile(tar.getmember("var/lib/dpkg/status")).read().decode()  # type: ignore[union-attr]
    return sorted(m.group(1) for m in re.finditer(r"^Package: (\S+)", data, re.M))


def closure(full: dict[str, list], seeds: set[str]) -> dict[str, list]:
    providers: dict[str, list[str]] = {}
    for name, row in full.items():
        for v in row[3]:
            providers.setdefault(v, []).append(name)
    keep: set[str] = set()
    todo = [s for s in seeds if s in full or s in providers]
    while todo:
        n = todo.pop()
        for real in [n] if n in full else providers.get(n, []):
            if real in keep:
                continue
            keep.add(real)
            row = full[real]
            todo.extend(a for g in row[1] + row[2] for a in g.split("|"))
    return {n: full[n] for n in sorted(keep)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "dockerfiles"))
    args = ap.parse_args()
    full = available()
    debian = official_status()
    wanted = set(corpus_packages(Path(args.corpus))) | set(debian)
    for text in (BUILDPACK_CURL, BUILDPACK_SCM, BUILDPACK_FULL, GOLANG, PYTHON_SLIM):
        wanted |= set(text.split())
    packages = closure(full, wanted)
    g = Graph(packages, {}, {})

    def add(base: frozenset[str], names: str) -> frozenset[str]:
        return base | g.install(names.split(), base, recommends=False)

    d12 = frozenset(debian)
    curl = add(d12, BUILDPACK_CURL)
    scm = add(curl, BUILDPACK_SCM)
    bases = {
        "debian-12": d12,
        "buildpack-deps-12-curl": curl,
        "buildpack-deps-12-scm": scm,
        "buildpack-deps-12": add(scm, BUILDPACK_FULL),
        "golang-12": add(scm, GOLANG),
        "python-12-slim": add(d12, PYTHON_SLIM),
    }
    today = dt.date.today().isoformat()
    source = "apt-cache dumpavail (bookworm, bookworm-updates, bookworm-security) on the generating host"
    missing = sorted(n for n, row in packages.items() if row[4] is None)
    meta = {
        "distro": "debian-12-bookworm-amd64",
        "apt_version": apt_version(),
        "date": today,
        "source": source,
        "corpus_packages": len(set(corpus_packages(Path(args.corpus)))),
        "downloads": {"date": today, "distro": "debian-12-bookworm-amd64",
                      "source": source + ": the Size field (bytes of the .deb) of the graph's packages",
                      "packages": len(packages) - len(missing), "missing": missing},
    }
    rows = {name: encode_row(row) for name, row in packages.items()}  # decoded per package on use
    write(part_path("meta"), {k: json.dumps(v) for k, v in sorted(meta.items())})
    write(part_path("bases"), {k: ",".join(sorted(v)) for k, v in sorted(bases.items())})
    write(part_path("providers"), {k: ",".join(v) for k, v in sorted(providers_of(rows).items())})
    write(part_path("packages"), rows)
    sizes = {k: sum(g.size(n) for n in v) / 1e6 for k, v in bases.items()}
    print(f"{len(packages)} packages; bases (Installed-Size MB): "
          + ", ".join(f"{k} {len(bases[k])} pkgs {v:.0f}" for k, v in sizes.items()), file=sys.stderr)
    print(f"wrote {part_path('*')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
