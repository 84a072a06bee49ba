"""Saving = size(image as written) - size(image with the finding's fix applied).

The fix is applied to the text with ``model.text.apply_edits`` and the result parsed
again from the first edit on (``reparse``; estimate/ does not import the engine), or,
for a fix that rewrites one RUN (most of them), that RUN's new lines alone run in the
file as written (``edited.py``); a finding without a fix is priced by following its advice in the model (its claimed lists removed in the RUN that wrote
them, its recommends not installed) and says so.
"""

from __future__ import annotations

from bot.estimate.layers.edited import edited_run
from bot.estimate.layers.graph import Graph
from bot.estimate.layers.inserted import inserted_run
from bot.estimate.layers.merged import merged_runs
from bot.estimate.layers.rebased import new_base
from bot.estimate.layers.state import Image, simulate
from bot.model.dockerfile import reparse
from bot.model.findings import Finding
from bot.model.records import Record, field
from bot.model.text import apply_edits
from bot.rules.base import Context

MB = 1_000_000
# `apt-get update` over lists an earlier layer holds rewrites the release files and a
# few changed indexes only (the brief's measured ~0.25 MB)
REFRESH_RANGE = (100_000, 500_000)


class Prices(Record):
    __slots__ = ()
    _fields = ("lists", "deb_factor")
    lists = field(0, "tuple[int, int]: apt lists of the base's release")
    deb_factor = field(1, "tuple[float, float]: layer bytes per Installed-Size byte")

    def __new__(cls, lists, deb_factor):
        return tuple.__new__(cls, (lists, deb_factor))


class Delta(Record):
    __slots__ = ()
    _fields = ("low", "high", "lists", "refresh", "debs", "added", "deb_bytes", "unknown")
    low = field(0, "int")
    high = field(1, "int")
    lists = field(2, "int: layers holding apt lists: before - after")
    refresh = field(3, "int")
    debs = field(4, "tuple[str, ...]: packages no longer installed")
    added = field(5, "tuple[str, ...]: packages the change installs instead")
    deb_bytes = field(6, "int: Installed-Size of debs - added")
    unknown = field(7, "tuple[str, ...]: packages outside the graph that the change touches")

    def __new__(cls, low, high, lists, refresh, debs, added, deb_bytes, unknown):
        return tuple.__new__(cls, (low, high, lists, refresh, debs, added, deb_bytes, unknown))


# Bytes a package's maintainer scripts write beyond its Installed-Size. ca-certificates:
# update-ca-certificates writes the 219,597-byte bundle and 288 links in /etc/ssl/certs
# (a 512-byte tar header each), counted on Debian 12; it comes with most Recommends sets
# (held-out round 1, 0232: supervisor's recommends measured 4.52 MB, modelled 2.94-4.18).
GENERATED = {"ca-certificates": 370_000}


def layer_bytes(g: Graph, names: frozenset[str]) -> int:
    """Installed-Size plus what the packages' scripts generate, of ``names`` together."""
    return g.installed_bytes(names) + sum(extra for name, extra in GENERATED.items() if name in names)


def delta(before: Image, after: Image, g: Graph, p: Prices) -> Delta:
    gone, added = before.debs - after.debs, after.debs - before.debs
    deb_bytes = layer_bytes(g, gone) - layer_bytes(g, added)
    n_lists, n_refresh = before.lists - after.lists, before.refresh - after.refresh
    low = high = 0
    for n, (lo, hi) in ((n_lists, p.lists), (n_refresh, REFRESH_RANGE)):
        low, high = (low + n * lo, high + n * hi) if n > 0 else (low + n * hi, high + n * lo)
    f_lo, f_hi = p.deb_factor
    low += int(deb_bytes * (f_lo if deb_bytes > 0 else f_hi))
    high += int(deb_bytes * (f_hi if deb_bytes > 0 else f_lo))
    unknown = {n for names in before.unknown.values() for n in names} ^ {n for names in after.unknown.values() for n in names}
    return Delta(max(low, 0), max(high, 0), n_lists, n_refresh, tuple(sorted(gone)), tuple(sorted(added)), deb_bytes,
                 tuple(sorted(unknown)))


class Model:
    """Simulations of one parsed file, cached: every finding of the file shares the
    image as written."""

    def __init__(self, ctx: Context, g: Graph) -> None:
        self.ctx = ctx
        self.df = ctx.df
        self.g = g
        self.before = simulate(self.df, g, ctx=ctx)
        self._following: dict[tuple[str, ...], Image] = {}

    def with_fix(self, finding: Finding) -> Image | None:
        assert finding.fix is not None
        edited = inserted_run(self.ctx, finding.fix.edits)
        if edited is not None:  # words inserted into a RUN's installs: their operations changed
            return simulate(self.df, self.g, ctx=self.ctx, edited=edited)
        merged = merged_runs(self.ctx, finding.fix.edits)
        if merged is not None:  # a lone update RUN deleted, run at the head of the next one
            return simulate(self.df, self.g, ctx=self.ctx, edited=merged[1], dropped=merged[0])
        base = new_base(self.ctx, finding.fix.edits)
        if base is not None:  # another image for the final stage to build on, nothing else
            return simulate(self.df, self.g, ctx=self.ctx, base_image=base)
        text = apply_edits(self.df.text, finding.fix.edits, self.df.index)
        edited = edited_run(self.ctx, finding.fix.edits, text)
        if edited is not None:  # one RUN rewritten: the file as written with that RUN read anew
            return simulate(self.df, self.g, ctx=self.ctx, edited=edited)
        unchanged = min(self.df.index.offset(e.span.start) for e in finding.fix.edits)
        fixed = reparse(self.df, text, unchanged)  # the same as parse(text), from the first edit on
        if fixed.errors and not self.df.errors:
            return None
        # the build context still answers: a COPY of an apt config reads the same file
        return simulate(fixed, self.g, ctx=Context(fixed, self.ctx.path, self.ctx.build_context))

    def following(self, claims: tuple[str, ...]) -> Image:
        """The image with the advice of ``claims`` followed; kept per claims (a DT102 finding
        without a fix and a slimmer base's recommends ask for the same one)."""
        found = self._following.get(claims)
        if found is None:
            found = self._following[claims] = simulate(self.df, self.g, drop=claims, ctx=self.ctx)
        return found


def saving(model: Model, finding: Finding, prices: Prices) -> tuple[Delta, str] | None:
    """The delta and how it was obtained ("fix" or "advice"); None if the fix breaks parsing."""
    if finding.fix is not None and finding.fix.edits:
        after = model.with_fix(finding)
        if after is None:
            return None
        return delta(model.before, after, model.g, prices), "fix"
    claims = finding.hint.claims if finding.hint else ()
    return delta(model.before, model.following(claims), model.g, prices), "advice"

