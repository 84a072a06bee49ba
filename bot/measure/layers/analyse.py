"""Analyse an image's layers and attribute every layer to the instruction that wrote it.

Attribution uses the image history's ``created_by`` aligned with the Dockerfile
(:func:`bot.measure.attribute.attribute`: the same alignment ``measure`` uses for the
builds it makes); without a Dockerfile each layer is named by its ``created_by``.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from bot.measure.attribute import attribute
from bot.measure.images import Layer, pair_history
from bot.measure.layers.efficiency import Efficiency, efficiency
from bot.measure.layers.replay import Removed, Stack
from bot.measure.layers.source import ImageSource
from bot.measure.layers.tarscan import LayerScan
from bot.measure.layers.waste import Duplicate, WasteItem, build_roots, classify, duplicates, waste_items
from bot.model.dockerfile import Instruction


class LayerInfo(NamedTuple):
    index: int
    diff_id: str
    tar_size: int  # uncompressed tar bytes
    blob_size: int
    file_bytes: int  # content of the regular files it adds
    entries: int
    created_by: str
    instruction: Instruction | None  # None: the base image's layer, or unattributed
    top_files: tuple[tuple[int, str], ...]
    top_dirs: tuple[tuple[int, str], ...]


class Analysis(NamedTuple):
    image: str
    image_id: str
    layers: tuple[LayerInfo, ...]
    removed: tuple[Removed, ...]  # biggest first
    waste: tuple[WasteItem, ...]
    duplicates: tuple[Duplicate, ...]
    efficiency: Efficiency
    seconds: float

    @property
    def size(self) -> int:
        return sum(layer.tar_size for layer in self.layers)


def scan(src: ImageSource, hash_min: int = 1024) -> tuple[Stack, list[int]]:
    """Stream every layer once; returns the stack and each layer's tar size."""
    stack = Stack()
    sizes = []
    for k, ref in enumerate(src.layers):
        with ref.open() as f:
            layer = LayerScan(f, hash_min, f"{src.name}: layer {k + 1} ({ref.diff_id[:19]})")
            stats = stack.apply(layer)
            stats.tar_size = layer.tar_size
            sizes.append(layer.tar_size)
    return stack, sizes


def layer_instructions(src: ImageSource, sizes: list[int], instructions: list[Instruction] | None
                       ) -> tuple[list[str], list[Instruction | None]]:
    """Per layer: its history ``created_by`` and its instruction (when a Dockerfile is given)."""
    layers = [Layer(ref.diff_id, size, ref.blob_size if ref.compressed else 0)
              for ref, size in zip(src.layers, sizes)]
    history = pair_history(src.history, layers)
    with_layer = [h for h in history if h.layer is not None]
    created = [h.created_by for h in with_layer]
    owner: list[Instruction | None] = [None] * len(layers)
    if instructions:
        att = attribute(instructions, history)
        index = {id(h): k for k, h in enumerate(with_layer)}
        for row in att.rows:
            if row.entry is not None and id(row.entry) in index:
                owner[index[id(row.entry)]] = row.instruction
    return created, owner


def analyse(src: ImageSource, instructions: list[Instruction] | None = None, hash_min: int = 1024,
            toolchain: bool = False) -> Analysis:
    """``toolchain``: the image's command does not compile, so compilers and headers are waste."""
    t0 = time.monotonic()
    stack, sizes = scan(src, hash_min)
    created, owner = layer_instructions(src, sizes, instructions)
    infos = tuple(
        LayerInfo(k, ref.diff_id, sizes[k], ref.blob_size, st.file_bytes, st.entries, created[k], owner[k],
                  tuple(sorted(st.top_files, reverse=True)), tuple(st.top_dirs()))
        for k, (ref, st) in enumerate(zip(src.layers, stack.layers))
    )
    removed = tuple(sorted(stack.removed.values(), key=lambda r: -r.bytes))
    roots = build_roots(stack)
    waste = tuple(waste_items(stack, toolchain, roots))
    dups = tuple(duplicates(stack, hash_min, lambda path: classify(path, roots, toolchain) is not None))
    return Analysis(src.name, src.image_id, infos, removed, waste, dups, efficiency(stack),
                    round(time.monotonic() - t0, 2))
