"""Quiet when nothing is saved: which findings a ``min-saving`` threshold hides.

A size-only finding whose whole estimated range is below the threshold is noise and is
not reported. Rules that are also about something else keep reporting with the
estimate saying 0 and why; the reason they still matter is listed here.
"""

from __future__ import annotations

from bot.model import hints as K
from bot.model.findings import Finding

ALSO_ABOUT = {
    "DT203": "a lone `apt-get update` layer goes stale in the build cache (installs then fail or are outdated)",
    "DT204": "fewer layers also mean fewer steps to cache and pull",
    "DT301": "a source change re-runs the dependency install (build time)",
    "DT302": "development dependencies are also code that runs in production",
    "DT402": "the toolchain image also ships compilers to production",
}


def why_kept(finding: Finding, est) -> str:
    """The basis of a near-zero estimate of a rule that is also about something else."""
    reason = ALSO_ABOUT.get(finding.rule_id)
    if reason is None or est is None or est.bytes_high >= 1_000_000 or "Still reported" in est.basis:
        return ""
    return f" Still reported: {reason}."


def hidden(finding: Finding, min_saving: int) -> bool:
    """Below the threshold and about size only (a rebuild download is not image size)."""
    est = finding.estimate
    if est is None or finding.rule_id in ALSO_ABOUT or (finding.hint and finding.hint.kind in K.BUILD_TIME_KINDS):
        return False
    return est.bytes_high < min_saving
