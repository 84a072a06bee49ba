"""Measured savings of known fixes, from real buildah builds on local Debian 12 bases.

Expected numbers come from how apt and the layer model work, not from a previous
run: the apt lists of Debian 12 (bookworm, bookworm-updates, bookworm-security,
gzip-compressed indexes as on the official image) are ~20 MB; a file deleted in a
later layer still ships in the earlier one; Debian 12's useradd writes no lastlog.
"""

from __future__ import annotations

import pytest

from bot.measure.calibrate import calibrate_file
from bot.measure.pair import measure_pair
from bot.measure.result import STATUS_AFTER_FAILED, STATUS_BEFORE_FAILED, STATUS_OK
from tests.measure.helpers import CASES, case

pytestmark = pytest.mark.buildah
MB = 1_000_000


def _row(result, line):
    return next(r for r in result.rows if r.before is not None and r.before.line == line)


def test_apt_lists_in_the_same_run_save_about_20_mb(buildah):
    text, ctx = case("apt-lists")
    r = measure_pair(text, ctx, buildah, pull="never")
    assert r.status == STATUS_OK
    row = _row(r, 2)
    assert 15 * MB < row.delta < 25 * MB
    assert row.gzip_delta > 0
    assert r.saved == row.delta  # nothing else changed
    assert r.before.base_size == r.after.base_size > 50 * MB
    dt101 = next(f for f in r.findings if f.rule_id == "DT101")
    assert dt101.applied and dt101.measured == row.delta


def test_cleanup_in_a_later_run_saves_nothing(buildah):
    text, ctx = case("cleanup-later-layer")
    fixed = text.replace("RUN rm -rf /var/lib/apt/lists/*\n", "RUN true\n")
    r = measure_pair(text, ctx, buildah, pull="never", fixed_text=fixed)
    assert r.status == STATUS_OK
    lists_layer = _row(r, 2).before.size
    assert lists_layer > 20 * MB  # curl plus the lists, still in layer 2
    # Removing the later rm changes the image by the whiteouts' tar headers only.
    assert abs(r.saved) < 100_000


def test_no_install_recommends_saves_the_recommended_packages(buildah):
    text, ctx = case("apt-recommends")
    r = measure_pair(text, ctx, buildah, pull="never", unsafe=True)
    assert r.status == STATUS_OK
    # curl's recommends on bookworm-slim: ca-certificates, openssl, publicsuffix, krb5-locales, ...
    assert 0.3 * MB < r.saved < 10 * MB
    dt102 = next(f for f in r.findings if f.rule_id == "DT102")
    assert dt102.applied and dt102.measured == r.saved


def test_useradd_high_uid_without_l_costs_nothing_on_debian_12(buildah):
    text, ctx = case("useradd-high-uid")
    r = measure_pair(text, ctx, buildah, pull="never")
    assert r.status == STATUS_OK
    assert "useradd -l" in r.fixed_text or "-l -u" in r.fixed_text or " -l " in r.fixed_text
    # A lastlog of 100000 x 292 bytes would be 29 MB; bookworm's useradd writes none.
    assert abs(r.saved) < 100_000
    assert _row(r, 2).before.size < 1 * MB


def test_fix_that_breaks_the_build_is_reported_with_the_failing_line(buildah):
    text, ctx = case("apt-lists")
    broken = text.replace("curl", "curl-that-does-not-exist")
    r = measure_pair(text, ctx, buildah, pull="never", fixed_text=broken)
    assert r.status == STATUS_AFTER_FAILED
    assert r.before is not None and r.after is None
    assert (r.after_failure.line, r.after_failure.end_line) == (2, 2)
    assert any("Unable to locate package" in ln or "exit status" in ln for ln in r.after_failure.log_tail)


def test_original_that_does_not_build_is_reported(buildah, tmp_path):
    text = "FROM debian:bookworm-slim\nRUN echo ok\nRUN echo failing && \\\n    exit 7\n"
    r = measure_pair(text, str(tmp_path), buildah, pull="never")
    assert r.status == STATUS_BEFORE_FAILED
    assert (r.before_failure.line, r.before_failure.end_line) == (3, 4)


def test_calibration_attributes_each_fix_alone(buildah):
    rows = calibrate_file(f"{CASES}/cleanup-later-layer/Dockerfile", buildah, pull="never", rel="x")
    by_rule = {r.rule: r for r in rows}
    assert by_rule["DT101"].status == "ok"
    # DT101 alone removes the lists in layer 2: the saving is real even with the later rm.
    assert 15 * MB < by_rule["DT101"].measured_delta < 25 * MB
