"""Harness: re-parse every corpus Dockerfile after each of its fixes, as the size model does.

Not a test. The fixes are found first (``dockerdiet check --no-estimate``'s findings,
each fix applied alone, as ``estimate/layers/saving.py`` applies it); then each fixed
text is parsed again with ``reparse`` from the fix's first edit on, or with ``parse``
whole. The re-parser's cost is the difference between the modes under callgrind:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_reparse.py read
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_reparse.py reparse
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_reparse.py parse
"""

from __future__ import annotations

import gc
import sys

from bench_parse import read_corpus

from bot.engine import Options, analyse_text
from bot.model.dockerfile import Dockerfile, parse, reparse
from bot.model.text import apply_edits


def fixed_texts() -> list[tuple[Dockerfile, str, int]]:
    out = []
    for path, text in read_corpus():
        df = parse(text, path)
        for f in analyse_text(path, text, Options(estimate=False)).findings:
            if f.fix is not None and f.fix.edits:
                unchanged = min(df.index.offset(e.span.start) for e in f.fix.edits)
                out.append((df, apply_edits(text, f.fix.edits), unchanged))
    return out


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "reparse"
    cases = fixed_texts()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)
    if mode == "reparse":
        for df, text, unchanged in cases:
            reparse(df, text, unchanged)
    elif mode == "parse":
        for df, text, _ in cases:
            parse(text, df.path)
    elif mode != "read":
        sys.exit(f"unknown mode {mode!r}: read, reparse or parse")


if __name__ == "__main__":
    main()
