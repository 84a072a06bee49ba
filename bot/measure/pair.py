"""measure_pair: build a Dockerfile and its fixed version, compare layer by layer.

This is the function the CLI and the GitHub action call. It EXECUTES the
Dockerfile (every RUN runs on the build host), so it must only ever see trusted
Dockerfiles; see the README on pull_request_target.
"""

from __future__ import annotations

import difflib
import os
import tempfile
import time

from typing import Iterable, Sequence

from bot.engine import Options, analyse_text, fix_source
from bot.measure.attribute import attribute, image_stages
from bot.measure.buildlog import FailurePoint
from bot.measure.engines import BuildOutcome, BuildRequest, Engine, MeasureError, make_engine
from bot.measure.images import HistoryEntry
from bot.measure.result import (
    STATUS_AFTER_FAILED, STATUS_BEFORE_FAILED, STATUS_NO_FIXES, STATUS_OK, BuildFailure,
    FindingMeasure, InstructionLayer, LayerDelta, MeasuredImage, MeasureResult,
)
from bot.model.dockerfile import Dockerfile, Instruction, parse
from bot.model.findings import Finding
from bot.model.source import Source

_TEXT_WIDTH = 72


def analyse_for_measure(path: str, text: str, options: Options | None = None,
                        build_context=None) -> tuple[Finding, ...]:
    """Findings with their size estimates."""
    result = analyse_text(path, text, options or Options(), build_context)
    if result.error:
        raise MeasureError(f"{path}: {result.error}")
    return result.findings


def finding_lines(f: Finding) -> tuple[int, int]:
    lo, hi = f.span.lines
    if f.fix is not None:
        for e in f.fix.edits:
            a, b = e.span.lines
            lo, hi = min(lo, a), max(hi, b)
    return lo, hi


def image_instructions(df: Dockerfile, target: str | None) -> list[Instruction]:
    return [ins for st in image_stages(df, target) for ins in st.instructions if ins.keyword != "FROM"]


def _short(ins: Instruction) -> str:
    text = ins.normalized
    return text if len(text) <= _TEXT_WIDTH else text[: _TEXT_WIDTH - 1] + "…"


def _sum(entries: Iterable[HistoryEntry], gz: bool = False) -> int:
    return sum((e.layer.gzip_size if gz else e.layer.size) for e in entries if e.layer is not None)


def measured_image(engine: Engine, outcome: BuildOutcome, df: Dockerfile, target: str | None) -> MeasuredImage:
    t0 = time.monotonic()
    image = engine.layers(outcome.image_id)
    att = attribute(image_instructions(df, target), image.history)
    layers = []
    for row in att.rows:
        e = row.entry
        layer = e.layer if e is not None else None
        layers.append(InstructionLayer(
            row.instruction.line, row.instruction.end_line, row.instruction.keyword, _short(row.instruction),
            None if e is None else (layer.size if layer else 0),
            None if e is None else (layer.gzip_size if layer else 0),
            e is not None and layer is None,
        ))
    return MeasuredImage(
        outcome.image_id, outcome.seconds, round(time.monotonic() - t0, 2), image.size, image.gzip_size,
        _sum(att.base), _sum(att.base, True), _sum(att.unattributed), tuple(layers), image.size_basis,
    )


def locate_failure(df: Dockerfile, point: FailurePoint) -> tuple[int | None, int | None, str]:
    """The failing instruction's line range, from the line BuildKit names or the text buildah echoes."""
    if point.line is not None:
        for ins in df.instructions:
            if ins.line <= point.line <= ins.end_line:
                return ins.line, ins.end_line, _short(ins)
        return point.line, point.line, point.instruction_text
    want = "".join(point.instruction_text.split())
    if want:
        for ins in reversed(df.instructions):
            raw = "".join((ins.keyword + df.text[df.index.offset(ins.keyword_span.end):
                                                  df.index.offset(ins.span.end)]).replace("\\\n", "").split())
            if raw == want or "".join(ins.normalized.split()) == want:
                return ins.line, ins.end_line, _short(ins)
    return None, None, point.instruction_text


def build_failure(df: Dockerfile, outcome: BuildOutcome) -> BuildFailure:
    point = outcome.failure or FailurePoint("", None, ())
    line, end_line, text = locate_failure(df, point)
    return BuildFailure(line, end_line, text, point.tail, outcome.seconds)


def pair_rows(before: Sequence[InstructionLayer], after: Sequence[InstructionLayer]) -> tuple[LayerDelta, ...]:
    """Line the two instruction lists up (a fix edits some, merges or drops others)."""

    def delta(a: InstructionLayer | None, b: InstructionLayer | None) -> LayerDelta:
        sa, sb = (a.size or 0) if a else 0, (b.size or 0) if b else 0
        ga, gb = (a.gzip_size or 0) if a else 0, (b.gzip_size or 0) if b else 0
        return LayerDelta(a, b, sa - sb, ga - gb)

    rows: list[LayerDelta] = []
    sm = difflib.SequenceMatcher(a=[x.text for x in before], b=[x.text for x in after], autojunk=False)
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal":
            rows += [delta(before[a0 + k], after[b0 + k]) for k in range(a1 - a0)]
            continue
        # Pair edited instructions of the same keyword in order; the rest stand alone.
        news, j = list(after[b0:b1]), 0
        for old in before[a0:a1]:
            k = next((k for k in range(j, len(news)) if news[k].keyword == old.keyword), None)
            if k is None:
                rows.append(delta(old, None))
                continue
            rows += [delta(None, n) for n in news[j:k]]
            rows.append(delta(old, news[k]))
            j = k + 1
        rows += [delta(None, n) for n in news[j:]]
    return tuple(rows)


