"""pip's cache from the wheel table, per CPython version (data/pip_wheels.csv).

Each row is what ``pip install <package>`` downloads on manylinux x86-64 for one
CPython version, wheel by wheel (``project==version:bytes``), so several packages count
a shared dependency once. pip's HTTP cache also keeps the index pages it fetched
(data/pip_index_pages.csv), which the high end allows for. Read on the first pip
finding only.
"""

from __future__ import annotations

import functools

from bot.estimate import images
from bot.estimate.tables import load
from bot.model.records import Record, field

# the python3 a distro's pip runs (Debian/Ubuntu package python3 of that release)
SYSTEM_PYTHON = {
    ("debian", "11"): "3.9", ("debian", "12"): "3.11", ("debian", "13"): "3.13",
    ("ubuntu", "20.04"): "3.8", ("ubuntu", "22.04"): "3.10", ("ubuntu", "24.04"): "3.12",
}  # fmt: skip


def python_of(base_image: str) -> tuple[str, str]:
    """(CPython "3.12", how it is known) for an image; ("", "") when not known."""
    ref = images.parse_ref(base_image)
    if ref is None:
        return "", ""
    if ref.repository.split("/")[-1] == "python":
        v = images.split_tag(ref.tag).version
        if len(v) >= 2:
            return f"{v[0]}.{v[1]}", f"the {ref.name}:{ref.tag} image"
        return "", ""
    d = images.distro_of(base_image)
    py = SYSTEM_PYTHON.get((d.family, d.release)) if d is not None else None
    return (py, f"python3 of {d.family.title()} {d.release}") if py and d is not None else ("", "")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


@functools.lru_cache(maxsize=None)
def table() -> dict[str, dict[str, tuple[tuple[str, int], ...]]]:
    """package -> CPython version -> its wheels ((project==version, bytes), ...)."""
    out: dict[str, dict[str, tuple[tuple[str, int], ...]]] = {}
    for r in load("pip_wheels.csv"):
        wheels = tuple((d.rpartition(":")[0], int(d.rpartition(":")[2])) for d in r["dists"].split())
        out.setdefault(r["package"], {})[r["python"]] = wheels
    return out


@functools.lru_cache(maxsize=None)
def index_pages() -> dict[str, int]:
    return {r["project"]: int(r["page_bytes"]) for r in load("pip_index_pages.csv")}


class PipCache(Record):
    __slots__ = ()
    _fields = ("wheels_low", "wheels_high", "high", "known", "missing", "pythons", "wheel_count")
    wheels_low = field(0, "int: the wheels, smallest over the versions considered")
    wheels_high = field(1, "int")
    high = field(2, "int: wheels + the index pages pip fetched (largest over the versions)")
    known = field(3, "tuple[str, ...]")
    missing = field(4, "tuple[str, ...]")
    pythons = field(5, "tuple[str, ...]: the versions the range covers")
    wheel_count = field(6, "int")

    def __new__(cls, wheels_low, wheels_high, high, known, missing, pythons, wheel_count):
        return tuple.__new__(cls, (wheels_low, wheels_high, high, known, missing, pythons, wheel_count))


def pip_cache(names: list[str], python: str) -> PipCache:
    """The wheels (shared ones once) pip caches for ``names`` on ``python`` (all versions
    in the table when "" or not tabulated)."""
    rows = table()
    known = tuple(dict.fromkeys(n for n in names if n in rows))
    missing = tuple(dict.fromkeys(n for n in names if n not in rows))
    have = sorted({v for n in known for v in rows[n]}, key=_key)
    pythons = (python,) if python in have else tuple(have)
    totals = []
    for v in pythons:
        wheels = dict(w for n in known for w in rows[n].get(v, ()))
        pages = index_pages()
        index = sum(pages.get(d.split("==")[0], 0) for d in wheels)
        totals.append((sum(wheels.values()), index, len(wheels)))
    if not totals:
        return PipCache(0, 0, 0, known, missing, (), 0)
    return PipCache(min(t[0] for t in totals), max(t[0] for t in totals), max(t[0] + t[1] for t in totals),
                    known, missing, pythons, max(t[2] for t in totals))  # fmt: skip
