"""Work the size estimate skips or shares (speed, issue 12): each shortcut answers what the
plain computation it replaced answers, on the corpus and on files made for the case."""

import glob
import os

import pytest

from bot.engine import Options, analyse_text, build_context_for
from bot.estimate import estimator as E
from bot.estimate.estimator import Estimator
from bot.estimate.layers import finding as layered
from bot.model import hints as K
from bot.model.dockerfile import parse
from bot.model.source import read
from bot.rules.base import Context

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "corpus", "dockerfiles")
NO_ESTIMATE = Options(estimate=False, min_saving=0)


def _corpus_findings(rule_ids: set[str]):
    """(ctx, finding) of the corpus's findings of ``rule_ids``, as the engine hands them to the estimator."""
    for path in sorted(glob.glob(os.path.join(CORPUS, "*"))):
        source, context = read(path), build_context_for(path)
        found = [f for f in analyse_text(path, source.text, NO_ESTIMATE, context).findings if f.rule_id in rule_ids]
        if found:
            ctx = Context(parse(source.text, path), path, context)
            yield from ((ctx, f) for f in found)


# ------------------------------------------------------------------ slim swaps (DT401)


def _plain_slim_swap(est: Estimator, ctx, f):
    """The slim swap's estimate as it was computed before the shortcut: every part, always."""
    got = E._with_slim_docs(est.estimate(f.hint), layered.installed_by_runs(ctx, est._models),
                            layered.recommends_by_run(ctx, est._models))
    return E._kept(f, E._less_reinstalled(got, layered.added_by_fix(ctx, f, est._models)))


def _is_slim_swap(f) -> bool:
    return f.hint is not None and f.hint.kind == K.BASE_IMAGE_SWAP and E._is_slim(str(f.hint.params.get("to_image", "")))


def test_a_slim_swap_of_an_image_of_unknown_size_never_models_the_layers():
    text = "FROM node:6.9.1\nRUN apt-get update && apt-get install -y git\nCMD [\"node\"]\n"
    df = parse(text)
    ctx = Context(df, "Dockerfile")
    swaps = [f for f in analyse_text("Dockerfile", text, NO_ESTIMATE).findings if _is_slim_swap(f)]
    assert swaps
    est = Estimator()
    for f in swaps:
        got = est.estimate_finding(f, ctx)
        assert got[0] is None and "unknown" in got[1]
        assert got == _plain_slim_swap(Estimator(), ctx, f)
    assert est._models == {}  # the layer model was never built


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")
def test_slim_swaps_of_the_corpus_estimate_as_the_plain_computation():
    seen = 0
    for ctx, f in _corpus_findings({"DT401", "DT402"}):
        if _is_slim_swap(f):
            seen += 1
            assert Estimator().estimate_finding(f, ctx) == _plain_slim_swap(Estimator(), ctx, f), f.message
    assert seen > 20
