"""SizeHint -> SizeEstimate: one small function per hint kind (see bot/model/hints.py).

Every estimate is a low-high byte range with a one-sentence basis, a confidence and
where the numbers come from (table | measured | live | heuristic). When there is no
defensible number the answer is ``(None, reason)``: never a made-up size.
Only hint params are read (image references, package names, a uid, a URL), never syntax.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any, Callable, Iterable, Mapping
from types import MappingProxyType

from bot.estimate import images
from bot.estimate.quiet import why_kept
from bot.estimate.rebuild import rebuild_download as _priced_rebuild
from bot.estimate.tables import TableError, apt_packages, load, waste_models
from bot.model import hints as K
from bot.model.findings import Confidence, Finding, SizeEstimate, SizeHint

Result = tuple[SizeEstimate | None, str]
MB = 1_000_000


def _mb(n: float) -> str:
    return f"{n / MB:.1f} MB" if n < 100 * MB else f"{n / MB:.0f} MB"


def _conf(name: str) -> Confidence:
    return Confidence(name)


def _weaker(a: Confidence, b: Confidence) -> Confidence:
    order = [Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH]
    return min(a, b, key=order.index)


def _model(kind: str, key: str) -> Any:
    return waste_models().get((kind, key))


def _from_model(m: Any, scale: int = 1, basis: str | None = None) -> SizeEstimate:
    return SizeEstimate(
        bytes_low=m.low * scale, bytes_high=m.high * scale, basis=basis or m.basis,
        confidence=_conf(m.confidence), source="measured" if m.source_kind == "measured" else
        ("table" if m.source_kind == "table" else "heuristic"),
        compressed_low=None if m.compressed_low is None else m.compressed_low * scale,
        compressed_high=None if m.compressed_high is None else m.compressed_high * scale,
    )  # fmt: skip


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(v) for v in value)


def _apt_name(pkg: str) -> str:
    """curl=7.88.* -> curl; libssl-dev:amd64 -> libssl-dev; nginx/bookworm -> nginx."""
    return pkg.split("=", 1)[0].split("/", 1)[0].split(":", 1)[0].strip().lower()


class Estimator:
    """Turns size hints into estimates; ``lookups`` (optional) adds live registry data."""

    def __init__(self, lookups: Any = None) -> None:
        self.lookups = lookups
        self._models: dict = {}  # the layer model of the file being estimated

    def estimate_finding(self, finding: Finding, ctx: Any = None) -> Result:
        """With the parsed file (``ctx``: the rules' Context, whose parsed RUNs the model
        reuses), apt findings are priced by the layer model (image as written minus image
        with the fix), language caches from the manifests the build context holds; the
        rest from their hint alone."""
        hint = finding.hint
        df = ctx.df if ctx is not None else None
        if df is not None and hint is not None and hint.kind == K.REBUILD_DOWNLOAD and "pnpm" in _strs(hint.params.get("managers")):
            hint = _pnpm_lock(ctx, finding)
        if df is not None and hint is not None and hint.kind in MANIFEST_KINDS and not _strs(hint.params.get("packages")):
            hint, note = _from_manifests(ctx, finding)
            if note:
                est, reason = self.estimate(hint)
                if est is not None:
                    est = est._replace(basis=est.basis[:-1] + f"; packages read from {note}.")
                return _kept(finding, (est, reason))
        if df is not None and hint is not None:
            layered = _module("layers.finding")
            if layered.applies(finding):
                base = str(hint.params.get("base_image", ""))
                lists = _model("apt_lists", _apt_key(base))
                factor = _model("apt_install", "layer_factor_slim" if _is_slim(base) else "layer_factor_full")
                got = layered.estimate(ctx, finding, self._models, (lists.low, lists.high),
                                       (factor.low / 1000, factor.high / 1000), _distro_spread)  # fmt: skip
                if got is not None:
                    return _kept(finding, got)
            if hint.kind == K.BASE_IMAGE_SWAP and _is_slim(str(hint.params.get("to_image", ""))):
                return _kept(finding, self._slim_swap(ctx, finding, layered))
        return _kept(finding, self.estimate(hint))

    def _slim_swap(self, ctx: Any, finding: Finding, layered: Any) -> Result:
        """A swap to a -slim base: the image sizes' difference, plus the docs slim leaves out
        of what the RUNs install, less what they reinstall there. The layer model is asked only
        when there is a difference to adjust (half the corpus's swaps name an image of unknown
        size), and each of its answers only when the one before it is used."""
        got = self.estimate(finding.hint)
        if got[0] is None:
            return got
        installed = layered.installed_by_runs(ctx, self._models)
        if installed is not None:
            got = _with_slim_docs(got, installed, layered.recommends_by_run(ctx, self._models))
        return _less_reinstalled(got, layered.added_by_fix(ctx, finding, self._models))

    # -- public API ---------------------------------------------------------------
    def estimate(self, hint: SizeHint | None) -> Result:
        if hint is None:
            return None, "the finding carries no size hint"
        handler = HANDLERS.get(hint.kind)
        if handler is None:
            if hint.kind in K.ALL_KINDS:
                return None, f"no size model for hint kind {hint.kind!r} yet"
            return None, f"unknown size-hint kind {hint.kind!r}"
        try:
            return handler(self, dict(hint.params or {}))
        except TableError as e:
            return None, f"size table unusable: {e}"
        except (TypeError, ValueError) as e:
            return None, f"bad params for {hint.kind!r}: {e}"

    def base_image_size(self, ref: str) -> SizeEstimate | None:
        """Size of a base image (uncompressed range; compressed from the registry data)."""
        if ref.strip() == "scratch":
            return SizeEstimate(0, 0, "scratch is empty", Confidence.HIGH, "table", 0, 0)
        parsed = images.parse_ref(ref)
        if parsed is None:
            return None
        match = images.match_row(parsed)
        if match is not None and (match.row.compressed or match.row.uncompressed):
            return self._row_size(parsed, match)
        if self.lookups is not None:
            live = self.lookups.image_compressed_size(str(parsed))
            if live is not None:
                return self._scaled(live, f"{parsed}: {_mb(live)} compressed per the registry manifest", "live",
                                    Confidence.MEDIUM)  # fmt: skip
        return None

    # -- helpers ------------------------------------------------------------------
    def _scaled(self, compressed: int, what: str, source: str, conf: Confidence) -> SizeEstimate:
        ratio = _model("image_ratio", "default")
        low, high = compressed * ratio.low // 1000, compressed * ratio.high // 1000
        return SizeEstimate(
            low, high, f"{what}, about {ratio.low / 1000:.1f}-{ratio.high / 1000:.1f}x that on disk",
            conf, source, compressed, compressed,
        )  # fmt: skip

    def _row_size(self, parsed: images.ImageRef, match: images.Match) -> SizeEstimate:
        row = match.row
        label = f"{row.image}:{row.tag}"
        if match.quality == "version":
            label += f" (table row for {parsed.tag})"
        elif match.quality == "nearest":
            label += f" (nearest table row for {parsed.tag})"
        conf = {"exact": Confidence.HIGH, "version": Confidence.MEDIUM}.get(match.quality, Confidence.LOW)
        if row.uncompressed:
            u = row.uncompressed
            return SizeEstimate(u * 95 // 100, u * 105 // 100, f"{label}: about {_mb(u)} on disk ({row.date})",
                                conf, "table", row.compressed, row.compressed)  # fmt: skip
        assert row.compressed is not None
        return self._scaled(row.compressed, f"{label}: {_mb(row.compressed)} compressed ({row.date})", "table",
                            _weaker(conf, Confidence.MEDIUM))  # fmt: skip


def _is_slim(image: str) -> bool:
    ref = images.parse_ref(image)
    return ref is not None and "slim" in images.split_tag(ref.tag).flavour


def _less_reinstalled(result: Result, added: tuple[int, int] | None) -> Result:
    """The RUNs reinstall on the smaller base what the larger one had (held-out round 3, 0467:
    build-essential on node:18-bookworm is in the base; on -slim its RUN installs it, and the
    swap measured 503 MB against 690-887 MB): that layer growth comes off the saving."""
    est, reason = result
    if est is None or not added or not added[0]:
        return result
    n, size = added
    f = _model("apt_install", "layer_factor_slim")
    low, high = max(0, est.bytes_low - size * f.high // 1000), max(0, est.bytes_high - size * f.low // 1000)
    basis = (est.basis[:-1] + f"; on it the RUNs install {n} package(s) the larger base already had "
             f"({_mb(size)} Installed-Size, x{f.low / 1000:.2f}-{f.high / 1000:.2f}), which the image gains back.")
    return est._replace(bytes_low=low, bytes_high=max(low, high), basis=basis,
                        confidence=_weaker(est.confidence, Confidence.MEDIUM)), reason


def _with_slim_docs(result: Result, installed: tuple[int, int] | None,
                    recommends: Mapping[str, tuple[int, int]] = MappingProxyType({})) -> Result:
    """A slim base also drops the docs, man pages and translations of what the RUNs install.
    Those of the packages a RUN installs as recommends are also removed by that RUN's
    --no-install-recommends (DT102): named as overlaps, so a file's total counts them once."""
    from bot.estimate.layers.finding import SLIM_DROP_PER_PACKAGE, SLIM_DROP_SHARE_MAX, slim_drop

    est, reason = result
    if est is None or installed is None:
        return result
    n, size = installed
    lo, hi = slim_drop(n, size)
    per = "-".join(f"{b / 1_000_000:.2f}" for b in SLIM_DROP_PER_PACKAGE)
    basis = (est.basis[:-1] + f"; slim's dpkg excludes also leave out the docs, man pages and translations of the "
             f"{n} packages the RUNs install ({per} MB a package, at most {SLIM_DROP_SHARE_MAX:.0%} of their "
             f"{_mb(size)} Installed-Size).")
    overlaps = tuple((claim, *slim_drop(*rec)) for claim, rec in sorted(recommends.items()))
    return est._replace(bytes_low=est.bytes_low + lo, bytes_high=est.bytes_high + hi, basis=basis,
                        confidence=_weaker(est.confidence, Confidence.MEDIUM), compressed_low=None,
                        compressed_high=None, overlaps=overlaps), reason


