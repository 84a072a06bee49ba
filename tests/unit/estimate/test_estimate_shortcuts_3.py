"""Work the size estimate skips, round 5 (speed, issue 12): imports kept once instead of run on
each call, and the byte formatter without its generator; each answers what it replaced."""

import importlib
import subprocess
import sys

from hypothesis import example, given, settings, strategies as st

from bot.engine import Options, analyse_text
from bot.estimate import Estimator, estimator, rebuild
from bot.estimate.format import format_bytes
from bot.model import hints as K
from bot.model.findings import SizeHint


def _format_bytes_before(n: int) -> str:
    """format_bytes as it was before round 5 (max over a generator, the unit table per call)."""
    if n < 1_000:
        return f"{n} B" if n else "0 MB"
    units = (("KB", 10**3), ("MB", 10**6), ("GB", 10**9))
    i = max(k for k, (_, size) in enumerate(units) if n >= size)
    while True:
        unit, size = units[i]
        v = n / size
        text = f"{v:.1f}" if v < 9.95 else f"{v:.0f}"
        if text == "1000" and i + 1 < len(units):
            i += 1
            continue
        return f"{text.removesuffix('.0')} {unit}"


# the edges: each unit's start, the 9.95 switch to whole numbers, the rounding up to the next unit
_EDGES = [10**k + d for k in (3, 6, 9, 12) for d in (-1, 0, 1)]
_EDGES += [u * m // 100 + d for u in (10**3, 10**6, 10**9) for m in (995, 99950, 99949) for d in (-1, 0, 1)]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.integers(min_value=-10**4, max_value=10**13), st.sampled_from(_EDGES),
                 st.integers(min_value=0, max_value=3).flatmap(
                     lambda k: st.integers(min_value=999 * 10 ** (3 * k), max_value=1001 * 10 ** (3 * k)))))
@example(999_500)
@example(999_499)
@example(9_950)
@example(9_949)
@example(999_950_000_000)
def test_format_bytes_says_what_the_generator_version_said(n):
    assert format_bytes(n) == _format_bytes_before(n)


def test_format_bytes_still_rounds_up_into_the_next_unit_and_keeps_gigabytes():
    assert format_bytes(999_600) == "1 MB" and format_bytes(999_600_000) == "1 GB"
    assert format_bytes(1_200_000_000_000) == "1200 GB" and format_bytes(4_200_000) == "4.2 MB"


def test_the_layer_model_module_is_imported_once_and_is_the_package_s():
    from bot.estimate.layers import finding

    assert estimator._module("layers.finding") is finding
    assert estimator._module("wheels") is importlib.import_module("bot.estimate.wheels")
    assert rebuild._apt_model() is rebuild._apt_model()
    from bot.estimate.layers.graph import graph
    from bot.estimate.layers.state import base_key

    assert rebuild._apt_model() == (graph, base_key)


def test_apt_findings_price_the_same_before_and_after_the_layer_model_is_kept():
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y curl python3\n"
    estimator._module.cache_clear()
    rebuild._apt_model.cache_clear()
    cold = analyse_text("Dockerfile", text, Options(min_saving=0))
    warm = analyse_text("Dockerfile", text, Options(min_saving=0))
    assert cold == warm and any(f.estimate for f in cold.findings)
    assert any(f.hint and f.hint.kind == K.REBUILD_DOWNLOAD and f.estimate for f in cold.findings)


def test_an_apt_rebuild_download_is_priced_from_the_graph_after_a_cache_clear():
    hint = SizeHint(K.REBUILD_DOWNLOAD, {"managers": ("apt",), "packages": ("apt:curl",), "base_image": "debian:12"})
    rebuild._apt_model.cache_clear()
    first, _ = Estimator().estimate(hint)
    again, _ = Estimator().estimate(hint)
    assert first is not None and first == again and first.bytes_low > 0 and ".deb" in first.basis


def test_the_estimator_module_still_loads_the_layer_model_only_when_asked():
    probe = ("import sys, bot.estimate.estimator\n"
             "print(sorted(m for m in sys.modules if m.startswith('bot.estimate.layers')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
