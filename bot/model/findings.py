"""The types every layer shares: severities, fixes, size hints and estimates, findings.

Rules create findings with a fix and a :class:`SizeHint` (what is wasted); the engine
fills in the identity and fingerprint, and ``estimate/`` turns the hint into a
:class:`SizeEstimate` (how much). Types only: nothing here parses or computes.
"""

# No `from __future__ import annotations` here: typing.NamedTuple compiles every string annotation (start-up time).

import enum
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

from bot.model.text import Edit, Span, check_disjoint


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    # Below info (hadolint's "style"): advice a team may adopt, such as DT601's build-time
    # cache mounts. The default fail-on (info) does not reach it; `fail-on = "style"` does.
    STYLE = "style"

    @property
    def rank(self) -> int:
        return {"style": -1, "info": 0, "warning": 1, "error": 2}[self.value]


class Safety(str, enum.Enum):
    SAFE = "safe"  # same image minus the waste
    REVIEW = "review"  # likely right, may change what is built: the reason says what to check
    DISPLAY_ONLY = "display-only"  # a proposal that is not an edit of this file


class _FixFields(NamedTuple):
    title: str  # imperative: "Remove the apt lists in the same RUN"
    edits: tuple[Edit, ...]
    safety: Safety
    reason: str = ""  # for REVIEW: what the author must check
    proposal: str = ""  # for DISPLAY_ONLY: text to show (a .dockerignore, a rewrite)


class Fix(_FixFields):
    """Edits (sorted, non-overlapping, one file) with a safety; checked when made."""

    __slots__ = ()

    def __new__(cls, title: str, edits, safety: Safety, reason: str = "", proposal: str = "") -> "Fix":
        edits = tuple(check_disjoint(edits))
        if safety is Safety.REVIEW and not reason:
            raise ValueError(f"review fix {title!r} needs a reason")
        if safety is Safety.DISPLAY_ONLY and edits:
            raise ValueError("a display-only fix carries no edits")
        if safety is not Safety.DISPLAY_ONLY and not edits:
            raise ValueError(f"fix {title!r} has no edits")
        return tuple.__new__(cls, (title, edits, safety, reason, proposal))

    @property
    def span(self) -> Span:
        return Span(self.edits[0].span.start, max(e.span.end for e in self.edits))


STAGE_CLAIM = "stage"  # "stage@<FROM index>": see SizeHint


class SizeHint(NamedTuple):
    """What a finding wastes, in terms estimate/ understands.

    ``kind`` names a waste model (see ``bot/estimate/``), ``params`` its inputs
    (package names, the base image reference, a URL, a uid). ``claims`` name the
    bytes concerned: two findings that share a claim describe the same bytes, so
    totals count them once (DT101 and DT201 on the same apt lists). A claim of kind
    ``STAGE_CLAIM`` names a whole stage: its finding takes the stage out of the final
    image, and so answers every finding whose claims it also makes.
    """

    kind: str
    params: Mapping[str, Any] = MappingProxyType({})
    claims: tuple[str, ...] = ()


class Confidence(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class _SizeEstimateFields(NamedTuple):
    bytes_low: int
    bytes_high: int
    basis: str  # one sentence a reviewer can check
    confidence: Confidence
    source: str  # table | measured | live | heuristic
    compressed_low: int | None = None
    compressed_high: int | None = None
    # (claim, low, high): part of these bytes that the fix of another finding holding that
    # claim removes too (a slim base's docs of packages that --no-install-recommends drops);
    # totals subtract it once when both findings are counted
    overlaps: tuple[tuple[str, int, int], ...] = ()


class SizeEstimate(_SizeEstimateFields):
    """Bytes a fix would save (uncompressed, and compressed as a registry stores them)."""

    __slots__ = ()

    def __new__(cls, bytes_low: int, bytes_high: int, basis: str, confidence: Confidence, source: str,
                compressed_low: int | None = None, compressed_high: int | None = None,
                overlaps: tuple[tuple[str, int, int], ...] = ()) -> "SizeEstimate":
        if not 0 <= bytes_low <= bytes_high:
            raise ValueError(f"bad range {bytes_low}..{bytes_high}")
        if source not in ("table", "measured", "live", "heuristic"):
            raise ValueError(f"unknown estimate source {source!r}")
        return tuple.__new__(cls, (bytes_low, bytes_high, basis, confidence, source, compressed_low, compressed_high,
                                   overlaps))

    @property
    def midpoint(self) -> int:
        return (self.bytes_low + self.bytes_high) // 2

    def to_json(self) -> dict[str, Any]:
        return {
            "bytes_low": self.bytes_low,
            "bytes_high": self.bytes_high,
            "compressed_low": self.compressed_low,
            "compressed_high": self.compressed_high,
            "basis": self.basis,
            "confidence": self.confidence.value,
            "source": self.source,
        }


class Finding(NamedTuple):
    rule_id: str
    rule_name: str
    severity: Severity
    path: str
    span: Span
    message: str
    stage: str = ""  # stage name, or its index as text when unnamed
    fix: Fix | None = None
    hint: SizeHint | None = None
    estimate: SizeEstimate | None = None
    estimate_note: str = ""  # why there is no estimate, when there is none
    fingerprint: str = ""  # the identity with its path (bot/identity.py): marker v2, reports
    anchor_text: str = ""  # normalised instruction text: only for the v1 (legacy) fingerprint
    subject: str = ""  # what the finding is about (a rule may set it; else derived by the engine)
    identity: str = ""  # rule, stage key, subject, occurrence: the path-less identity

    def with_(self, **changes: Any) -> "Finding":
        """The finding with ``changes`` (field names) made, as ``_replace``: every finding
        gets three this way, and ``_replace`` maps all fifteen fields through a dict pop."""
        values = list(self)
        for name, value in changes.items():
            at = _FINDING_FIELD.get(name)
            if at is None:
                raise ValueError(f"Got unexpected field names: {[name]!r}")
            values[at] = value
        return tuple.__new__(Finding, values)


_FINDING_FIELD = {name: at for at, name in enumerate(Finding._fields)}