MANIFEST_KINDS = frozenset((K.PIP_CACHE, K.NPM_CACHE, K.YARN_CACHE))


def _from_manifests(ctx: Any, finding: Finding) -> tuple[SizeHint, str]:
    """The hint with the packages its RUN installs from manifest files, and which files."""
    manifests = _module("manifests")
    hint = finding.hint
    assert hint is not None
    run = manifests.run_of(ctx.df, finding.span)
    if run is None or ctx.build_context is None:
        return hint, ""
    if hint.kind == K.PIP_CACHE:
        files = _strs(hint.params.get("requirements"))
        names, missing = manifests.pip_requirements(ctx, run, files)
        if not names:
            return hint, ""
        note = ", ".join(f for f in files if f not in missing) + " in the build context"
        if missing:
            note += f" ({', '.join(missing)} not found there, not counted)"
    else:
        names, note = manifests.npm_packages(ctx, run)
        if not names:
            return hint, ""
        extra = {"lockfile": note == "package-lock.json"}
        note += " in the build context"
        return hint._replace(params={**hint.params, "packages": tuple(names), **extra}), note
    return hint._replace(params={**hint.params, "packages": tuple(names)}), note


def _pnpm_lock(ctx: Any, finding: Finding) -> SizeHint:
    """DT601 over ``pnpm install``: the packages of the pnpm-lock.yaml in the build context
    (``pnpm:name@version``, ``pnpm_lock`` set), so the rebuild download can be priced."""
    manifests = _module("manifests")
    hint = finding.hint
    assert hint is not None
    run = manifests.run_of(ctx.df, finding.span)
    if run is None or ctx.build_context is None:
        return hint
    names = manifests.pnpm_packages(ctx, run)
    if not names:
        return hint
    packages = (*_strs(hint.params.get("packages")), *(f"pnpm:{n}" for n in names))
    return hint._replace(params={**hint.params, "packages": packages, "pnpm_lock": True})


