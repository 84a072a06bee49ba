"""A compact Debian 12 package graph and an apt-like resolver over it.

The graph (data/apt_graph.*.txt, made by scripts/gen_apt_graph.py from apt's own
indexes) holds, for the closure of the packages Dockerfiles install, each package's
Installed-Size, (Pre-)Depends, Recommends, Provides and .deb size, plus the installed
sets of common base images. It is read on first use only: `dockerdiet check` without
apt findings never opens it.

Four plain-text files of ``key value`` lines (bot/estimate/textdata.py), each read whole:
- ``packages``: name -> the package's row (:func:`encode_row`), decoded on first use;
- ``providers``: virtual name -> the packages providing it, comma-joined, split on first use;
- ``bases``: base image key -> its installed packages, comma-joined;
- ``meta``: provenance (distro, apt version, date, source), JSON values.
"""

from __future__ import annotations

import os
from typing import Iterable, Mapping

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "apt_graph")
PARTS = ("meta", "bases", "providers", "packages")
KIB = 1024
NO_DEB = "-"  # a package apt's indexes give no .deb Size for


def part_path(part: str) -> str:
    """The file of one part of the graph (``PARTS``)."""
    return f"{DATA}.{part}.txt"


def encode_row(row: list) -> str:
    """A package's row as the data file stores it: ``size depends recommends provides deb``
    (Installed-Size KiB; groups and names joined by commas, names never hold a comma or a
    space; the .deb's bytes, or ``-``). One string per package decodes on first use only:
    a check touches a few hundred of the 5,000 rows."""
    deb = NO_DEB if row[4] is None else str(row[4])
    return " ".join((str(row[0]), ",".join(row[1]), ",".join(row[2]), ",".join(row[3]), deb))


def decode_row(text: str) -> list:
    size, deps, recs, provides, deb = text.split(" ")
    return [int(size), deps.split(",") if deps else [], recs.split(",") if recs else [],
            provides.split(",") if provides else [], None if deb == NO_DEB else int(deb)]  # fmt: skip


def providers_of(packages: dict[str, list | str]) -> dict[str, list[str]]:
    """Virtual name -> the packages that provide it, in the packages' order. The data file
    stores this map (scripts/gen_apt_graph.py): computed from 5,000 rows it is a cost of
    every check with an apt finding."""
    out: dict[str, list[str]] = {}
    for name, row in packages.items():
        for virtual in decode_row(row)[3] if isinstance(row, str) else row[3]:
            out.setdefault(virtual, []).append(name)
    return out


