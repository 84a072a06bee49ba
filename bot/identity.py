"""A finding's identity: what stays the same while the line around it is edited.

Identity = rule, path, stage key, subject, occurrence index (DESIGN.md, style.md §2):

- the stage key is the stage's name, else its base image (name without tag or digest)
  and its ordinal among the unnamed stages on that image;
- the subject is what the finding is about: what the rule passed as ``subject=``, else
  the stable parameters of its size hint (a path, a URL, an ecosystem, a package
  manager, an image name) and the command under its span (program and subcommand:
  ``apt-get install``), else the instruction keyword;
- the occurrence index orders findings that share everything else, in file order.

Never the raw instruction text, a package list, a line number or anything the
Dockerfile lexer prints: adding ``git`` to ``apt-get install -y curl`` leaves every
finding on that RUN with its identity, and a rewrite of the lexer re-identifies nothing.
The path-less part (:attr:`Finding.identity`) lets a renamed file keep its comments.
"""

from __future__ import annotations

import bisect
import functools
from operator import attrgetter
from typing import Sequence

from bot.model.dockerfile import Dockerfile, Instruction, Stage
from bot.model.findings import Finding
from bot.model.images import parse_image
from bot.rules.base import Context
from bot.rules.facts import LazyPattern

# Hint parameters that name what a finding is about and survive edits that do not fix it.
# Package lists, counts and the base image's tag are left out on purpose: they change
# when a package is added to the same install, which fixes nothing.
SUBJECT_PARAMS = ("path", "url", "ecosystem", "manager", "cleaned", "ignore_file", "uid")
IMAGE_PARAMS = ("from_image", "into_image")
_SUBCOMMAND = LazyPattern(r"[a-z][a-z0-9-]{0,23}")  # asked only beside a finding


