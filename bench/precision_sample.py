"""Precision gate: a seeded random sample of findings and `fix --unsafe` diffs to read by hand.

Not a test: run `python bench/precision_sample.py --seed N` and judge each item as the
author of that Dockerfile would. Record the verdicts in tests/precision/verdicts.csv
(file, line, rule, verdict, reason); every wrong verdict becomes a rule test at its
general cause. A new seed gives a fresh sample after the work.
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "dockerfiles")
sys.path.insert(0, ROOT)

from bot.engine import Options, analyse_file, fix_source  # noqa: E402
from bot.model.source import SourceError, read  # noqa: E402


def corpus(path: str) -> list[str]:
    return sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith("Dockerfile"))


def context(text: str, line: int, around: int) -> str:
    lines = text.splitlines()
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"{'>' if n == line else ' '}{n:4d} | {lines[n - 1]}" for n in range(lo, hi + 1))


def sample_findings(files: list[str], rng: random.Random, count: int, around: int) -> list[str]:
    everything = []
    for path in files:
        result = analyse_file(path, Options(estimate=False))
        for f in result.findings:
            everything.append((path, result.source_text, f))
    picked = rng.sample(everything, min(count, len(everything)))
    out = [f"# {len(picked)} of {len(everything)} findings"]
    for i, (path, text, f) in enumerate(picked, 1):
        fix = f" [fix: {f.fix.safety.value}: {f.fix.title}]" if f.fix is not None and f.fix.edits else ""
        out.append(f"\n## F{i} {os.path.basename(path)}:{f.span.start.line} {f.rule_id} {f.message}{fix}")
        out.append(context(text, f.span.start.line, around))
    return out


def sample_fixes(files: list[str], rng: random.Random, count: int) -> list[str]:
    changed = []
    for path in files:
        try:
            source = read(path)
        except SourceError:
            continue
        outcome = fix_source(source, Options(estimate=False), unsafe=True)
        if outcome.fixed != outcome.original:
            changed.append((path, outcome))
    picked = rng.sample(changed, min(count, len(changed)))
    out = [f"\n# {len(picked)} of {len(changed)} files changed by fix --unsafe"]
    for i, (path, outcome) in enumerate(picked, 1):
        rules = sorted({f.rule_id for f in outcome.applied})
        out.append(f"\n## X{i} {os.path.basename(path)} ({', '.join(rules)})")
        diff = difflib.unified_diff(outcome.original.splitlines(), outcome.fixed.splitlines(), lineterm="", n=2)
        out.extend(list(diff)[2:])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--findings", type=int, default=60)
    ap.add_argument("--fixes", type=int, default=25)
    ap.add_argument("--around", type=int, default=3, help="lines of context around a finding")
    ap.add_argument("--corpus", default=CORPUS)
    args = ap.parse_args()
    files = corpus(args.corpus)
    rng = random.Random(args.seed)
    lines = sample_findings(files, rng, args.findings, args.around)
    lines += sample_fixes(files, rng, args.fixes)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
