"""Turns every rule's examples into checks (Fixit's idea: a rule carries its own tests)."""

from __future__ import annotations

from bot.engine import Options, analyse_text, apply_fixes
from bot.model.dockerfile import parse
from bot.model.text import Position, Span
from bot.rules.base import BuildContext, Invalid, Rule


def parse_at(at: str) -> Span:
    a, b = at.split("-")
    (l1, c1), (l2, c2) = (map(int, a.split(":")), map(int, b.split(":")))
    return Span(Position(l1, c1), Position(l2, c2))


def run(rule: type[Rule], code: str, context=None):
    bc = BuildContext.of_example(context) if context is not None else None
    # DT901 judges suppressions against the rules that ran, so run them all for it
    select = () if rule.id == "DT901" else (rule.id,)
    res = analyse_text("Dockerfile", code, Options(select=select, estimate=False), bc)
    assert res.error is None
    return [f for f in res.findings if f.rule_id == rule.id]


def fixed_text(rule: type[Rule], code: str, context=None) -> str:
    """Apply the rule's fixes until none is left (review fixes included)."""
    text = code
    for _ in range(6):
        findings = [f for f in run(rule, text, context) if f.fix is not None and f.fix.edits]
        if not findings:
            break
        text, taken = apply_fixes(text, findings, unsafe=True)
        if not taken:
            break
    return text


def check_example(rule: type[Rule], example) -> None:
    findings = run(rule, example.code, example.context)
    if not isinstance(example, Invalid):
        assert not findings, f"{rule.id} fired on a Valid example: {[f.message for f in findings]}"
        return
    assert findings, f"{rule.id} did not fire on an Invalid example"
    if example.at:
        spans = [f.span for f in findings]
        assert parse_at(example.at) in spans, f"expected {example.at}, got {[str(s) for s in spans]}"
    if example.message:
        assert any(example.message in f.message for f in findings), [f.message for f in findings]
    for f in findings:
        assert len(f.message) <= 100, f.message
        assert not f.message.endswith("."), f.message
    has_fix = any(f.fix is not None and f.fix.edits for f in findings)
    if example.fixed is None:
        assert not has_fix, f"{rule.id} fixes an example that declares no fixed text"
        return
    assert has_fix, f"{rule.id} declares a fixed text but offers no fix"
    after = fixed_text(rule, example.code, example.context)
    assert after == example.fixed
    assert not parse(after).errors or parse(example.code).errors
    again = [f for f in run(rule, after, example.context) if f.fix is not None and f.fix.edits]
    assert not again, "the fix is not idempotent: the rule still offers a fix on the fixed text"