def digest(*parts: str) -> str:
    return _sha256()("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


@functools.cache
def _sha256():
    """CPython's own SHA-256 (the digests hashlib's OpenSSL one gives): importing hashlib
    loads OpenSSL, ~6M instructions of a small check's start-up."""
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.10, 3.11
        except ImportError:  # a build without the built-in module
            from hashlib import sha256
    return sha256


def fingerprint(path: str, identity: str) -> str:
    """The identity with its path: the ``fp`` of marker v2 and of every report."""
    return digest(path, identity)


def legacy_fingerprint(f: Finding) -> str:
    """Marker v1's fingerprint (normalised instruction text): only to recognise v1 comments,
    so made when one is read (github/reconcile.py), not for every finding."""
    return digest(f.rule_id, f.path, f.stage, f.anchor_text)


def normalise(text: str) -> str:
    return " ".join(str(text).split())


def assign(ctx: Context, findings: Sequence[Finding]) -> list[Finding]:
    """The findings with ``subject``, ``identity`` and ``fingerprint`` filled in (the legacy
    fingerprint is made only where a marker v1 asks for it: :func:`legacy_fingerprint`)."""
    if not findings:
        return []  # (a clean file): no instruction spans to sort
    df = ctx.df
    instructions = df.instructions
    starts = list(map(_START, instructions))  # attrgetter: no Python call per instruction
    if starts != sorted(starts):  # the parser lists them in file order, where they start
        instructions = sorted(instructions, key=_START)
        starts = list(map(_START, instructions))
    stage_keys: dict[int, str] = {}  # by stage index: a file's findings share a few stages
    keys: list[tuple[str, str, str]] = []
    for f in findings:
        ins = _instruction_at(instructions, starts, f)
        stage = df.stage_of(ins) if ins is not None else None
        subject = normalise(f.subject) if f.subject else derive_subject(ctx, f, ins)
        at = stage.index if stage is not None else -1
        key = stage_keys.get(at)
        if key is None:
            key = stage_keys[at] = stage_key(df, stage)
        keys.append((f.rule_id, key, subject))
    seen: dict[tuple[str, str, str], int] = {}
    # by (start, end): a Span is that tuple; the list's __getitem__ is no Python call per finding
    order = sorted(range(len(findings)), key=list(map(_SPAN, findings)).__getitem__)
    occurrence = [0] * len(findings)
    for i in order:
        occurrence[i] = seen.get(keys[i], 0)
        seen[keys[i]] = occurrence[i] + 1
    out = []
    for f, (rule, stage, subject), n in zip(findings, keys, occurrence):
        identity = "\x1e".join((rule, stage, subject, str(n)))
        out.append(_identified(f, subject, identity, fingerprint(f.path, identity)))
    return out


_START = attrgetter("span.start")
_SPAN = attrgetter("span")
_SUBJECT_AT, _IDENTITY_AT, _FINGERPRINT_AT = (Finding._fields.index(name) for name in ("subject", "identity", "fingerprint"))


def _identified(f: Finding, subject: str, identity: str, fingerprint: str) -> Finding:
    """``f.with_(subject=..., identity=..., fingerprint=...)`` for every finding of a check,
    without with_'s look-up of each name."""
    values = list(f)
    values[_SUBJECT_AT], values[_IDENTITY_AT], values[_FINGERPRINT_AT] = subject, identity, fingerprint
    return tuple.__new__(Finding, values)


def _instruction_at(instructions: Sequence[Instruction], starts: list, f: Finding) -> Instruction | None:
    """The last instruction, in file order, of ``instructions`` (in the order of their starts,
    ``starts``) starting at or before the finding that holds its start or all of it."""
    # from the last one that starts in time, backwards: the first hit is the last in order
    for k in range(bisect.bisect_right(starts, f.span.start) - 1, -1, -1):
        ins = instructions[k]
        span = ins.span
        if f.span.start < span.end or span.contains(f.span):
            return ins
    return None


def stage_key(df: Dockerfile, stage: Stage | None) -> str:
    if stage is None:
        return ""
    if stage.name:
        return stage.name
    image = _image_name(stage.base)
    ordinal = sum(1 for s in df.stages[: stage.index] if not s.name and _image_name(s.base) == image)
    return f"{image}#{ordinal}"


def _image_name(ref: str) -> str:
    parsed = parse_image(ref)
    return parsed.name if parsed is not None else normalise(ref).lower()


def derive_subject(ctx: Context, f: Finding, ins: Instruction | None) -> str:
    parts: list[str] = []
    params = f.hint.params if f.hint is not None else {}
    if params and not _NAMING_PARAMS.isdisjoint(params):  # most hints have none (a set test in C)
        parts += _named_by_params(params)
    if ins is not None:
        command = _command_at(ctx, ins.effective(), f)
        parts.append(command or ins.effective().keyword)
    return " ".join(parts)


_NAMING_PARAMS = frozenset(SUBJECT_PARAMS + IMAGE_PARAMS)


def _named_by_params(params: dict) -> list[str]:
    """What the hint's ``params`` say the finding is about, as ``key=value`` parts."""
    parts: list[str] = []
    for key in SUBJECT_PARAMS:
        if key in params:  # most are not: a membership test is no method call
            value = params[key]
            if isinstance(value, str) and value:
                parts.append(f"{key}={normalise(value)}")
    for key in IMAGE_PARAMS:
        if key in params:
            value = params[key]
            if isinstance(value, str) and value:
                parts.append(f"{key}={_image_name(value)}")
    return parts


def _command_at(ctx: Context, ins: Instruction, f: Finding) -> str:
    """Program and subcommand of the innermost command under the finding's start."""
    if ins.keyword != "RUN":
        return ""
    best = None
    for script in ctx.scripts(ins):
        for cmd in script.commands:
            span = cmd.span
            if span.start <= f.span.start < span.end or span.start == f.span.start:
                if best is None or cmd.depth >= best.depth:
                    best = cmd
    if best is None:
        return ""
    sub = best.subcommand()
    return f"{best.program} {sub}" if _SUBCOMMAND.fullmatch(sub) else best.program
