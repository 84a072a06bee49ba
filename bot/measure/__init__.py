"""Measured mode: build a Dockerfile before and after its fixes and report real sizes.

Entry points: :func:`bot.measure.pair.measure_pair` (for the action and scripts),
``dockerdiet measure`` (:mod:`bot.measure.cli`) and calibration
(:mod:`bot.measure.calibrate`). Measuring EXECUTES the Dockerfile's RUN steps on
the machine that measures. This package file stays import-light: the CLI parser
imports it on every command.
"""

ENGINES = ("docker", "podman", "buildah")
PULL_POLICIES = ("always", "missing", "never")
