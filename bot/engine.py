"""analyse(files) -> findings with fixes, fingerprints and size estimates; apply fixes.

The engine parses each file once, runs the selected rules, applies suppression
pragmas (reporting unused ones as DT901), gives findings their identity (bot/identity.py) and attaches size
estimates. Fixes are applied here too, so the CLI, the action and measure share
one definition of "the file with its fixes applied".
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from bot.model import hints
from bot.model.dockerfile import Dockerfile, parse
from bot.model.findings import STAGE_CLAIM, Finding, Safety, Severity, SizeEstimate
from bot.model.records import Record, field
from bot.model.source import Source, SourceError, decode, read
from bot.model.text import Edit, apply_edits
from bot import identity, rules as catalogue
from bot.rules.base import BuildContext, Context

if TYPE_CHECKING:  # the pragma module is imported for a file with comments (_suppressions)
    from bot.model.pragmas import Suppression

DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")


class Options(Record):
    __slots__ = ()
    _fields = ("select", "ignore", "estimate", "online", "severity", "per_file_ignores", "min_saving", "root")
    select = field(0, "tuple[str, ...]")
    ignore = field(1, "tuple[str, ...]")
    estimate = field(2, "bool")
    online = field(3, "bool")
    severity = field(4, "tuple[tuple[str, Severity], ...]: per-rule overrides")
    per_file_ignores = field(5, "tuple[tuple[str, tuple[str, ...]], ...]: (glob, selectors)")
    min_saving = field(6, "int: hide size-only findings estimated to save less (bytes, high bound)")
    root = field(7, "str: per-file-ignores globs are relative to this directory")

    def __new__(cls, select: tuple = (), ignore: tuple = (), estimate: bool = True, online: bool = False,
                severity: tuple = (), per_file_ignores: tuple = (), min_saving: int = 1_000_000,
                root: str = "") -> "Options":
        return tuple.__new__(cls, (select, ignore, estimate, online, severity, per_file_ignores, min_saving, root))

    def ignores_for(self, path: str) -> tuple[str, ...]:
        if not self.per_file_ignores:
            return self.ignore
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(self.root or ".")).replace(os.sep, "/")
        extra = [sel for glob, sels in self.per_file_ignores if _glob_match(rel, glob) for sel in sels]
        return self.ignore + tuple(extra)


def _glob_match(rel: str, glob: str) -> bool:
    """As ruff's per-file-ignores: ``*`` stays within a directory, ``**`` crosses them,
    and a glob without ``/`` matches the file's base name anywhere."""
    from bot.model.globs import glob_regex

    glob = glob[2:] if glob.startswith("./") else glob
    if "/" not in glob:
        rel = rel.rsplit("/", 1)[-1]
    return glob_regex(glob).fullmatch(rel) is not None


class FileResult(Record):
    __slots__ = ()
    _fields = ("path", "source_text", "findings", "error", "bom", "base_image", "base_size")
    path = field(0, "str")
    source_text = field(1, "str")
    findings = field(2, "tuple[Finding, ...]")
    error = field(3, "str | None: the file could not be read: the reason")
    bom = field(4, "bool")
    base_image = field(5, "str: the external image the final stage builds on")
    base_size = field(6, "SizeEstimate | None: its size, when known and a finding has an estimate")

    def __new__(cls, path: str, source_text: str, findings: tuple = (), error: "str | None" = None,
                bom: bool = False, base_image: str = "", base_size: "SizeEstimate | None" = None) -> "FileResult":
        return tuple.__new__(cls, (path, source_text, findings, error, bom, base_image, base_size))


class LintResult(Record):
    __slots__ = ()
    _fields = ("files",)
    files = field(0, "tuple[FileResult, ...]")

    def __new__(cls, files: tuple = ()) -> "LintResult":
        return tuple.__new__(cls, (files,))

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[FileResult]:
        return [r for r in self.files if r.error]


_SELECTED: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[str], tuple]] = {}


def _rule_ids(options: Options, path: str) -> tuple[list[str], tuple]:
    """The ids of the rules selected for ``path``, and the plan ``_run_rules`` follows
    (``rules.plan``), both made once per (select, ignores), not once per file of a run;
    none is imported yet."""
    key = (tuple(options.select), tuple(options.ignores_for(path)))
    found = _SELECTED.get(key)
    if found is None:
        ids = catalogue.static_ids(list(key[0]), list(key[1]))
        found = _SELECTED[key] = (ids, catalogue.plan(ids))
    return found


