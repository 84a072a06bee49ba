"""The layer state of the final image: what each RUN of its stages leaves in its layer.

The image is kept as what its layers hold, not where: the same package in another
layer is the same bytes, so two images compare by their contents. The simulator
follows apt RUN by RUN: lists present or absent, the installed set (starting from the
base image's), removals that free bytes only in the layer that wrote them.
"""

from __future__ import annotations

from typing import Iterable

from bot.estimate import images
from bot.estimate.layers.edited import EditedRun
from bot.estimate.layers.graph import Graph
from bot.model import hints as K
from bot.model.dockerfile import Dockerfile, Instruction
from bot.model.records import Record, field
from bot.model.shell import Command
from bot.rules.base import Context
from bot.rules.dt102_apt_recommends_installed import apt_install, disables_recommends, packages, writes_no_recommends_config
from bot.rules.facts import APT, apt_lists_claim, cache_claim, removes_apt_lists, unwrap

REMOVE = frozenset(("remove", "purge"))


class Image(Record):
    """What the final image's RUNs leave: packages (each installed once, so a set),
    layers holding apt lists, refreshes over present lists, and per RUN the packages
    outside the graph."""

    __slots__ = ()
    _fields = ("debs", "lists", "refresh", "unknown", "base_key", "lists_runs")
    debs = field(0, "frozenset[str]")
    lists = field(1, "int: layers that keep a full set of apt lists")
    refresh = field(2, "int: layers that keep an `apt-get update` over lists already present")
    unknown = field(3, "dict: RUN instruction index -> names not in the graph")
    base_key = field(4, 'str: the graph\'s base-image set used ("" when none applies)')
    lists_runs = field(5, "tuple[int, ...]: RUNs whose layer keeps apt lists")

    def __new__(cls, debs, lists, refresh, unknown, base_key, lists_runs):
        return tuple.__new__(cls, (debs, lists, refresh, unknown, base_key, lists_runs))


def base_key(base_image: str, g: Graph) -> str:
    """The graph's installed set for a base image: buildpack-deps-based language images
    carry its package lists; slim and plain Debian start from the minimal set."""
    ref = images.parse_ref(base_image)
    if ref is None:
        return ""
    repo = ref.repository.split("/")[-1]
    tag = ref.tag
    d = images.distro_of(base_image)
    if d is not None and d.family not in ("debian", "ubuntu"):
        return ""
    if repo == "buildpack-deps":
        key = "buildpack-deps-12" + ("-curl" if tag.endswith("curl") else "-scm" if tag.endswith("scm") else "")
    elif images.is_full_variant(base_image):
        key = {"golang": "golang-12", "openjdk": "buildpack-deps-12-scm"}.get(repo, "buildpack-deps-12")
    elif repo == "python":
        key = "python-12-slim"
    else:
        key = "debian-12"
    return key if key in g.bases else "debian-12"


Op = tuple  # ("update",) | ("rm-lists",) | ("install", names, no_recommends) | ("remove", names)
# RUN text -> its apt operations and whether it configures apt without recommends (every
# simulation of a file, and of each fixed text, asks again for most RUNs)
_OPS: dict[tuple, tuple[tuple[Op, ...], bool]] = {}


def _ops(ctx: Context, ins: Instruction) -> tuple[tuple[Op, ...], bool]:
    """A RUN's apt operations, and whether it writes ``APT::Install-Recommends "false"``."""
    # most RUNs have no heredoc and no flag: no generator or list built for them
    key = (ins.body.text, tuple(h.body.text for h in ins.heredocs) if ins.heredocs else (),
           tuple(ins.flag_values("mount")) if ins.flags else (), ctx.df.is_posix_shell(ctx.stage(ins)))  # fmt: skip
    found = _OPS.get(key)
    if found is not None:
        return found
    if len(_OPS) > 4096:
        _OPS.clear()
    found = _OPS[key] = (tuple(op for _, op in apt_ops(ctx, ins)), _configures_no_recommends(ctx, ins))
    return found


