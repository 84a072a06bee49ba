"""Totals over findings, counting each claim once.

Build-time findings (DT601: what a rebuild downloads again) are summed apart and never
enter the image-size sums. Findings whose hints share a claim describe the same bytes (DT101 and DT201 on the
same apt lists): such a group contributes the max of its lows and the max of its highs,
not their sum. Claims are scoped by file so equal claim strings in two files stay apart.
Repository metadata (rpm, apk) is one set per image: every RUN that refreshes it over
an earlier layer's copy adds little, so such claims of one file form one group; so do
the findings that save out of the base image (a smaller base, a runtime stage).
"""

# No `from __future__ import annotations` here: typing.NamedTuple compiles every string annotation (start-up time).

from types import MappingProxyType
from typing import Iterable, Mapping, NamedTuple

from bot.model import hints as K
from bot.model.findings import Finding, SizeEstimate


PER_IMAGE = frozenset((K.RPM_CACHE, K.APK_CACHE))  # claims naming one set of files per image
# savings out of the base image's own bytes (a smaller base), not out of what the layers add
IN_BASE = frozenset((K.BASE_IMAGE_SWAP, K.TOOLCHAIN_RUNTIME))


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
        # two ways to a smaller base (DT401's swap, DT402's runtime stage) save the same bytes
        extra = ("in-base",) if f.hint is not None and f.hint.kind in IN_BASE else ()
        for claim in (*(f.hint.claims if f.hint else ()), *extra):
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


class Share(NamedTuple):
    """A file's avoidable bytes against its image, on one basis (ranges, midpoints shown).

    The image holds at least its base and the waste found in its layers (the findings
    that do not swap the base), so ``image_*`` is a floor; the avoidable total is capped
    at that floor (``capped``) and its share is an upper bound."""

    low: int
    high: int
    image_low: int
    image_high: int
    capped: bool

    @property
    def midpoint(self) -> int:
        return (self.low + self.high) // 2

    @property
    def image_midpoint(self) -> int:
        return (self.image_low + self.image_high) // 2

    @property
    def fraction(self) -> float:
        return self.midpoint / self.image_midpoint if self.image_midpoint else 0.0


def image_share(findings: Iterable[Finding], base: SizeEstimate | None) -> Share | None:
    """None when the base image's size is not known (then no share is stated)."""
    if base is None:
        return None
    all_ = list(findings)
    t = totals(all_)
    layers = totals(f for f in all_ if f.hint is None or f.hint.kind not in IN_BASE)
    image_low, image_high = base.bytes_low + layers.bytes_low, base.bytes_high + layers.bytes_high
    low, high = min(t.bytes_low, image_low), min(t.bytes_high, image_high)
    return Share(low, high, image_low, image_high, (low, high) != (t.bytes_low, t.bytes_high))


def file_total(findings: Iterable[Finding], base: SizeEstimate | None) -> tuple[int, int]:
    """A file's avoidable bytes: claims once, capped at its image floor when the base is known."""
    all_ = list(findings)
    share = image_share(all_, base)
    if share is not None:
        return share.low, share.high
    t = totals(all_)
    return t.bytes_low, t.bytes_high
