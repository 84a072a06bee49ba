"""Text table for a measurement (JSON is ``MeasureResult.to_json()``)."""

from __future__ import annotations

from bot.measure.result import (
    STATUS_AFTER_FAILED, STATUS_BEFORE_FAILED, BuildFailure, InstructionLayer, MeasureResult,
)


def human(n: int | None, signed: bool = False) -> str:
    if n is None:
        return "-"
    sign = ("+" if n > 0 else "-" if n < 0 else "") if signed else ("-" if n < 0 else "")
    v = abs(n)
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if v >= scale:
            return f"{sign}{v / scale:.1f} {unit}"
    return f"{sign}{v} B"


def _lines(x: InstructionLayer | None) -> str:
    if x is None:
        return ""
    return f"{x.line}" if x.line == x.end_line else f"{x.line}-{x.end_line}"


def _size(x: InstructionLayer | None) -> str:
    if x is None:
        return "-"
    if x.empty:
        return "0 (meta)"
    return human(x.size)


def _failure(title: str, f: BuildFailure) -> list[str]:
    where = f"line {f.line}" + (f"-{f.end_line}" if f.end_line and f.end_line != f.line else "") if f.line else "unknown line"
    out = [title, f"  failing instruction ({where}): {f.instruction or '?'}", "  last log lines:"]
    out += [f"    | {ln}" for ln in f.log_tail]
    return out


def render_text(r: MeasureResult) -> str:
    out = [f"{r.path}: measured with {r.engine} ({'safe and review' if r.unsafe else 'safe'} fixes)"]
    if r.status == STATUS_BEFORE_FAILED and r.before_failure:
        out += _failure("ERROR: the original Dockerfile does not build", r.before_failure)
        return "\n".join(out) + "\n"
    if r.status == STATUS_AFTER_FAILED and r.after_failure:
        out += ["", "!" * 72]
        out += _failure("FIX BREAKS THE BUILD: the original builds, the fixed Dockerfile does not",
                        r.after_failure)
        out += ["!" * 72, ""]
    b, a = r.before, r.after
    header = f"{'lines':>9}  {'instruction':<50} {'before':>10} {'after':>10} {'saved':>10}"
    out += ["", header, "-" * len(header)]
    if b is not None:
        if r.rows:
            for row in r.rows:
                ins = row.before or row.after
                lines = _lines(row.before) + ("→" + _lines(row.after) if row.after and _lines(row.after) != _lines(row.before) else "")
                text = ins.text if row.before else "(new) " + ins.text
                saved = human(row.delta, signed=True) if (row.before and not row.before.empty) or (row.after and not row.after.empty) else ""
                out.append(f"{lines:>9}  {text[:50]:<50} {_size(row.before):>10} {_size(row.after):>10} {saved:>10}")
        else:
            for x in b.layers:
                out.append(f"{_lines(x):>9}  {x.text[:50]:<50} {_size(x):>10} {'-':>10} {'':>10}")
        out.append("-" * len(header))
        base_after = human(a.base_size) if a else "-"
        out.append(f"{'':>9}  {'base image':<50} {human(b.base_size):>10} {base_after:>10}")
        total_after = human(a.size) if a else "-"
        out.append(f"{'':>9}  {'total (uncompressed)':<50} {human(b.size):>10} {total_after:>10} "
                   f"{human(r.saved, signed=True) if r.saved is not None else '':>10}")
        gz_after = human(a.gzip_size) if a else "-"
        out.append(f"{'':>9}  {'total (gzip, as pushed)':<50} {human(b.gzip_size):>10} {gz_after:>10} "
                   f"{human(r.saved_gzip, signed=True) if r.saved_gzip is not None else '':>10}")
        if b.unattributed_size or (a and a.unattributed_size):
            out.append("  note: some layers could not be attributed to an instruction (counted in totals only)")
        times = f"build {b.build_seconds:.1f} s" + (f" / {a.build_seconds:.1f} s" if a else "")
        out.append(f"  {times} (layer cache on)")
        out.append("  uncompressed sizes: " + ("the engine's own layer sizes (file bytes, as `docker images` shows)"
                                               if b.size_basis == "engine" else "tar bytes of the layers"))
    if r.findings:
        out += ["", f"{'finding':<8} {'lines':>7}  {'estimate':>21} {'measured':>10}  note", "-" * 72]
        for f in r.findings:
            lines = f"{f.line}" if f.line == f.end_line else f"{f.line}-{f.end_line}"
            est = (f"{human(f.estimate_low)}–{human(f.estimate_high)}" if f.estimate_low is not None else "none")
            note = "" if f.applied else "fix not applied"
            if f.shared_with:
                note = "measured jointly with " + ", ".join(f.shared_with)
            out.append(f"{f.rule_id:<8} {lines:>7}  {est:>21} {human(f.measured, signed=True):>10}  {note}")
    if r.note:
        out += ["", r.note]
    return "\n".join(out) + "\n"
