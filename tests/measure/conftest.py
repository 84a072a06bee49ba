"""Real builds with buildah: skipped, with the reason, when buildah or root is missing.

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



def _skip_reason() -> str | None:
    if shutil.which("buildah") is None:
        return "buildah is not installed (run scripts/setup_buildah.sh)"
    if os.geteuid() != 0:
        return "building with buildah here needs root (chroot isolation, overlay storage)"
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

