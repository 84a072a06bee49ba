"""``dockerdiet measure``: build before and after the fixes and show real layer sizes.

Exit codes: 0 measured; 1 the original does not build; 3 the original builds but
the fixed file does not (a broken fix); 4 the measured waste of the original reaches
``fail-on = "measured-waste>SIZE"``; 2 usage errors and an engine or CLI that cannot
build at all (named, with the fix). The images and build cache of the run are removed at
its end.

The original image's layers are also read (:mod:`bot.measure.layers`): the measured
waste (DT701-DT705, or static findings with measured bytes) joins every format.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence, TextIO

from bot.measure import ENGINES, PULL_POLICIES

EXIT_OK, EXIT_BUILD_FAILED, EXIT_USAGE, EXIT_FIX_BREAKS_BUILD, EXIT_MEASURED_WASTE = 0, 1, 2, 3, 4


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dockerfile", nargs="?", help="the Dockerfile to measure")
    p.add_argument("--engine", choices=ENGINES, help="container engine (default: first found of docker, podman, buildah)")
    p.add_argument("--context", help="build context directory (default: the Dockerfile's directory)")
    p.add_argument("--target", help="build this stage instead of the last one")
    p.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="build argument (repeatable)")
    p.add_argument("--unsafe", action="store_true", help="also apply review fixes")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                   help="sarif: the original's findings, with the measured waste")
    p.add_argument("--no-layers", action="store_true", help="skip reading the layers for measured waste")
    p.add_argument("--fail-on", metavar="measured-waste>SIZE", help="exit 4 when the measured waste reaches SIZE")
    p.add_argument("--pull", choices=PULL_POLICIES, help="base image pull policy (podman/buildah; docker: always only)")
    p.add_argument("--engine-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for the build command, e.g. --engine-arg=--network=host (repeatable)")
    p.add_argument("--calibrate", metavar="DIR", help="measure each finding's fix alone for every Dockerfile under DIR")
    p.add_argument("--out", metavar="CSV", help="with --calibrate: where to write the CSV (default: stdout)")


def _build_args(values: Sequence[str]) -> list[tuple[str, str]]:
    from bot.measure.engines import MeasureError

    out = []
    for v in values:
        k, sep, val = v.partition("=")
        if not k or not sep:
            raise MeasureError(f"--build-arg {v!r}: expected KEY=VALUE")
        out.append((k, val))
    return out


def _engine(name: str | None, err: TextIO):
    from bot.measure.engines import make_engine

    engine = make_engine(name)
    if engine.note:
        err.write(f"dockerdiet measure: {engine.note}\n")
    return engine


def run(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    from bot.measure.engines import MeasureError
    from bot.measure.pair import measure_pair
    from bot.measure.render import render_text
    from bot.measure.result import STATUS_AFTER_FAILED, STATUS_BEFORE_FAILED

    engine = None
    try:
        build_args = _build_args(args.build_arg)
        if args.calibrate:
            from bot.measure.calibrate import calibrate_dir, write_csv

            engine = _engine(args.engine, err)
            rows = calibrate_dir(args.calibrate, engine, build_args=build_args, pull=args.pull,
                                 extra_args=args.engine_arg, progress=err)
            if args.out:
                with open(args.out, "w", encoding="utf-8", newline="") as f:
                    write_csv(rows, f)
                err.write(f"wrote {len(rows)} rows to {args.out}\n")
            else:
                write_csv(rows, out)
            return EXIT_OK
        if not args.dockerfile:
            raise MeasureError("give a Dockerfile to measure (or --calibrate DIR)")
        try:
            with open(args.dockerfile, encoding="utf-8-sig") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise MeasureError(f"{args.dockerfile}: cannot read: {e}") from e
        context = args.context or os.path.dirname(os.path.abspath(args.dockerfile))
        engine = _engine(args.engine, err)
        result = measure_pair(text, context, engine, path=args.dockerfile, target=args.target,
                              build_args=build_args, unsafe=args.unsafe, pull=args.pull,
                              extra_args=args.engine_arg)
        insp, failing = _inspect(args, engine, result, text)
    except MeasureError as e:
        err.write(f"dockerdiet measure: error: {e}\n")
        return EXIT_USAGE
    finally:  # after the layers were read: the run's images and build cache go
        if engine is not None:
            done = engine.cleanup()
            if done:
                err.write(f"dockerdiet measure: {done}\n")
    if args.format == "sarif" and insp is not None:
        from bot.measure.layers.report import render_sarif

        out.write(render_sarif(insp))
    elif args.format in ("json", "sarif"):  # sarif without layers: nothing measured to report
        doc = result.to_json()
        if insp is not None:
            from bot.measure.layers.report import to_json

            doc["measured_waste"] = to_json(insp)
        json.dump(doc, out, indent=2)
        out.write("\n")
    else:
        out.write(render_text(result))
        if insp is not None:
            from bot.measure.layers.report import render_text as layers_text

            out.write("\nmeasured waste of the original image\n" + layers_text(insp, layers=False))
    if result.status == STATUS_BEFORE_FAILED:
        return EXIT_BUILD_FAILED
    if result.status == STATUS_AFTER_FAILED:
        return EXIT_FIX_BREAKS_BUILD
    return EXIT_MEASURED_WASTE if failing else EXIT_OK


def _inspect(args: argparse.Namespace, engine, result, text: str):
    """The original image's measured waste, and whether it reaches the fail-on limit."""
    if args.no_layers or result.before is None:
        return None, False
    from bot import config as configuration
    from bot.measure.engines import MeasureError
    from bot.measure.images import ImageFormatError
    from bot.measure.layers.cli import over_limit
    from bot.measure.layers.inspection import inspect_built
    from bot.measure.layers.tarscan import LayerFormatError

    try:
        cfg = configuration.load(os.path.dirname(os.path.abspath(args.dockerfile)))
        insp = inspect_built(engine, result.before.image_id, text, args.dockerfile, args.target, cfg.options())
        return insp, over_limit(cfg, args.fail_on, insp.waste_bytes)
    except (configuration.ConfigError, ImageFormatError, LayerFormatError) as e:
        raise MeasureError(str(e)) from e


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dockerdiet measure", description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args(argv), sys.stdout, sys.stderr)
