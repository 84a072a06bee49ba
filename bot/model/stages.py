"""The build-stage graph: which stage each instruction belongs to, and which stages
reach the final image."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from bot.model.text import Span
from bot.model.words import expand, key_values, process_word, split_words

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
    instructions = df.instructions
    errors: list[tuple[Span, str]] = []
    env = dict(df.global_args)
    stage = None
    for n, ins in enumerate(instructions):
        if ins.keyword == "FROM":
            stage = _stage_from(df, ins, env)
            df.stages.append(stage)
            idx, members = stage.index, stage.instructions
        elif stage is None:
            _before_first_from(df, ins, env, errors)
            continue
        if ins.stage != idx or (ins.inner is not None and ins.inner.stage != idx):  # the parser numbers most
            inner = ins.inner._replace(stage=idx) if ins.inner is not None else None
            ins = instructions[n] = ins._replace(stage=idx, inner=inner)
            if ins.keyword == "FROM":
                stage.from_instruction = ins
        members.append(ins)
    return errors


def _before_first_from(df: "Dockerfile", ins: "Instruction", env: dict[str, str],
                       errors: list[tuple[Span, str]]) -> None:
    """Record the global ARG ``ins`` (before the first FROM) in ``df`` and ``env``; BuildKit's
    complaint about any other instruction there goes to ``errors``."""
    if ins.keyword == "ARG":
        for k, v in key_values(split_words(ins.body.text, df.escape)):
            df.global_args[k] = v
            env[k] = v
    else:
        errors.append((ins.keyword_span, f"{ins.keyword} before the first FROM: no build stage in current context"))


def _stage_from(df: "Dockerfile", ins: "Instruction", env: dict[str, str]) -> Stage:
    """The stage the FROM ``ins`` starts (``env``: the global ARGs), with the earlier
    stage it is built on."""
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
    return stage


_ONLY_STAGE = frozenset((0,))


def reaching_stages(df: "Dockerfile") -> frozenset[int]:
    """Stages whose layers end up in the final image.

    The final stage and the stages it is built FROM; plus any stage copied whole
    (``COPY --from=x / /``) into one of those. Copying single files out of a builder
    stage does not carry its caches along, so such stages do not count.
    """
    if not df.stages:
        return frozenset()
    if len(df.stages) == 1:  # most files: no earlier stage to be built FROM or copied from
        return _ONLY_STAGE
    return _reached(df)


def _reached(df: "Dockerfile") -> frozenset[int]:
    """:func:`reaching_stages`, from the final stage back along FROMs and whole copies."""
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
            if ins.inner is not None:  # ONBUILD's own instruction (effective(), without a call per instruction)
                ins = ins.inner
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


# ------------------------------------------------------------------ state at a point
# ``before``: the instructions that ran before a point of an image, nearest first, as
# ``Context.before`` yields them (the stage's earlier ones, then those of the stages it
# is built FROM, their FROM lines included).


def variables_at(df: "Dockerfile", before: Iterable["Instruction"]) -> dict[str, str]:
    """ENV and ARG values in force after ``before`` (ARG values are their defaults, a
    bare ``ARG X`` takes the global default)."""
    values: dict[str, str] = {}
    for other in reversed(tuple(before)):
        apply_variables(df, values, other)
    return values


def apply_variables(df: "Dockerfile", values: dict[str, str], ins: "Instruction") -> None:
    """Update ``values`` with what ``ins`` sets (an ENV, or an ARG's default), as it runs after them."""
    if ins.keyword in ("ENV", "ARG"):
        for k, v in key_values(split_words(ins.body.text, df.escape)):
            if ins.keyword == "ARG" and k in values and not v:
                continue
            if ins.keyword == "ARG" and not v and k in df.global_args:
                v = df.global_args[k]
            values[k] = expand(v, values)[0]


def workdir_at(df: "Dockerfile", before: Iterable["Instruction"], image_default: str | None = "/") -> str | None:
    """The working directory in force after ``before``, normalised; None when unknown.

    As BuildKit reads WORKDIR: its argument is the rest of the line, quotes removed and
    ENV/ARG variables expanded (``WORKDIR "/my app"`` is ``/my app``); a relative one
    continues the WORKDIR before it. When no absolute WORKDIR comes first, the base
    image's own working directory decides: ``/`` for ``FROM scratch``, else
    ``image_default`` -- ``/`` (Docker's default, what most images keep) for callers that
    accept that, None for callers whose precision needs to know."""
    seq: Sequence["Instruction"] = before if isinstance(before, (tuple, list)) else tuple(before)
    parts: list[str] = []
    base = image_default
    for i, ins in enumerate(seq):
        if ins.keyword == "FROM":  # the last one is the root's: its image decides the default
            words = split_words(ins.body.text, df.escape)
            base = "/" if words and words[0].text.lower() == "scratch" else image_default
            continue
        if ins.keyword != "WORKDIR":
            continue
        text = ins.body.text.strip()
        if "$" in text:
            text, known = process_word(text, variables_at(df, seq[i + 1 :]), df.escape)
            if not known:
                return None
        else:
            text = process_word(text, {}, df.escape)[0]
        if not text:
            return None  # BuildKit rejects an empty WORKDIR
        parts.append(text)
        if text.startswith("/"):
            base = "/"
            break
    if base is None:
        return None
    path = base
    for p in reversed(parts):
        path = join_path(path, p)
    return path


def join_path(base: str, path: str) -> str:
    """``path`` resolved against directory ``base``, normalised (no trailing slash;
    ``//x`` is ``/x`` as on Linux)."""
    full = path if path.startswith("/") else base.rstrip("/") + "/" + path
    out: list[str] = []
    for part in full.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return "/" + "/".join(out)
