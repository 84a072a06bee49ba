"""Saving = size(image as written) - size(image with the finding's fix applied).

The fix is applied to the text with ``model.text.apply_edits`` and the result parsed
again (estimate/ does not import the engine); a finding without a fix is priced by
following its advice in the model (its claimed lists removed in the RUN that wrote
them, its recommends not installed) and says so.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from bot.estimate.layers.graph import Graph
from bot.estimate.layers.state import DEB, LISTS, REFRESH, UNKNOWN, Image, simulate
from bot.model.dockerfile import Dockerfile, parse
from bot.model.findings import Finding
from bot.model.text import apply_edits

MB = 1_000_000
# `apt-get update` over lists an earlier layer holds rewrites the release files and a
# few changed indexes only (the brief's measured ~0.25 MB)
REFRESH_RANGE = (100_000, 500_000)


class Prices(NamedTuple):
    lists: tuple[int, int]  # apt lists of the base's release
    deb_factor: tuple[float, float]  # layer bytes per Installed-Size byte


class Delta(NamedTuple):
    low: int
    high: int
    lists: int  # layers holding apt lists: before - after
    refresh: int
    debs: tuple[str, ...]  # packages no longer installed
    added: tuple[str, ...]  # packages the change installs instead
    deb_bytes: int  # Installed-Size of debs - added
    unknown: tuple[str, ...]  # packages outside the graph that the change touches


def _price(key: str, g: Graph, p: Prices) -> tuple[int, int] | None:
    if key == LISTS:
        return p.lists
    if key == REFRESH:
        return REFRESH_RANGE
    if key.startswith(DEB):
        size = g.size(key[len(DEB):])
        return int(size * p.deb_factor[0]), int(size * p.deb_factor[1])
    return None


def delta(before: Image, after: Image, g: Graph, p: Prices) -> Delta:
    diff: Counter[str] = before.counts()
    diff.subtract(after.counts())
    low = high = 0
    unknown = []
    for key, n in diff.items():
        if n == 0:
            continue
        price = _price(key, g, p)
        if price is None:
            unknown.append(key.removeprefix(UNKNOWN))
            continue
        lo, hi = price
        low, high = (low + n * lo, high + n * hi) if n > 0 else (low + n * hi, high + n * lo)
    debs = tuple(sorted(k[len(DEB):] for k, n in diff.items() if k.startswith(DEB) and n > 0))
    added = tuple(sorted(k[len(DEB):] for k, n in diff.items() if k.startswith(DEB) and n < 0))
    deb_bytes = sum(g.size(n) for n in debs) - sum(g.size(n) for n in added)
    high = max(high, 0)
    return Delta(max(low, 0), high, diff[LISTS], diff[REFRESH], debs, added, deb_bytes, tuple(sorted(unknown)))


class Model:
    """Simulations of one parsed file, cached: every finding of the file shares the
    image as written."""

    def __init__(self, df: Dockerfile, g: Graph) -> None:
        self.df = df
        self.g = g
        self.before = simulate(df, g)

    def with_fix(self, finding: Finding) -> Image | None:
        assert finding.fix is not None
        text = apply_edits(self.df.text, finding.fix.edits)
        fixed = parse(text, self.df.path)
        if fixed.errors and not self.df.errors:
            return None
        return simulate(fixed, self.g)

    def following(self, claims: tuple[str, ...]) -> Image:
        return simulate(self.df, self.g, drop=claims)


def saving(model: Model, finding: Finding, prices: Prices) -> tuple[Delta, str] | None:
    """The delta and how it was obtained ("fix" or "advice"); None if the fix breaks parsing."""
    if finding.fix is not None and finding.fix.edits:
        after = model.with_fix(finding)
        if after is None:
            return None
        return delta(model.before, after, model.g, prices), "fix"
    claims = finding.hint.claims if finding.hint else ()
    return delta(model.before, model.following(claims), model.g, prices), "advice"

