"""Recall and extra findings of dockerdiet against hadolint's equivalent rules.

Run: python bench/hadolint_agreement.py [DIR] [--misses]
For every hadolint finding whose DL code a DT rule shares, is there a finding of that
rule on the same instruction? Prints per-code counts and, with --misses, each miss
(to be read by hand: differences must be hadolint's errors, written down as tests).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter

from bot import rules as catalogue
from bot.engine import Options, analyse_file
from bot.model.dockerfile import parse

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "corpus", "dockerfiles")


def hadolint(files: list[str]) -> list[dict]:
    exe = shutil.which("hadolint", path=os.path.dirname(sys.executable)) or shutil.which("hadolint")
    out = subprocess.run([exe, "--no-fail", "-f", "json", *files], capture_output=True, text=True, check=False)
    return json.loads(out.stdout or "[]")


ISSUE_CODES = ("DL3009", "DL3015", "DL3019", "DL3032", "DL3036", "DL3040", "DL3042", "DL3060", "DL3046")


def _why_missed(file: str, line: int) -> str:
    """A first classification of a miss, for the reader: deliberate or to be looked at."""
    try:
        df = parse(open(file, encoding="utf-8").read())
    except (OSError, UnicodeDecodeError):
        return "unreadable"
    ins = next((i for i in df.instructions if i.span.start.line <= line <= i.span.end.line), None)
    if ins is None or ins.stage < 0:
        return "no stage (before FROM)"
    if ins.stage not in df.reaches_final:
        return "builder stage (never in the final image)"
    return "read by hand"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=CORPUS)
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--extras", action="store_true", help="list our findings hadolint lacks")
    args = ap.parse_args()
    files = sorted(os.path.join(args.dir, f) for f in os.listdir(args.dir) if "Dockerfile" in f or f.endswith(".dockerfile"))
    dl_map = catalogue.hadolint_map()
    theirs = [h for h in hadolint(files) if h["code"] in dl_map]
    ours = {}
    spans = {}
    for f in files:
        r = analyse_file(f, Options(estimate=False))
        ours[f] = r.findings
        df = parse(r.source_text) if not r.error else None
        spans[f] = [(i.span.start.line, i.span.end.line) for i in df.instructions] if df else []
    total, found = Counter(), Counter()
    misses = []
    matched_ours = set()
    for h in theirs:
        file, line, code = h["file"], h["line"], h["code"]
        rng = next(((a, b) for a, b in spans.get(file, []) if a <= line <= b), (line, line))
        hits = [o for o in ours.get(file, []) if o.rule_id in dl_map[code] and rng[0] <= o.span.start.line <= rng[1]]
        total[code] += 1
        if hits:
            found[code] += 1
            matched_ours.update(id(o) for o in hits)
        else:
            misses.append((code, _why_missed(file, line), file, line, h["message"]))
    extras = Counter()
    extra_list = []
    for file, fs in ours.items():
        for o in fs:
            if any(o.rule_id in ids for ids in dl_map.values()) and id(o) not in matched_ours:
                codes = [c for c, ids in dl_map.items() if o.rule_id in ids]
                extras[o.rule_id] += 1
                extra_list.append((o.rule_id, codes, file, o.span.start.line, o.message))
    print(f"{'code':8} {'rule':6} {'hadolint':>8} {'found':>6} {'recall':>7} {'extra':>6}")
    for code in sorted(total):
        rid = ",".join(sorted(dl_map[code]))
        print(f"{code:8} {rid:6} {total[code]:8d} {found[code]:6d} {found[code] / total[code]:7.1%} {extras[rid]:6d}")
    all_t, all_f = sum(total.values()), sum(found.values())
    if all_t:
        print(f"{'all':15} {all_t:8d} {all_f:6d} {all_f / all_t:7.1%}")
    sel_t = sum(total[c] for c in ISSUE_CODES)
    sel_f = sum(found[c] for c in ISSUE_CODES)
    if sel_t:
        print(f"issue codes ({', '.join(ISSUE_CODES)}): {sel_f}/{sel_t} = {sel_f / sel_t:.1%}")
    why = Counter(m[1] for m in misses if m[0] in ISSUE_CODES)
    for reason, n in why.most_common():
        print(f"  missed, {reason}: {n}")
    if args.misses:
        for m in misses:
            print("MISS", *m)
    if args.extras:
        for e in extra_list:
            print("EXTRA", *e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