def _run_rules(ctx: Context, plan: tuple) -> list[Finding]:
    """The findings of the rules of ``plan`` (``rules.plan``) that may report on this file: a
    rule whose trigger words the file does not say (rules.TRIGGERS) would find nothing, so it
    is neither imported nor run."""
    said = catalogue.says(ctx.df)
    findings: list[Finding] = []
    for rule_id, words in plan:
        # rules.may_report, spelled out: it is asked of every selected rule on every file
        if words is None or not said.isdisjoint(words):
            check = _CHECKS.get(rule_id)
            if check is None:
                check = _CHECKS[rule_id] = catalogue.load(rule_id)().check
            findings.extend(check(ctx))
    return findings


# rule id -> its rule's ``check``: a rule keeps nothing of a file on itself (all it asks goes
# through the Context), so one instance serves every file of a run
_CHECKS: dict[str, Callable[[Context], Iterable[Finding]]] = {}


def _suppressed(finding: Finding, sups: "list[Suppression]", ins_index_of, dl_map) -> "Suppression | None":
    target = ins_index_of(finding)
    for s in sups:
        if s.is_global or s.target == target:
            for code in s.codes:
                if code == finding.rule_id or finding.rule_id in dl_map.get(code, ()):
                    return s
    return None


def analyse_source(
    source: Source,
    options: Options = Options(),
    build_context: BuildContext | None = None,
    estimator=None,
    *,
    parsed: Dockerfile | None = None,
) -> FileResult:
    """``parsed``: ``parse(source.text, source.path)`` when the caller has it already."""
    df = parsed if parsed is not None else parse(source.text, source.path)
    ctx = Context(df, source.path, build_context, pypi=pypi_lookups() if options.online else None)
    ids, plan = _rule_ids(options, source.path)
    findings = _run_rules(ctx, plan)
    findings = _apply_suppressions(ctx, df, ids, findings)
    findings = _collapse_same_waste(findings)
    overrides = dict(options.severity)
    findings = identity.assign(ctx, findings)
    if overrides:
        findings = [f.with_(severity=overrides.get(f.rule_id, f.severity)) for f in findings]
    base_image = ctx.base_image(df.final_stage)
    base_size = None
    if options.estimate and findings:
        estimator = estimator or make_estimator(options.online)
        findings = _estimate(findings, estimator, options, ctx)
        if options.min_saving:
            hidden = _module("bot.estimate.quiet").hidden
            findings = [f for f in findings if not hidden(f, options.min_saving)]
        # the reports state the base's size only beside an estimated finding (json's "image",
        # --statistics' shares): a file without one never asks the size model
        if base_image and any(f.estimate is not None for f in findings):
            base_size = estimator.base_image_size(base_image)
    findings.sort(key=lambda f: (f.span.start, f.rule_id, f.span.end))
    return FileResult(source.path, source.text, tuple(findings), bom=source.bom, base_image=base_image,
                      base_size=base_size)


def _collapse_same_waste(findings: list[Finding]) -> list[Finding]:
    """One comment per waste. Findings whose hints share a claim describe the same bytes;
    one of them is dropped when another supersedes it (``_supersedes``). Only a finding
    with claims can be superseded, and only by one that shares a claim: each finding is
    compared with those (found by claim), not with every other."""
    claimed = [(f, frozenset(f.hint.claims)) for f in findings if f.hint is not None and f.hint.claims]
    if len(claimed) < 2:
        return findings
    by_claim: dict[str, list[tuple[Finding, frozenset[str]]]] = {}
    for a, mine in claimed:
        for claim in mine:
            by_claim.setdefault(claim, []).append((a, mine))

    def superseded(b: Finding, theirs: frozenset[str]) -> bool:
        return any(a is not b and _supersedes(a, mine, b, theirs) for c in theirs for a, mine in by_claim[c])

    dropped = {id(b) for b, theirs in claimed if superseded(b, theirs)}
    return [f for f in findings if id(f) not in dropped] if dropped else findings


def _supersedes(a: Finding, mine: frozenset[str], b: Finding, theirs: frozenset[str]) -> bool:
    """``a`` (claiming ``mine``) makes ``b``'s comment (claiming ``theirs``, a claim of them
    shared) redundant:
    - on the same span, ``a`` has a fix and ``b`` has none (DT101 and DT203 on a lone
      ``apt-get update``: DT203's merge is the actionable one);
    - ``a`` takes a whole stage out of the final image (it claims the stage), claims
      all of ``b``'s bytes too, and is at least as actionable (a fix, or neither has one):
      a multi-stage rewrite (DT402) answers the slim swap of its base (DT401) and the
      purge of its build packages (DT207).
    Other findings that share claims stay: they share bytes (counted once in totals),
    not a remedy (DT201 moving one cleanup does not fix DT104's other layer).
    Both orders are strict, so two findings never drop each other."""
    if a.span == b.span and a.fix is not None and b.fix is None:
        return True
    whole_stage = any(c.partition("@")[0] == STAGE_CLAIM for c in mine)
    return whole_stage and mine > theirs and (a.fix is not None or b.fix is None)


