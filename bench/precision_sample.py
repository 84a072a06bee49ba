"""Precision gate: a seeded random sample of findings and `fix --unsafe` diffs to read by hand.

Not a test: run `python bench/precision_sample.py [--seed N] --stub` (no seed: a new one,
printed in the header) and judge each item as the author of that Dockerfile would (open
the file: the context shown is a start). Record
the verdicts in tests/precision/verdicts.csv (file, line, rule, verdict, reason, sample,
test); `--stub` prints those rows with the verdict left to fill. Every wrong verdict
becomes a rule test at its general cause. A seed already in verdicts.csv is refused
(a fresh sample needs a new seed) unless --reuse is given.

Each diff lists the caveat of every review fix it applies: a diff is acceptable when one
click is safe, or when the caveat says honestly what to check.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "dockerfiles")
VERDICTS = os.path.join(ROOT, "tests", "precision", "verdicts.csv")
sys.path.insert(0, ROOT)

from bot.engine import Options, analyse_file, fix_source  # noqa: E402
from bot.model.source import SourceError, read  # noqa: E402


def corpus(path: str) -> list[str]:
    return sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith("Dockerfile"))


def context(text: str, line: int, around: int) -> str:
    lines = text.splitlines()
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"{'>' if n == line else ' '}{n:4d} | {lines[n - 1]}" for n in range(lo, hi + 1))


def used_seeds(path: str = VERDICTS) -> set[int]:
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8", newline="") as fh:
        tags = {row["sample"].split("/", 1)[0] for row in csv.DictReader(fh)}
    return {int(t[4:]) for t in tags if t.startswith("seed") and t[4:].isdigit()}


def sample_findings(files: list[str], rng: random.Random, count: int, around: int,
                    stub: list[list[str]], seed: int) -> list[str]:
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
        stub.append([os.path.basename(path), str(f.span.start.line), f.rule_id, "", "", f"seed{seed}/F{i}", ""])
    return out


def sample_fixes(files: list[str], rng: random.Random, count: int,
                 stub: list[list[str]], seed: int) -> list[str]:
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
        name = os.path.basename(path)
        out.append(f"\n## X{i} {name} ({', '.join(rules)})")
        diff = difflib.unified_diff(outcome.original.splitlines(), outcome.fixed.splitlines(), lineterm="", n=2)
        out.extend(list(diff)[2:])
        caveats = {}
        for f in outcome.applied:
            if f.fix is not None and f.fix.reason:
                caveats.setdefault(f"{f.rule_id}: {f.fix.reason}", None)
        out.extend(f"   caveat {c}" for c in caveats)
        first = min((f.span.start.line for f in outcome.applied), default=1)
        stub.append([name, str(first), "+".join(rules), "", "", f"seed{seed}/X{i}-fix", ""])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=None, help="default: a new seed, printed in the header")
    ap.add_argument("--findings", type=int, default=60)
    ap.add_argument("--fixes", type=int, default=25)
    ap.add_argument("--around", type=int, default=3, help="lines of context around a finding")
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--stub", action="store_true", help="also print verdicts.csv rows to fill in")
    ap.add_argument("--reuse", action="store_true", help="allow a seed verdicts.csv already holds")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = next(n for n in iter(lambda: random.SystemRandom().randrange(1, 10**6), None) if n not in used_seeds())
    if args.seed in used_seeds() and not args.reuse:
        print(f"seed {args.seed} is already in {os.path.relpath(VERDICTS, ROOT)}: a fresh sample needs a new seed "
              f"(used: {', '.join(map(str, sorted(used_seeds())))}); --reuse to draw it again", file=sys.stderr)
        return 2
    if not os.path.isdir(args.corpus):
        print(f"corpus not found at {args.corpus} (give --corpus)", file=sys.stderr)
        return 2
    files = corpus(args.corpus)
    rng = random.Random(args.seed)
    stub: list[list[str]] = []
    lines = [f"# precision sample, seed {args.seed}, corpus {args.corpus}"]
    lines += sample_findings(files, rng, args.findings, args.around, stub, args.seed)
    lines += sample_fixes(files, rng, args.fixes, stub, args.seed)
    print("\n".join(lines))
    if args.stub:
        print("\n# verdicts.csv rows (verdict: right|wrong; a wrong one needs a test at its cause)")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows(stub)
    return 0


if __name__ == "__main__":
    sys.exit(main())
