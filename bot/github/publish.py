"""Review publishing, split by job (this module only gathers the names others import):

- ``markers``: the hidden markers (v2, v1 still read) and whose comments are ours;
- ``reconcile``: earlier comments × head findings → kept, fixed, left alone (pure);
- ``placement``: where a comment goes and the verified suggestion it carries;
- ``plan``: the whole review as data;
- ``execute``: the calls to GitHub, the new review first.
"""

from __future__ import annotations

from bot.github.execute import Outcome, execute, reread_delays_from
from bot.github.inputs import AnalysedFile, Existing
from bot.github.markers import (MARKER_PREFIX, MARKER_PREFIXES, comment_marker, is_ours, our_login,
                                parse_marker, summary_marker)
from bot.github.plan import (CommentUpdate, PlanOptions, PlannedComment, ReviewPlan, fingerprint_of, plan,
                             resolved_body)
from bot.report.markdown import savings_total

__all__ = ["AnalysedFile", "CommentUpdate", "Existing", "MARKER_PREFIX", "MARKER_PREFIXES", "Outcome",
           "PlanOptions", "PlannedComment", "ReviewPlan", "comment_marker", "execute", "fingerprint_of",
           "is_ours", "our_login", "parse_marker", "plan", "reread_delays_from", "resolved_body",
           "savings_of_new", "summary_marker"]


def savings_of_new(plan: ReviewPlan) -> tuple[int, int]:
    return savings_total(plan.new_findings)
