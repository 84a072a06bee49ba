"""Paths and readers for the measured cases (shared by the buildah tests)."""

from __future__ import annotations

import os

ROOT = os.environ.get("DOCKERDIET_MEASURE_ROOT", "/var/tmp/measure-image")
CASES = os.path.join(os.path.dirname(__file__), "cases")


def case(name: str) -> tuple[str, str]:
    """(Dockerfile text, context dir) of a case under tests/measure/cases/."""
    d = os.path.join(CASES, name)
    with open(os.path.join(d, "Dockerfile"), encoding="utf-8") as f:
        return f.read(), d
