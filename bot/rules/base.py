"""What a rule is, and the questions it may ask of a parsed Dockerfile.

A rule is one class: id, kebab-case name, severity, docs with fixed headings,
examples that the test suite runs, and ``check(ctx)``. Rules do no I/O, read no
environment, compute no sizes (they describe waste with a SizeHint) and never
match regexes over raw text: they ask :class:`Context`.
"""

from __future__ import annotations

import bisect
from typing import Any, Callable, ClassVar, Iterator, Mapping, TypeVar

from bot.model.dockerfile import Dockerfile, Instruction, Stage
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript, run_scripts
from bot.model.text import Span
from bot.model.stages import apply_variables, variables_at, workdir_at
# every check loads facts (DT401 and DT402 run on every file): imported here, not by an import
# statement run at each home() asked (one asks a module for __path__: an AttributeError made)
from bot.rules.facts import home_dir, user_at

T = TypeVar("T")

_UNKNOWN: Any = object()  # a cache's "not asked yet", where None is an answer

DOC_HEADINGS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")


class Valid(Record):
    """A Dockerfile on which the rule must stay silent."""

    __slots__ = ()
    _fields = ("code", "note", "context")
    code = field(0, "str")
    note = field(1, "str")
    # build-context files, for rules that look at them: the text, or only the size of a big file
    # (an int: no string of that size is built when the rule's module is imported)
    context = field(2, "Mapping[str, str | int] | None")

    def __new__(cls, code, note="", context=None):
        return tuple.__new__(cls, (code, note, context))


class Invalid(Record):
    """A Dockerfile on which the rule must fire (at ``at`` = "line:col-line:col" if given).

    ``fixed`` is the whole file after applying this rule's fixes; it proves the fix.
    """

    __slots__ = ()
    _fields = ("code", "fixed", "at", "message", "note", "context")
    code = field(0, "str")
    fixed = field(1, "str | None")
    at = field(2, "str | None")
    message = field(3, "str | None: a substring of the message")
    note = field(4, "str")
    context = field(5, "Mapping[str, str | int] | None: as Valid's")

    def __new__(cls, code, fixed=None, at=None, message=None, note="", context=None):
        return tuple.__new__(cls, (code, fixed, at, message, note, context))


class BuildContext:
    """What rules may know of the build context: relative file paths with their sizes,
    and the text of small files such as ``.dockerignore``. The engine provides it (from
    the file system locally, from the repository tree in the action); rules only ask."""

    def __init__(self, root: str = "", files: Mapping[str, int] | None = None, texts: Mapping[str, str] | None = None):
        self.root = root
        self._files = dict(files) if files is not None else None
        self._texts = dict(texts or {})
        self._under: dict[str, dict[str, int]] | None = None
        self._folders: frozenset[str] | None = None
        self._derived: dict[tuple, Any] = {}

    @classmethod
    def of_example(cls, files: Mapping[str, str | int]) -> "BuildContext":
        """A rule example's context (``Valid.context``): each file's text, or only its size."""
        sizes = {k: v if isinstance(v, int) else len(v) for k, v in files.items()}
        return cls("/ctx", sizes, {k: v for k, v in files.items() if isinstance(v, str)})

    @property
    def files(self) -> Mapping[str, int]:
        return self._files or {}

    def exists(self, path: str) -> bool:
        return _norm(path) in self.files

    def text(self, path: str) -> str | None:
        return self._texts.get(_norm(path))

    def under(self, folder: str) -> dict[str, int]:
        """Files below any directory named ``folder`` (at any depth)."""
        if self._under is None:  # the file list never changes once listed
            index: dict[str, dict[str, int]] = {}
            for path, size in self.files.items():
                for part in set(path.split("/")[:-1]):
                    index.setdefault(part, {})[path] = size
            self._under = index
        return self._under.get(folder, {})

    def derived(self, key: tuple, compute: Callable[[], T]) -> T:
        """A fact computed from the file list once per ``key`` and kept: every Dockerfile of
        a folder shares its context, so a folder of many Dockerfiles, each with ``COPY . .``,
        would otherwise filter and classify the same listing once per file. Callers must
        not change what they get."""
        try:
            return self._derived[key]
        except KeyError:
            found = self._derived[key] = compute()
            return found

    def is_folder(self, path: str) -> bool:
        """Whether some listed file lies below ``path`` (relative, no trailing slash)."""
        if self._folders is None:  # the file list never changes once listed
            self._folders = frozenset(p[:i] for p in self.files for i, ch in enumerate(p) if ch == "/")
        return path in self._folders


