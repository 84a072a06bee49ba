"""Measured items become DT7xx findings on the instruction that wrote the bytes.

One finding per (writing instruction, removing instruction) for removed bytes
(DT701), per (instruction, kind) for caches (DT702), leftovers (DT703) and compilers
and headers (DT705), per instruction for duplicate copies (DT704). Each carries an estimate with
low = high = the measured bytes. When a static rule reports the same waste on the
same instruction (DT105 for a pip cache, DT201 on the RUN that deletes what an
earlier one wrote, DT207 for build packages, ...), the static finding gains the measured number instead.
Bytes of the base image's layers are in the analysis, never in findings: no line
of this Dockerfile wrote them.
"""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple, Sequence

from bot.engine import unsuppressed
from bot.identity import fingerprint, stage_key
from bot.measure.layers.analyse import Analysis
from bot.measure.layers.waste import CACHE, FAMILY, LEFTOVER, TOOLCHAIN
from bot.measure.render import human
from bot.model.dockerfile import Dockerfile, Instruction
from bot.model.findings import Confidence, Finding, SizeEstimate, SizeHint
from bot.report.json_report import finding_json
from bot.rules.facts import layer_claim
from bot import rules as catalogue

REMOVED, DUPLICATE = "removed", "duplicate"
RULE_OF_FAMILY = {REMOVED: "DT701", CACHE: "DT702", LEFTOVER: "DT703", DUPLICATE: "DT704", TOOLCHAIN: "DT705"}
# measured kind -> static rules that describe the same bytes on the same instruction
# (for removed bytes: on the writing or on the removing instruction)
SAME_WASTE = {
    "apt-lists": ("DT101", "DT203"),
    "apk-cache": ("DT103",),
    "rpm-cache": ("DT104",),
    "pip-cache": ("DT105",),
    "npm-cache": ("DT106",),
    "yarn-cache": ("DT107",),
    "conda-cache": ("DT109",),
    "tmp": ("DT205",),
    TOOLCHAIN: ("DT207",),
    REMOVED: ("DT201", "DT202", "DT206"),
}
MIN_BYTES = 1024  # below this a measured item is noise, not a finding


class Measured(NamedTuple):
    finding: Finding  # a DT7xx finding, or the static one that gained the measured bytes
    kind: str
    bytes: int
    paths: tuple[tuple[int, str], ...]  # largest files concerned, biggest first
    wrote: tuple[int, int]  # (line, end_line) of the instruction that wrote the bytes
    removed_by: tuple[int, int] | None = None  # (line, end_line) of the removing instruction
    merged: tuple[str, ...] = ()  # the DT7xx ids a static finding absorbed

    def to_json(self) -> dict[str, Any]:
        out = finding_json(self.finding)
        out["measured"] = {"kind": self.kind, "bytes": self.bytes, "merged": list(self.merged),
                           "written_by": {"line": self.wrote[0], "end_line": self.wrote[1]},
                           "paths": [{"path": "/" + p, "bytes": b} for b, p in self.paths]}
        if self.removed_by is not None:
            out["removed_by"] = {"line": self.removed_by[0], "end_line": self.removed_by[1]}
        return out


def _lines(ins: Instruction) -> str:
    return f"{ins.line}" if ins.line == ins.end_line else f"{ins.line}-{ins.end_line}"


def _estimate(n: int, what: str) -> SizeEstimate:
    return SizeEstimate(n, n, f"measured in the built image's layers: {what}", Confidence.HIGH, "measured")


class _Maker:
    def __init__(self, df: Dockerfile, path: str) -> None:
        self.df, self.path = df, path
        self.rules = catalogue.by_id()
        self.seen: dict[tuple[str, str, str], int] = {}

    def finding(self, rule_id: str, ins: Instruction, message: str, n: int, kind: str, what: str) -> Finding:
        rule = self.rules[rule_id]
        stage = self.df.stages[ins.stage].label if 0 <= ins.stage < len(self.df.stages) else ""
        f = Finding(rule.id, rule.name, rule.severity, self.path, ins.span, message, stage,
                    hint=SizeHint("measured", {"kind": kind, "bytes": n}, (f"measured:{kind}:{ins.line}",)),
                    estimate=_estimate(n, what), anchor_text=f"{ins.normalized}\x00{kind}")
        # identity as the engine's (rule, stage, subject, occurrence): what was measured, not the line
        key = (rule.id, stage_key(self.df, self.df.stage_of(ins)), f"measured={kind} {ins.effective().keyword}")
        occurrence = self.seen.get(key, 0)
        self.seen[key] = occurrence + 1
        identity = "\x1e".join((*key, str(occurrence)))
        return f.with_(subject=key[2], identity=identity, fingerprint=fingerprint(self.path, identity))


def _top(items: Iterable[tuple[int, str]], n: int = 5) -> tuple[tuple[int, str], ...]:
    return tuple(sorted(items, reverse=True)[:n])


