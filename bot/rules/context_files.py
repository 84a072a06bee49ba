"""What a broad COPY sends from the build context into the image (DT502, DT503).

Facts from the build context the engine lists (relative paths with sizes); the
.dockerignore semantics are dockerignore.py's. Sizes here are the context's own
file sizes, not estimates.
"""

from typing import Callable, Iterator

from bot.model.dockerfile import Instruction
from bot.model.records import Record, field
from bot.rules.base import Context
from bot.rules.dockerignore import files_under, ignore_file, included_files, parse
from bot.rules.facts import CopyArgs, copy_args


class CopiedFiles(Record):
    __slots__ = ()
    _fields = ("ins", "args", "files", "ignore_path", "ignore_text")
    ins = field(0, "Instruction")
    args = field(1, "CopyArgs")
    files = field(2, "dict[str, int]: context files this COPY sends into the image, after .dockerignore")
    ignore_path = field(3, "str")
    ignore_text = field(4, "str | None")

    def __new__(cls, ins, args, files, ignore_path, ignore_text):
        return tuple.__new__(cls, (ins, args, files, ignore_path, ignore_text))


def final_copies(ctx: Context, broad_only: bool,
                 any_tagged: Callable[[str], object] | None = None) -> Iterator[CopiedFiles]:
    """Each COPY/ADD from the build context in a stage that reaches the final image,
    with the files it copies (nothing when the context is unknown). With ``any_tagged``
    (``tagged``'s tags), nothing either when no file of the context, after .dockerignore,
    gets a tag: then no COPY sends one (answered once per context and ignore text)."""
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
    # the same ignore text and sources select the same files in every Dockerfile of the context
    included = bc.derived(("included", text), lambda: included_files(parse(text or ""), bc.files))
    if any_tagged is not None and not bc.derived(("any tagged", any_tagged, text),
                                                 lambda: any(map(any_tagged, included))):
        return
    for ins, args in copies:
        files = bc.derived(("copied", text, args.sources), lambda: files_under(included, args.sources, bc.is_folder))
        yield CopiedFiles(ins, args, files, ignore_path, text)


def tagged(ctx: Context, copied: CopiedFiles, tags: Callable[[str], tuple | frozenset]) -> list[tuple[str, int, tuple | frozenset]]:
    """(path, size, tags) of the copied files ``tags`` gives any tag, in listing order;
    classified once per context, ignore text and sources (see ``BuildContext.derived``)."""
    assert ctx.build_context is not None  # final_copies yields nothing without one
    return ctx.build_context.derived(
        ("tagged", tags, copied.ignore_text, copied.args.sources),
        lambda: [(p, n, found) for p, n in copied.files.items() if (found := tags(p))],
    )


def size_text(n: int) -> str:
    """1234567 -> "1.2 MB" (decimal units, as the rest of the reports)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def proposal(existing: str | None, lines: list[str]) -> str:
    head = (existing or "").rstrip("\n")
    return (head + "\n" if head else "") + "\n".join(lines) + "\n"
