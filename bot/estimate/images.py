"""Base-image references: normalise, match against base_images.csv, tell the distro.

Matching is by image, version prefix and variant: ``python:3.12.4-bookworm`` finds the
``python:3.12-bookworm`` row, ``python:3.12.4`` the ``python:3.12`` row and
``node:22-bookworm-slim`` the ``node:22-slim`` row (whose base is bookworm-slim).
Distro codenames in a tag are optional when the row's variant names the same distro.
"""

from __future__ import annotations

import functools
import re

from bot.estimate.tables import load
from bot.model.images import ImageRef, parse_image
from bot.model.records import Record, field


# distro codename -> (family, release)
CODENAMES: dict[str, tuple[str, str]] = {
    "buster": ("debian", "10"), "bullseye": ("debian", "11"), "bookworm": ("debian", "12"),
    "trixie": ("debian", "13"), "forky": ("debian", "14"), "sid": ("debian", "unstable"),
    "bionic": ("ubuntu", "18.04"), "focal": ("ubuntu", "20.04"), "jammy": ("ubuntu", "22.04"),
    "noble": ("ubuntu", "24.04"), "plucky": ("ubuntu", "25.04"), "questing": ("ubuntu", "25.10"),
}  # fmt: skip
DEBIAN_NUMBERS = {"10": "10", "11": "11", "12": "12", "13": "13", "14": "14"}
RHEL_IMAGES = ("centos", "rockylinux", "almalinux", "fedora", "amazonlinux", "oraclelinux", "ubi")
SUSE_IMAGES = ("opensuse", "suse", "sles", "bci")


@functools.lru_cache(maxsize=1024)  # pure, and asked the same image many times per run
def parse_ref(ref: str) -> ImageRef | None:
    """Normalise ``docker.io/library/python:3.12@sha256:..`` etc. for the table: the tag
    ``latest`` when none is written, no digest; None for ARG-dependent refs."""
    ref = (ref or "").strip()
    if ref == "scratch":
        return None
    split = parse_image(ref)
    if split is None or not split.repository:
        return None
    return split._replace(tag=split.tag or "latest", digest="")  # a digest names no other row


class TagParts(Record):
    __slots__ = ()
    _fields = ("version", "flavour", "codename")
    version = field(0, "tuple[int, ...]: (3, 12, 4); () when the tag has no leading version")
    flavour = field(1, "frozenset[str]: slim, alpine, jdk, jre, chiseled, ...")
    codename = field(2, 'str: bookworm, jammy, alpine3.20, ... ("" when absent)')

    def __new__(cls, version, flavour, codename):
        return tuple.__new__(cls, (version, flavour, codename))


VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")


@functools.lru_cache(maxsize=1024)
def split_tag(tag: str) -> TagParts:
    tag = tag.lower()
    m = VERSION.match(tag)
    version: tuple[int, ...] = ()
    rest = tag
    if m:
        version = tuple(int(x) for x in m.group(1).split("."))
        rest = tag[m.end() :]
        rest = re.sub(r"^[._+][0-9a-z.+_]*?(?=-|$)", "", rest)  # 21.0.3_9 build suffixes
    flavour, codename = set(), ""
    for tok in (t for t in rest.split("-") if t):
        if tok in CODENAMES:
            codename = tok
        elif re.fullmatch(r"alpine\d+(\.\d+)*", tok):
            flavour.add("alpine")
            codename = tok
        elif tok not in ("latest",):
            flavour.add(tok)
    return TagParts(version, frozenset(flavour), codename)


class BaseRow(Record):
    __slots__ = ()
    _fields = ("image", "tag", "variant", "compressed", "uncompressed", "source", "date")
    image = field(0, "str")
    tag = field(1, "str")
    variant = field(2, "str")
    compressed = field(3, "int | None: bytes")
    uncompressed = field(4, "int | None")
    source = field(5, "str")
    date = field(6, "str")

    def __new__(cls, image, tag, variant, compressed, uncompressed, source, date):
        return tuple.__new__(cls, (image, tag, variant, compressed, uncompressed, source, date))


