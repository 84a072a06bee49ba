"""Render an inspection: text for people, JSON (``"version": 1``) and SARIF for tools."""

from __future__ import annotations

import json
from typing import Any

from bot.measure.layers.inspection import Inspection, line_table
from bot.measure.render import human

_W = 44


def _label(li, attributed: bool) -> str:
    ins = li.instruction
    if ins is not None:
        lines = f"{ins.line}" if ins.line == ins.end_line else f"{ins.line}-{ins.end_line}"
        return f"{lines:>7}  {ins.normalized}"
    text = " ".join(li.created_by.split()) or "(no history)"
    return f"{'base' if attributed else '':>7}  {text}"


def _cut(text: str, n: int = _W) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def waste_by_kind(insp: Inspection) -> dict[str, int]:
    """Measured waste of this Dockerfile's lines by kind (removed, pip-cache, tmp, duplicate, ...)."""
    out: dict[str, int] = {}
    for m in insp.measured:
        out[m.kind] = out.get(m.kind, 0) + m.bytes
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def render_text(insp: Inspection, layers: bool = True) -> str:
    a = insp.analysis
    e = a.efficiency
    out = [f"{a.image}: {len(a.layers)} layers, {human(a.size)} uncompressed, analysed in {a.seconds:.1f} s",
           f"  efficiency {e.score * 100:.2f} % (as dive computes it), wasted {human(e.wasted_bytes)}"
           f" ({e.wasted_user_percent * 100:.1f} % of the bytes above the first layer)"]
    if layers:
        out += ["", f"{'':>3} {'lines':>7}  {'instruction':<{_W}} {'size':>9}  largest file", "-" * 90]
        for li in a.layers:
            top = f"/{li.top_files[0][1]} ({human(li.top_files[0][0])})" if li.top_files else ""
            label = _label(li, bool(insp.path))
            out.append(f"{li.index + 1:>3} {label[:9]}{_cut(label[9:]):<{_W}} {human(li.tar_size):>9}  {_cut(top, 40)}")
    if insp.path:
        rows = line_table(insp)
        if any(r.waste for r in rows):
            out += ["", f"{'lines':>7}  {'instruction':<{_W}} {'adds':>9} {'waste':>9}", "-" * 74]
            for r in rows:
                lines = f"{r.line}" if r.line == r.end_line else f"{r.line}-{r.end_line}"
                out.append(f"{lines:>7}  {_cut(r.text):<{_W}} {human(r.added):>9} {human(r.waste) if r.waste else '':>9}")
        out += [""]
        if not insp.measured:
            out.append("no measured waste on the Dockerfile's lines")
        for m in sorted(insp.measured, key=lambda m: -m.bytes):
            f = m.finding
            via = f" (measured {', '.join(m.merged)})" if m.merged else ""
            out.append(f"{insp.path}:{f.span.start.line}: {f.rule_id} {f.message} [{human(m.bytes)}{via}]")
            for b, p in m.paths[:3]:
                out.append(f"      {human(b):>9}  /{p}")
        out.append(f"measured waste on the Dockerfile's lines: {human(insp.waste_bytes)}")
    else:
        base = sum(w.bytes for w in a.waste) + sum(r.bytes for r in a.removed) + sum(d.bytes for d in a.duplicates)
        out += ["", f"waste in the image (no Dockerfile given, so not tied to lines): {human(base)}"]
        for r in a.removed[:5]:
            out.append(f"  {human(r.bytes):>9}  layer {r.writer + 1} removed by layer {r.remover + 1}"
                       f" (e.g. /{max(r.top)[1]})" if r.top else "")
        for w in a.waste[:10]:
            out.append(f"  {human(w.bytes):>9}  {w.kind} in /{w.root} (layer {w.layer + 1})")
        dup = sum(d.bytes for d in a.duplicates)
        if dup:
            out.append(f"  {human(dup):>9}  duplicate files ({len(a.duplicates)})")
    return "\n".join(out) + "\n"


def to_json(insp: Inspection) -> dict[str, Any]:
    a = insp.analysis

    def ins_json(li):
        ins = li.instruction
        return None if ins is None else {"line": ins.line, "end_line": ins.end_line, "text": ins.normalized}

    return {
        "version": 1,
        "image": a.image,
        "image_id": a.image_id,
        "size": a.size,
        "seconds": a.seconds,
        "dive": a.efficiency.to_json(),
        "layers": [{
            "index": li.index, "diff_id": li.diff_id, "size": li.tar_size, "blob_size": li.blob_size,
            "file_bytes": li.file_bytes, "entries": li.entries, "created_by": li.created_by,
            "instruction": ins_json(li),
            "largest_files": [{"path": "/" + p, "bytes": b} for b, p in li.top_files],
            "largest_dirs": [{"path": "/" + p, "bytes": b} for b, p in li.top_dirs],
        } for li in a.layers],
        "removed": [{"written_by_layer": r.writer, "removed_by_layer": r.remover, "bytes": r.bytes,
                     "files": r.files, "largest": [{"path": "/" + p, "bytes": b, "how": h}
                                                   for b, p, h in sorted(r.top, reverse=True)]}
                    for r in a.removed],
        "waste": [{"kind": w.kind, "layer": w.layer, "root": "/" + w.root, "bytes": w.bytes, "files": w.files}
                  for w in a.waste],
        "duplicates": {"bytes": sum(d.bytes for d in a.duplicates), "files": len(a.duplicates)},
        "dockerfile": insp.path or None,
        "measured_waste": insp.waste_bytes,
        "waste_by_kind": waste_by_kind(insp),
        "findings": [m.to_json() for m in insp.measured],
        "lines": [r._asdict() for r in line_table(insp)] if insp.path else [],
    }


def render_json(insp: Inspection) -> str:
    return json.dumps(to_json(insp), indent=2, ensure_ascii=False) + "\n"


def render_sarif(insp: Inspection) -> str:
    """SARIF of every finding on the Dockerfile (static ones with measured bytes, DT7xx)."""
    from bot.engine import FileResult, LintResult
    from bot.report import sarif

    doc = json.loads(sarif.render(LintResult((FileResult(insp.path or "Dockerfile", insp.text, insp.findings),))))
    extra = {m.finding.fingerprint: m.to_json() for m in insp.measured}
    for result in doc["runs"][0]["results"]:
        m = extra.get(result["partialFingerprints"]["dockerdiet/v1"])
        if m is not None:
            result["properties"]["measured"] = m["measured"]
            if "removed_by" in m:
                result["properties"]["removed_by"] = m["removed_by"]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

