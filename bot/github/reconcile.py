"""Earlier comments × head findings → kept, fixed, left alone (pure).

A comment is matched to a head finding by identity first (marker v2 ``id`` on the same
file, or on the file it was renamed to; marker v1 by the old fingerprint), then by the
line GitHub itself tracks for it (``line``, null once outdated) as a second signal: a
comment still anchored on a line that carries a finding of the same rule is that
finding. A comment is fixed only when its file was analysed and nothing matched it:
an edited line that still wastes keeps its comment. Comments on files this run did not
analyse are left alone (we cannot tell), unless the file left the pull request altogether
(it is no longer among its changed paths): then the finding is gone with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bot.github.inputs import AnalysedFile
from bot.identity import legacy_fingerprint
from bot.github.markers import identity_id, parse_marker
from bot.github.records import RemoteComment
from bot.github.suggestion import finding_lines
from bot.model.findings import Finding


@dataclass(frozen=True, slots=True)
class Match:
    comment: RemoteComment
    marker: dict
    finding: Finding
    file: AnalysedFile
    how: str  # "identity" | "legacy" | "line"


@dataclass(frozen=True, slots=True)
class Reconciled:
    kept: tuple[Match, ...]
    fixed: tuple[tuple[RemoteComment, dict], ...]
    untouched: tuple[RemoteComment, ...]  # on files not analysed in this run

    def comment_for(self, finding: Finding) -> Match | None:
        return next((m for m in self.kept if m.finding is finding), None)


def live(marker: dict) -> bool:
    return marker.get("state") != "fixed" and ("fp" in marker)


def reconcile(ours: Sequence[RemoteComment], files: Sequence[AnalysedFile],
              changed_paths: frozenset[str] = frozenset()) -> Reconciled:
    """``ours``: our comments (login and marker checked by the caller); oldest first.
    ``changed_paths``: every path the pull request changes now (empty when unknown)."""
    by_path = {f.path: f for f in files}
    for f in files:
        if f.previous_path and f.previous_path not in by_path:
            by_path[f.previous_path] = f
    taken: set[int] = set()
    kept: list[Match] = []
    fixed: list[tuple[RemoteComment, dict]] = []
    untouched: list[RemoteComment] = []
    pending: list[tuple[RemoteComment, dict, AnalysedFile]] = []
    comments = [(c, m) for c in ours if (m := parse_marker(c.body)) is not None and live(m)]
    for c, m in comments:
        file = by_path.get(c.path)
        if file is None:
            if changed_paths and c.path not in changed_paths:
                fixed.append((c, m))
            else:
                untouched.append(c)
            continue
        finding, how = _by_identity(c, m, file, taken)
        if finding is None:
            pending.append((c, m, file))
            continue
        taken.add(id(finding))
        kept.append(Match(c, m, finding, file, how))
    for c, m, file in pending:  # the second signal, once every identity had its turn
        finding = _by_line(c, m, file, taken)
        if finding is None:
            fixed.append((c, m))
        else:
            taken.add(id(finding))
            kept.append(Match(c, m, finding, file, "line"))
    return Reconciled(tuple(kept), tuple(fixed), tuple(untouched))


def _by_identity(c: RemoteComment, m: dict, file: AnalysedFile, taken: set[int]) -> tuple[Finding | None, str]:
    free = [f for f in file.findings if id(f) not in taken]
    if m.get("v") == "1":
        hit = next((f for f in free if c.path == file.path and legacy_fingerprint(f) == m["fp"]), None)
        return hit, "legacy"
    if c.path == file.path:
        hit = next((f for f in free if f.fingerprint == m["fp"]), None)
        if hit is not None:
            return hit, "identity"
    ident = m.get("id")
    if ident:  # a renamed file: the path-less identity
        hit = next((f for f in free if identity_id(f.identity) == ident), None)
        if hit is not None:
            return hit, "identity"
    return None, ""


def _by_line(c: RemoteComment, m: dict, file: AnalysedFile, taken: set[int]) -> Finding | None:
    if c.line is None or c.path != file.path:
        return None
    rule = m.get("rule", "")
    for f in file.findings:
        if id(f) in taken or f.rule_id != rule:
            continue
        start, end = finding_lines(f)
        if start <= c.line <= end or (c.start_line is not None and c.start_line <= end and start <= c.line):
            return f
    return None