@cache
def _module(name: str) -> Any:
    """``bot.estimate.<name>``, imported at the first estimate that uses it (a check loads only the
    tables it prices with; the layer model loads the package graph's modules) and then kept: a
    `from` import statement run on each call costs ~9k instructions."""
    return importlib.import_module(f"bot.estimate.{name}")


def _kept(finding: Finding, result: Result) -> Result:
    est, reason = result
    extra = why_kept(finding, est)
    return (est._replace(basis=est.basis + extra) if extra and est is not None else est), reason


Handler = Callable[[Estimator, Mapping[str, Any]], Result]
HANDLERS: dict[str, Handler] = {}


def handles(*kinds: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = fn
        return fn

    return register


# -- package managers -----------------------------------------------------------
def _apt_key(base: str) -> str:
    d = images.distro_of(base)
    if d is None:
        return "unknown"
    if d.family == "debian":
        return f"debian-{d.release}" if _model("apt_lists", f"debian-{d.release}") else "debian"
    return "ubuntu" if d.family == "ubuntu" else "unknown"


@handles(K.APT_LISTS)
def apt_lists(est: Estimator, p: Mapping[str, Any]) -> Result:
    return _from_model(_model("apt_lists", _apt_key(p.get("base_image", "")))), ""


def _apt_rows(packages: Iterable[str]) -> tuple[list[Any], list[str]]:
    table = apt_packages()
    known, unknown = [], []
    for raw in packages:
        name = _apt_name(raw)
        if not name or name.startswith("$"):
            continue
        (known.append(table[name]) if name in table else unknown.append(name))
    return known, unknown


def _distro_spread(base: str) -> tuple[float, float, Confidence, str]:
    """(low factor, high factor, confidence cap, note) for running Debian 12 numbers on this base."""
    d = images.distro_of(base)
    if d is not None and d.family == "debian" and d.release == "12":
        return 1.0, 1.0, Confidence.HIGH, ""
    if d is not None and d.family == "debian":
        return 0.7, 1.4, Confidence.MEDIUM, f" (table is Debian 12; base is Debian {d.release or '?'})"
    return 0.5, 1.6, Confidence.LOW, " (table is Debian 12; other distros differ)"


def _layer_range(low_installed: int, high_installed: int) -> tuple[int, int]:
    """Installed-Size sums -> layer bytes (dpkg metadata adds, slim bases drop docs)."""
    f = _model("apt_install", "layer_factor")
    return low_installed * f.low // 1000, high_installed * f.high // 1000


def _widening(lo_f: float, hi_f: float) -> str:
    """How the range was widened from the table, so the numbers shown can be checked."""
    f = _model("apt_install", "layer_factor")
    text = f"; the range allows x{f.low / 1000:.2f}-{f.high / 1000:.2f} for layer overhead"
    if (lo_f, hi_f) != (1.0, 1.0):
        text += f" and x{lo_f:.1f}-{hi_f:.1f} for the distribution"
    return text


@handles(K.APT_RECOMMENDS)
def apt_recommends(est: Estimator, p: Mapping[str, Any]) -> Result:
    base = p.get("base_image", "")
    known, unknown = _apt_rows(_strs(p.get("packages")))
    if not known:
        names = ", ".join(unknown) or "none named"
        return None, f"no apt table row for the packages ({names})"
    savings = sorted((r.recommends_saving for r in known), reverse=True)
    low, high = _layer_range(savings[0], sum(savings))
    lo_f, hi_f, conf, note = _distro_spread(base)
    low, high = int(low * lo_f), int(high * hi_f)
    names = ", ".join(r.name for r in known[:4]) + (", ..." if len(known) > 4 else "")
    basis = f"apt's simulation on Debian 12: Recommends of {names} add {_mb(sum(savings))} installed{note}"
    if len(known) > 1:
        basis += "; shared dependencies make the sum an upper bound"
    basis += _widening(lo_f, hi_f)
    if images.is_full_variant(base):
        low, conf = 0, Confidence.LOW
        basis += "; this full base image already ships many recommended packages"
    if unknown:
        conf = Confidence.LOW
        basis += f"; {len(unknown)} package(s) not in the table are not counted"
    elif len(known) == 1 and conf is Confidence.HIGH and not images.is_full_variant(base):
        conf = Confidence.HIGH
    else:
        conf = _weaker(conf, Confidence.MEDIUM)
    return SizeEstimate(low, max(low, high), basis + ".", conf, "table"), ""


@handles(K.BUILD_PACKAGES)
def build_packages(est: Estimator, p: Mapping[str, Any]) -> Result:
    manager = str(p.get("manager", "apt")) or "apt"
    base = p.get("base_image", "")
    if manager not in ("apt", "apt-get"):
        return None, f"no package-size table for {manager} (only apt on Debian 12 is tabulated)"
    if images.is_full_variant(base):
        return SizeEstimate(0, 5 * MB, f"{base} already contains the compilers and -dev packages, so purging "
                            "them in a later stage saves little in this image.", Confidence.LOW, "heuristic"), ""  # fmt: skip
    known, unknown = _apt_rows(_strs(p.get("packages")))
    if not known:
        return None, f"no apt table row for the packages ({', '.join(unknown) or 'none named'})"
    no_rec = sorted((r.no_recommends for r in known), reverse=True)
    recommends = p.get("recommends")
    high_sizes = [r.no_recommends if recommends is False else r.with_recommends for r in known]
    low, high = _layer_range(no_rec[0], sum(high_sizes))
    lo_f, hi_f, conf, note = _distro_spread(base)
    low, high = int(low * lo_f), int(high * hi_f)
    names = ", ".join(r.name for r in known[:4]) + (", ..." if len(known) > 4 else "")
    basis = (f"apt's simulation on Debian 12: {names} install {_mb(no_rec[0])}-{_mb(sum(high_sizes))} with their "
             f"dependencies{note}; the runtime may still need some of them")  # fmt: skip
    if len(known) > 1:
        basis += "; shared dependencies make the sum an upper bound"
    basis += _widening(lo_f, hi_f)
    conf = _weaker(conf, Confidence.MEDIUM)
    if unknown:
        conf = Confidence.LOW
        basis += f"; {len(unknown)} package(s) not in the table are not counted"
    return SizeEstimate(low, max(low, high), basis + ".", conf, "table"), ""


@handles(K.APK_CACHE)
def apk_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    return _from_model(_model("apk_cache", "alpine")), ""


@handles(K.RPM_CACHE)
def rpm_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    manager = str(p.get("manager", "")).lower()
    m = _model("rpm_cache", manager)
    if m is None:
        return None, f"no metadata-size model for package manager {manager or '(not named)'!r}"
    return _from_model(m), ""


@handles(K.PIP_CACHE)
def pip_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    wheels, py_name = _module("wheels"), _module("manifests").py_name
    names = [n for n in (py_name(x) for x in _strs(p.get("packages"))) if n and not n.startswith(("-", "$", "."))]
    if not names:
        src = ", ".join(_strs(p.get("requirements"))) or "a requirements file"
        return None, f"the pip cache holds what {src} downloads, which the estimator cannot see"
    python, how = wheels.python_of(str(p.get("base_image", "")))
    got = wheels.pip_cache(names, python)
    live: dict[str, int] = {}
    if got.missing and est.lookups is not None:
        for n in got.missing:
            size = est.lookups.wheel_size(n)
            if size is not None:
                live[n] = size
    missing = [n for n in got.missing if n not in live]
    if not got.known and not live:
        return None, f"unknown: no wheel sizes for {', '.join(names)} (not in the pip table; look-ups off or failed)"
    # live sizes are the named wheel only, so its dependencies may add as much again
    low, high = got.wheels_low + sum(live.values()), got.high + 2 * sum(live.values())
    parts = []
    if got.known:
        if got.pythons == (python,):
            on = f"CPython {python} ({how})"
        else:
            on = f"CPython {got.pythons[0]}-{got.pythons[-1]}" + (
                f" (no {python} rows)" if python else " (the image's Python is not known)")
        names_ = ", ".join(got.known[:4]) + (f" and {len(got.known) - 4} more" if len(got.known) > 4 else "")
        parts.append(f"{names_} download {got.wheel_count} wheels on {on}, shared ones counted once "
                     f"(pip's resolver, sizes from PyPI); the index pages pip also caches add up to "
                     f"{_mb(got.high - got.wheels_high)}")
    if live:
        parts.append(f"PyPI lists {_mb(sum(live.values()))} of wheels for {', '.join(live)} (dependencies not counted)")
    basis = "pip keeps every downloaded wheel in its cache: " + "; ".join(parts)
    conf = Confidence.MEDIUM if got.pythons == (python,) else Confidence.LOW
    if missing or live:
        conf = Confidence.LOW
    if missing:
        basis += f"; {', '.join(missing)}: size unknown (not in the table), not counted, so this is a floor"
    return SizeEstimate(low, high, basis + ".", conf, "live" if live else "table", low, high), ""


def _npm_note(got: Any) -> str:
    text = ""
    if got.approximated:
        text += f"; {len(got.approximated)} priced from other versions of the same package"
    if got.unknown:
        text += (f"; {len(got.unknown)} package(s) not in the table ({', '.join(got.unknown[:4])}"
                 f"{', ...' if len(got.unknown) > 4 else ''}): size unknown, not counted, so this is a floor")
    return text


@handles(K.NPM_CACHE)
def npm_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    tarballs = _module("tarballs")
    packages = list(_strs(p.get("packages")))
    if not packages:
        return None, "the npm cache holds what package.json pulls in, which the estimator cannot see"
    lock = bool(p.get("lockfile"))
    got = tarballs.from_lock(packages) if lock else tarballs.from_names(packages)
    if not got.counted:
        return None, f"unknown: no measured tarball sizes for {', '.join(got.unknown[:6])} (not in the npm table)"
    meta = tarballs.meta()
    if lock:
        basis = (f"npm ci keeps the packed tarball of each of the {got.counted} lockfile packages, and npm 9 and "
                 "older also their package documents (the high end)")
    else:
        basis = (f"measured: installing {', '.join(got.closures)} puts {got.counted} packages in npm's cache, "
                 "each as its packed tarball plus its package document, and the documents of optional peers")
    if lock:
        basis += f"; x{tarballs.index_factor():.2f} for the cache's index"
    elif len(got.closures) > 1:
        basis += "; together between the largest of these caches and their sum (packages they share)"
    basis += f" ({meta['tool']}, registry sizes of {meta['date']})" + _npm_note(got)
    conf = Confidence.LOW if got.unknown or len(got.approximated) * 5 > got.counted else Confidence.MEDIUM
    return SizeEstimate(got.low, max(got.low, got.high), basis + ".", conf, "measured"), ""


@handles(K.YARN_CACHE)
def yarn_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    tarballs = _module("tarballs")
    packages = _strs(p.get("packages"))
    if not packages:
        return None, "the yarn cache holds what package.json pulls in, which the estimator cannot see"
    largest, total, hit = tarballs.installed(list(packages))
    if not hit:
        return None, f"unknown: no measured package size for {', '.join(packages[:6])}"
    basis = (f"yarn v1 keeps an unpacked copy of every package in its cache, about the node_modules measured for "
             f"{', '.join(hit[:4])}{' and more' if len(hit) > 4 else ''} ({_mb(largest)}-{_mb(total)}, shared "
             "packages once or twice)")  # fmt: skip
    rest = len({tarballs.split_spec(x)[0] for x in packages} - set(hit))
    if rest:
        basis += f"; {rest} other package(s): size unknown, not counted"
    return SizeEstimate(largest * 8 // 10, total * 15 // 10, basis + ".", Confidence.LOW, "heuristic"), ""


@handles(K.GEM_DOCS)
def gem_docs(est: Estimator, p: Mapping[str, Any]) -> Result:
    ref = images.parse_ref(p.get("base_image", ""))
    if ref is not None and ref.name == "ruby":
        return _from_model(_model("gem_docs", "ruby-official")), ""
    return None, "ri/rdoc size depends on the gems installed; no table for it"


def _go_minor(base: str) -> int | None:
    """Go's minor version from a golang image tag (``golang:1.22-bookworm`` -> 22); None if
    the image is not golang or names no version (latest counts as current: 99)."""
    ref = images.parse_ref(base)
    if ref is None or ref.repository.split("/")[-1] != "golang":
        return None
    v = images.split_tag(ref.tag).version
    return v[1] if len(v) >= 2 and v[0] == 1 else (99 if not v else None)


@handles(K.GO_CACHE)
def go_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    caches = set(_strs(p.get("caches")))
    minor = _go_minor(str(p.get("base_image", "")))
    mod = "the module cache holds the sources of every module go.sum names, which no measured table covers"
    if "go-build" not in caches:
        return None, f"unknown: {mod}"
    if minor is None:
        return None, ("unknown: the Go version is not known from the base image (Go 1.19 and older ship the standard "
                      "library precompiled, so their build cache holds only the program's own packages)")
    if minor < 20:
        return None, (f"unknown: Go 1.{minor} ships the standard library precompiled, so the build cache holds only "
                      "the program's own and its modules' packages, which depend on the project")
    m = _model("go_build", "std")
    basis = m.basis + "; the compiled packages of the program's modules add on top (not counted)"
    if "go-mod" in caches:
        basis += f", and {mod} (not counted): a floor"
    return _from_model(m, basis=basis + "."), ""


@handles(K.JVM_BUILD_CACHE)
def jvm_build_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    caches = set(_strs(p.get("caches")))
    others = sorted(caches - {"maven"})
    unknown = (f"{' and '.join(others)}'s cache holds the build tool and the dependencies the build files name; "
               "not measured (no network to their repositories from the measuring host)")  # fmt: skip
    if "maven" not in caches:
        return None, f"unknown: {unknown}"
    m = _model("maven_repo", "package")
    basis = m.basis + " (a floor)"
    if others:
        basis += f"; {unknown}, not counted"
    return _from_model(m, basis=basis + "."), ""


@handles(K.PACKAGE_CACHE)
def package_cache(est: Estimator, p: Mapping[str, Any]) -> Result:
    caches = ", ".join(_strs(p.get("caches"))) or "the package manager"
    return None, (f"unknown: {caches}'s cache holds the downloads of what the project's manifest names "
                  "(cpanfile, composer.lock, Cargo.lock); no size table for them, their registries were not "
                  "reachable from the measuring host")


@handles(K.BUILD_TREE)
def build_tree(est: Estimator, p: Mapping[str, Any]) -> Result:
    url = str(p.get("url") or "")
    unknown = "unknown: a built source tree's size depends on the project (sources plus the objects the build writes)"
    if not url.startswith(("http://", "https://")):
        return None, unknown + "; its source is not a URL"
    if est.lookups is None:
        return None, unknown + "; live look-ups are off (online, its archive's size is a floor)"
    size = est.lookups.content_length(url)
    if size is None:
        return None, unknown + f"; the look-up of {url} failed"
    basis = (f"at least the downloaded archive ({_mb(size)}, Content-Length): the extracted tree is larger than its "
             "compressed archive and the build adds objects (a floor).")
    return SizeEstimate(size, size, basis, Confidence.LOW, "live"), ""


@handles(K.BUNDLER_CACHE, K.CONDA_CACHE, K.DEV_DEPENDENCIES)
def depends_on_project(est: Estimator, p: Mapping[str, Any]) -> Result:
    return None, "the size depends on the project's dependency manifest, which the estimator cannot see"


@handles(K.CACHE_BUSTING_COPY)
def cache_busting(est: Estimator, p: Mapping[str, Any]) -> Result:
    return None, "this costs build time and cache reuse, not image size"


# -- build time (DT601): no image bytes, so never in the image-size totals ----------
@handles(K.REBUILD_DOWNLOAD)
def rebuild_download(est: Estimator, p: Mapping[str, Any]) -> Result:
    return _priced_rebuild(est, p)  # the download table is loaded at its first apt price


# -- layers -----------------------------------------------------------------------
@handles(K.LATER_LAYER_CLEANUP)
def later_cleanup(est: Estimator, p: Mapping[str, Any]) -> Result:
    cleaned = p.get("cleaned", "")
    if not cleaned or cleaned == K.LATER_LAYER_CLEANUP:
        return None, "the cleaned-up waste is not named"
    inner, reason = est.estimate(SizeHint(cleaned, {k: v for k, v in p.items() if k != "cleaned"}))
    if inner is None:
        return None, reason
    basis = "The later cleanup frees nothing; doing it in the creating RUN saves: " + inner.basis[0].lower() + inner.basis[1:]
    return SizeEstimate(inner.bytes_low, inner.bytes_high, basis, inner.confidence, inner.source,
                        inner.compressed_low, inner.compressed_high), ""  # fmt: skip


def _known_bytes(p: Mapping[str, Any], what: str) -> Result:
    n = p.get("bytes")
    if isinstance(n, int) and n >= 0:
        return SizeEstimate(n, n, f"{what}: {_mb(n)} measured in the build context.", Confidence.HIGH, "measured"), ""
    return None, f"{what}: size not known (no file sizes given)"


@handles(K.CHOWN_DUPLICATE)
def chown_duplicate(est: Estimator, p: Mapping[str, Any]) -> Result:
    return _known_bytes(p, "chown/chmod -R in its own layer stores the files a second time")


@handles(K.BUILD_CONTEXT)
def build_context(est: Estimator, p: Mapping[str, Any]) -> Result:
    return _known_bytes(p, "files a .dockerignore would exclude")


@handles(K.MERGE_RUNS)
def merge_runs(est: Estimator, p: Mapping[str, Any]) -> Result:
    count = int(p.get("count", 1))
    m = _model("merge_runs", "per_layer")
    return _from_model(m, scale=max(count, 0)), ""


@handles(K.ARCHIVE_LEFT, K.ADDED_ARCHIVE)
def archive(est: Estimator, p: Mapping[str, Any]) -> Result:
    url = str(p.get("url") or "")
    if isinstance(p.get("bytes"), int):
        return _known_bytes(p, "the archive stays in the layer")
    if url.startswith(("http://", "https://")) and est.lookups is not None:
        size = est.lookups.content_length(url)
        if size is not None:
            return SizeEstimate(size, size, f"the archive stays in the layer: Content-Length {_mb(size)}.",
                                Confidence.HIGH, "live", size, size), ""  # fmt: skip
        return None, f"archive size unknown: the look-up of {url} failed"
    if url:
        return None, "archive size unknown (live look-ups are off)"
    return None, "archive size unknown (no URL)"


@handles(K.LASTLOG)
def lastlog(est: Estimator, p: Mapping[str, Any]) -> Result:
    uid = int(p.get("uid", 0))
    if uid < 0:
        raise ValueError(f"uid {uid} is negative")
    d = images.distro_of(p.get("base_image", ""))
    if d is None:
        key = "unknown"
    elif d.family == "debian" and d.release.isdigit() and int(d.release) >= 12:
        key = "debian-12+"
    elif d.family == "alpine":
        return SizeEstimate(0, 0, "Alpine's adduser (busybox) writes no lastlog/faillog.", Confidence.MEDIUM, "heuristic"), ""
    else:
        key = "writes"
    m = _model("lastlog", key)
    n = uid + 1  # records 0..uid
    basis = m.basis if key == "debian-12+" else f"uid {uid} x up to {m.high} bytes: " + m.basis
    est_ = SizeEstimate(m.low * n, m.high * n, basis, _conf(m.confidence),
                        "measured" if m.source_kind == "measured" else "heuristic",
                        0, m.high * n // 1000 + 1024 if m.high else 0)  # fmt: skip
    return est_, ""


# -- base images ------------------------------------------------------------------
def _swap(est: Estimator, from_ref: str, to_ref: str, extra: str = "") -> Result:
    a = est.base_image_size(from_ref)
    if a is None:
        return None, f"size of {from_ref or 'the base image'} unknown"
    b = est.base_image_size(to_ref) if to_ref else None
    if b is None:
        return None, f"size of {to_ref or 'the target image'} unknown"
    low, high = max(0, a.bytes_low - b.bytes_high), max(0, a.bytes_high - b.bytes_low)
    if high == 0:
        return None, f"{to_ref} is not smaller than {from_ref}"
    # both sizes share the same compression ratio: narrow the range to the ratio's spread
    if a.compressed_low is not None and b.compressed_low is not None:
        dc = (a.compressed_low or 0) - (b.compressed_high or 0)
        if dc > 0:
            r = _model("image_ratio", "default")
            low, high = dc * r.low // 1000, dc * r.high // 1000
    ca, cb = a.compressed_low, b.compressed_low
    comp = (ca - cb) if ca is not None and cb is not None and ca > cb else None
    basis = f"{a.basis.split(',')[0]} vs {b.basis.split(',')[0]}{extra}"
    conf = _weaker(a.confidence, b.confidence)
    src = "live" if "live" in (a.source, b.source) else "table"
    return SizeEstimate(low, max(low, high), basis + ".", conf, src, comp, comp), ""


@handles(K.BASE_IMAGE_SWAP)
def base_swap(est: Estimator, p: Mapping[str, Any]) -> Result:
    e, reason = _swap(est, str(p.get("from_image", "")), str(p.get("to_image", "")))
    if e is None or not p.get("alternative"):
        return e, reason
    # Alpine on evidence: the size beside the -slim alternative, and the evidence named
    basis = e.basis[:-1] + _beside(est, str(p["to_image"]), str(p["alternative"]))
    basis += f" (evidence: {p['evidence']})." if p.get("evidence") else "."
    return e._replace(basis=basis), ""


@handles(K.TOOLCHAIN_RUNTIME)
def toolchain_runtime(est: Estimator, p: Mapping[str, Any]) -> Result:
    e, reason = _swap(est, str(p.get("from_image", "")), str(p.get("to_image", "")),
                      "; the built artifacts are added back on top")  # fmt: skip
    if e is None:
        return None, reason
    basis = e.basis
    if p.get("alternative"):  # Alpine/distroless on evidence: the size beside the -slim runtime
        basis = basis[:-1] + _beside(est, str(p["to_image"]), str(p["alternative"])) + "."
    return SizeEstimate(e.bytes_low, e.bytes_high, basis, _weaker(e.confidence, Confidence.MEDIUM), e.source,
                        e.compressed_low, e.compressed_high), ""  # fmt: skip


def _beside(est: Estimator, chosen: str, alternative: str) -> str:
    """"; node:20-alpine ≈ 58 MB against node:20-slim ≈ 190 MB" from the base-image table."""
    from bot.estimate.format import format_range

    sizes = [est.base_image_size(ref) for ref in (chosen, alternative)]
    shown = [f"`{ref}` " + (f"≈ {format_range(s.bytes_low, s.bytes_high)}" if s else "size unknown")
             for ref, s in zip((chosen, alternative), sizes)]
    return f"; {shown[0]} against {shown[1]}"


@handles(K.COPY_WHOLE_FS)
def copy_whole_fs(est: Estimator, p: Mapping[str, Any]) -> Result:
    src = str(p.get("from_image", ""))
    size = est.base_image_size(src)
    if size is None:
        return None, f"size of {src or 'the source stage base'} unknown"
    basis = f"COPY --from=... / / copies the whole stage, at least its base image ({size.basis.split(',')[0]})."
    return SizeEstimate(size.bytes_low, size.bytes_high, basis, Confidence.LOW, size.source,
                        size.compressed_low, size.compressed_high), ""  # fmt: skip
