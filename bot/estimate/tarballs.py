"""npm's cache from the tarball table (data/npm_cache.json.gz, scripts/gen_npm_table.py).

npm's cache (``~/.npm/_cacache``) keeps the packed tarball of every package it fetched
and the package documents (packuments) it read to resolve versions. ``npm install X``
without a lockfile reads a packument per package of the closure; ``npm ci`` from a
lockfile fetches the tarballs it names, and older npm (9) also the packuments. The
cache's own index adds a little: the median ratio of the measured caches to their
tarballs plus packuments (1.0x-1.04x for most; ``npm install X`` also reads the documents
of optional peers it does not install, which only the measured cache of X holds).
Read on the first npm or yarn finding only.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

from bot.estimate.gzjson import load

from bot.estimate.tables import DATA_DIR, DATE, TableError

DATA = os.path.join(DATA_DIR, "npm_cache.json.gz")


class Table(NamedTuple):
    tarballs: dict[str, dict[str, int]]  # name -> version -> packed bytes
    packuments: dict[str, int]  # name -> bytes npm cached
    closures: dict[str, list]  # package -> [version, [name@version], cache bytes, node_modules bytes]
    meta: dict


def split_spec(spec: str) -> tuple[str, str]:
    """``@scope/x@1.2.3`` -> (``@scope/x``, ``1.2.3``); no version -> (name, "")."""
    head, at, version = spec[1:].rpartition("@") if spec.startswith("@") else spec.rpartition("@")
    if not at:
        return spec, ""
    return (("@" + head) if spec.startswith("@") else head), version


@functools.lru_cache(maxsize=None)
def table() -> Table:
    try:
        raw = load(DATA)
    except (OSError, ValueError) as e:
        raise TableError(f"{DATA}: cannot read ({e})") from None
    meta = raw.get("meta", {})
    if not meta.get("source") or not DATE.match(str(meta.get("date", ""))):
        raise TableError(f"{DATA}: meta has no source or date (provenance is required)")
    if not raw["closures"]:
        raise TableError(f"{DATA}: no closures")
    return Table(raw["tarballs"], raw["packuments"], raw["closures"], meta)


@functools.lru_cache(maxsize=None)
def index_factor() -> float:
    """The median over the measured closures of cache bytes / (tarballs + packuments): what
    the cache's own index adds. Computed on the first lockfile estimate only (tens of
    thousands of specs: a check pricing packages by name never needs it)."""
    t = table()
    ratios = []
    for version, closure, cache, _ in t.closures.values():
        counted = 0
        for spec in closure:
            name, exact = split_spec(spec)
            counted += t.tarballs.get(name, {}).get(exact, 0) + t.packuments.get(name, 0)
        if counted:
            ratios.append(cache / counted)
    if not ratios:
        raise TableError(f"{DATA}: no closures")
    return sorted(ratios)[len(ratios) // 2]


class NpmCache(NamedTuple):
    low: int
    high: int
    counted: int  # packages priced
    approximated: tuple[str, ...]  # priced from another version of the same package
    unknown: tuple[str, ...]  # not in the table
    closures: tuple[str, ...]  # command-line packages whose measured closure was used


def from_lock(specs: list[str]) -> NpmCache:
    """The lockfile's packages (``name@version``): tarballs low, plus packuments high."""
    t = table()
    low = high = packs = 0
    approx, unknown = [], []
    for spec in specs:
        name, version = split_spec(spec)
        sizes = t.tarballs.get(name)
        if not sizes:
            unknown.append(name)
            continue
        if version in sizes:
            low, high = low + sizes[version], high + sizes[version]
        else:  # another version of it: the range of the versions measured
            approx.append(spec)
            low, high = low + min(sizes.values()), high + max(sizes.values())
        packs += t.packuments.get(name, 0)
    counted = len(specs) - len(unknown)
    return NpmCache(low, int((high + packs) * max(1.0, index_factor())), counted, tuple(approx), tuple(unknown), ())


def from_names(names: list[str]) -> NpmCache:
    """``npm install a b`` (or package.json's dependencies): the measured cache of each
    package's closure; together, between the largest and their sum (shared packages)."""
    t = table()
    specs: set[str] = set()
    used, unknown, caches = [], [], []
    for raw in names:
        name, _ = split_spec(raw)
        key = raw if raw in t.closures else name  # a measured older major (typescript@4), else the latest
        closure = t.closures.get(key)
        if closure is None:
            unknown.append(name)
            continue
        used.append(key)
        specs.update(closure[1])
        caches.append(closure[2])
    # together the cache holds at least the largest closure's, at most all of them
    return NpmCache(max(caches, default=0), sum(caches), len(specs), (), tuple(unknown), tuple(used))


def installed(names: list[str]) -> tuple[int, int, tuple[str, ...]]:
    """(largest, summed) node_modules bytes measured for the packages' closures, and which."""
    t = table()
    keys = [n if n in t.closures else split_spec(n)[0] for n in names]
    hits = [(k, t.closures[k][3]) for k in keys if k in t.closures]
    if not hits:
        return 0, 0, ()
    return max(b for _, b in hits), sum(b for _, b in hits), tuple(n for n, _ in hits)
