"""The estimator's ranges contain the savings measured with real builds (measured.csv)."""

import statistics

from bot.estimate import Estimator
from bot.estimate.tables import load
from bot.model import hints as K
from bot.model.findings import SizeHint

HINTS = {  # measured.csv name -> the hint a rule would emit for that Dockerfile
    "apt-lists": SizeHint(K.APT_LISTS, {"base_image": "debian:bookworm"}),
    "apt-lists-slim": SizeHint(K.APT_LISTS, {"base_image": "debian:bookworm-slim"}),
    "recommends-curl": SizeHint(K.APT_RECOMMENDS, {"base_image": "debian:bookworm", "packages": ("curl",)}),
    "recommends-git": SizeHint(K.APT_RECOMMENDS, {"base_image": "debian:bookworm", "packages": ("git",)}),
    "recommends-git-slim": SizeHint(K.APT_RECOMMENDS, {"base_image": "debian:bookworm-slim", "packages": ("git",)}),
    "recommends-imagemagick": SizeHint(K.APT_RECOMMENDS, {"base_image": "debian:bookworm", "packages": ("imagemagick",)}),
    "recommends-python3-pip": SizeHint(K.APT_RECOMMENDS, {"base_image": "debian:bookworm", "packages": ("python3-pip",)}),
    "lastlog-uid-100000": SizeHint(K.LASTLOG, {"uid": 100000, "base_image": "debian:bookworm"}),
    "merge-runs": SizeHint(K.MERGE_RUNS, {"count": 1}),
    "build-packages": SizeHint(K.BUILD_PACKAGES, {"base_image": "debian:bookworm", "manager": "apt",
                                                  "packages": ("build-essential",), "recommends": False}),
}


def _pairs():
    est = Estimator()
    for row in load("measured.csv"):
        hint = HINTS.get(row["name"])
        if hint is not None:
            e, reason = est.estimate(hint)
            assert e is not None, (row["name"], reason)
            yield row["name"], int(row["saving_bytes"]), e


def test_every_measured_row_has_a_hint():
    assert {r["name"] for r in load("measured.csv")} <= set(HINTS)


def test_measured_savings_fall_inside_the_ranges():
    pairs = list(_pairs())
    inside = [name for name, measured, e in pairs if e.bytes_low <= measured <= e.bytes_high]
    assert len(inside) >= 0.8 * len(pairs), [(n, m, e.bytes_low, e.bytes_high) for n, m, e in pairs]


def test_median_midpoint_over_measured_is_near_one():
    ratios = [e.midpoint / measured for _, measured, e in _pairs() if measured > 0]
    assert 0.67 <= statistics.median(ratios) <= 1.5, ratios
