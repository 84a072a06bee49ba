"""Bench: the action end to end (subprocess) on a PR with 20 changed Dockerfiles.

Runs ``python -m bot.action`` against the fake GitHub on 127.0.0.1 and prints the wall
time of each run and the number of API requests. Target: < 2 s, <= 2 x 20 + 8 requests.
Usage: /work/venv/bin/python bench/action_e2e.py [--files 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.github_server import FakeGitHub  # noqa: E402
from tests.integration.github.conftest import run_action  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    times, counts = [], []
    for i in range(args.repeat):
        with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
            head = {f"svc{n:02}/Dockerfile":
                    f"FROM debian:12-slim\nRUN apt-get update && apt-get install -y pkg{n}\nRUN echo {n}\n"
                    for n in range(args.files)}
            base = {f"svc{n:02}/Dockerfile": f"FROM debian:12-slim\nRUN echo {n}\n" for n in range(args.files)}
            fake.open_pull(1, base, head)
            start = time.perf_counter()
            run = run_action(fake, Path(tmp), 1, run_id=str(1000 + i))
            elapsed = time.perf_counter() - start
            assert run.code == 0, run.stdout + run.stderr
            comments = len(fake.comments_of(1))
            times.append(elapsed)
            counts.append(len(fake.requests))
    print(f"{args.files} Dockerfiles, {args.repeat} runs: wall median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}); API requests {counts[0]} "
          f"(budget {2 * args.files + 8}); inline comments {comments}, review POSTs "
          f"{len(fake.calls('POST', r'/reviews$'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