def _norm(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


class Rule:
    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    summary: ClassVar[str]  # one line for tables
    explanation: ClassVar[str]  # markdown with the DOC_HEADINGS as "## " sections
    hadolint: ClassVar[tuple[str, ...]] = ()
    fix_safety: ClassVar[Safety | None] = None  # the strongest safety its fixes have
    size_rule: ClassVar[bool] = True  # only report in stages that reach the final image
    default_enabled: ClassVar[bool] = True  # False: runs only when selected (by id, prefix or ALL)
    examples: ClassVar[tuple[Valid | Invalid, ...]] = ()
    measured: ClassVar[bool] = False  # the DT7xx family: found in built layers (bot/rules/measured.py)

    def check(self, ctx: "Context") -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def fixable(cls) -> bool:
        return any(isinstance(e, Invalid) and e.fixed is not None for e in cls.examples)

    @classmethod
    def anchor(cls) -> str:
        return cls.id.lower()


class Context:
    """One parsed file, and the questions rules ask of it."""

    def __init__(self, df: Dockerfile, path: str, build_context: BuildContext | None = None, pypi=None) -> None:
        self.df = df
        self.path = path
        self.build_context = build_context
        # Live PyPI release look-ups (``pypi_release(name, version) -> dict | None``), set by
        # the engine only with --online: evidence a rule may use (python_alpine), else None.
        self.pypi = pypi
        self._scripts: dict[int, tuple[ShellScript, ...]] = {}
        self._occurrences: dict[tuple[str, str], int] = {}
        self._env: dict[tuple[int, str], dict[str, str]] = {}
        self._before: dict[tuple[int, str], tuple[Instruction, ...]] = {}
        self._selected: dict[tuple[tuple[str, ...], bool], tuple[Instruction, ...]] = {}
        # where each instruction runs, asked by most rules of each RUN: (index, keyword, default) -> WORKDIR
        self._workdirs: dict[tuple[int, str, str | None], str | None] = {}
        self._homes: dict[tuple[int, str], str] = {}  # (index, keyword) -> $HOME
        # per stage index, for ``before``: see _stage_order and _inherited
        self._stage_orders: dict[int, tuple[list[int], tuple[Instruction, ...]]] = {}
        self._inherited_by: dict[int, tuple[Instruction, ...]] = {}
        self._stage_afters: dict[int, tuple[list[int], tuple[Instruction, ...], tuple[Instruction, ...]]] = {}
        self._variables: dict[int, list[dict[str, str]]] = {}  # see _stage_variables
        self._base_images: dict[int, str] = {}  # stage index -> base_image

    # ---------------------------------------------------------------- structure
    def stages(self, final_only: bool = False) -> list[Stage]:
        return [s for s in self.df.stages if not final_only or s.index in self.df.reaches_final]

    def instructions(self, *keywords: str, final_only: bool = False) -> tuple[Instruction, ...]:
        """Effective instructions (ONBUILD's inner ones included) in file order."""
        key = (keywords, final_only)
        found = self._selected.get(key)
        if found is None:
            found = self._selected[key] = tuple(
                ins
                for ins in self.df.all_instructions()
                if ins.stage >= 0
                and (not keywords or ins.keyword in keywords)
                and (not final_only or self.df.in_final_image(ins))
            )
        return found

    def runs(self, final_only: bool = False) -> tuple[Instruction, ...]:
        return self.instructions("RUN", final_only=final_only)

    def scripts(self, ins: Instruction) -> tuple[ShellScript, ...]:
        start = ins.span.start
        key = start.line * 100000 + start.column
        found = self._scripts.get(key)
        if found is None:
            found = self._scripts[key] = tuple(run_scripts(self.df, ins))
        return found

    def commands(
        self, *programs: str, sub: str | None = None, final_only: bool = False
    ) -> Iterator[tuple[Instruction, ShellScript, Command]]:
        for ins in self.runs(final_only):
            for script in self.scripts(ins):
                for cmd in script.find(*programs, sub=sub):
                    yield ins, script, cmd

    def stage(self, ins: Instruction) -> Stage | None:
        # df.stage_of spelled out (one call less): asked ~10000 times over the corpus
        stages, at = self.df.stages, ins.stage
        return stages[at] if 0 <= at < len(stages) else None

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first."""
        out = [stage]
        while out[-1].parent is not None and len(out) <= len(self.df.stages):
            out.append(self.df.stages[out[-1].parent])
        return out

    def base_image(self, stage: Stage | None) -> str:
        """The external image a stage builds on, through ``FROM <stage>`` chains."""
        if stage is None:
            return ""
        # asked by most findings' hints (several per file): the chain is walked once per stage
        found = self._base_images.get(stage.index)
        if found is None:
            found = self._base_images[stage.index] = self.lineage(stage)[-1].image
        return found

    def before(self, ins: Instruction) -> tuple[Instruction, ...]:
        """Instructions that run before ``ins`` in its image: earlier ones of its stage
        and every instruction of the stages it is built from, nearest first."""
        key = (ins.index, ins.keyword)
        cached = self._before.get(key)
        if cached is None:
            cached = self._before[key] = self._compute_before(ins)
        return cached

    def _compute_before(self, ins: Instruction) -> tuple[Instruction, ...]:
        stage = self.stage(ins)
        if stage is None:
            return ()
        indexes, nearest_first = self._stage_order(stage)
        earlier = bisect.bisect_left(indexes, ins.index)  # how many of the stage's come before ins
        return nearest_first[len(nearest_first) - earlier :] + self._inherited(stage)

    def _stage_order(self, stage: Stage) -> tuple[list[int], tuple[Instruction, ...]]:
        """The indexes of a stage's instructions (file order), and the effective
        instructions nearest first: every ``before`` of the stage is a tail of the latter."""
        found = self._stage_orders.get(stage.index)
        if found is None:
            found = self._stage_orders[stage.index] = (
                [i.index for i in stage.instructions], tuple(i.effective() for i in reversed(stage.instructions)))
        return found

    def _inherited(self, stage: Stage) -> tuple[Instruction, ...]:
        """Every instruction of the stages ``stage`` is built FROM, nearest first."""
        found = self._inherited_by.get(stage.index)
        if found is None:
            found = self._inherited_by[stage.index] = tuple(
                i for s in self.lineage(stage)[1:] for i in self._stage_order(s)[1])
        return found

    def after(self, ins: Instruction) -> tuple[Instruction, ...]:
        """Instructions that run after ``ins`` on top of its files: later ones of its
        stage and every instruction of the stages built FROM it, in file order."""
        stage = self.stage(ins)
        if stage is None:
            return ()
        indexes, in_file_order, built_on = self._stage_after(stage)
        later = bisect.bisect_right(indexes, ins.index)  # how many of the stage's are not after ins
        return in_file_order[later:] + built_on

    def _stage_after(self, stage: Stage) -> tuple[list[int], tuple[Instruction, ...], tuple[Instruction, ...]]:
        """The indexes of a stage's instructions, its effective instructions in file order, and
        those of the later stages built FROM it: every ``after`` of the stage is a tail of the
        second and all of the third (rules ask ``after`` of most RUNs, several times each)."""
        found = self._stage_afters.get(stage.index)
        if found is None:
            built_on = tuple(other.effective() for s in self.df.stages[stage.index + 1 :] if stage in self.lineage(s)
                             for other in s.instructions)  # fmt: skip
            found = self._stage_afters[stage.index] = (
                self._stage_order(stage)[0], tuple(i.effective() for i in stage.instructions), built_on)
        return found

    def env(self, ins: Instruction) -> dict[str, str]:
        """ENV and ARG values in force at ``ins`` (ARG values are their defaults)."""
        key = (ins.index, ins.keyword)
        cached = self._env.get(key)
        if cached is None:
            cached = self._env[key] = self._compute_env(ins)
        return dict(cached)

    def _compute_env(self, ins: Instruction) -> dict[str, str]:
        stage = self.stage(ins)
        if stage is None:
            return variables_at(self.df, self.before(ins))
        earlier = bisect.bisect_left(self._stage_order(stage)[0], ins.index)
        return self._stage_variables(stage)[earlier]

    def _stage_variables(self, stage: Stage) -> list[dict[str, str]]:
        """The ENV and ARG values in force after each number of the stage's instructions
        (0: those of the stages it is built FROM): ``variables_at`` of every ``before`` of
        the stage, each a step on from the one before. Shared: callers copy (``env``)."""
        found = self._variables.get(stage.index)
        if found is None:
            values = variables_at(self.df, self._inherited(stage))
            found = [dict(values)]
            for nearest in reversed(self._stage_order(stage)[1]):  # in file order
                apply_variables(self.df, values, nearest)
                found.append(dict(values))
            self._variables[stage.index] = found
        return found

    def workdir(self, ins: Instruction, image_default: str | None = "/") -> str | None:
        """``workdir_at(df, before(ins), image_default)``: the WORKDIR ``ins`` runs in."""
        key = (ins.index, ins.keyword, image_default)
        # most asks are a RUN's first (a raised KeyError costs more than a look-up); None is an answer
        found = self._workdirs.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._workdirs[key] = workdir_at(self.df, self.before(ins), image_default)
        return found

    def home(self, ins: Instruction) -> str:
        """$HOME where ``ins`` runs: the USER in force and an ENV HOME decide (facts.home_dir)."""
        key = (ins.index, ins.keyword)
        found = self._homes.get(key)
        if found is None:
            found = self._homes[key] = home_dir(user_at(self.before(ins), self.df.escape), self.env(ins))
        return found

    def reaches_final(self, ins: Instruction) -> bool:
        return self.df.in_final_image(ins)

    def cache_mounts(self, ins: Instruction) -> list[str]:
        """Targets of ``--mount=type=cache`` and ``type=tmpfs`` on this RUN."""
        targets: list[str] = []
        if not ins.flags:
            return targets  # (most RUNs, asked by most rules): no flag, no mount
        for value in ins.flag_values("mount"):
            parts = dict(p.partition("=")[::2] for p in value.split(","))
            if parts.get("type") in ("cache", "tmpfs"):
                target = parts.get("target") or parts.get("dst") or parts.get("destination") or ""
                targets.append(target.rstrip("/") or "/")
        return targets

    def mounts_cover(self, ins: Instruction, path: str) -> bool:
        if not ins.flags:
            return False  # no mount (cache_mounts)
        path = path.rstrip("/")
        return any(path == t or path.startswith(t + "/") for t in self.cache_mounts(ins))

    # ---------------------------------------------------------------- findings
    def finding_at(self, rule: Rule, span: Span, message: str, *, fix: Fix | None = None,
                   subject: str = "") -> Finding:
        """A finding not tied to an instruction (a parse error, a comment).

        ``subject``: what the finding is about, when the engine's default (hint
        parameters, the command under the span) is too coarse; never raw instruction text.
        """
        text = " ".join(self.df.index.line_text(span.start.line).split())
        key = (rule.id, text)
        occurrence = self._occurrences.get(key, 0)
        self._occurrences[key] = occurrence + 1
        return Finding(rule.id, rule.name, rule.severity, self.path, span, message, fix=fix,
                       anchor_text=f"{text}\x00{occurrence}", subject=subject)

    def finding(
        self,
        rule: Rule,
        ins: Instruction,
        span: Span,
        message: str,
        *,
        fix: Fix | None = None,
        hint: SizeHint | None = None,
        severity: Severity | None = None,
        subject: str = "",
    ) -> Finding:
        """``subject`` refines the finding's identity (see ``finding_at``)."""
        stage = self.stage(ins)
        text = ins.normalized
        key = (rule.id, text)
        occurrence = self._occurrences.get(key, 0)
        self._occurrences[key] = occurrence + 1
        return Finding(
            rule_id=rule.id,
            rule_name=rule.name,
            severity=severity or rule.severity,
            path=self.path,
            span=span,
            message=message,
            stage=stage.label if stage else "",
            fix=fix,
            hint=hint,
            anchor_text=f"{text}\x00{occurrence}",
            subject=subject,
        )
