"""npm's cache from the tarball table (data/npm_cache.*.txt, scripts/gen_npm_table.py).

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
from typing import Mapping

from bot.estimate.tables import DATA_DIR, DATE, TableError
from bot.model.records import Record, field

DATA = os.path.join(DATA_DIR, "npm_cache")  # four files DATA.<part>.txt of ``key value`` lines (textdata)
PARTS = ("meta", "packuments", "tarballs", "closures")


class Table(Record):
    __slots__ = ()
    _fields = ("tarballs", "packuments", "closures", "meta")
    tarballs = field(0, "dict[str, dict[str, int]]: name -> version -> packed bytes")
    packuments = field(1, "dict[str, int]: name -> bytes npm cached")
    closures = field(2, "dict[str, list]: package -> [version, [name@version], cache bytes, node_modules bytes]")
    meta = field(3, "Mapping: provenance: source, tool, date, ...")

    def __new__(cls, tarballs, packuments, closures, meta):
        return tuple.__new__(cls, (tarballs, packuments, closures, meta))


def split_spec(spec: str) -> tuple[str, str]:
    """``@scope/x@1.2.3`` -> (``@scope/x``, ``1.2.3``); no version -> (name, "")."""
    head, at, version = spec[1:].rpartition("@") if spec.startswith("@") else spec.rpartition("@")
    if not at:
        return spec, ""
    return (("@" + head) if spec.startswith("@") else head), version


def part_path(part: str) -> str:
    return f"{DATA}.{part}.txt"


def encode(t: Table) -> dict[str, dict[str, str]]:
    """The table as its text files store it (:func:`decode` reads it back): per part, key ->
    value; ``packuments``: bytes; ``tarballs``: version and bytes, pair after pair;
    ``closures``: version, cache bytes, node_modules bytes, then the closure's specs;
    ``meta``: JSON. Names, versions and specs hold no space."""
    import json

    return {
        "meta": {k: json.dumps(v, sort_keys=True, separators=(",", ":")) for k, v in t.meta.items()},
        "packuments": {name: str(n) for name, n in t.packuments.items()},
        "tarballs": {name: " ".join(f"{v} {n}" for v, n in versions.items()) for name, versions in t.tarballs.items()},
        "closures": {key: " ".join([c[0], str(c[2]), str(c[3]), *c[1]]) for key, c in t.closures.items()},
    }


@functools.lru_cache(maxsize=None)
def _rows(part: str) -> dict[str, str]:
    from bot.estimate.textdata import rows

    try:
        return rows(part_path(part))
    except (OSError, ValueError) as e:
        raise TableError(f"{DATA}: cannot read ({e})") from None


@functools.lru_cache(maxsize=None)
def meta() -> Mapping:
    """The table's provenance (JSON values, decoded when read); TableError without a source
    or a date."""
    from bot.estimate.textdata import JsonValues

    found = JsonValues(_rows("meta"))
    if not found.get("source") or not DATE.match(str(found.get("date", ""))):
        raise TableError(f"{DATA}: meta has no source or date (provenance is required)")
    return found


@functools.lru_cache(maxsize=None)
def closures() -> dict[str, list]:
    """Package -> [version, [name@version], cache bytes, node_modules bytes]: all an estimate
    by package name reads (the tarball and packument parts stay unread)."""
    meta()
    out = {}
    for key, row in _rows("closures").items():
        version, cache, installed, *specs = row.split(" ")
        out[key] = [version, specs, int(cache), int(installed)]
    if not out:
        raise TableError(f"{DATA}: no closures")
    return out


_VERSIONS: dict[str, dict[str, int]] = {}  # name -> version -> packed bytes, decoded as asked


def versions(name: str) -> dict[str, int] | None:
    """The packed bytes of each measured version of ``name``; None when not in the table.
    Decoded per name: a lockfile names a few hundred of the table's thousands."""
    found = _VERSIONS.get(name)
    if found is None:
        pairs = _rows("tarballs").get(name)
        if pairs is None:
            return None
        words = pairs.split(" ")
        found = _VERSIONS[name] = dict(zip(words[::2], map(int, words[1::2])))
    return found


