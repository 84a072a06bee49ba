"""Size model: turns a rule's SizeHint into a SizeEstimate (bytes low-high, basis, confidence).

Bundled tables (data/, with provenance) answer offline; ``Lookups`` (optional, lazily
imports requests) adds registry/PyPI/HTTP look-ups with timeouts, a budget and a cache.

    from bot.estimate import Estimator, Totals, totals
"""

from bot.estimate.estimator import Estimator
from bot.estimate.totals import RuleTotal, Totals, totals

__all__ = ["Estimator", "RuleTotal", "Totals", "totals"]