@functools.lru_cache(maxsize=None)
def base_rows() -> dict[str, tuple[BaseRow, ...]]:
    """image name -> its linux/amd64 rows: the whole table (a check asks :func:`rows_of`)."""
    out: dict[str, list[BaseRow]] = {}
    for r in _amd64_rows():
        ref = parse_ref(f"{r['image']}:{r['tag']}")
        if ref is not None:
            out.setdefault(ref.name, []).append(_base_row(ref, r))
    return {k: tuple(v) for k, v in out.items()}


@functools.lru_cache(maxsize=256)
def rows_of(name: str) -> tuple[BaseRow, ...]:
    """``base_rows().get(name, ())`` parsing only the rows whose image is written as ``name``
    (normalised): a check pays for its base image's rows, not the table's."""
    out = []
    for r in _amd64_rows():
        named = parse_ref(r["image"])
        if named is None or named.name != name:
            continue
        ref = parse_ref(f"{r['image']}:{r['tag']}")
        if ref is not None and ref.name == name:
            out.append(_base_row(ref, r))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _amd64_rows() -> tuple[dict[str, str], ...]:
    return tuple(r for r in load("base_images.csv") if r["arch"] == "linux/amd64")


def _base_row(ref: ImageRef, r: dict[str, str]) -> BaseRow:
    mb = lambda k: int(round(float(r[k]) * 1e6)) if r[k] else None  # noqa: E731
    exact = re.search(r"\((?:amd64 )?(?:Total Size )?(\d{6,}) bytes\)", r["source"])
    compressed = int(exact.group(1)) if exact and r["compressed_mb"] else mb("compressed_mb")
    return BaseRow(ref.name, r["tag"], r["variant"], compressed, mb("uncompressed_mb"), r["source"], r["date"])


class Match(Record):
    __slots__ = ()
    _fields = ("row", "quality")
    row = field(0, "BaseRow")
    quality = field(1, "str: exact | version | nearest")

    def __new__(cls, row, quality):
        return tuple.__new__(cls, (row, quality))


def _row_codename(row: BaseRow) -> str:
    parts = split_tag(row.tag)
    if parts.codename:
        return parts.codename
    text = row.variant.lower()
    for name in CODENAMES:
        if name in text:
            return name
    for num, name in (("debian 11", "bullseye"), ("debian 12", "bookworm"), ("debian 13", "trixie")):
        if num in text:
            return name
    return ""


def _same_codename(want: str, have: str) -> bool:
    if want.startswith("alpine") and have.startswith("alpine"):
        return want == have or want == "alpine" or have == "alpine"
    return want == have


@functools.lru_cache(maxsize=1024)
def match_row(ref: ImageRef) -> Match | None:
    rows = rows_of(ref.name)
    if not rows:
        return None
    if ref.name.startswith("gcr.io/distroless/") and ref.tag == "nonroot":
        ref = ref._replace(tag="latest")  # the same files; only the default user differs
    if ref.name == "debian":  # debian:12-slim is debian:bookworm-slim
        head, _, tail = ref.tag.partition("-")
        for name, (family, release) in CODENAMES.items():
            if family == "debian" and head.split(".")[0] == release:
                ref = ref._replace(tag=name + ("-" + tail if tail else ""))
    for row in rows:
        if row.tag == ref.tag:
            return Match(row, "exact")
    want = split_tag(ref.tag)
    best: tuple[tuple, Match] | None = None
    for row in rows:
        have = split_tag(row.tag)
        if have.flavour != want.flavour:
            continue
        if want.version and have.version and want.version[: len(have.version)] != have.version:
            continue
        if bool(want.version) != bool(have.version) and ref.tag != "latest":
            continue
        codename_ok = not want.codename or _same_codename(want.codename, _row_codename(row))
        if want.codename.startswith("alpine") and "alpine" in have.flavour:
            codename_ok = True  # alpine point releases differ little
        quality = "version" if codename_ok else "nearest"
        # prefer: codename agrees, longest version prefix, tag without explicit codename, newest
        key = (codename_ok, len(have.version), not have.codename, have.version)
        if best is None or key > best[0]:
            best = (key, Match(row, quality))
    if want.codename and want.version and (best is None or best[1].quality == "nearest"):
        # no row of this version on this release: the release's rows of the nearest version
        # (a language image's size is its OS layers more than its runtime's version)
        same = [r for r in rows if split_tag(r.tag).flavour == want.flavour and split_tag(r.tag).version
                and _same_codename(want.codename, _row_codename(r))]
        if same:
            return Match(min(same, key=lambda r: (_version_distance(want.version, split_tag(r.tag).version),
                                                  bool(split_tag(r.tag).codename))), "nearest")
    return best[1] if best else None


