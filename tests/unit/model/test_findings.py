"""Finding.with_ makes what NamedTuple's _replace makes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.model.findings import Finding, Severity
from bot.model.text import Position, Span

BASE = Finding("DT101", "apt-lists-left", Severity.WARNING, "Dockerfile", Span(Position(2, 1), Position(2, 9)), "m")
TEXT_FIELDS = [name for name in Finding._fields if isinstance(getattr(BASE, name), str)]


@given(st.dictionaries(st.sampled_from(TEXT_FIELDS), st.text(max_size=5)))
def test_with_is_replace(changes):
    made = BASE.with_(**changes)
    assert made == BASE._replace(**changes) and type(made) is Finding
    assert made.with_() == made


def test_with_an_unknown_field_fails_as_replace_does():
    with pytest.raises(ValueError, match="unexpected field names"):
        BASE.with_(colour="red")
    with pytest.raises(ValueError, match="unexpected field names"):
        BASE._replace(colour="red")