@functools.lru_cache(maxsize=None)
def packuments() -> dict[str, int]:
    """Name -> bytes npm cached for its package document."""
    rows = _rows("packuments")
    return dict(zip(rows, map(int, rows.values())))


def forget() -> None:
    """Drop what was read and decoded (a test points DATA at other files)."""
    for cached in (_rows, meta, closures, packuments, table, index_factor):
        cached.cache_clear()
    _VERSIONS.clear()


@functools.lru_cache(maxsize=None)
def table() -> Table:
    """The whole table, decoded (scripts/gen_npm_table.py --merge, tests); estimates read
    the parts they need."""
    return Table({name: versions(name) for name in _rows("tarballs")},
                 packuments(), closures(), meta())  # fmt: skip


@functools.lru_cache(maxsize=None)
def index_factor() -> float:
    """The median over the measured closures of cache bytes / (tarballs + packuments): what
    the cache's own index adds. Computed on the first lockfile estimate only (tens of
    thousands of specs: a check pricing packages by name never needs it)."""
    ratios = []
    packs = packuments()
    for version, closure, cache, _ in closures().values():
        counted = 0
        for spec in closure:
            name, exact = split_spec(spec)
            sizes = _VERSIONS.get(name) or versions(name)  # most names repeat: no call for them
            counted += (sizes.get(exact, 0) if sizes else 0) + packs.get(name, 0)
        if counted:
            ratios.append(cache / counted)
    if not ratios:
        raise TableError(f"{DATA}: no closures")
    return sorted(ratios)[len(ratios) // 2]


class NpmCache(Record):
    __slots__ = ()
    _fields = ("low", "high", "counted", "approximated", "unknown", "closures")
    low = field(0, "int")
    high = field(1, "int")
    counted = field(2, "int: packages priced")
    approximated = field(3, "tuple[str, ...]: priced from another version of the same package")
    unknown = field(4, "tuple[str, ...]: not in the table")
    closures = field(5, "tuple[str, ...]: command-line packages whose measured closure was used")

    def __new__(cls, low, high, counted, approximated, unknown, closures):
        return tuple.__new__(cls, (low, high, counted, approximated, unknown, closures))


def from_lock(specs: list[str]) -> NpmCache:
    """The lockfile's packages (``name@version``): tarballs low, plus packuments high."""
    meta()
    low = high = packs = 0
    approx, unknown = [], []
    for spec in specs:
        name, version = split_spec(spec)
        sizes = versions(name)
        if not sizes:
            unknown.append(name)
            continue
        if version in sizes:
            low, high = low + sizes[version], high + sizes[version]
        else:  # another version of it: the range of the versions measured
            approx.append(spec)
            low, high = low + min(sizes.values()), high + max(sizes.values())
        packs += packuments().get(name, 0)
    counted = len(specs) - len(unknown)
    return NpmCache(low, int((high + packs) * max(1.0, index_factor())), counted, tuple(approx), tuple(unknown), ())


def from_names(names: list[str]) -> NpmCache:
    """``npm install a b`` (or package.json's dependencies): the measured cache of each
    package's closure; together, between the largest and their sum (shared packages)."""
    table = closures()
    specs: set[str] = set()
    used, unknown, caches = [], [], []
    for raw in names:
        name, _ = split_spec(raw)
        key = raw if raw in table else name  # a measured older major (typescript@4), else the latest
        closure = table.get(key)
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
    table = closures()
    keys = [n if n in table else split_spec(n)[0] for n in names]
    hits = [(k, table[k][3]) for k in keys if k in table]
    if not hits:
        return 0, 0, ()
    return max(b for _, b in hits), sum(b for _, b in hits), tuple(n for n, _ in hits)
