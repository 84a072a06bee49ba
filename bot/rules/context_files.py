"""What a broad COPY sends from the build context into the image (DT502, DT503).

Facts from the build context the engine lists (relative paths with sizes); the
.dockerignore semantics are dockerignore.py's. Sizes here are the context's own
file sizes, not estimates.
"""

# No `from __future__ import annotations` here: typing.NamedTuple compiles every string annotation (start-up time).

from typing import Iterator, NamedTuple

from bot.model.dockerfile import Instruction
from bot.rules.base import Context
from bot.rules.dockerignore import files_under, ignore_file, included_files, parse
from bot.rules.facts import CopyArgs, copy_args


class CopiedFiles(NamedTuple):
    ins: Instruction
    args: CopyArgs
    files: dict[str, int]  # context files this COPY sends into the image, after .dockerignore
    ignore_path: str
    ignore_text: str | None


def final_copies(ctx: Context, broad_only: bool) -> Iterator[CopiedFiles]:
    """Each COPY/ADD from the build context in a stage that reaches the final image,
    with the files it copies (nothing when the context is unknown)."""
    bc = ctx.build_context
    copies = []
    for ins in ctx.instructions("COPY", "ADD", final_only=True):
        args = copy_args(ctx.df, ins)
        if args is None or args.heredoc or ins.flag("from") or not args.source_offsets:
            continue
        if any("$" in s or "://" in s for s in args.sources):
            continue
        if broad_only and not any(s in (".", "./", "./.", "*", "./*") for s in args.sources):
            continue
        copies.append((ins, args))
    # the context is listed only for a file with such a COPY (a walk of a large folder)
    if not copies or bc is None or not bc.files:
        return
    ignore_path, text = ignore_file(bc, ctx.path)
    included = included_files(parse(text or ""), bc.files)
    for ins, args in copies:
        yield CopiedFiles(ins, args, files_under(included, args.sources), ignore_path, text)


def size_text(n: int) -> str:
    """1234567 -> "1.2 MB" (decimal units, as the rest of the reports)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def proposal(existing: str | None, lines: list[str]) -> str:
    head = (existing or "").rstrip("\n")
    return (head + "\n" if head else "") + "\n".join(lines) + "\n"
