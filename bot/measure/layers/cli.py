"""dockerdiet inspect IMAGE [--dockerfile PATH]: measured waste of a built image.

IMAGE is an OCI layout directory, a ``docker save`` archive, or an image name the
engine has (exported first). With ``--dockerfile`` every measured byte is tied to the
line that wrote it and reported as findings (DT701-DT705, or the static finding of the
same waste with the measured bytes).

Exit codes: 0 analysed; 1 the measured waste reaches ``fail-on = "measured-waste>N"``
(config or ``--fail-on``); 2 usage errors, unreadable images.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence, TextIO

from bot.measure import ENGINES

EXIT_OK, EXIT_WASTE, EXIT_USAGE = 0, 1, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", help="OCI layout directory, docker save archive, or image name")
    p.add_argument("--dockerfile", metavar="PATH", help="the Dockerfile the image was built from")
    p.add_argument("--target", help="the stage the image was built from (default: the last)")
    p.add_argument("--engine", choices=ENGINES, help="engine that has IMAGE (default: first found)")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--fail-on", metavar="measured-waste>SIZE", help="exit 1 when the measured waste reaches SIZE")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: found from the Dockerfile)")


def render(fmt: str, insp) -> str:
    from bot.measure.layers import report

    if fmt == "json":
        return report.render_json(insp)
    if fmt == "sarif":
        return report.render_sarif(insp)
    return report.render_text(insp)


def over_limit(cfg, fail_on: str | None, waste: int) -> bool:
    """The measured-waste limit from --fail-on or the configuration, if any, is reached."""
    from bot import config as configuration

    limit = configuration.parse_fail_on(fail_on, "--fail-on") if fail_on else cfg.fail_on
    return limit.measured is not None and waste >= limit.measured


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from bot import config as configuration
    from bot.measure.engines import MeasureError
    from bot.measure.images import ImageFormatError
    from bot.measure.layers.inspection import inspect_source
    from bot.measure.layers.source import open_image
    from bot.measure.layers.tarscan import LayerFormatError

    try:
        text = None
        if args.dockerfile:
            try:
                with open(args.dockerfile, encoding="utf-8-sig") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError) as e:
                raise MeasureError(f"{args.dockerfile}: cannot read: {e}") from e
        cfg = configuration.load(os.path.dirname(os.path.abspath(args.dockerfile or ".")), args.config)
        with open_image(args.image, args.engine) as src:
            insp = inspect_source(src, text, args.dockerfile or "Dockerfile", args.target, cfg.options())
        failing = over_limit(cfg, args.fail_on, insp.waste_bytes)
    except (MeasureError, ImageFormatError, LayerFormatError, configuration.ConfigError) as e:
        err.write(f"dockerdiet inspect: error: {e}\n")
        return EXIT_USAGE
    out.write(render(args.format, insp))
    return EXIT_WASTE if failing else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dockerdiet inspect", description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args(argv))
