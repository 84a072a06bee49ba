"""Calibration: each finding's estimate next to the saving its fix alone really makes.

For every Dockerfile under a directory: build the original once, then for every
finding with a fix (safe or review) build the file with ONLY that fix applied, so
the measured delta belongs to that one fix. Layer caching makes the unchanged
prefix of each variant free.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, fields
from typing import Callable, Sequence, TextIO

from bot.engine import Options, apply_fixes, is_dockerfile_name
from bot.measure.engines import Engine
from bot.measure.pair import analyse_for_measure, build_failure, build_text, measured_image
from bot.model.dockerfile import parse
from bot.model.findings import Finding, Safety

import tempfile


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    file: str
    rule: str
    line: int
    estimated_low: int | None
    estimated_high: int | None
    measured_delta: int | None  # uncompressed bytes saved by this fix alone
    measured_gzip_delta: int | None
    fix_safety: str
    status: str  # ok | original-failed | fix-failed | no-fix
    build_seconds: float | None  # the fixed variant's build (cache on)
    detail: str = ""
    image_size: int | None = None  # the original image (uncompressed), for checking totals against it


def dockerfiles_under(root: str) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        found += [os.path.join(dirpath, n) for n in sorted(filenames) if is_dockerfile_name(n)]
    return found


def calibrate_file(path: str, engine: Engine, *, build_args: Sequence[tuple[str, str]] = (),
                   pull: str | None = None, extra_args: Sequence[str] = (),
                   rel: str | None = None,
                   keep: Callable[[Finding], bool] | None = None) -> list[CalibrationRow]:
    """``keep``: which fixable findings to build (default all)."""
    name = rel or path
    with open(path, encoding="utf-8-sig") as f:
        text = f.read()
    context = os.path.dirname(os.path.abspath(path))
    findings = analyse_for_measure(name, text, Options(min_saving=0))  # calibrate the quiet ones too
    args = (None, build_args, pull, extra_args)
    rows: list[CalibrationRow] = []

    image_size: int | None = None

    def row(fd, status, measured=None, gz=None, seconds=None, detail="") -> CalibrationRow:
        est = fd.estimate
        return CalibrationRow(name, fd.rule_id, fd.span.lines[0],
                              est.bytes_low if est else None, est.bytes_high if est else None,
                              measured, gz, fd.fix.safety.value if fd.fix else "", status, seconds, detail,
                              image_size)

    with tempfile.TemporaryDirectory(prefix="dockerdiet-calibrate-") as tmp:
        fixable = [fd for fd in findings if fd.fix is not None and fd.fix.safety is not Safety.DISPLAY_ONLY
                   and (keep is None or keep(fd))]
        rows += [row(fd, "no-fix") for fd in findings if fd.fix is None or fd.fix.safety is Safety.DISPLAY_ONLY]
        if not fixable:
            return rows
        b = build_text(engine, text, context, tmp, "Dockerfile.orig", *args)
        if not b.ok:
            fail = build_failure(parse(text, name), b)
            return rows + [row(fd, "original-failed", detail=f"line {fail.line}: {fail.instruction}")
                           for fd in fixable]
        before = measured_image(engine, b, parse(text, name), None)
        image_size = before.size
        for k, fd in enumerate(fixable):
            fixed, applied = apply_fixes(text, [fd], unsafe=True)
            if not applied or fixed == text:
                rows.append(row(fd, "no-fix", detail="the fix changed nothing"))
                continue
            a = build_text(engine, fixed, context, tmp, f"Dockerfile.fix{k}", *args)
            if not a.ok:
                fail = build_failure(parse(fixed, name), a)
                rows.append(row(fd, "fix-failed", seconds=a.seconds,
                                detail=f"line {fail.line}: {fail.instruction}"))
                continue
            after = measured_image(engine, a, parse(fixed, name), None)
            rows.append(row(fd, "ok", before.size - after.size, before.gzip_size - after.gzip_size, a.seconds))
    return rows


def calibrate_dir(root: str, engine: Engine, *, build_args: Sequence[tuple[str, str]] = (),
                  pull: str | None = None, extra_args: Sequence[str] = (),
                  progress: TextIO | None = None) -> list[CalibrationRow]:
    rows: list[CalibrationRow] = []
    for path in dockerfiles_under(root):
        rel = os.path.relpath(path, root)
        if progress:
            progress.write(f"calibrating {rel} ...\n")
            progress.flush()
        rows += calibrate_file(path, engine, build_args=build_args, pull=pull, extra_args=extra_args, rel=rel)
    return rows


def write_csv(rows: Sequence[CalibrationRow], out: TextIO, header: bool = True) -> None:
    names = [f.name for f in fields(CalibrationRow)]
    w = csv.writer(out, lineterminator="\n")
    if header:
        w.writerow(names)
    for r in rows:
        w.writerow(["" if getattr(r, n) is None else getattr(r, n) for n in names])