def _hadolint_codes(sups: "list[Suppression]") -> dict[str, set[str]]:
    """DL code -> ids of the rules that share it (``rules.hadolint_map``), when a pragma names
    a code that is not a rule id: making the map imports every rule, which pragmas that name
    only our rules (``# dockerdiet ignore=DT101``) do not need."""
    if all(code.startswith("DT") for s in sups for code in s.codes):
        return {}
    return catalogue.hadolint_map()


def _split_suppressed(df: Dockerfile, sups: "list[Suppression]", findings: list[Finding],
                      dl_map: dict[str, set[str]]) -> tuple[list[Finding], set]:
    """The findings no pragma suppresses, and the (pragma, rule) pairs that did suppress."""
    starts = sorted((ins.span, ins.index) for ins in df.instructions)

    def ins_index_of(f: Finding) -> int | None:
        for span, index in starts:
            if span.contains(f.span) or span.start <= f.span.start < span.end:
                return index
        return None

    kept, used = [], set()
    for f in findings:
        s = _suppressed(f, sups, ins_index_of, dl_map)
        if s is None:
            kept.append(f)
        else:
            used.add((id(s), f.rule_id))
    return kept, used


def _suppressions(df: Dockerfile) -> "list[Suppression]":
    """The file's pragmas: a pragma is a comment, so a file without any never loads their module."""
    if not df.comments:
        return []
    return _module("bot.model.pragmas").parse_suppressions(df)


_MODULES: dict[str, object] = {}


def _module(name: str):
    """A module imported at its first use, then kept: a ``from ... import`` statement run for
    each file asks the module for ``__path__`` (an AttributeError made and dropped each time)."""
    found = _MODULES.get(name)
    if found is None:
        found = _MODULES[name] = importlib.import_module(name)
    return found


def unsuppressed(df: Dockerfile, findings: list[Finding]) -> list[Finding]:
    """Findings made outside the static pass (measured ones) minus those a pragma suppresses."""
    sups = _suppressions(df)
    return _split_suppressed(df, sups, findings, _hadolint_codes(sups))[0] if sups else findings


def _apply_suppressions(ctx: Context, df: Dockerfile, ids: list[str], findings: list[Finding]) -> list[Finding]:
    """``ids``: the static rules that ran (a measured rule's pragma is judged when measuring);
    one skipped for want of its trigger words ran in effect: it had nothing to report."""
    sups = _suppressions(df)
    if not sups:
        return findings
    dl_map = _hadolint_codes(sups)
    kept, used = _split_suppressed(df, sups, findings, dl_map)
    if "DT901" in ids:
        kept.extend(catalogue.load("DT901")().report_unused(ctx, sups, used, set(ids), dl_map))
    return kept


_pypi_lookups = None  # one bounded look-up client per run (its time budget is per run)


def pypi_lookups():
    """The PyPI look-ups rules may use as evidence with --online (bounded, cached on disk)."""
    global _pypi_lookups
    if _pypi_lookups is None:
        from bot.estimate.lookups import Lookups

        _pypi_lookups = Lookups()
    return _pypi_lookups


def make_estimator(online: bool = False):
    """The size model; with ``online`` it may ask the registry and PyPI (bounded)."""
    from bot.estimate import Estimator

    if not online:
        return Estimator()
    from bot.estimate.lookups import Lookups

    return Estimator(lookups=Lookups())


class OnDemandEstimator:
    """``make_estimator(online)``, made when first asked: a run in which no file has a finding
    to price never loads the size model (its modules and tables are ~10% of a clean file's
    cold check). Stands for the estimator it makes: every attribute is the estimator's."""

    def __init__(self, online: bool = False) -> None:
        self.online = online
        self._estimator = None

    def __getattr__(self, name: str):
        # called only for names this object lacks: the estimator's own
        if self._estimator is None:
            self._estimator = make_estimator(self.online)
        return getattr(self._estimator, name)


def _estimate(findings: list[Finding], estimator, options: Options, ctx: Context | None = None) -> list[Finding]:
    out = []
    estimate_finding = estimator.estimate_finding  # looked up once: an OnDemandEstimator answers it through __getattr__
    for f in findings:
        if f.hint is None:
            out.append(f)
            continue
        est, why = estimate_finding(f, ctx)
        out.append(f.with_(estimate=est, estimate_note="" if est else why))
    return out


