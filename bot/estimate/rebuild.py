"""What a rebuild downloads again (DT601's REBUILD_DOWNLOAD hints): build time, never
image size, so these estimates have totals of their own (totals.rebuild_totals).

apt: the .debs of the packages apt adds on the base (the graph's resolver and its Debian 12
.deb sizes, data/apt_graph.packages.txt); pip and npm: what their caches hold after
the install (the same tables as DT105/DT106: a cache is what was downloaded); pnpm: the packed
tarballs its pnpm-lock.yaml names (the npm table), when the build context has it. Other
managers, and packages no table knows, are named as not counted.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Mapping

from bot.model import hints as K
from bot.model.findings import Confidence, SizeEstimate, SizeHint

if TYPE_CHECKING:
    from bot.estimate.estimator import Estimator, Result

CACHE_KINDS = {"pip": K.PIP_CACHE, "npm": K.NPM_CACHE, "yarn": K.YARN_CACHE}  # the cache is the download


def _apt(names: tuple[str, ...], recommends: bool, base_image: str) -> tuple[int, int, str] | str:
    """Download bytes of an apt install: the named packages' own .debs (the file's earlier
    installs may have brought the rest) up to them with every dependency the base lacks."""
    graph, base_key = _apt_model()
    g = graph()
    if g is None:
        return "no apt download table"
    known = [n for n in names if g.deb_size(n) is not None]
    if not known:
        return f"no apt download size for {', '.join(names[:3]) or 'the packages'}"
    key = base_key(base_image, g) or "debian-12"
    added = g.install(tuple(known), g.bases.get(key, frozenset()), recommends)
    low = g.deb_bytes(known)
    high = max(low, g.deb_bytes(added))
    text = f"apt {len(added)} .deb(s) on {key}" + ("" if len(known) == len(names) else f", {len(names) - len(known)} unknown")
    return low, high, text


@cache
def _apt_model() -> tuple:
    """The layer model's ``graph`` and ``base_key``, imported at the first apt price (the model's
    modules load then) and kept: `from` imports run on each call cost ~9k instructions each."""
    from bot.estimate.layers.graph import graph
    from bot.estimate.layers.state import base_key

    return graph, base_key


def _pnpm(specs: tuple[str, ...]) -> tuple[int, int, str] | str:
    """pnpm from its lockfile fetches each package's packed tarball (the lockfile resolves
    versions, so package documents only when it is stale: the high end); packages the npm
    table does not know leave the size unknown rather than a floor that looks whole."""
    from bot.estimate import tarballs

    got = tarballs.from_lock(list(specs))
    if not got.counted or len(got.unknown) * 4 > len(specs):
        return f"pnpm: {len(got.unknown)} of the lockfile's {len(specs)} packages are not in the npm table"
    text = f"pnpm {got.counted} packed tarball(s) from pnpm-lock.yaml"
    if got.unknown:
        text += f" ({len(got.unknown)} not in the npm table, not counted)"
    return got.low, max(got.low, got.high), text


def rebuild_download(est: "Estimator", p: Mapping[str, Any]) -> "Result":
    managers = tuple(str(m) for m in p.get("managers", ()))
    packages = tuple(str(x) for x in p.get("packages", ()))
    named = {m: tuple(x.split(":", 1)[1] for x in packages if x.startswith(m + ":")) for m in managers}
    low = high = 0
    counted, missing = [], []
    for manager in managers:
        if manager == "apt":
            got = _apt(named["apt"], bool(p.get("recommends", True)), str(p.get("base_image", "")))
        elif manager == "pnpm" and named["pnpm"] and p.get("pnpm_lock"):
            got = _pnpm(named["pnpm"])
        elif manager in CACHE_KINDS and named[manager]:
            e, why = est.estimate(SizeHint(CACHE_KINDS[manager], {"packages": named[manager],
                                                                   "base_image": p.get("base_image", "")}))
            got = (e.bytes_low, e.bytes_high, f"{manager} {', '.join(named[manager][:3])}") if e else why
        else:
            got = f"{manager}: what it downloads depends on the project's manifest"
        if isinstance(got, str):
            missing.append(manager)
            continue
        low, high = low + got[0], high + got[1]
        counted.append(got[2])
    if not counted:
        names = ", ".join(managers) or "the package manager"
        return None, f"build time, not image size: a rebuild re-downloads what {names} installs here"
    basis = f"Build time, not image size: each rebuild of this layer downloads again {'; '.join(counted)}"
    if missing:
        basis += f" (not counted: {', '.join(missing)})"
    conf = Confidence.LOW if missing else Confidence.MEDIUM
    return SizeEstimate(low, high, basis + ".", conf, "table"), ""