class Graph:
    """``packages``: name -> [Installed-Size KiB, depends groups, recommends groups, provides,
    .deb bytes or None] (or that row encoded by :func:`encode_row`, decoded when first read);
    a group is ``"a|b"`` (alternatives, versions dropped). ``providers``: virtual name -> its
    providers (a list, or the names comma-joined, split when first read), each a package of
    ``packages`` (so a resolve marks packages only, and ends with the provided names of the
    installed set plus what it added: :meth:`install` keeps them for the next install)."""

    def __init__(self, packages: dict[str, list | str], bases: dict[str, list[str]], meta: Mapping,
                 providers: dict[str, list[str] | str] | None = None) -> None:
        self.packages = packages
        self.bases = {k: frozenset(v) for k, v in bases.items()}
        self.meta = meta
        self._memo: dict[tuple, frozenset[str]] = {}
        self._provides_memo: dict[frozenset[str], set[str]] = {}
        self._followed: dict[str, tuple] = {}  # package -> what the resolver reads of it (_follow)
        self._known: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._columns: dict[int, dict[str, int]] = {}  # column -> name -> its value (_total)
        self.providers = providers_of(packages) if providers is None else providers

    def row(self, name: str) -> list | None:
        found = self.packages.get(name)
        if isinstance(found, str):
            found = self.packages[name] = decode_row(found)
        return found

    def size(self, name: str) -> int:
        row = self.row(name)
        return row[0] * KIB if row else 0

    def deb_size(self, name: str) -> int | None:
        """Bytes of the package's .deb (what apt downloads); None when unknown."""
        row = self.row(name)
        return row[4] if row else None

    def installed_bytes(self, names: Iterable[str]) -> int:
        """Installed-Size of ``names`` together, in bytes (a name outside the graph counts 0)."""
        return self._total(names, 0) * KIB

    def deb_bytes(self, names: Iterable[str]) -> int:
        """The .debs of ``names`` together (a name without a known .deb size counts 0)."""
        return self._total(names, 4)

    def _total(self, names: Iterable[str], column: int) -> int:
        """Sum of one numeric column of the rows of ``names`` (0 for a name outside the graph or
        a value it lacks). Each name's value is kept once read, so the sum runs in C over a dict
        (a simulation's sets run to hundreds of packages, summed thousands of times a check)."""
        values = self._columns.setdefault(column, {})
        names = tuple(names)
        try:
            return sum(map(values.__getitem__, names))
        except KeyError:  # names not read yet: read them, then sum
            for name in names:
                if name not in values:
                    row = self.row(name)
                    values[name] = (row[column] or 0) if row is not None else 0
            return sum(map(values.__getitem__, names))

    def provided_by(self, name: str) -> list[str]:
        found = self.providers.get(name, [])
        if isinstance(found, str):
            found = self.providers[name] = found.split(",")
        return found

    def knows(self, name: str) -> bool:
        return name in self.packages or name in self.providers

    def split_known(self, names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``names`` the graph knows and those it does not, each in their order; kept per
        tuple (every simulation of a file asks again for the same RUN's names)."""
        found = self._known.get(names)
        if found is None:
            if len(self._known) > 4096:
                self._known.clear()
            found = self._known[names] = (tuple(n for n in names if self.knows(n)),
                                          tuple(n for n in names if not self.knows(n)))  # fmt: skip
        return found

    def _provided(self, have: frozenset[str]) -> set[str]:
        """Names ``have`` satisfies (packages and what they provide), cached per set."""
        found = self._provides_memo.get(have)
        if found is None:
            found = set(have)
            for name in have:
                if name in self.packages:
                    found.update(self.row(name)[3])
            found = self._remember_provided(have, found)
        return set(found)

    def _remember_provided(self, have: frozenset[str], provided: set[str]) -> set[str]:
        # kept as given, not copied: the memo's sets are only ever read (_provided copies one out)
        found = self._provides_memo[have] = provided
        if len(self._provides_memo) > 256:
            self._provides_memo.clear()
            self._provides_memo[have] = found
        return found

    def _pick(self, name: str, prefer: set[str]) -> str | None:
        if name in self.packages:
            return name
        cands = self.provided_by(name)
        for c in cands:
            if c in prefer:
                return c
        return cands[0] if len(cands) == 1 else (sorted(cands)[0] if cands else None)

    def install(self, requested: Iterable[str], installed: frozenset[str], recommends: bool) -> frozenset[str]:
        """Memoised :meth:`resolve`: the image with and without a fix repeats most installs."""
        return self.install_onto(requested, installed, recommends)[0]

    def install_onto(self, requested: Iterable[str], installed: frozenset[str],
                     recommends: bool) -> tuple[frozenset[str], frozenset[str]]:
        """:meth:`install`'s packages and the installed set they leave, ``installed | new``: one
        object per memo entry, so a simulation's next install finds that set's provided names
        by identity (no union built twice, no set compared element by element)."""
        key = (tuple(requested), installed, recommends)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) > 2048:
                self._memo.clear()
            added, provided = self._resolve(key[0], installed, recommends)
            new = frozenset(added)
            found = self._memo[key] = (new, installed | new if new else installed)
            # the next install of a simulation starts from that set: its provided names are
            # those this resolve ended with (no pass over the whole set again)
            self._remember_provided(found[1], provided)
        return found

    def _follow(self, name: str) -> tuple:
        """What the resolver reads of a package: what it provides, its depends groups, and its
        depends and recommends groups together (each group ``"a|b"`` as the row holds it)."""
        row = self.row(name)
        found = self._followed[name] = (row[3], row[1], row[1] + row[2])
        return found

    def resolve(self, requested: Iterable[str], installed: Iterable[str], recommends: bool) -> set[str]:
        """Packages apt adds for ``requested`` on a system that has ``installed``.

        As apt marks them: the requested packages first, then breadth first the first
        alternative of every dependency group that nothing installed or marked (or
        provided by either) satisfies; Recommends of newly marked packages too when on.
        """
        return self._resolve(requested, installed, recommends)[0]

    def _resolve(self, requested: Iterable[str], installed: Iterable[str], recommends: bool) -> tuple[set[str], set[str]]:
        """:meth:`resolve`'s packages, and the names satisfied at its end: those of the installed
        and the added packages (each name marked is a package added, or one its pick provides)."""
        have = frozenset(installed)
        provided = self._provided(have)  # names satisfied: installed, marked, or provided by them
        picks = [p for p in (self._pick(r, set()) for r in requested) if p]
        provided.update(picks)
        packages, followed = self.packages, self._followed
        # the queue holds each package the resolve adds, once: the requested ones not installed,
        # then the picks of unsatisfied groups (never installed or queued before: those names are
        # in provided; a provider is always a package, providers_of derives them from the rows)
        queue = list(dict.fromkeys(p for p in picks if p not in have and p in packages))
        column = 2 if recommends else 1  # the groups followed: depends and recommends, or depends
        for name in queue:  # breadth first: the loop reaches what it appends, in order
            entry = followed.get(name) or self._follow(name)
            if entry[0]:  # most packages provide nothing: no call for them
                provided.update(entry[0])
            for group in entry[column]:
                if group in provided:
                    continue  # a one-name group satisfied (a name holds no "|")
                if "|" not in group and group in packages:  # the usual pick: the group's package
                    queue.append(group)
                    provided.add(group)
                else:
                    self._mark_alternative(group, picks, queue, provided)
        return set(queue), provided

    def _mark_alternative(self, group: str, picks: list[str], queue: list[str], provided: set[str]) -> None:
        """Marks the first alternative of ``group`` apt can install, unless one is satisfied; a
        virtual name's provider already marked is preferred (the requested picks and the queue)."""
        alts = group.split("|")
        if not provided.isdisjoint(alts):
            return  # an alternative is installed, marked or provided
        for a in alts:
            if a in self.packages:
                pick = a
            else:
                prefer = set(picks).union(queue)
                pick = self._pick(a, prefer)
                if pick in prefer:  # (a provider never is installed: a would be provided)
                    provided.add(a)
                    return
            if pick is not None:
                queue.append(pick)
                provided.add(pick)
                provided.add(a)
                return


_GRAPH: Graph | None = None


def load() -> Graph:
    """The graph as the data files store it (ValueError naming a malformed file)."""
    from bot.estimate.textdata import JsonValues, rows

    bases = {key: names.split(",") for key, names in rows(part_path("bases")).items()}
    return Graph(rows(part_path("packages")), bases, JsonValues(rows(part_path("meta"))), rows(part_path("providers")))


def graph() -> Graph | None:
    """The bundled graph, loaded once; None when its files are missing."""
    global _GRAPH
    if _GRAPH is None and os.path.exists(part_path("packages")):
        _GRAPH = load()
    return _GRAPH
