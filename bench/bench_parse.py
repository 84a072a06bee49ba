"""Harness: parse every corpus Dockerfile once, for counting the parser's instructions.

Not a test. The files are read first; then ``parse`` runs on each, with the collector
frozen and relaxed as ``dockerdiet check`` sets it (bot/cli.py), each result dropped.
The parser's cost is the difference between the two modes under callgrind:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_parse.py read
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_parse.py parse

``profile`` prints cProfile's functions by own time instead (its absolute times are inflated).
"""

from __future__ import annotations

import gc
import glob
import os
import sys

from bot.model.dockerfile import parse

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "corpus",
                      "dockerfiles")


def read_corpus() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(glob.glob(os.path.join(CORPUS, "*"))):
        with open(path, encoding="utf-8", errors="replace") as fh:
            texts.append((path, fh.read().removeprefix("\ufeff")))
    return texts


def parse_all(texts: list[tuple[str, str]]) -> None:
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)
    for path, text in texts:
        parse(text, path)


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "parse"
    texts = read_corpus()
    if mode == "parse":
        parse_all(texts)
    elif mode == "profile":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(parse_all, texts)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    elif mode != "read":
        sys.exit(f"unknown mode {mode!r}: read, parse or profile")


if __name__ == "__main__":
    main()
