"""Real builds with buildah (and podman): skipped, with the reason, when the engine or root is missing.

The store defaults to /var/tmp/measure-image (shared with tools/measure_image.sh and
scripts/setup_buildah.sh, which create the local debian:bookworm(-slim) bases), so the
base images and the layer cache survive between runs.
"""

from __future__ import annotations

import os
import shutil

import pytest

from bot.measure.engines import Engine, make_engine
from tests.measure.helpers import ROOT



def _skip_reason(engine: str = "buildah") -> str | None:
    if shutil.which(engine) is None:
        return f"{engine} is not installed (run scripts/setup_buildah.sh)"
    if os.geteuid() != 0:
        return f"building with {engine} here needs root (chroot isolation, overlay storage)"
    if not os.path.isdir(os.path.join(ROOT, "storage")):
        return f"no base images in {ROOT} (run scripts/setup_buildah.sh)"
    return None


@pytest.fixture(scope="session")
def buildah() -> Engine:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    os.environ["DOCKERDIET_MEASURE_ROOT"] = ROOT
    return make_engine("buildah")


@pytest.fixture(scope="session")
def podman() -> Engine:
    """podman on the same private store as buildah (containers/storage): the same bases."""
    reason = _skip_reason("podman")
    if reason:
        pytest.skip(reason)
    os.environ["DOCKERDIET_MEASURE_ROOT"] = ROOT
    return make_engine("podman")

