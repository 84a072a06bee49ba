"""The result of measuring a Dockerfile before and after its fixes (JSON-serialisable)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

STATUS_OK = "ok"
STATUS_BEFORE_FAILED = "before-failed"  # the original does not build: nothing to compare
STATUS_AFTER_FAILED = "after-failed"  # the original builds, the fixed file does not: a bad fix
STATUS_NO_FIXES = "no-fixes"  # nothing to apply: only the original was built


@dataclass(frozen=True, slots=True)
class InstructionLayer:
    line: int
    end_line: int
    keyword: str
    text: str  # instruction text, whitespace-collapsed and shortened for display
    size: int | None  # None: the builder wrote no history for it
    gzip_size: int | None
    empty: bool  # metadata only (ENV, LABEL, ...): no layer


@dataclass(frozen=True, slots=True)
class MeasuredImage:
    image_id: str
    build_seconds: float
    measure_seconds: float
    size: int  # all layers, uncompressed
    gzip_size: int
    base_size: int  # the base image's layers (and earlier stages' when built FROM one)
    base_gzip_size: int
    unattributed_size: int  # layers no instruction explains (0 when attribution worked)
    layers: tuple[InstructionLayer, ...]
    size_basis: str = "tar"  # "tar": tar bytes of the layers; "engine": the engine's own (docker: file bytes)


@dataclass(frozen=True, slots=True)
class BuildFailure:
    line: int | None  # Dockerfile line of the failing instruction, when known
    end_line: int | None
    instruction: str
    log_tail: tuple[str, ...]
    build_seconds: float


@dataclass(frozen=True, slots=True)
class LayerDelta:
    before: InstructionLayer | None  # None: an instruction only the fixed file has
    after: InstructionLayer | None  # None: the fix removed (merged) the instruction
    delta: int  # bytes saved by the fix (before - after); negative: the fix grew it
    gzip_delta: int


@dataclass(frozen=True, slots=True)
class FindingMeasure:
    rule_id: str
    line: int
    end_line: int
    message: str
    applied: bool
    estimate_low: int | None
    estimate_high: int | None
    estimate_basis: str
    measured: int | None  # saving measured on the layers of its lines
    measured_gzip: int | None
    shared_with: tuple[str, ...]  # other applied findings on the same layers: measured jointly


@dataclass(frozen=True, slots=True)
class MeasureResult:
    path: str
    engine: str
    unsafe: bool
    status: str
    before: MeasuredImage | None
    after: MeasuredImage | None
    before_failure: BuildFailure | None
    after_failure: BuildFailure | None
    rows: tuple[LayerDelta, ...]
    findings: tuple[FindingMeasure, ...]
    fixed_text: str
    note: str = ""

    @property
    def saved(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.before.size - self.after.size

    @property
    def saved_gzip(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.before.gzip_size - self.after.gzip_size

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["saved"] = self.saved
        data["saved_gzip"] = self.saved_gzip
        return data
