"""Shortcuts of the model (round 5) answer what the code they replaced answered: a word's
place (_Where, now a tuple made without a Python __init__) gives the span the Dockerfile
computes for it, kept once asked; exec-form JSON read with one shared decoder reads as
``json.loads`` with its own decoder did."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model.dockerfile import parse
from bot.model.lexer import arguments
from bot.model.lexer.spaces import GO_SPACE
from bot.model.shell import _Where, run_scripts
from bot.rules.facts import starts_after


def _scripts(text: str):
    df = parse(text)
    return df, [s for ins in df.instructions for s in run_scripts(df, ins)]


@pytest.mark.parametrize("body", [
    "apt-get update && apt-get install -y curl git",  # a plain script: read from its words
    'apt-get install -y "curl" $(echo git) && rm -rf /var/lib/apt/lists/*',  # read from the tree
    "echo héllo wörld && cp a b",  # not ASCII: offsets converted
])
def test_a_words_place_gives_the_span_the_dockerfile_computes(body):
    df, scripts = _scripts(f"FROM debian:12\nRUN {body}\n")
    (script,) = scripts
    for cmd in script.commands:
        for where, span in [(cmd.where, cmd.span), (cmd.name_where, cmd.name_span)] + \
                [(a.where, a.span) for a in cmd.args]:
            assert type(where) is _Where
            assert (where.logical, where.df) == (script.logical, df)
            assert span == df.logical_span(script.logical, where.start, where.end)
            assert where.span() is span  # computed once, then kept


def test_places_are_equal_by_line_and_offsets_whatever_the_dockerfile():
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
    (a,), (b,) = _scripts(text)[1], _scripts(text)[1]
    wa, wb = a.commands[1].args[1].where, b.commands[1].args[1].where
    assert wa.df is not wb.df
    assert wa == wb and not wa != wb and hash(wa) == hash(wb)
    assert a.commands[1].args[1] == b.commands[1].args[1]  # so are the words holding them
    assert wa != a.commands[1].args[0].where
    assert wa != wa.span()  # a Span is no _Where, even at the same place
    assert starts_after(a.commands[1], a.commands[0]) and not starts_after(a.commands[0], a.commands[1])


def _reference_json_array(text: str):
    """json_array as it was: json.loads with a new decoder per call."""
    if not text.lstrip(GO_SPACE).startswith("["):
        return None

    def no_constants(name):
        raise ValueError(name)

    try:
        value = json.loads(text.lstrip(GO_SPACE), parse_constant=no_constants)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        return "error"
    return tuple(value)


def _json_array(text: str):
    try:
        return arguments.json_array(text)
    except ValueError as exc:
        assert str(exc) == arguments.NOT_STRINGS
        return "error"


@pytest.mark.parametrize("text", [
    '["sh", "-c", "echo hi"]', ' ["a"]', '[]', '["a", 1]', '["a", NaN]', '[Infinity]', '[-Infinity]',
    '["a",]', '["a"] x', '{"a": 1}', '["\\u00e9"]', '[["a"]]', '[null]', '["a"', '',
])
def test_exec_form_json_reads_as_before(text):
    assert _json_array(text) == _reference_json_array(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.lists(st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.none())).map(json.dumps),
    st.text(alphabet='[]",aN \\u0-9Infity', max_size=20),
))
def test_exec_form_json_reads_as_before_property(text):
    assert _json_array(text) == _reference_json_array(text)


def test_one_decoder_serves_every_exec_form_line():
    arguments.json_array('["a"]')
    decoder = arguments._json_decoder()
    arguments.json_array('["b", "c"]')
    assert arguments._json_decoder() is decoder