def raw_findings(a: Analysis, df: Dockerfile, path: str) -> list[Measured]:
    """Every measured item of the instructions of this Dockerfile, as DT7xx findings."""
    make = _Maker(df, path)
    owner = [layer.instruction for layer in a.layers]
    out: list[Measured] = []
    for r in a.removed:  # biggest first
        writer, remover = owner[r.writer], owner[r.remover]
        if writer is None or r.bytes < MIN_BYTES:
            continue
        hows = {how for _, _, how in r.top}
        verb = "overwritten" if hows == {"overwritten"} else "deleted" if hows == {"deleted"} else "deleted or overwritten"
        by = f"line {_lines(remover)} ({remover.keyword})" if remover else "a later layer"
        msg = f"{human(r.bytes)} written here are {verb} by {by}, still shipped in this layer"
        top = _top((b, p) for b, p, _ in r.top)
        out.append(Measured(make.finding("DT701", writer, msg, r.bytes, REMOVED, f"{r.files} file(s) {verb}"),
                            REMOVED, r.bytes, top, (writer.line, writer.end_line),
                            (remover.line, remover.end_line) if remover else None))
    groups: dict[tuple[int, str], list] = {}
    for w in a.waste:
        ins = owner[w.layer]
        if ins is None:
            continue
        g = groups.setdefault((id(ins), w.kind), [ins, 0, 0, [], []])
        g[1] += w.bytes
        g[2] += w.files
        g[3].extend(w.top)
        g[4].append((w.bytes, w.root))
    for (_, kind), (ins, n, files, top, roots) in groups.items():
        if n < MIN_BYTES:
            continue
        where = max(roots)[1]
        more = f" and {len(roots) - 1} more" if len(roots) > 1 else ""
        if kind == TOOLCHAIN:
            msg = f"toolchain left in an image that never compiles: {human(n)} in /{where}{more}"
        else:
            label = kind.replace("-", " ") if kind != "tmp" else "temporary files"
            msg = f"{label} left in the image: {human(n)} in /{where}{more}"
        rule_id = RULE_OF_FAMILY[FAMILY[kind]]
        f = make.finding(rule_id, ins, msg, n, kind, f"{files} file(s) in the final image")
        if kind == TOOLCHAIN:  # the bytes DT207's purge and DT402's rewrite claim on this RUN
            f = f.with_(hint=f.hint._replace(claims=(*f.hint.claims, layer_claim("build-packages", ins))))
        out.append(Measured(f, kind, n, _top(top), (ins.line, ins.end_line)))
    dups: dict[int, list] = {}
    for d in a.duplicates:
        ins = owner[d.layer]
        if ins is not None:
            g = dups.setdefault(id(ins), [ins, 0, []])
            g[1] += d.bytes
            g[2].append((d.bytes, d.path, d.original))
    for ins, n, copies in dups.values():
        if n < MIN_BYTES:
            continue
        big = max(copies)
        msg = f"{human(n)} in {len(copies)} file(s) already in the image, e.g. /{big[1]} = /{big[2]}"
        out.append(Measured(make.finding("DT704", ins, msg, n, DUPLICATE, f"{len(copies)} duplicate file(s)"),
                            DUPLICATE, n, _top((b, p) for b, p, _ in copies), (ins.line, ins.end_line)))
    return out


def _on(f: Finding, ins_lines: Sequence[tuple[int, int]]) -> bool:
    return any(lo <= f.span.start.line <= hi for lo, hi in ins_lines)


# Static findings that take the measured bytes away with more besides (DT402's multi-stage
# rewrite leaves the whole stage's toolchain in its builder): they absorb the measured item
# (one comment) and keep their own estimate, which the measurement would understate
SUPERSEDES = {TOOLCHAIN: ("DT402",)}


def _superseded_by(s: Finding, m: "Measured") -> bool:
    """``s`` claims the layer the measured bytes were written in (DT402: build-packages@RUN)."""
    if s.rule_id not in SUPERSEDES.get(m.kind, ()) or s.hint is None or m.finding.hint is None:
        return False
    return bool(set(s.hint.claims) & set(m.finding.hint.claims))


def merge(measured: Sequence[Measured], static: Sequence[Finding]) -> tuple[list[Measured], list[Finding]]:
    """Fold measured items into static findings of the same waste on the same instruction.

    Returns the measured list (merged items replaced by the static finding that now carries
    the measured bytes) and the static findings with those estimates updated."""
    static, original = list(static), list(static)
    absorbed: dict[int, Measured] = {}  # index into static -> accumulated measurement
    kept: list[Measured] = []
    for m in measured:
        lines = [(m.finding.span.start.line, m.finding.span.end.line)]
        if m.removed_by:
            lines.append(m.removed_by)
        k = next((i for i, s in enumerate(static) if s.rule_id in SAME_WASTE.get(m.kind, ()) and _on(s, lines)), None)
        superseded = k is None
        if superseded:
            k = next((i for i, s in enumerate(static) if _superseded_by(s, m)), None)
        if k is None:
            kept.append(m)
            continue
        prev = absorbed.get(k)
        n = m.bytes + (prev.bytes if prev else 0)
        merged = tuple(dict.fromkeys([*(prev.merged if prev else ()), m.finding.rule_id]))
        own = original[k].estimate
        if superseded and own is not None:
            est = own._replace(basis=f"{own.basis}; measured in the built image: {human(n)} of it ({', '.join(merged)})")
        else:
            est = _estimate(n, ", ".join(merged) + f" ({m.finding.estimate.basis.split(': ', 1)[-1]})")
        new = static[k].with_(estimate=est, estimate_note="")
        absorbed[k] = Measured(new, m.kind, n, _top([*(prev.paths if prev else ()), *m.paths]), m.wrote,
                               m.removed_by or (prev.removed_by if prev else None), merged)
        static[k] = new
    return [*absorbed.values(), *kept], static


def measured_findings(a: Analysis, df: Dockerfile, path: str, static: Sequence[Finding] = (),
                      selected: set[str] | None = None) -> tuple[list[Measured], list[Finding]]:
    """DT7xx findings of an analysed image (merged with ``static``), and ``static`` updated."""
    items = [m for m in raw_findings(a, df, path) if selected is None or m.finding.rule_id in selected]
    kept = {id(f) for f in unsuppressed(df, [m.finding for m in items])}  # "# dockerdiet ignore=DT703"
    return merge([m for m in items if id(m.finding) in kept], static)


def total_bytes(items: Iterable[Measured]) -> int:
    """Measured waste, each byte once (an item absorbed by a static finding counts once)."""
    return sum(m.bytes for m in items)
