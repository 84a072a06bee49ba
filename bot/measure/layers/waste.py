"""Known waste left in the final filesystem, found by path, and files stored twice.

Each kind names where its bytes live; ``family`` says which measured rule reports
it: caches of package managers and language tools (DT702), leftovers of building
(DT703: ``/tmp`` and ``/var/tmp`` contents, ``.git`` directories, build trees with
their ``config.status`` or ``CMakeCache.txt``, object files), compilers and headers in
an image whose command does not compile (DT705). A hard-linked blob is waste only when
every one of its names is.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, NamedTuple

from bot.measure.layers.replay import Stack, keep
from bot.measure.layers.tarscan import parent

CACHE, LEFTOVER = "cache", "leftover"

# (kind, family, a literal every match contains, pattern matching the waste root at
# the start of a path): first match wins; the literal skips the regex for most paths
_H = r"(?:[^/]+/)*?"  # any directories: a home, /root, an app folder
KINDS: tuple[tuple[str, str, str, re.Pattern[str]], ...] = tuple(
    (k, fam, lit, re.compile(p)) for k, fam, lit, p in (
        ("tmp", LEFTOVER, "tmp/", r"^(?:var/)?tmp/"),
        ("git", LEFTOVER, ".git/", r"^(?:.*/)?\.git/"),
        ("apt-lists", CACHE, "apt/", r"^var/lib/apt/lists/"),
        ("apt-cache", CACHE, "apt/", r"^var/cache/apt/"),
        ("apk-cache", CACHE, "apk/", r"^var/cache/apk/"),
        ("rpm-cache", CACHE, "var/cache/", r"^var/cache/(?:dnf|yum)/"),
        ("pip-cache", CACHE, ".cache/pip/", rf"^{_H}\.cache/pip/"),
        # poetry's downloads and HTTP cache; its virtualenvs/ are installed code, not cache
        ("poetry-cache", CACHE, "pypoetry/", rf"^{_H}\.cache/pypoetry/(?:cache|artifacts)/"),
        ("npm-cache", CACHE, ".npm/", rf"^{_H}\.npm/"),
        ("yarn-cache", CACHE, "yarn", rf"^(?:{_H}\.cache/yarn/|{_H}\.yarn/berry/cache/)"),
        ("go-cache", CACHE, "go", rf"^(?:{_H}\.cache/go-build/|{_H}pkg/mod/cache/)"),
        ("cargo-cache", CACHE, ".cargo/", rf"^{_H}\.cargo/(?:registry|git)/"),
        ("maven-cache", CACHE, ".m2/", rf"^{_H}\.m2/repository/"),
        ("gradle-cache", CACHE, ".gradle/", rf"^{_H}\.gradle/(?:caches|wrapper/dists)/"),
        ("composer-cache", CACHE, "composer/", rf"^(?:{_H}\.composer/cache/|{_H}\.cache/composer/)"),
        ("cpanm-cache", CACHE, ".cpanm/", rf"^{_H}\.cpanm/"),
        ("gem-cache", CACHE, "gem", rf"^(?:{_H}\.gem/specs/|{_H}gems/[^/]+/cache/[^/]+\.gem$|usr/local/bundle/cache/)"),
        ("conda-cache", CACHE, "pkgs/", rf"^{_H}pkgs/[^/]+\.(?:conda|tar\.bz2)$"),
    )
)
TOOLCHAIN = "toolchain"
FAMILY = {k: fam for k, fam, _, _ in KINDS} | {"build-tree": LEFTOVER, TOOLCHAIN: TOOLCHAIN}
_BUILD_MARKERS = ("config.status", "CMakeCache.txt")

# What compiling needs and running does not (waste only in an image whose command does
# not compile, which the caller decides): compilers and binutils, gcc's internals (cc1,
# its own headers and libraries) and the libraries only they load (isl, mpc, bfd, the
# sanitizer runtimes), headers, static libraries and crt objects of -dev packages. Runtime
# libraries compiled programs load (libstdc++, libgomp, libgmp, libmpfr) are not in it.
_TRIPLET = r"(?:[a-z0-9_]+-(?:linux-gnu[a-z0-9_]*|alpine-linux-musl[a-z0-9_]*|redhat-linux|pc-linux-gnu)-)?"
_TOOLCHAIN = re.compile(
    r"^usr/(?:local/)?(?:"
    r"include/"
    r"|(?:lib|libexec)/gcc(?:-cross)?/"
    r"|lib/llvm-[0-9.]+/(?:lib/clang/|bin/clang)"
    r"|lib/(?:[^/]+/)?(?:ldscripts|gprofng)/"
    rf"|bin/{_TRIPLET}(?:gcc|g\+\+|c\+\+|cpp|clang|clang\+\+|gfortran|lto-dump|gcov(?:-dump|-tool)?"
    r"|gcc-(?:ar|nm|ranlib)|as|ld(?:\.bfd|\.gold)?|addr2line|ar|c\+\+filt|dwp|elfedit|gprof|gprofng|nm"
    r"|objcopy|objdump|ranlib|readelf|size|strings|strip|gp-[a-z-]+)(?:-[0-9]+(?:\.[0-9]+)*)?$"
    r"|lib/(?:[^/]+/)?(?:lib(?:bfd|opcodes|ctf|ctf-nobfd|sframe|gprofng|isl|mpc|asan|tsan|lsan|ubsan|hwasan)"
    r"[-.][^/]*|[^/]+\.a|crt[^/]*\.o|[A-Za-z]?crt[1in]\.o)$"
    r")"
)
# library directories, a cross toolchain's included (/usr/arm-linux-gnueabihf/lib), hold
# crt objects by design: an object file there is not a build left behind
_LIB_DIR = re.compile(r"^(?:usr/(?:local/)?(?:[a-z0-9_]+-linux-[a-z0-9_]+/)?)?lib(?:32|64|x32)?/|^usr/share/")
_TOOLCHAIN_ROOT = re.compile(r"^usr/(?:local/)?(?:include|(?:lib|libexec)/gcc(?:-cross)?|lib/llvm-[0-9.]+)")


class WasteItem(NamedTuple):
    kind: str
    layer: int  # the layer that wrote the bytes
    root: str  # the waste's directory (or file), as a reviewer would delete it
    bytes: int
    files: int
    top: tuple[tuple[int, str], ...]  # largest files, biggest first


class Duplicate(NamedTuple):
    layer: int  # the layer that wrote the extra copy
    path: str
    original: str  # the copy that is kept (the earliest written)
    original_layer: int
    bytes: int


def classify(path: str, build_roots: Iterable[str] = (), toolchain: bool = False) -> tuple[str, str] | None:
    """(kind, waste root) of a final file, or None when it is not known waste.
    ``toolchain``: compilers and headers are waste (the image's command does not compile)."""
    for kind, _fam, literal, pat in KINDS:
        m = pat.match(path) if literal in path else None
        if m:
            root = m.group(0).rstrip("/")
            return kind, parent(root) if root == path else root
    for root in build_roots:
        if path.startswith(root + "/"):
            return "build-tree", root
    if toolchain and path.startswith("usr/") and _TOOLCHAIN.match(path):
        m = _TOOLCHAIN_ROOT.match(path)
        return TOOLCHAIN, m.group(0) if m else parent(path)
    if path.endswith(".o") and not _LIB_DIR.match(path):
        return "build-tree", parent(path)
    return None


def build_roots(stack: Stack) -> list[str]:
    """Directories holding a configured build (autotools or CMake), outermost first."""
    roots = sorted({parent(p) for p, _ in stack.files() if p.rpartition("/")[2] in _BUILD_MARKERS})
    out: list[str] = []
    for r in roots:
        if r and not any(r.startswith(o + "/") for o in out):
            out.append(r)
    return out


def waste_items(stack: Stack, toolchain: bool = False, roots: list[str] | None = None) -> list[WasteItem]:
    """Known waste in the final filesystem, one item per (kind, writing layer, root)."""
    roots = build_roots(stack) if roots is None else roots
    links_waste: dict[int, bool] = {}  # blob -> every name seen so far is waste
    found: dict[tuple[str, int, str], list] = {}
    per_blob: dict[int, tuple[str, int, str, str]] = {}
    for path, node in stack.files():
        c = classify(path, roots, toolchain)
        if stack.blob_links[node.blob] > 1:
            links_waste[node.blob] = links_waste.get(node.blob, True) and c is not None
        if c is None or node.blob in per_blob:
            continue
        per_blob[node.blob] = (c[0], node.layer, c[1], path)
    for blob, (kind, layer, root, path) in per_blob.items():
        if not links_waste.get(blob, True):
            continue
        agg = found.setdefault((kind, layer, root), [0, 0, []])
        size = stack.blob_size[blob]
        agg[0] += size
        agg[1] += 1
        keep(agg[2], (size, path))
    return sorted(
        (WasteItem(k, layer, root, b, n, tuple(sorted(top, reverse=True)))
         for (k, layer, root), (b, n, top) in found.items()),
        key=lambda w: (-w.bytes, w.root),
    )


# Copies the Dockerfile's author cannot avoid: what packages install into the system
# directories (Debian's git ships the same binary in /usr/bin and /usr/lib/git-core, gcc
# its headers twice), and the package managers' bookkeeping (debconf keeps "-old"
# copies of its databases on every run). An extra copy there is the distribution's.
_SYSTEM = ("usr/", "lib/", "lib32/", "lib64/", "libx32/", "bin/", "sbin/", "etc/", "var/lib/",
           "var/cache/debconf/", "var/log/")
_NOT_SYSTEM = ("usr/local/", "usr/src/")


def _system(path: str) -> bool:
    return path.startswith(_SYSTEM) and not path.startswith(_NOT_SYSTEM)


def duplicates(stack: Stack, min_size: int = 1024, waste: Callable[[str], bool] = lambda path: False
               ) -> list[Duplicate]:
    """Extra copies of the same content (hard links are one copy, not two), outside the
    system directories packages install into (the original may be anywhere). Copies that
    are known ``waste`` (a cache, /tmp) are reported as that, never as a copy, whichever came first."""
    first: dict[tuple[int, bytes], tuple[int, str, int]] = {}
    out: list[Duplicate] = []
    seen: set[int] = set()
    # earliest layer first, then path order: the first copy is the one that stays
    for path, node in sorted(stack.files(), key=lambda pn: (pn[1].layer, pn[0])):
        blob = node.blob
        size = stack.blob_size[blob]
        digest = stack.blob_digest[blob]
        if blob in seen or size < min_size or not digest or waste(path):
            continue
        seen.add(blob)
        key = (size, digest)
        orig = first.get(key)
        if orig is None:
            first[key] = (node.layer, path, blob)
        elif not _system(path):
            out.append(Duplicate(node.layer, path, orig[1], orig[0], size))
    return out
