"""Estimates of apt findings from the layer model (apt lists, recommends, later cleanups).

Which findings: those whose hint is about apt lists or recommends. Others keep the
hint-only estimate of bot/estimate/estimator.py.
"""

from __future__ import annotations

from bot.estimate import images
from bot.estimate.layers.graph import graph
from bot.estimate.layers.saving import Delta, Model, Prices, layer_bytes, saving
from bot.model import hints as K
from bot.rules.base import Context
from bot.rules.facts import cache_claim
from bot.model.findings import Confidence, Finding, SizeEstimate

MB = 1_000_000


def applies(finding: Finding) -> bool:
    h = finding.hint
    if h is None:
        return False
    if h.kind == K.LATER_LAYER_CLEANUP:
        return h.params.get("cleaned") in (K.APT_LISTS, K.APT_RECOMMENDS)
    return h.kind in (K.APT_LISTS, K.APT_RECOMMENDS)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB" if abs(n) < 100 * MB else f"{n / MB:.0f} MB"


def _names(names: tuple[str, ...], limit: int = 4) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def describe(d: Delta, how: str, base_key: str, lists_mb: str) -> str:
    parts = []
    if d.lists:
        n = abs(d.lists)
        parts.append(f"{n} layer{'s' if n > 1 else ''} {'fewer' if d.lists > 0 else 'more'} keep{'s' if n == 1 and d.lists < 0 else ''} "
                     f"the apt lists ({lists_mb} each)")
    if d.refresh:
        parts.append(f"{'one less' if d.refresh > 0 else 'one more'} `apt-get update` over lists already present (≈ 0.25 MB)")
    if d.debs or d.added:
        text = f"{len(d.debs)} package{'s' if len(d.debs) != 1 else ''} fewer ({_mb(d.deb_bytes)} Installed-Size"
        text += f": {_names(d.debs)})" if d.debs else ")"
        if d.added:
            text += f", {len(d.added)} installed instead"
        parts.append(text + f", resolved jointly with apt's dependency data against {base_key} and earlier RUNs")
    what = "with this fix applied" if how == "fix" else "following this advice (the finding has no fix)"
    if not parts:
        return (f"Modelled RUN by RUN {what}, the image keeps the same bytes: the apt lists and packages "
                "stay in the same or another layer.")
    return f"Modelled RUN by RUN {what}: " + "; ".join(parts) + "."


# What slim's dpkg path-excludes (docs, man pages, translations) drop from the packages the
# RUNs install. Per package, not as a share of Installed-Size: every package ships a changelog,
# a copyright file and usually man pages, while its share of the bytes falls as packages grow
# (measured on the local Debian 12 bases, held-out round 1: 0.33 MB a package for a 398 MB
# C++ toolchain of 71 packages, which is 6%; 0.24 MB for wget+curl's 23 packages, 28%;
# 0.48 MB for git/vim/sudo/curl/wget's 56, 15%; 0.14 MB for supervisor/openssh-server's 74 with
# their Python stack, 12%). The share still caps it: wget alone drops 84%.
SLIM_DROP_PER_PACKAGE = (100_000, 650_000)
SLIM_DROP_SHARE_MAX = 0.9


def slim_drop(n: int, size: int) -> tuple[int, int]:
    """Bytes a slim base leaves out of ``n`` packages of ``size`` Installed-Size."""
    cap = int(size * SLIM_DROP_SHARE_MAX)
    hi = min(n * SLIM_DROP_PER_PACKAGE[1], cap)
    return min(n * SLIM_DROP_PER_PACKAGE[0], hi), hi


def installed_by_runs(ctx: Context, models: dict) -> tuple[int, int] | None:
    """(packages, Installed-Size bytes) the final image's RUNs install, per the model."""
    g = graph()
    if g is None:
        return None
    model = _model(ctx, g, models)
    if not model.before.base_key or not model.before.debs:
        return None
    return len(model.before.debs), g.installed_bytes(model.before.debs)


def added_by_fix(ctx: Context, finding: Finding, models: dict) -> tuple[int, int] | None:
    """(packages, layer bytes) the RUNs install with the finding's fix applied beyond what they
    install as written: a smaller base lacks packages the larger one had (build-essential is
    in buildpack-deps, so on -slim the same RUN installs it)."""
    g = graph()
    if g is None or finding.fix is None or not finding.fix.edits:
        return None
    model = _model(ctx, g, models)
    if not model.before.base_key:
        return None
    after = model.with_fix(finding)
    if after is None or not after.base_key:
        return None
    extra = after.debs - model.before.debs
    return len(extra), layer_bytes(g, extra)


def recommends_by_run(ctx: Context, models: dict) -> dict[str, tuple[int, int]]:
    """Per DT102 claim (``apt_recommends@RUN``): (packages, Installed-Size bytes) that RUN's
    recommends add to the final image, per the model (installing them without recommends)."""
    g = graph()
    if g is None:
        return {}
    model = _model(ctx, g, models)
    if not model.before.base_key or not model.before.debs:
        return {}
    out = {}
    for ins in ctx.df.instructions:
        if ins.keyword != "RUN" or "install" not in ins.body.text:
            continue
        claim = cache_claim(K.APT_RECOMMENDS, ins)
        gone = model.before.debs - model.following((claim,)).debs
        if gone:
            out[claim] = (len(gone), g.installed_bytes(gone))
    return out


def _model(ctx: Context, g, models: dict) -> Model:
    model = models.get(id(ctx.df))
    if model is None or model.df is not ctx.df:
        models.clear()  # one file at a time
        model = models[id(ctx.df)] = Model(ctx, g)
    return model


def estimate(ctx: Context, finding: Finding, models: dict, lists_range, deb_factor, spread) -> tuple[SizeEstimate | None, str] | None:
    """None when the layer model does not apply (no graph, not a Debian-like final image)."""
    g = graph()
    if g is None or not applies(finding):
        return None
    df = ctx.df
    model = _model(ctx, g, models)
    if not model.before.base_key:
        return None
    base = finding.hint.params.get("base_image", "") if finding.hint else ""
    lo_f, hi_f, conf, note = spread(base)
    prices = Prices(lists_range, (deb_factor[0] * lo_f, deb_factor[1] * hi_f))
    got = saving(model, finding, prices)
    if got is None:
        return None
    d, how = got
    run = next((i for i in df.all_instructions() if i.keyword == "RUN" and i.span.contains(finding.span)), None)
    unknown = sorted(set(model.before.unknown.get(run.index, ()) if run is not None else ()) | set(d.unknown))
    recommends = finding.hint is not None and K.APT_RECOMMENDS in (finding.hint.kind, finding.hint.params.get("cleaned"))
    if recommends and unknown and d.high < MB:
        return None, (f"what the Recommends of {_names(tuple(unknown))} add is unknown: not in the Debian 12 "
                      "package data (another release or a third-party repository)")
    basis = describe(d, how, model.before.base_key, _mb((lists_range[0] + lists_range[1]) // 2))
    if d.debs:
        basis = basis[:-1] + f"; x{prices.deb_factor[0]:.2f}-{prices.deb_factor[1]:.2f} for layer overhead{note}."
    if unknown:
        basis = basis[:-1] + f"; {_names(tuple(unknown))} not in the Debian 12 data, not counted."
        conf = Confidence.LOW
    if images.distro_of(base) is None:
        conf = Confidence.LOW
    if d.high == 0 and not unknown:
        conf = Confidence.HIGH if not note else conf
    return SizeEstimate(d.low, d.high, basis, conf, "table"), ""
