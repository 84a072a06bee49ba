"""The differential table: our parser against what BuildKit does, case by case."""

import pytest

from bot.model.dockerfile import parse
from tests.unit.model.buildkit_cases import CASES, Err


def summary(df):
    out = []
    for ins in df.instructions:
        details = {}
        if ins.flags:
            details["flags"] = [f"--{f.name}" + (f"={f.value}" if f.value is not None else "") for f in ins.flags]
        if ins.json_args is not None:
            details["json"] = list(ins.json_args)
        heredocs = ins.heredocs or (ins.inner.heredocs if ins.inner is not None else ())
        if heredocs:
            details["heredocs"] = [(h.word, h.body.text) for h in heredocs]
        if ins.inner is not None:
            details["inner"] = (ins.inner.keyword, ins.inner.body.text)
        out.append((ins.keyword, ins.body.text, details))
    return out


def first_error(df):
    return min(df.errors, key=lambda e: (e.phase, e.span.start)) if df.errors else None


def test_the_table_is_large_and_names_are_unique():
    names = [name for name, _, _ in CASES]
    assert len(names) >= 150 and len(set(names)) == len(names)


@pytest.mark.parametrize("name,text,expected", CASES, ids=[c[0] for c in CASES])
def test_buildkit_case(name, text, expected):
    df = parse(text)
    if isinstance(expected, Err):
        err = first_error(df)
        assert err is not None, f"BuildKit rejects this file; we accepted it as {summary(df)}"
        assert expected.reason in err.message
        assert err.span.start.line == expected.line
    else:
        assert df.errors == [], [e.message for e in df.errors]
        got = summary(df)
        want = [(k, a, {key: val for key, val in d.items()}) for k, a, d in expected]
        # ``inner`` is only compared where the case names it
        for g, w in zip(got, want):
            if "inner" not in w[2]:
                g[2].pop("inner", None)
        assert got == want