def _version_distance(want: tuple[int, ...], have: tuple[int, ...]) -> tuple[int, ...]:
    """How far two versions are apart, major first (3.11 vs 3.12 is nearer than 3.11 vs 2.7)."""
    n = max(len(want), len(have))
    return tuple(abs(a - b) for a, b in zip(want + (0,) * (n - len(want)), have + (0,) * (n - len(have))))


class Distro(Record):
    __slots__ = ()
    _fields = ("family", "release")
    family = field(0, "str: debian | ubuntu | alpine | rhel | suse")
    release = field(1, 'str: "12", "22.04", "3.22", "" when unknown')

    def __new__(cls, family, release):
        return tuple.__new__(cls, (family, release))


@functools.lru_cache(maxsize=1024)
def distro_of(base_image: str) -> Distro | None:
    """Distro of a base-image reference, from its name, its tag or its table row."""
    ref = parse_ref(base_image)
    if ref is None:
        return None
    parts = split_tag(ref.tag)
    repo = ref.repository.split("/")[-1]
    if repo == "alpine" or "alpine" in parts.flavour:
        return Distro("alpine", ref.tag if repo == "alpine" else parts.codename.removeprefix("alpine"))
    if parts.codename in CODENAMES:
        return Distro(*CODENAMES[parts.codename])
    if repo == "debian":
        if ref.tag.split("-")[0] in DEBIAN_NUMBERS:
            return Distro("debian", ref.tag.split("-")[0].split(".")[0])
        return Distro("debian", "13" if ref.tag.split("-")[0] in ("latest", "stable", "slim") else "")
    if repo == "ubuntu":
        return Distro("ubuntu", ref.tag if re.fullmatch(r"\d\d\.\d\d", ref.tag) else "")
    if repo.startswith(RHEL_IMAGES) or ref.registry in ("registry.access.redhat.com", "registry.redhat.io"):
        return Distro("rhel", ref.tag)
    if repo.startswith(SUSE_IMAGES) or ref.repository.startswith("opensuse/"):
        return Distro("suse", ref.tag)
    m = match_row(ref)
    if m is not None:
        text = m.row.variant.lower()
        for name, (family, release) in CODENAMES.items():
            if name in text:
                return Distro(family, release)
        for fam, rel in re.findall(r"(debian|ubuntu|alpine) (\d+(?:\.\d+)?)", text):
            return Distro(fam, rel)
    return current_release(ref)


def current_release(ref: ImageRef) -> Distro | None:
    """An official image whose tag names no distro (``node:20``, ``ruby:3.3``) builds on
    the release its current tags use: the newest table row of that image that names
    its release, one of the same flavour (full or slim) first."""
    flavour = split_tag(ref.tag).flavour
    if ref.registry or "alpine" in flavour or "windowsservercore" in flavour:
        return None
    best: tuple[bool, str, Distro] | None = None
    for row in rows_of(ref.name):
        have = split_tag(row.tag).flavour
        if "alpine" in have or "windowsservercore" in have:
            continue
        codename = _row_codename(row)
        found = re.findall(r"(debian|ubuntu) (\d+(?:\.\d+)?)", row.variant.lower())
        distro = Distro(*CODENAMES[codename]) if codename in CODENAMES else Distro(*found[0]) if found else None
        key = (have == flavour, row.date)
        if distro is not None and (best is None or key > best[:2]):
            best = (*key, distro)
    return best[2] if best else None


def is_full_variant(base_image: str) -> bool:
    """buildpack-deps based 'full' language images already carry many -dev and recommended packages."""
    ref = parse_ref(base_image)
    if ref is None or ref.registry:
        return False
    parts = split_tag(ref.tag)
    langs = ("python", "node", "golang", "ruby", "rust", "buildpack-deps", "openjdk", "php", "perl", "gcc")
    return ref.repository in langs and not parts.flavour & {"slim", "alpine", "windowsservercore"}
