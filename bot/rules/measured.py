"""The measured family (DT7xx): rules whose findings come from a built image's layers.

They have no static check: ``dockerdiet measure`` and ``dockerdiet inspect`` read the
layer tars (:mod:`bot.measure.layers`) and report them with the bytes measured. They
are in the catalogue so that docs, ``rules``, ``explain``, ``--select``/``--ignore``
and SARIF know them. Static examples cannot show them; their tests build real images
(tests/measure/layers) and replay synthetic layer tars.
"""

from __future__ import annotations

from typing import ClassVar, Iterator

from bot.model.findings import Finding
from bot.rules.base import Context, Rule


class MeasuredRule(Rule):
    measured: ClassVar[bool] = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        return iter(())  # measured from the image, never from the text
