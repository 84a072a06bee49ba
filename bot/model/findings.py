"""The types every layer shares: severities, fixes, size hints and estimates, findings.

Rules create findings with a fix and a :class:`SizeHint` (what is wasted); the engine
fills in the identity and fingerprint, and ``estimate/`` turns the hint into a
:class:`SizeEstimate` (how much). Types only: nothing here parses or computes.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Any, Mapping

from bot.model.records import Record, field
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


class Fix(Record):
    """Edits (sorted, non-overlapping, one file) with a safety; checked when made."""

    __slots__ = ()
    _fields = ("title", "edits", "safety", "reason", "proposal")
    title = field(0, 'str, imperative: "Remove the apt lists in the same RUN"')
    edits = field(1, "tuple[Edit, ...]")
    safety = field(2, "Safety")
    reason = field(3, "str: for REVIEW, what the author must check")
    proposal = field(4, "str: for DISPLAY_ONLY, text to show (a .dockerignore, a rewrite)")

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


_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


class SizeHint(Record):
    """What a finding wastes, in terms estimate/ understands.

    ``kind`` names a waste model (see ``bot/estimate/``), ``params`` its inputs
    (package names, the base image reference, a URL, a uid). ``claims`` name the
    bytes concerned: two findings that share a claim describe the same bytes, so
    totals count them once (DT101 and DT201 on the same apt lists). A claim of kind
    ``STAGE_CLAIM`` names a whole stage: its finding takes the stage out of the final
    image, and so answers every finding whose claims it also makes.
    """

    __slots__ = ()
    _fields = ("kind", "params", "claims")
    kind = field(0, "str")
    params = field(1, "Mapping[str, Any]")
    claims = field(2, "tuple[str, ...]")

    def __new__(cls, kind: str, params: Mapping[str, Any] = _NO_PARAMS, claims: tuple[str, ...] = ()) -> "SizeHint":
        return tuple.__new__(cls, (kind, params, claims))


class Confidence(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SizeEstimate(Record):
    """Bytes a fix would save (uncompressed, and compressed as a registry stores them)."""

    __slots__ = ()
    _fields = ("bytes_low", "bytes_high", "basis", "confidence", "source", "compressed_low", "compressed_high",
               "overlaps")
    bytes_low = field(0, "int")
    bytes_high = field(1, "int")
    basis = field(2, "str: one sentence a reviewer can check")
    confidence = field(3, "Confidence")
    source = field(4, "str: table | measured | live | heuristic")
    compressed_low = field(5, "int | None")
    compressed_high = field(6, "int | None")
    # (claim, low, high): part of these bytes that the fix of another finding holding that
    # claim removes too (a slim base's docs of packages that --no-install-recommends drops);
    # totals subtract it once when both findings are counted
    overlaps = field(7, "tuple[tuple[str, int, int], ...]")

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


class Finding(Record):
    __slots__ = ()
    _fields = ("rule_id", "rule_name", "severity", "path", "span", "message", "stage", "fix", "hint", "estimate",
               "estimate_note", "fingerprint", "anchor_text", "subject", "identity")
    rule_id = field(0, "str")
    rule_name = field(1, "str")
    severity = field(2, "Severity")
    path = field(3, "str")
    span = field(4, "Span")
    message = field(5, "str")
    stage = field(6, "str: the stage's name, or its index as text when unnamed")
    fix = field(7, "Fix | None")
    hint = field(8, "SizeHint | None")
    estimate = field(9, "SizeEstimate | None")
    estimate_note = field(10, "str: why there is no estimate, when there is none")
    fingerprint = field(11, "str: the identity with its path (bot/identity.py): marker v2, reports")
    anchor_text = field(12, "str: normalised instruction text, only for the v1 (legacy) fingerprint")
    subject = field(13, "str: what the finding is about (a rule may set it; else derived by the engine)")
    identity = field(14, "str: rule, stage key, subject, occurrence: the path-less identity")

    def __new__(cls, rule_id: str, rule_name: str, severity: Severity, path: str, span: Span, message: str,
                stage: str = "", fix: "Fix | None" = None, hint: "SizeHint | None" = None,
                estimate: "SizeEstimate | None" = None, estimate_note: str = "", fingerprint: str = "",
                anchor_text: str = "", subject: str = "", identity: str = "") -> "Finding":
        return tuple.__new__(cls, (rule_id, rule_name, severity, path, span, message, stage, fix, hint, estimate,
                                   estimate_note, fingerprint, anchor_text, subject, identity))

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
