"""The build-stage graph: which stage each instruction belongs to, and which stages
reach the final image."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model.text import Span
from bot.model.words import expand, key_values, split_words

if TYPE_CHECKING:
    from bot.model.dockerfile import Dockerfile, Instruction


class Stage:
    """A build stage; filled in while the file is parsed (plain classes here: importing
    dataclasses costs start-up time)."""

    __slots__ = ("index", "from_instruction", "base", "image", "name", "parent", "instructions")

    def __init__(self, index: int, from_instruction: "Instruction", base: str, image: str, name: str = "") -> None:
        self.index = index
        self.from_instruction = from_instruction
        self.base = base  # the image reference as written
        self.image = image  # with ARG defaults substituted ("" when it uses an unknown variable)
        self.name = name  # lower case alias, "" when unnamed
        self.parent: int | None = None  # the earlier stage this one is FROM
        self.instructions: list["Instruction"] = []

    def __repr__(self) -> str:
        return f"Stage({self.index}, {self.label!r}, image={self.image!r})"

    @property
    def label(self) -> str:
        return self.name or str(self.index)



def assign_stages(df: "Dockerfile") -> list[tuple[Span, str]]:
    """Put every instruction in its stage (ARGs before the first FROM are global);
    return BuildKit's complaints about instructions before any FROM."""
    errors: list[tuple[Span, str]] = []
    env = dict(df.global_args)
    placed = []
    for ins in df.instructions:
        if ins.keyword == "FROM":
            words = split_words(ins.body.text, df.escape)
            base = words[0].text if words else ""
            name = ""
            if len(words) >= 3 and words[1].text.lower() == "as":
                name = words[2].text.lower()
            image, known = expand(base, env)
            stage = Stage(len(df.stages), ins, base, image if known else "", name)
            parent = df.stage_named(image) if known and image and not image.isdigit() else None
            if parent is not None and parent.index < stage.index:
                stage.parent = parent.index
            df.stages.append(stage)
        elif not df.stages:
            if ins.keyword == "ARG":
                for k, v in key_values(split_words(ins.body.text, df.escape)):
                    df.global_args[k] = v
                    env[k] = v
            else:
                errors.append((ins.keyword_span,
                               f"{ins.keyword} before the first FROM: no build stage in current context"))
            placed.append(ins)
            continue
        idx = len(df.stages) - 1
        inner = ins.inner._replace(stage=idx) if ins.inner is not None else None
        ins = ins._replace(stage=idx, inner=inner)
        if ins.keyword == "FROM":
            df.stages[idx].from_instruction = ins
        df.stages[idx].instructions.append(ins)
        placed.append(ins)
    df.instructions[:] = placed
    return errors




def reaching_stages(df: "Dockerfile") -> frozenset[int]:
    """Stages whose layers end up in the final image.

    The final stage and the stages it is built FROM; plus any stage copied whole
    (``COPY --from=x / /``) into one of those. Copying single files out of a builder
    stage does not carry its caches along, so such stages do not count.
    """
    if not df.stages:
        return frozenset()
    reached: set[int] = set()
    todo = [len(df.stages) - 1]
    while todo:
        idx = todo.pop()
        if idx in reached:
            continue
        reached.add(idx)
        stage = df.stages[idx]
        if stage.parent is not None:
            todo.append(stage.parent)
        for ins in stage.instructions:
            ins = ins.effective()
            if ins.keyword != "COPY":
                continue
            src = ins.flag("from")
            if src is None or src.value is None:
                continue
            words = split_words(ins.body.text, df.escape)
            if any(w.text in ("/", "/.", "/*") for w in words[:-1]):
                ref = df.stage_named(src.value)
                if ref is not None and ref.index < idx:
                    todo.append(ref.index)
    return frozenset(reached)


