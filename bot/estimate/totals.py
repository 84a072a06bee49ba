"""Totals over findings, counting each claim once.

Build-time findings (DT601: what a rebuild downloads again) are summed apart and never
enter the image-size sums. Findings whose hints share a claim describe the same bytes (DT101 and DT201 on the
same apt lists): such a group contributes the max of its lows and the max of its highs,
not their sum. Claims are scoped by file so equal claim strings in two files stay apart.
Repository metadata (rpm, apk) is one set per image: every RUN that refreshes it over
an earlier layer's copy adds little, so such claims of one file form one group.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, Mapping, NamedTuple

from bot.model import hints as K
from bot.model.findings import Finding, SizeEstimate


PER_IMAGE = frozenset((K.RPM_CACHE, K.APK_CACHE))  # claims naming one set of files per image


class RuleTotal(NamedTuple):
    bytes_low: int
    bytes_high: int
    count: int


class Totals(NamedTuple):
    bytes_low: int
    bytes_high: int
    count: int  # findings with an estimate
    by_rule: Mapping[str, RuleTotal] = MappingProxyType({})
    unestimated: int = 0  # findings without an estimate (not in the sums)
    base: SizeEstimate | None = None  # the final image's base, when known
    # build time, apart from the image bytes above: what rebuilds download again (DT601)
    rebuild_low: int = 0
    rebuild_high: int = 0
    rebuild_count: int = 0  # build-time findings with an estimate

    @property
    def midpoint(self) -> int:
        return (self.bytes_low + self.bytes_high) // 2


def _groups(items: list[tuple[int, Finding]]) -> list[list[Finding]]:
    """Union findings that share a (path, claim)."""
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[str, str], int] = {}
    for i, (_, f) in enumerate(items):
        for claim in f.hint.claims if f.hint else ():
            kind = claim.partition("@")[0]
            key = (f.path, kind if kind in PER_IMAGE else claim)
            if key in owner:
                parent[find(i)] = find(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[Finding]] = {}
    for i, (_, f) in enumerate(items):
        groups.setdefault(find(i), []).append(f)
    return list(groups.values())


def _sum(findings: list[Finding]) -> tuple[int, int]:
    low = high = 0
    for group in _groups(list(enumerate(findings))):
        low += max(f.estimate.bytes_low for f in group)  # type: ignore[union-attr]
        high += max(f.estimate.bytes_high for f in group)  # type: ignore[union-attr]
    return low, high


def is_build_time(f: Finding) -> bool:
    """Its estimate is bytes a rebuild downloads, not bytes of the image."""
    return f.hint is not None and f.hint.kind in K.BUILD_TIME_KINDS


def totals(findings: Iterable[Finding], base: SizeEstimate | None = None) -> Totals:
    """Sum of non-overlapping savings, overall and per rule; rebuild downloads apart."""
    all_ = list(findings)
    rebuild = [f for f in all_ if f.estimate is not None and is_build_time(f)]
    with_est = [f for f in all_ if f.estimate is not None and not is_build_time(f)]
    low, high = _sum(with_est)
    by_rule: dict[str, RuleTotal] = {}
    for rule in sorted({f.rule_id for f in with_est}):
        mine = [f for f in with_est if f.rule_id == rule]
        lo, hi = _sum(mine)
        by_rule[rule] = RuleTotal(lo, hi, len(mine))
    r_low, r_high = _sum(rebuild)
    return Totals(low, high, len(with_est), by_rule, len(all_) - len(with_est) - len(rebuild), base,
                  r_low, r_high, len(rebuild))  # fmt: skip