def measure_findings(findings: Sequence[Finding], applied: set[str], rows: Sequence[LayerDelta],
                     measured: bool) -> tuple[FindingMeasure, ...]:
    def rows_of(f: Finding) -> list[int]:
        lo, hi = finding_lines(f)
        return [k for k, r in enumerate(rows)
                if r.before is not None and r.before.line <= hi and lo <= r.before.end_line]

    touched = {f.fingerprint: set(rows_of(f)) for f in findings if f.fingerprint in applied}
    out = []
    for f in findings:
        lo, hi = f.span.lines
        is_applied = f.fingerprint in applied
        mine = touched.get(f.fingerprint, set())
        shared = tuple(sorted({g.rule_id for g in findings if g is not f and g.fingerprint in applied
                               and touched.get(g.fingerprint, set()) & mine}))
        est = f.estimate
        out.append(FindingMeasure(
            f.rule_id, lo, hi, f.message, is_applied,
            est.bytes_low if est else None, est.bytes_high if est else None,
            est.basis if est else f.estimate_note,
            sum(rows[k].delta for k in mine) if measured and is_applied else None,
            sum(rows[k].gzip_delta for k in mine) if measured and is_applied else None,
            shared,
        ))
    return tuple(out)


def _write(tmp: str, name: str, text: str) -> str:
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def build_text(engine: Engine, text: str, context_dir: str, tmp: str, name: str,
               target: str | None, build_args: Sequence[tuple[str, str]], pull: str | None,
               extra_args: Sequence[str]) -> BuildOutcome:
    req = BuildRequest(_write(tmp, name, text), context_dir, target, tuple(build_args), pull, tuple(extra_args))
    return engine.build(req)


def measure_pair(
    dockerfile_text: str,
    context_dir: str,
    engine: Engine | str | None = None,
    *,
    path: str = "Dockerfile",
    target: str | None = None,
    build_args: Sequence[tuple[str, str]] = (),
    unsafe: bool = False,
    pull: str | None = None,
    extra_args: Sequence[str] = (),
    fixed_text: str | None = None,
    options: Options | None = None,
    build_context=None,
) -> MeasureResult:
    """Build ``dockerfile_text`` and the same file with its fixes applied; compare.

    ``engine``: an :class:`Engine`, a name (docker, podman, buildah) or None to
    auto-detect. ``unsafe`` also applies review fixes. ``fixed_text`` overrides the
    fixed file (calibration applies one finding's fix at a time). ``options`` and
    ``build_context`` are the engine's (the repository's configuration, the files
    next to the Dockerfile), so the fixes measured are the fixes reviewed. The result is
    plain data (``result.to_json()``); a failed build is a result, not an
    exception. Raises :class:`MeasureError` only for problems of the setup: no
    engine, no context directory, a file that cannot be analysed.
    """
    if not os.path.isdir(context_dir):
        raise MeasureError(f"{context_dir}: build context is not a directory")
    eng = engine if isinstance(engine, Engine) else make_engine(engine)
    if target is not None and parse(dockerfile_text, path).stage_named(target) is None:
        raise MeasureError(f"{path}: no stage named {target!r}")
    findings = analyse_for_measure(path, dockerfile_text, options, build_context)
    if fixed_text is None:
        outcome = fix_source(Source(path, dockerfile_text), options or Options(), unsafe=unsafe,
                             build_context=build_context)
        fixed_text = outcome.fixed
        applied = {f.fingerprint for f in outcome.applied}
    else:
        applied = set()
    df_before, df_after = parse(dockerfile_text, path), parse(fixed_text, path)
    args = (target, build_args, pull, extra_args)

    def result(status: str, before=None, after=None, bf=None, af=None, rows=(), note="") -> MeasureResult:
        fms = measure_findings(findings, applied, rows, status == STATUS_OK)
        return MeasureResult(path, eng.name, unsafe, status, before, after, bf, af, tuple(rows), fms,
                             fixed_text, note)

    with tempfile.TemporaryDirectory(prefix="dockerdiet-measure-") as tmp:
        b = build_text(eng, dockerfile_text, context_dir, tmp, "Dockerfile.before", *args)
        if not b.ok:
            return result(STATUS_BEFORE_FAILED, bf=build_failure(df_before, b),
                          note="the original Dockerfile does not build, so nothing can be compared")
        before = measured_image(eng, b, df_before, target)
        if fixed_text == dockerfile_text:
            return result(STATUS_NO_FIXES, before=before, note="no fix applies: only the original was built")
        a = build_text(eng, fixed_text, context_dir, tmp, "Dockerfile.after", *args)
        if not a.ok:
            return result(STATUS_AFTER_FAILED, before=before, af=build_failure(df_after, a),
                          note="the original builds but the fixed file does not: a fix breaks this build")
        after = measured_image(eng, a, df_after, target)
    return result(STATUS_OK, before, after, rows=pair_rows(before.layers, after.layers))
