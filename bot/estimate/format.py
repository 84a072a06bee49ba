"""Human text for estimates: "≈ 20 MB (15–25 MB)" in decimal units (KB below 1 MB)."""

from __future__ import annotations

from bot.model.findings import SizeEstimate


def format_bytes(n: int) -> str:
    """Decimal units with about two significant digits: 950 KB, 4.2 MB, 20 MB, 1.1 GB."""
    if n < 1_000:
        return f"{n} B" if n else "0 MB"
    units = (("KB", 10**3), ("MB", 10**6), ("GB", 10**9))
    i = max(k for k, (_, size) in enumerate(units) if n >= size)
    while True:
        unit, size = units[i]
        v = n / size
        text = f"{v:.1f}" if v < 9.95 else f"{v:.0f}"
        if text == "1000" and i + 1 < len(units):  # 999.6 KB rounds to 1000 KB: say 1 MB
            i += 1
            continue
        return f"{text.removesuffix('.0')} {unit}"


def format_range(low: int, high: int) -> str:
    a, b = format_bytes(low), format_bytes(high)
    if a == b:
        return a
    ua, ub = a.split()[-1], b.split()[-1]
    return f"{a.split()[0]}–{b}" if ua == ub else f"{a}–{b}"


def format_estimate(est: SizeEstimate | None) -> str:
    """"≈ 20 MB (15–25 MB)"; "≈ 0 MB" for nothing; "size impact unknown" for None."""
    if est is None:
        return "size impact unknown"
    mid = format_bytes(est.midpoint)
    rng = format_range(est.bytes_low, est.bytes_high)
    return f"≈ {mid}" if rng == mid or est.bytes_low == est.bytes_high else f"≈ {mid} ({rng})"
