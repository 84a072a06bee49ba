"""The bundled data tables: loaded lazily (first use), validated, cached per process.

Each CSV in ``data/`` names the columns that carry its provenance (``PROVENANCE``):
a row without them is rejected, so no number enters an estimate without its source.
Provenance of whole tables (method, how to refresh) is in ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import csv
import functools
import re
import os

from bot.model.records import Record, field

# a plain path: pathlib would cost start-up time on the check path
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

# table file -> columns every row must fill (its provenance)
PROVENANCE: dict[str, tuple[str, ...]] = {
    "base_images.csv": ("source", "date"),
    "apt_packages.csv": ("source", "method", "date"),
    "pkg_cache_measured.csv": ("tool_version", "method", "date"),
    "waste_models.csv": ("basis", "source", "date"),
    "measured.csv": ("dockerfile_before", "dockerfile_after", "tool", "date"),
    "pip_wheels.csv": ("dists", "method", "date"),
    "pip_index_pages.csv": ("source", "date"),
}

DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$|^undated \(.+\)$")


class TableError(ValueError):
    """A bundled table is malformed (names the file and the row)."""


def check_rows(name: str, rows: list[dict[str, str]]) -> None:
    """Raise TableError for the first row whose provenance is missing."""
    required = PROVENANCE[name]
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        for col in required:
            value = (row.get(col) or "").strip()
            if not value:
                raise TableError(f"{name}:{i}: row has no {col!r} (provenance is required)")
            if col == "date" and not DATE.match(value):
                raise TableError(f"{name}:{i}: date {value!r} is not YYYY[-MM[-DD]] or 'undated (why)'")


@functools.lru_cache(maxsize=None)
def load(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``data/<name>`` as dicts; validated once per process."""
    if name not in PROVENANCE:
        raise TableError(f"{name}: not a known table")
    path = os.path.join(DATA_DIR, name)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise TableError(f"{path}: cannot read ({e.strerror})") from None
    check_rows(name, rows)
    return tuple(rows)


class WasteModel(Record):
    """One row of waste_models.csv: a byte range for one kind of waste on one base."""

    __slots__ = ()
    _fields = ("kind", "key", "low", "high", "compressed_low", "compressed_high", "confidence", "source_kind", "basis")
    kind = field(0, "str")
    key = field(1, "str")
    low = field(2, "int")
    high = field(3, "int")
    compressed_low = field(4, "int | None")
    compressed_high = field(5, "int | None")
    confidence = field(6, "str")
    source_kind = field(7, "str: measured | table | heuristic")
    basis = field(8, "str")

    def __new__(cls, kind, key, low, high, compressed_low, compressed_high, confidence, source_kind, basis):
        return tuple.__new__(cls, (kind, key, low, high, compressed_low, compressed_high, confidence, source_kind,
                                   basis))


@functools.lru_cache(maxsize=None)
def waste_models() -> dict[tuple[str, str], WasteModel]:
    out: dict[tuple[str, str], WasteModel] = {}
    for r in load("waste_models.csv"):
        opt = lambda k: int(r[k]) if r.get(k) else None  # noqa: E731
        m = WasteModel(
            kind=r["kind"], key=r["key"], low=int(r["low_bytes"]), high=int(r["high_bytes"]),
            compressed_low=opt("compressed_low"), compressed_high=opt("compressed_high"),
            confidence=r["confidence"], source_kind=r["source_kind"], basis=r["basis"],
        )  # fmt: skip
        if not 0 <= m.low <= m.high:
            raise TableError(f"waste_models.csv: {m.kind}/{m.key}: bad range {m.low}..{m.high}")
        out[(m.kind, m.key)] = m
    return out


class AptPackage(Record):
    __slots__ = ()
    _fields = ("name", "with_recommends", "no_recommends", "new_with", "new_without")
    name = field(0, "str")
    with_recommends = field(1, "int: installed bytes, package alone on bookworm-slim")
    no_recommends = field(2, "int")
    new_with = field(3, "int: packages newly installed")
    new_without = field(4, "int")

    def __new__(cls, name, with_recommends, no_recommends, new_with, new_without):
        return tuple.__new__(cls, (name, with_recommends, no_recommends, new_with, new_without))

    @property
    def recommends_saving(self) -> int:
        return max(0, self.with_recommends - self.no_recommends)


@functools.lru_cache(maxsize=None)
def apt_packages() -> dict[str, AptPackage]:
    return {
        r["package"]: AptPackage(
            r["package"], int(r["installed_bytes_with_recommends"]), int(r["installed_bytes_no_recommends"]),
            int(r["new_pkgs_with_recommends"]), int(r["new_pkgs_no_recommends"]),
        )  # fmt: skip
        for r in load("apt_packages.csv")
    }
