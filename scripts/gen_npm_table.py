#!/usr/bin/env python3
"""Regenerate bot/estimate/data/npm_cache.*.txt: what npm's cache holds per package.

For each package (the ones the corpus's ``npm install -g`` / ``yarn add`` lines name plus
common ones), install it for real into an empty project with a fresh cache:

    npm install --ignore-scripts --no-audit --no-fund --cache <dir> <package>

and read the cache's own index (cacache ``index-v5``: one entry per stored response with
its ``size``): the packed tarball of every package of the closure and the package
documents (packuments) npm fetched to resolve it. The table keeps

- ``tarballs``: name -> {version: packed bytes} (the bytes ``npm ci`` stores per lockfile entry),
- ``packuments``: name -> bytes of the document npm cached (resolving without a lockfile),
- ``closures``: package -> [version, [name@version...], bytes of the whole cache, bytes of
  node_modules] (file bytes summed, not disk blocks).

Usage (network to registry.npmjs.org; tens of minutes), then the older majors lockfiles pin:
    python3 scripts/gen_npm_table.py
    python3 scripts/gen_npm_table.py --merge --packages typescript@5 typescript@4 lodash@4.17.21 react@18 react-dom@18
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bot" / "estimate" / "data" / "npm_cache"  # OUT.<part>.txt, read by bot/estimate/tarballs.py
COMMON = (
    "express react react-dom next typescript webpack webpack-cli @angular/cli @vue/cli vue lodash axios nodemon "
    "pm2 serve yarn pnpm eslint prettier jest ts-node @nestjs/cli vite sharp node-gyp http-server mongoose pg "
    "mysql2 sequelize socket.io dotenv body-parser cors moment uuid chalk commander @babel/core tailwindcss "
    "postcss sass gulp grunt-cli bower serverless firebase-tools aws-cdk newman lerna prisma @prisma/client "
    "typeorm jshint forever corepack npm"
).split()
TARBALL = re.compile(r"/-/(?P<file>[^/]+)\.tgz$")


def cache_entries(cache: Path) -> list[dict]:
    """The newest index entry per key of a cacache directory."""
    out: dict[str, dict] = {}
    for path in (cache / "_cacache" / "index-v5").rglob("*"):
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            _, _, body = line.partition("\t")
            try:
                entry = json.loads(body)
            except ValueError:
                continue
            out[entry["key"]] = entry
    return list(out.values())


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def measure(npm: str, package: str) -> dict | str:
    with tempfile.TemporaryDirectory() as tmp:
        proj, cache = Path(tmp) / "p", Path(tmp) / "c"
        proj.mkdir()
        (proj / "package.json").write_text('{"name": "probe", "version": "1.0.0"}\n')
        run = subprocess.run([npm, "install", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", str(cache),
                              "--registry", "https://registry.npmjs.org/", package],
                             cwd=proj, capture_output=True, text=True, timeout=1800)  # fmt: skip
        if run.returncode != 0:
            return (run.stderr.strip().splitlines() or [f"npm exited {run.returncode}"])[-1][:200]
        lock = json.loads((proj / "package-lock.json").read_text())
        closure = sorted(f"{k.rsplit('node_modules/', 1)[-1]}@{v['version']}"
                         for k, v in lock.get("packages", {}).items() if k and "version" in v)  # fmt: skip
        bare = package[0] + package[1:].split("@", 1)[0]  # typescript@5 -> typescript
        version = lock["packages"].get(f"node_modules/{bare}", {}).get("version", "")
        tarballs: dict[str, dict[str, int]] = {}
        packuments: dict[str, int] = {}
        for e in cache_entries(cache):
            url = e.get("metadata", {}).get("url") or e["key"].split(":", 2)[-1]
            m = TARBALL.search(url)
            if m:
                path = url.split("registry.npmjs.org/", 1)[-1]
                name = path.split("/-/", 1)[0].replace("%2f", "/").replace("%2F", "/")
                ver = m.group("file")[len(name.split("/")[-1]) + 1:]
                tarballs.setdefault(name, {})[ver] = int(e["size"])
            elif "registry.npmjs.org/" in url:
                name = url.split("registry.npmjs.org/", 1)[-1].replace("%2f", "/").replace("%2F", "/")
                packuments[name] = int(e["size"])
        return {"package": package, "version": version, "closure": closure, "cache_bytes": du(cache),
                "tarballs": tarballs, "packuments": packuments, "installed_bytes": du(proj / "node_modules")}


def read_table(prefix: str):
    from bot.estimate import tarballs

    tarballs.DATA = prefix
    tarballs.forget()
    return tarballs.table()


def write_table(prefix: str, meta: dict, tarballs: dict, packuments: dict, closures: dict) -> None:
    """The four text files bot/estimate/tarballs.py reads (keys sorted, as the table was)."""
    from bot.estimate import tarballs as table, textdata

    ordered = table.Table({name: dict(sorted(v.items())) for name, v in sorted(tarballs.items())}, dict(sorted(packuments.items())),
                          dict(sorted(closures.items())), dict(sorted(meta.items())))  # fmt: skip
    for part, rows in table.encode(ordered).items():
        textdata.write(f"{prefix}.{part}.txt", rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", nargs="*", default=COMMON)
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--npm", default="npm")
    ap.add_argument("--merge", action="store_true", help="add to the existing table (e.g. older majors: typescript@4)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    npm = shutil.which(args.npm) or args.npm
    npm_version = subprocess.run([npm, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    node_version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    tarballs: dict[str, dict[str, int]] = {}
    packuments: dict[str, int] = {}
    closures: dict[str, list] = {}
    skipped: dict[str, str] = {}
    if args.merge:
        old = read_table(args.out)
        tarballs, packuments, closures = old.tarballs, old.packuments, old.closures
        skipped = dict(old.meta).get("skipped", {})
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        jobs = {pool.submit(measure, npm, p): p for p in args.packages}
        for job in cf.as_completed(jobs):
            p, got = jobs[job], job.result()
            if isinstance(got, str):
                skipped[p] = got
                print(f"skip {p}: {got}", file=sys.stderr)
                continue
            for name, vers in got["tarballs"].items():
                tarballs.setdefault(name, {}).update(vers)
            for name, size in got["packuments"].items():
                packuments[name] = max(size, packuments.get(name, 0))
            closures[p] = [got["version"], got["closure"], got["cache_bytes"], got["installed_bytes"]]
            print(f"{p}@{got['version']}: {len(got['closure'])} packages, cache {got['cache_bytes']} B", file=sys.stderr)
    meta = {
        "source": "registry.npmjs.org via npm install into an empty project with a fresh --cache; "
                  "sizes from the cache's cacache index-v5 entries",
        "tool": f"npm {npm_version} / node {node_version}",
        "date": dt.date.today().isoformat(),
        "closures": "package -> [version, closure name@version list, cache bytes (all files), node_modules bytes]",
        "skipped": skipped,
    }
    write_table(args.out, meta, tarballs, packuments, closures)
    print(f"{len(closures)} packages, {sum(map(len, tarballs.values()))} tarballs -> {args.out}.*.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
