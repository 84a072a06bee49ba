"""Totals over findings, counting each claim once.

Build-time findings (DT601: what a rebuild downloads again) are summed apart and never
enter the image-size sums. Findings whose hints share a claim describe the same bytes (DT101 and DT201 on the
same apt lists): such a group contributes the max of its lows and the max of its highs,
not their sum. Claims are scoped by file so equal claim strings in two files stay apart.
Repository metadata (rpm, apk) is one set per image: every RUN that refreshes it over
an earlier layer's copy adds little, so such claims of one file form one group; so do
the findings that save out of the base image (a smaller base, a runtime stage).
A multi-stage rewrite (a claim of the whole stage, DT402) takes every layer of its stage
out of the final image, so what the other findings of that stage claim there (the
recommends, build packages, lists and caches its RUNs leave) is part of what it removes:
such a group counts the larger of the rewrite's estimate and the sum of the others'
(their own claims counted once), never both. Bytes that one estimate names as also
removed by another finding's fix (its ``overlaps``: a slim base's docs of the packages a
RUN installs as recommends) are subtracted once when that finding is counted too.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, Mapping

from bot.model import hints as K
from bot.model.findings import STAGE_CLAIM, Finding, SizeEstimate
from bot.model.records import Record, field


PER_IMAGE = frozenset((K.RPM_CACHE, K.APK_CACHE))  # claims naming one set of files per image
# savings out of the base image's own bytes (a smaller base), not out of what the layers add
IN_BASE = frozenset((K.BASE_IMAGE_SWAP, K.TOOLCHAIN_RUNTIME))
# what a stage's RUNs leave in its own layers and a runtime stage does not copy over: a rewrite
# of the stage removes it (dev dependencies, gems and copied files travel with the application)
IN_STAGE_LAYERS = frozenset((
    K.APT_LISTS, K.APT_RECOMMENDS, K.APK_CACHE, K.RPM_CACHE, K.PIP_CACHE, K.NPM_CACHE, K.YARN_CACHE,
    K.CONDA_CACHE, K.GO_CACHE, K.JVM_BUILD_CACHE, K.PACKAGE_CACHE, K.LATER_LAYER_CLEANUP,
    K.ARCHIVE_LEFT, K.BUILD_PACKAGES, K.BUILD_TREE,
))


class RuleTotal(Record):
    __slots__ = ()
    _fields = ("bytes_low", "bytes_high", "count")
    bytes_low = field(0, "int")
    bytes_high = field(1, "int")
    count = field(2, "int")

    def __new__(cls, bytes_low, bytes_high, count):
        return tuple.__new__(cls, (bytes_low, bytes_high, count))


class Totals(Record):
    __slots__ = ()
    _fields = ("bytes_low", "bytes_high", "count", "by_rule", "unestimated", "base", "rebuild_low", "rebuild_high",
               "rebuild_count")
    bytes_low = field(0, "int")
    bytes_high = field(1, "int")
    count = field(2, "int: findings with an estimate")
    by_rule = field(3, "Mapping[str, RuleTotal]")
    unestimated = field(4, "int: findings without an estimate (not in the sums)")
    base = field(5, "SizeEstimate | None: the final image's base, when known")
    # build time, apart from the image bytes above: what rebuilds download again (DT601)
    rebuild_low = field(6, "int")
    rebuild_high = field(7, "int")
    rebuild_count = field(8, "int: build-time findings with an estimate")

    def __new__(cls, bytes_low, bytes_high, count, by_rule=MappingProxyType({}), unestimated=0, base=None,
                rebuild_low=0, rebuild_high=0, rebuild_count=0):
        return tuple.__new__(cls, (bytes_low, bytes_high, count, by_rule, unestimated, base, rebuild_low,
                                   rebuild_high, rebuild_count))

    @property
    def midpoint(self) -> int:
        return (self.bytes_low + self.bytes_high) // 2


def _rewrites_stage(f: Finding) -> bool:
    return f.hint is not None and any(c.partition("@")[0] == STAGE_CLAIM for c in f.hint.claims)


def _in_rewritten_stage(f: Finding, rewrite: Finding) -> bool:
    """``rewrite`` takes ``f``'s bytes out of the final image with the rest of their stage."""
    return (f is not rewrite and f.path == rewrite.path and f.stage == rewrite.stage and f.hint is not None
            and f.hint.kind in IN_STAGE_LAYERS)


def _groups(items: list[tuple[int, Finding]], stages: bool = True) -> list[list[Finding]]:
    """Union findings that share a (path, claim); with ``stages``, a stage rewrite and the
    findings about its stage's layers too."""
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
    if stages:
        for i, (_, r) in enumerate(items):
            if _rewrites_stage(r):
                for j, (_, f) in enumerate(items):
                    if _in_rewritten_stage(f, r):
                        parent[find(j)] = find(i)
    groups: dict[int, list[Finding]] = {}
    for i, (_, f) in enumerate(items):
        groups.setdefault(find(i), []).append(f)
    return list(groups.values())


