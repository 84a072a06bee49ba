"""dive's efficiency score and wasted bytes, so teams gating on dive can switch.

dive (filetree/efficiency.go, image analysis) walks the leaves of every layer's tree
and keeps, per path, the sum of its sizes over all layers and the smallest of them;
a whiteout counts the size of the directory it hides (0 for a file). Then

    efficiency   = sum of the per-path minimums / sum of the per-path sums
    wasted bytes = sum of the per-path sums over paths present in two layers or more
    user wasted  = wasted bytes / bytes of every layer but the first

Layer sizes are the file contents a layer adds, as dive counts them. The per-path
figures are collected by :class:`bot.measure.layers.replay.Stack` while it stacks.
"""

from __future__ import annotations

from typing import NamedTuple

from bot.measure.layers.replay import Stack


class Efficiency(NamedTuple):
    score: float  # 1.0: no byte shipped twice or deleted
    wasted_bytes: int
    user_size: int  # file bytes of all layers but the first
    wasted_user_percent: float

    def to_json(self) -> dict:
        return {"efficiency": round(self.score, 6), "wasted_bytes": self.wasted_bytes,
                "user_size": self.user_size, "wasted_user_percent": round(self.wasted_user_percent, 6)}


def efficiency(stack: Stack) -> Efficiency:
    total = sum(stack.path_total.values())
    minimum = sum(stack.path_min.values())
    wasted = sum(t for p, t in stack.path_total.items() if stack.path_seen[p] >= 2)
    user = sum(layer.file_bytes for layer in stack.layers[1:])
    return Efficiency(minimum / total if total else 1.0, wasted, user, wasted / user if user else 0.0)
