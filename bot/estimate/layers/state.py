"""The layer state of the final image: what each RUN of its stages leaves in its layer.

One :class:`Item` is bytes a layer holds (the apt lists an update wrote, a package an
install unpacked). Items are keyed by what they are, not by where, so two images
compare by key: the same package in another layer is the same bytes. The simulator
follows apt RUN by RUN: lists present or absent, the installed set (starting from the
base image's), removals that free bytes only in the layer that wrote them.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, NamedTuple

from bot.estimate import images
from bot.estimate.layers.graph import Graph
from bot.model.dockerfile import Dockerfile
from bot.rules.base import Context
from bot.rules.dt102_apt_recommends_installed import apt_install, disables_recommends, packages, writes_no_recommends_config
from bot.rules.facts import APT, apt_lists_claim, cache_claim, removes_apt_lists, unwrap
from bot.model import hints as K

LISTS = "apt-lists"
REFRESH = "apt-lists-refresh"  # `apt-get update` over lists an earlier layer holds
DEB = "deb:"
UNKNOWN = "deb?:"
REMOVE = frozenset(("remove", "purge"))


class Item(NamedTuple):
    key: str
    layer: int  # instruction index of the RUN that wrote it


class Image(NamedTuple):
    items: tuple[Item, ...]
    base_key: str  # the graph's base-image set used ("" when none applies)
    lists_runs: tuple[int, ...]  # RUNs whose layer keeps apt lists

    def counts(self) -> Counter[str]:
        return Counter(i.key for i in self.items)

    def layer_keys(self, layer: int) -> list[str]:
        return [i.key for i in self.items if i.layer == layer]


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


def simulate(df: Dockerfile, g: Graph, drop: Iterable[str] = ()) -> Image:
    """The final image's layers; ``drop`` names claims whose advice is followed (their
    apt lists removed in the RUN that wrote them, their recommends not installed)."""
    drop = frozenset(drop)
    stage = df.final_stage
    ctx = Context(df, df.path)
    if stage is None:
        return Image((), "", ())
    lineage = list(reversed(ctx.lineage(stage)))
    key = base_key(ctx.base_image(stage), g)
    installed = set(g.bases.get(key, ()))
    items: list[Item] = []
    lists_live = False  # the lists exist in the file system (some layer holds them)
    no_rec_config = False
    lists_runs: list[int] = []
    for s in lineage:
        for ins in s.instructions:
            ins = ins.effective()
            if ins.keyword != "RUN":
                if not no_rec_config and ins.keyword in ("COPY", "ADD"):
                    no_rec_config = writes_no_recommends_config(ctx, ins)
                continue
            if not no_rec_config:
                no_rec_config = writes_no_recommends_config(ctx, ins)
            mounted = ctx.mounts_cover(ins, "/var/lib/apt/lists")
            layer: list[Item] = []
            wrote_lists = False
            for script in ctx.scripts(ins):
                for raw in script.commands:
                    cmd = unwrap(raw)
                    if cmd.program in APT and cmd.subcommand() == "update" and not mounted:
                        if not lists_live:
                            layer.append(Item(LISTS, ins.index))
                            wrote_lists = True
                        elif not wrote_lists:
                            layer.append(Item(REFRESH, ins.index))
                        lists_live = True
                    elif removes_apt_lists(cmd):
                        lists_live = False
                        if wrote_lists or any(i.key == REFRESH for i in layer):
                            layer = [i for i in layer if i.key not in (LISTS, REFRESH)]
                            wrote_lists = False
                    elif apt_install(cmd) is not None:
                        rec = not (disables_recommends(cmd) or no_rec_config
                                   or cache_claim(K.APT_RECOMMENDS, ins) in drop)  # fmt: skip
                        names = [n for n in packages(cmd) if not n.startswith((".", "/"))]
                        known = [n for n in names if g.knows(n)]
                        new = g.install(known, installed, rec)
                        installed |= new
                        layer += [Item(DEB + n, ins.index) for n in sorted(new)]
                        layer += [Item(UNKNOWN + n, ins.index) for n in names if not g.knows(n)]
                    elif cmd.program in APT and cmd.subcommand() in REMOVE:
                        gone = {w.text.split("=")[0] for w in cmd.positionals()[1:]}
                        layer = [i for i in layer if i.key.removeprefix(DEB) not in gone]
                        installed -= gone
            if apt_lists_claim(ins) in drop:
                layer = [i for i in layer if i.key not in (LISTS, REFRESH)]
            if any(i.key == LISTS for i in layer):
                lists_runs.append(ins.index)
            items += layer
    return Image(tuple(items), key, tuple(lists_runs))
