#!/usr/bin/env python3
"""Regenerate bot/estimate/data/apt_downloads.json.gz: the download size (the .deb's
``Size`` field) of every package in apt_graph.json.gz, from ``apt-cache dumpavail`` on
a Debian 12 host (the same indexes as the graph; run ``apt-get update`` first).

It prices DT601: what a rebuild downloads again for an ``apt-get install`` is the .debs
of the packages apt adds (the graph's resolver says which), which a cache mount keeps.

Usage: python3 scripts/gen_apt_downloads.py
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.estimate.layers.graph import graph  # noqa: E402

OUT = ROOT / "bot" / "estimate" / "data" / "apt_downloads.json.gz"


def main() -> None:
    g = graph()
    assert g is not None, "apt_graph.json.gz is missing"
    text = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    sizes: dict[str, int] = {}
    for block in text.split("\n\n"):
        name = re.search(r"^Package: (\S+)", block, re.M)
        size = re.search(r"^Size: (\d+)", block, re.M)
        if name and size and name.group(1) in g.packages:
            sizes[name.group(1)] = int(size.group(1))
    missing = sorted(set(g.packages) - set(sizes))
    meta = {
        "date": dt.date.today().isoformat(),
        "distro": g.meta.get("distro", ""),
        "source": "apt-cache dumpavail (bookworm, bookworm-updates, bookworm-security) on the generating host: "
                  "the Size field (bytes of the .deb) of the graph's packages",
        "packages": len(sizes),
        "missing": missing,
    }
    with gzip.open(OUT, "wt", encoding="utf-8") as fh:
        json.dump({"meta": meta, "sizes": dict(sorted(sizes.items()))}, fh, separators=(",", ":"))
    print(f"{OUT.relative_to(ROOT)}: {len(sizes)} packages, {len(missing)} without a record")


if __name__ == "__main__":
    main()