def _group_value(group: list[Finding]) -> tuple[int, int]:
    """Findings sharing claims: the max. With stage rewrites: the larger of the rewrites'
    max and the sum of the others (grouped by their own claims), low and high apart."""
    rewrites = [f for f in group if _rewrites_stage(f)]
    low = max((f.estimate.bytes_low for f in rewrites), default=0)  # type: ignore[union-attr]
    high = max((f.estimate.bytes_high for f in rewrites), default=0)  # type: ignore[union-attr]
    rest = [f for f in group if not _rewrites_stage(f)]
    if not rewrites:
        return (max(f.estimate.bytes_low for f in rest),  # type: ignore[union-attr]
                max(f.estimate.bytes_high for f in rest))  # type: ignore[union-attr]
    if rest:
        others = [_group_value(g) for g in _groups(list(enumerate(rest)), stages=False)]
        low, high = max(low, sum(lo for lo, _ in others)), max(high, sum(hi for _, hi in others))
    return low, high


def _overlap(groups: list[list[Finding]]) -> tuple[int, int]:
    """Bytes two findings of different groups both remove, named by the estimate that holds
    them (``SizeEstimate.overlaps``): summed twice, so subtracted once (within one group
    the max or the rewrite already counts them once)."""
    held: dict[tuple[str, str], set[int]] = {}
    for n, group in enumerate(groups):
        for f in group:
            for claim in f.hint.claims if f.hint else ():
                held.setdefault((f.path, claim), set()).add(n)
    low = high = 0
    for n, group in enumerate(groups):
        for f in group:
            for claim, lo, hi in f.estimate.overlaps if f.estimate else ():  # type: ignore[union-attr]
                if held.get((f.path, claim), set()) - {n}:
                    low, high = low + lo, high + hi
    return low, high


def _sum(findings: list[Finding]) -> tuple[int, int]:
    low = high = 0
    values = []
    groups = _groups(list(enumerate(findings)))
    for group in groups:
        lo, hi = _group_value(group)
        values.append((lo, hi))
        low, high = low + lo, high + hi
    o_low, o_high = _overlap(groups)
    # never below the largest single group: an overlap is part of two counted savings
    return (max(low - o_low, max((v[0] for v in values), default=0)),
            max(high - o_high, max((v[1] for v in values), default=0)))


def is_build_time(f: Finding) -> bool:
    """Its estimate is bytes a rebuild downloads, not bytes of the image."""
    return f.hint is not None and f.hint.kind in K.BUILD_TIME_KINDS


def image_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings with an estimate of image bytes (not of a rebuild's downloads)."""
    return [f for f in findings if f.estimate is not None and not is_build_time(f)]


def image_bytes(findings: Iterable[Finding]) -> tuple[int, int]:
    """``totals(findings)``'s bytes_low and bytes_high alone: the image bytes saved, without
    the sums per rule and of rebuilds that a share of the image never reads."""
    return _sum(image_findings(findings))


def totals(findings: Iterable[Finding], base: SizeEstimate | None = None) -> Totals:
    """Sum of non-overlapping savings, overall and per rule; rebuild downloads apart."""
    all_ = list(findings)
    rebuild = [f for f in all_ if f.estimate is not None and is_build_time(f)]
    with_est = image_findings(all_)
    low, high = _sum(with_est)
    by_rule: dict[str, RuleTotal] = {}
    for rule in sorted({f.rule_id for f in with_est}):
        mine = [f for f in with_est if f.rule_id == rule]
        lo, hi = _sum(mine)
        by_rule[rule] = RuleTotal(lo, hi, len(mine))
    r_low, r_high = _sum(rebuild)
    return Totals(low, high, len(with_est), by_rule, len(all_) - len(with_est) - len(rebuild), base,
                  r_low, r_high, len(rebuild))  # fmt: skip


class Share(Record):
    """A file's avoidable bytes against its image, on one basis (ranges, midpoints shown).

    The image holds at least its base and the waste found in its layers (the findings
    that do not swap the base), so ``image_*`` is a floor; the avoidable total is capped
    at that floor (``capped``) and its share is an upper bound."""

    __slots__ = ()
    _fields = ("low", "high", "image_low", "image_high", "capped")
    low = field(0, "int")
    high = field(1, "int")
    image_low = field(2, "int")
    image_high = field(3, "int")
    capped = field(4, "bool")

    def __new__(cls, low, high, image_low, image_high, capped):
        return tuple.__new__(cls, (low, high, image_low, image_high, capped))

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
    t_low, t_high = image_bytes(all_)
    layers_low, layers_high = image_bytes(f for f in all_ if f.hint is None or f.hint.kind not in IN_BASE)
    image_low, image_high = base.bytes_low + layers_low, base.bytes_high + layers_high
    low, high = min(t_low, image_low), min(t_high, image_high)
    return Share(low, high, image_low, image_high, (low, high) != (t_low, t_high))


def file_total(findings: Iterable[Finding], base: SizeEstimate | None) -> tuple[int, int]:
    """A file's avoidable bytes: claims once, capped at its image floor when the base is known."""
    all_ = list(findings)
    share = image_share(all_, base)
    if share is not None:
        return share.low, share.high
    return image_bytes(all_)