def final_base(text: str, estimator=None, online: bool = False) -> tuple[str, SizeEstimate | None]:
    """The external image the final stage builds on, and its estimated size."""
    df = parse(text)
    image = Context(df, "").base_image(df.final_stage)
    if not image:
        return "", None
    return image, (estimator or make_estimator(online)).base_image_size(image)


def analyse_text(
    path: str, text: str, options: Options = Options(), build_context: BuildContext | None = None, estimator=None
) -> FileResult:
    return analyse_source(Source(path, text), options, build_context, estimator)


def analyse_file(path: str, options: Options = Options(), build_context=None, estimator=None) -> FileResult:
    try:
        source = read(path)
    except SourceError as exc:
        return FileResult(path, "", error=str(exc))
    return analyse_source(source, options, build_context, estimator)


def analyse_bytes(path: str, data: bytes, options: Options = Options(), build_context=None, estimator=None) -> FileResult:
    try:
        source = decode(path, data)
    except SourceError as exc:
        return FileResult(path, "", error=str(exc))
    return analyse_source(source, options, build_context, estimator)


# ---------------------------------------------------------------------------- fixes


def _eligible(f: Finding, unsafe: bool) -> bool:
    if f.fix is None or f.fix.safety is Safety.DISPLAY_ONLY:
        return False
    return f.fix.safety is Safety.SAFE or unsafe


def choose_fixes(findings: Iterable[Finding], unsafe: bool = False) -> list[Finding]:
    """Fixes that can apply together: in position order, skipping any that overlaps
    one already taken (it gets its turn in the next pass)."""
    taken: list[Finding] = []
    edits: list[Edit] = []
    for f in sorted((f for f in findings if _eligible(f, unsafe)), key=lambda f: (f.fix.span.start, f.rule_id)):
        # Touching counts as a conflict between different fixes: an insertion at the
        # edge of another fix's replacement would be applied in an arbitrary order.
        if any(e.span.start <= o.span.end and o.span.start <= e.span.end for e in f.fix.edits for o in edits):
            continue
        taken.append(f)
        edits.extend(f.fix.edits)
    return taken


def apply_fixes(text: str, findings: Iterable[Finding], unsafe: bool = False) -> tuple[str, list[Finding]]:
    """One pass: the text with every compatible eligible fix applied."""
    taken = choose_fixes(findings, unsafe)
    edits = [e for f in taken for e in f.fix.edits]
    return apply_edits(text, edits), taken


MAX_FIX_PASSES = 6


class FixOutcome(Record):
    __slots__ = ()
    _fields = ("path", "original", "fixed", "applied", "remaining", "rejected")
    path = field(0, "str")
    original = field(1, "str")
    fixed = field(2, "str")
    applied = field(3, "tuple[Finding, ...]")
    remaining = field(4, "tuple[Finding, ...]")
    rejected = field(5, "str: why fixes were not applied (they would break the file)")

    def __new__(cls, path: str, original: str, fixed: str, applied: tuple, remaining: tuple,
                rejected: str = "") -> "FixOutcome":
        return tuple.__new__(cls, (path, original, fixed, applied, remaining, rejected))


def _build_time(f: Finding) -> bool:
    """A build-time advice (a cache mount), whatever severity a config gave it."""
    return f.severity is Severity.STYLE or (f.hint is not None and f.hint.kind == hints.REBUILD_DOWNLOAD)


def fix_source(source: Source, options: Options = Options(), unsafe: bool = False, build_context=None,
               select: Callable[[Finding, str], bool] | None = None) -> FixOutcome:
    """Apply fixes until nothing more applies. A pass that would add a parse error
    is rejected: a fix never breaks a Dockerfile that parsed before. ``select(finding,
    text)`` limits each pass to some findings (a review suggestion fixes only its lines)."""
    opts = options._replace(estimate=False, min_saving=0)
    text = source.text
    applied: list[Finding] = []
    rejected = ""
    df = parse(text, source.path)  # each text is parsed once, and analysed once
    base_errors = len(df.errors)
    result = None
    for _ in range(MAX_FIX_PASSES):
        result = analyse_source(Source(source.path, text, source.bom), opts, build_context, parsed=df)
        found = result.findings if select is None else [f for f in result.findings if select(f, text)]
        # Style fixes (DT601's cache mounts) come after every other fix has settled: applied in
        # one pass with, say, DT105's --no-cache-dir and DT201's moved `rm -rf /root/.cache`,
        # they would fight over the same cache; applied last, they see the final RUN.
        new_text, taken = apply_fixes(text, [f for f in found if not _build_time(f)], unsafe)
        if not taken or new_text == text:
            new_text, taken = apply_fixes(text, found, unsafe)
        if not taken or new_text == text:
            break
        new_df = parse(new_text, source.path)
        if len(new_df.errors) > base_errors:
            rejected = "applying " + ", ".join(sorted({f.rule_id for f in taken})) + " would make the file unparseable"
            break
        text, df = new_text, new_df
        applied.extend(taken)
        result = None  # the findings of the text before
    if result is None:  # every pass changed the text: the last one is not analysed yet
        result = analyse_source(Source(source.path, text, source.bom), opts, build_context, parsed=df)
    return FixOutcome(source.path, source.text, text, tuple(applied), result.findings, rejected)


