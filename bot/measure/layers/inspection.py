"""One call from an image (and optionally its Dockerfile) to measured findings.

``measure`` calls :func:`inspect_built` on the image it built; so does the action's
measured mode for each head image, with :func:`line_table` for its
"bytes this line adds / of which waste" table.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from bot.engine import Options, analyse_text
from bot.measure.layers.analyse import Analysis, analyse
from bot.measure.layers.findings import Measured, measured_findings, total_bytes
from bot.measure.layers.source import ImageSource, exported
from bot.model.dockerfile import parse
from bot.model.findings import Finding
from bot import rules as catalogue


class Inspection(NamedTuple):
    analysis: Analysis
    path: str  # the Dockerfile's path, "" without one
    measured: tuple[Measured, ...]  # DT7xx findings and static findings that gained measured bytes
    findings: tuple[Finding, ...]  # what to report: static findings (updated) and the DT7xx ones
    text: str = ""  # the Dockerfile

    @property
    def waste_bytes(self) -> int:
        """Measured waste attributed to this Dockerfile's lines (what fail-on compares)."""
        return total_bytes(self.measured)


class LineRow(NamedTuple):
    line: int
    end_line: int
    text: str
    added: int  # uncompressed tar bytes of the instruction's layer
    waste: int  # of which measured waste (removed later, caches, leftovers, duplicates)


def inspect_source(src: ImageSource, dockerfile_text: str | None = None, path: str = "Dockerfile",
                   target: str | None = None, options: Options | None = None,
                   static: Sequence[Finding] | None = None) -> Inspection:
    """Analyse an opened image; with a Dockerfile, attribute and make findings."""
    from bot.rules.dt207_build_packages_in_final_image import command_builds, meant_for_building

    if dockerfile_text is None:
        return Inspection(analyse(src, toolchain=not command_builds(list(src.command))), "", (), ())
    from bot.measure.pair import image_instructions
    from bot.rules.base import Context

    options = options or Options()
    df = parse(dockerfile_text, path)
    # DT207's judgement of the final image (its command, its stage's name, its base) decides
    # whether compilers are waste; a --target stage is often a builder: never judged
    toolchain = target is None and not meant_for_building(Context(df, path))
    a = analyse(src, image_instructions(df, target), toolchain=toolchain)
    if static is None:
        # every static finding, also those estimated below min-saving: a measured number may
        # belong to one of them (it then shows the measured bytes instead of its estimate)
        res = analyse_text(path, dockerfile_text, options._replace(min_saving=0))
        static = res.findings if res.error is None else ()
    chosen = {r.id for r in catalogue.select(list(options.select), list(options.ignores_for(path)))}
    measured, updated = measured_findings(a, df, path, static, chosen)
    from bot.estimate.quiet import hidden

    # measured bytes are exact, so min-saving hides only the static estimates nothing measured
    updated = [f for f in updated if (f.estimate is not None and f.estimate.source == "measured")
               or not hidden(f, options.min_saving)]
    dt7 = [m.finding for m in measured if not m.merged]
    findings = sorted([*updated, *dt7], key=lambda f: (f.span.start.line, f.span.start.column, f.rule_id))
    return Inspection(a, path, tuple(measured), tuple(findings), dockerfile_text)


def inspect_built(engine, image_id: str, dockerfile_text: str, path: str = "Dockerfile",
                  target: str | None = None, options: Options | None = None,
                  static: Sequence[Finding] | None = None) -> Inspection:
    """Export an image the engine built from ``dockerfile_text`` and inspect it."""
    with exported(image_id, engine=engine) as src:
        return inspect_source(src, dockerfile_text, path, target, options, static)


def line_table(insp: Inspection) -> list[LineRow]:
    """Per instruction with a layer: bytes it adds and how many of them are measured waste."""
    waste: dict[tuple[int, int], int] = {}
    for m in insp.measured:
        waste[m.wrote] = waste.get(m.wrote, 0) + m.bytes
    rows = []
    for li in insp.analysis.layers:
        ins = li.instruction
        if ins is None:
            continue
        key = (ins.line, ins.end_line)
        rows.append(LineRow(ins.line, ins.end_line, ins.normalized, li.tar_size, waste.pop(key, 0)))
    return rows
