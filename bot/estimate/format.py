"""Human text for estimates: "≈ 20 MB (15–25 MB)" in decimal units (KB below 1 MB)."""

from __future__ import annotations

from bot.model.findings import SizeEstimate

_UNITS = (("KB", 10**3), ("MB", 10**6), ("GB", 10**9))


def format_bytes(n: int) -> str:
    """Decimal units with about two significant digits: 950 KB, 4.2 MB, 20 MB, 1.1 GB."""
    if n < 1_000:
        return f"{n} B" if n else "0 MB"
    i = 0 if n < 10**6 else 1 if n < 10**9 else 2  # the largest unit n reaches
    while True:
        unit, size = _UNITS[i]
        v = n / size
        if v < 9.95:
            text = f"{v:.1f}".removesuffix(".0")
        else:
            text = f"{v:.0f}"
            if text == "1000" and i < 2:  # 999.6 KB rounds to 1000 KB: say 1 MB
                i += 1
                continue
        return f"{text} {unit}"


def format_range(low: int, high: int) -> str:
    a, b = format_bytes(low), format_bytes(high)
    if a == b:
        return a
    ua, ub = a.split()[-1], b.split()[-1]
    return f"{a.split()[0]}–{b}" if ua == ub else f"{a}–{b}"


def format_estimate(est: SizeEstimate | None) -> str:
    """"≈ 20 MB (15–25 MB)"; "no image bytes" for nothing (a finding kept for another reason,
    such as DT203's stale cache: "≈ 0 MB" reads as a rounding); "size impact unknown" for None."""
    if est is None:
        return "size impact unknown"
    if est.bytes_high == 0:
        return "no image bytes"
    mid = format_bytes(est.midpoint)
    rng = format_range(est.bytes_low, est.bytes_high)
    return f"≈ {mid}" if rng == mid or est.bytes_low == est.bytes_high else f"≈ {mid} ({rng})"


REBUILD_LABEL = "Rebuild downloads a cache mount saves (build time, not image size)"


def format_rebuild(est: SizeEstimate) -> str:
    """A build-time estimate (DT601): "≈ 4 MB (0.3–8 MB) downloaded again per rebuild"."""
    if est.bytes_high == 0:
        return "nothing downloaded again per rebuild"
    return f"{format_estimate(est)} downloaded again per rebuild"


def format_share(findings, base: SizeEstimate | None, base_image: str = "") -> str:
    """"≈ 480 MB (…) avoidable of an image of at least ≈ 1.1 GB (base `python:3.12` ≈ 600 MB plus
    the waste in its layers): at most ≈ 44%". Every number is on the same basis: ranges
    shown by their midpoints, the image floor being the base plus the waste its layers
    hold (a smaller base saves out of the base itself), the total capped at that floor."""
    from bot.estimate.totals import image_bytes, image_share

    findings = list(findings)
    share = image_share(findings, base)
    if share is None:
        low, high = image_bytes(findings)
        return f"≈ {format_bytes((low + high) // 2)} ({format_range(low, high)}) avoidable; the base image's size is not known"
    named = f" `{base_image}`" if base_image else ""
    pct = "under 1%" if share.fraction < 0.01 else f"at most ≈ {share.fraction:.0%}"
    text = (f"≈ {format_bytes(share.midpoint)} ({format_range(share.low, share.high)}) avoidable of an image of at "
            f"least ≈ {format_bytes(share.image_midpoint)} (base{named} ≈ {format_bytes(base.midpoint)} plus the "
            f"waste in its layers): {pct}")
    if share.capped:
        text += "; the findings' total is capped at that size (some of them describe the same bytes)"
    return text