def apt_ops(ctx: Context, ins: Instruction) -> list[tuple[Command, Op]]:
    """A RUN's apt operations in order, each with the command (unwrapped) that does it."""
    out: list[tuple[Command, Op]] = []
    mounted = ctx.mounts_cover(ins, "/var/lib/apt/lists")
    for script in ctx.scripts(ins):
        for raw in script.commands:
            cmd = unwrap(raw)
            if cmd.program in APT and cmd.subcommand() == "update":
                if not mounted:
                    out.append((cmd, ("update",)))
            elif removes_apt_lists(cmd):
                out.append((cmd, ("rm-lists",)))
            elif apt_install(cmd) is not None:
                names = tuple(n for n in packages(cmd) if not n.startswith((".", "/")))
                out.append((cmd, ("install", names, disables_recommends(cmd))))
            elif cmd.program in APT and cmd.subcommand() in REMOVE:
                out.append((cmd, ("remove", tuple(w.text.split("=")[0] for w in cmd.positionals()[1:]))))
    return out


def _configures_no_recommends(ctx: Context, ins: Instruction) -> bool:
    text = ins.body.text + "".join(h.body.text for h in ins.heredocs)
    if ins.keyword in ("COPY", "ADD") and "apt.conf" not in text:
        return False
    if ins.keyword == "RUN" and "recommends" not in text.lower():
        return False
    return writes_no_recommends_config(ctx, ins)


def edited_ops(edited: EditedRun) -> tuple[tuple[Op, ...], bool]:
    """:func:`_ops` of a rewritten RUN: those it came with, or read from its new text."""
    return edited.ops if edited.ops is not None else _ops(edited.ctx, edited.ins)


def simulate(df: Dockerfile, g: Graph, drop: Iterable[str] = (), ctx: Context | None = None,
             edited: "EditedRun | None" = None, base_image: "str | None" = None, dropped: "int | None" = None) -> Image:
    """The final image's layers; ``drop`` names claims whose advice is followed (their
    apt lists removed in the RUN that wrote them, their recommends not installed).
    ``ctx``: the rules' Context of ``df``, whose parsed RUN scripts are reused.
    ``edited``: a RUN of ``df`` rewritten by a fix (bot/estimate/layers/edited.py), run
    instead of the one ``df`` holds: the image of the fixed file. ``base_image``: the
    external image the final stage builds on, when a fix names another (rebased.py).
    ``dropped``: the index of a RUN a fix deletes (merged.py), run as nothing."""
    drop = frozenset(drop)
    stage = df.final_stage
    if stage is None:
        return Image(frozenset(), 0, 0, {}, "", ())
    ctx = ctx if ctx is not None and ctx.df is df else Context(df, df.path)
    lineage = list(reversed(ctx.lineage(stage)))
    key = base_key(ctx.base_image(stage) if base_image is None else base_image, g)
    installed = frozenset(g.bases.get(key, ()))
    debs: set[str] = set()
    lists = refresh = 0
    unknown: dict[int, tuple[str, ...]] = {}
    lists_live = False  # the lists exist in the file system (some layer holds them)
    no_rec_config = False
    lists_runs: list[int] = []
    for s in lineage:
        for ins in s.instructions:
            ins = ins.effective()
            if ins.index == dropped:
                continue
            if ins.keyword != "RUN":
                if ins.keyword in ("COPY", "ADD") and not no_rec_config:
                    no_rec_config = _configures_no_recommends(ctx, ins)
                continue
            ops, configures = _ops(ctx, ins) if edited is None or ins.index != edited.index else edited_ops(edited)
            no_rec_config = no_rec_config or configures  # a config it writes holds for its own installs
            wrote = refreshed = False  # this layer holds the lists / a refresh of them
            mine: set[str] = set()  # packages this layer unpacked
            for op in ops:
                if op[0] == "update":
                    if not lists_live:
                        wrote = True
                    elif not wrote:
                        refreshed = True
                    lists_live = True
                elif op[0] == "rm-lists":
                    lists_live = wrote = refreshed = False
                elif op[0] == "install":
                    rec = not (op[2] or no_rec_config or (drop and cache_claim(K.APT_RECOMMENDS, ins) in drop))
                    known, missing = g.split_known(op[1])
                    new, installed = g.install_onto(known, installed, rec)
                    mine |= new
                    if missing:
                        unknown[ins.index] = unknown.get(ins.index, ()) + missing
                else:  # remove/purge: frees only what this layer unpacked
                    gone = set(op[1])
                    mine -= gone
                    installed = installed - gone
            if drop and apt_lists_claim(ins) in drop:  # (no claim to name when nothing is dropped)
                wrote = refreshed = False
            debs |= mine
            lists += wrote
            refresh += refreshed
            if wrote:
                lists_runs.append(ins.index)
    return Image(frozenset(debs), lists, refresh, unknown, key, tuple(lists_runs))