# ---------------------------------------------------------------------------- files


def is_dockerfile_name(name: str) -> bool:
    return (
        name in DOCKERFILE_NAMES
        or name.startswith(("Dockerfile.", "Containerfile."))
        or name.endswith((".Dockerfile", ".dockerfile", ".Containerfile"))
        or name.lower() in ("dockerfile", "containerfile")
    )


SKIP_DIRS = frozenset((".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".hg", ".svn"))


def discover(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """Dockerfiles named by ``paths`` (directories searched recursively), and errors."""
    found: list[str] = []
    errors: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                found.extend(os.path.join(root, f) for f in sorted(files) if is_dockerfile_name(f))
        elif os.path.exists(p):
            found.append(p)
        else:
            errors.append(f"{p}: no such file or directory")
    return found, errors


def analyse_paths(paths: Sequence[str], options: Options = Options(), estimator=None) -> LintResult:
    files, _ = discover(paths)
    if options.estimate and estimator is None:
        estimator = OnDemandEstimator(options.online)
    return LintResult(tuple(analyse_file(p, options, build_context_for(p), estimator) for p in files))


def build_context_for(dockerfile_path: str, context_dir: str | None = None) -> BuildContext | None:
    """The build context a local run can see: the Dockerfile's directory by default.
    Dockerfiles in one directory share one context, listed at most once per run."""
    root = context_dir or os.path.dirname(os.path.abspath(dockerfile_path))
    context = _CONTEXTS.get(root)
    if context is None:
        context = _CONTEXTS[root] = LazyBuildContext(root)
    return context


_CONTEXTS: dict[str, "LazyBuildContext"] = {}


def _folder_size(path: str, limit: int = 200_000) -> tuple[int, int]:
    """Files and bytes below ``path``, stopping after ``limit`` files (a lower bound then)."""
    count = size = 0
    stack = [path]
    while stack and count < limit:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        count += 1
                        size += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return count, size


class LazyBuildContext(BuildContext):
    """The build context on disk, walked only when a rule asks."""

    MAX_FILES = 20000  # a huge context: enough to decide, not to inventory

    def __init__(self, root: str) -> None:
        super().__init__(root)
        # paths that could not be read: every Dockerfile of a folder asks for the same
        # manifests (pyproject.toml, package.json, ...), and a failed open costs an exception
        self._unreadable: set[str] = set()

    @property
    def files(self):
        if self._files is None:
            out: dict[str, int] = {}
            stack = [(self.root, "")]
            while stack and len(out) <= self.MAX_FILES:
                path, prefix = stack.pop()
                try:
                    entries = sorted(os.scandir(path), key=lambda e: e.name)
                except OSError:
                    continue
                for entry in entries:
                    rel = prefix + entry.name
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            if entry.name in SKIP_DIRS:
                                # one summary entry: rules see the folder and its size, not its files
                                count, size = _folder_size(entry.path)
                                out[f"{rel}/<{count} files>"] = size
                            else:
                                stack.append((entry.path, rel + "/"))
                        elif entry.is_file(follow_symlinks=False):
                            out[rel] = entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
            self._files = out
        return self._files

    def exists(self, path: str) -> bool:
        # a stat, not a walk: most rules only ask about a few manifest files
        if self._files is not None:
            return super().exists(path)
        rel = path.lstrip("/")
        while rel.startswith("./"):
            rel = rel[2:]
        return os.path.isfile(os.path.join(self.root, rel))

    def text(self, path: str):
        cached = super().text(path)
        if cached is not None:
            return cached
        if path in self._unreadable:
            return None
        full = os.path.join(self.root, path)
        try:
            with open(full, encoding="utf-8", errors="replace") as fh:
                data = fh.read(256 * 1024)
        except OSError:
            self._unreadable.add(path)
            return None
        self._texts[path] = data
        return data
