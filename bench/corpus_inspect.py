"""Measured waste of corpus Dockerfiles next to what the static rules report for them.

Builds each file with the Docker engine (``eval "$(../shared/tools/docker_engine.sh
start)"`` first), with its FROM rewritten to the nearest image the engine already has
(no registry is reachable here: the mapping is printed), reads the layers and prints
a table: measured waste by kind, the static findings (with their estimates) and the
measured kinds no static finding covered. Files that do not build are listed as such.
Usage: .venv/bin/python bench/corpus_inspect.py [NNNN ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.engine import Options, analyse_text  # noqa: E402
from bot.measure.engines import BuildRequest, make_engine  # noqa: E402
from bot.measure.layers.inspection import inspect_built  # noqa: E402
from bot.measure.layers.report import waste_by_kind  # noqa: E402
from bot.measure.render import human  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "dockerfiles"
FILES = ["0219", "0305", "0030", "0220", "0630", "0494", "0581", "0579", "0580", "0738"]
LOCAL = {  # the tag as written -> the image the engine has
    "debian:stable-slim": "debian:bookworm-slim", "debian:bullseye-slim": "debian:bookworm-slim",
    "debian:bullseye": "debian:12", "debian:stable": "debian:12", "debian:latest": "debian:12",
    "python:3.10": "python:3.11-bookworm", "python:3.11": "python:3.11-bookworm",
    "python:3.11.11": "python:3.11-bookworm", "python:3.11-slim-bullseye": "python:3.11-slim-bookworm",
    "python:3.10-slim": "python:3.12.8-slim-bookworm",
}


def localise(text: str) -> str:
    return re.sub(r"(?im)^(FROM\s+)(\S+)", lambda m: m.group(1) + LOCAL.get(m.group(2), m.group(2)), text)


def one(engine, name: str) -> dict:
    path = CORPUS / f"{name}.Dockerfile"
    text = path.read_text(encoding="utf-8")
    static = analyse_text(str(path), text, Options()).findings
    row = {"file": name, "static": [(f.rule_id, f.span.start.line, f.estimate.bytes_low if f.estimate else None,
                                      f.estimate.bytes_high if f.estimate else None) for f in static]}
    built = localise(text)
    with tempfile.TemporaryDirectory() as ctx:
        df = os.path.join(ctx, "Dockerfile")
        Path(df).write_text(built, encoding="utf-8")
        t0 = time.time()
        out = engine.build(BuildRequest(df, ctx))
        row["build_seconds"] = round(time.time() - t0, 1)
        if not out.ok:
            row["status"] = "does not build here: " + (out.log.strip().splitlines() or ["?"])[-1][:120]
            return row
        insp = inspect_built(engine, out.image_id, built, str(path), static=static)
    row["status"] = "ok"
    row["size"] = insp.analysis.size
    row["efficiency"] = insp.analysis.efficiency.score
    row["waste_by_kind"] = waste_by_kind(insp)
    row["measured"] = [(m.finding.rule_id, m.finding.span.start.line, m.kind, m.bytes, list(m.merged))
                       for m in insp.measured]
    row["only_measured"] = sorted({m.kind for m in insp.measured if not m.merged})
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", default=FILES)
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    engine = make_engine("docker")
    rows = []
    for name in args.files:
        row = one(engine, name)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    print("\n| file | status | size | dive eff. | measured waste by kind | static findings | only measured |")
    print("|---|---|---:|---:|---|---|---|")
    for r in rows:
        static = ", ".join(f"{rid}@{ln}" for rid, ln, _, _ in r["static"]) or "—"
        if r["status"] != "ok":
            print(f"| {r['file']} | {r['status'][:60]} | | | | {static} | |")
            continue
        kinds = ", ".join(f"{k} {human(b)}" for k, b in r["waste_by_kind"].items()) or "—"
        print(f"| {r['file']} | ok | {human(r['size'])} | {r['efficiency'] * 100:.1f} % | {kinds} | {static} "
              f"| {', '.join(r['only_measured']) or '—'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
