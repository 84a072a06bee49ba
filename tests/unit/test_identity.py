"""A finding keeps its identity through edits that do not fix it, and only then."""

from __future__ import annotations

from bot.engine import Options, analyse_text

OPTS = Options(estimate=False)


def ids(text: str, path: str = "Dockerfile") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in analyse_text(path, text, OPTS).findings:
        out.setdefault(f.rule_id, []).append(f.fingerprint)
    return out


BASE = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"


def test_adding_a_package_or_a_line_above_keeps_every_identity():
    before = ids(BASE)
    assert set(before) >= {"DT101", "DT102"}
    edited = "FROM debian:12-slim\nLABEL a=b\nRUN apt-get update && apt-get install -y  curl git\n"
    assert ids(edited) == before
    reindented = "FROM debian:12-slim\nRUN apt-get update \\\n    && apt-get install -y curl\n"
    assert ids(reindented) == before


def test_fixing_removes_the_identity_and_other_rules_keep_theirs():
    before = ids(BASE)
    fixed = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    after = ids(fixed)
    assert "DT101" not in after and after["DT102"] == before["DT102"]


def test_identity_has_the_path_and_the_stage_key_not_the_tag():
    assert ids(BASE, "a/Dockerfile")["DT101"] != ids(BASE, "b/Dockerfile")["DT101"]
    assert ids(BASE.replace("debian:12-slim", "debian:13-slim")) == ids(BASE)
    named = BASE.replace("debian:12-slim", "debian:12-slim AS app")
    assert ids(named)["DT101"] != ids(BASE)["DT101"]
    # an unnamed stage is its image plus its ordinal: a new stage on another image changes nothing
    assert ids("FROM alpine:3\nRUN echo hi\n" + BASE)["DT101"] == ids(BASE)["DT101"]


def test_occurrences_tell_two_equal_findings_apart():
    twice = BASE + "RUN apt-get update && apt-get install -y git\n"
    prints = ids(twice)["DT101"]
    assert len(prints) == len(set(prints)) == 2
    assert prints[0] == ids(BASE)["DT101"][0]


def test_a_rule_given_subject_refines_the_identity():
    from bot.identity import assign
    from bot.model.dockerfile import parse
    from bot.rules.base import Context

    result = analyse_text("Dockerfile", BASE, OPTS)
    f = result.findings[0]
    ctx = Context(parse(BASE), "Dockerfile")
    plain = assign(ctx, [f.with_(subject="")])[0]
    refined = assign(ctx, [f.with_(subject="  the   apt lists ")])[0]
    assert refined.subject == "the apt lists" and refined.fingerprint != plain.fingerprint
    assert plain.fingerprint == f.fingerprint


def test_legacy_fingerprint_is_the_v1_one():
    import hashlib

    from bot.identity import legacy_fingerprint

    f = analyse_text("Dockerfile", BASE, OPTS).findings[0]
    old = hashlib.sha256("\x1f".join((f.rule_id, f.path, f.stage, f.anchor_text)).encode()).hexdigest()[:16]
    assert legacy_fingerprint(f) == old and f.fingerprint != old


def _first_hit_forward(spans, f):
    """The scan identity.assign made before: every instruction that starts in time, the last hit kept."""
    hit = None
    for span, ins in spans:
        if span.start > f.span.start:
            break
        if f.span.start < span.end or span.contains(f.span):
            hit = ins
    return hit


def test_the_instruction_under_a_finding_is_the_forward_scans_answer():
    """_instruction_at looks backwards from a bisection; for findings inside, between,
    at the edges of and after the instructions, it names the instruction the plain scan names."""
    from bot.identity import _instruction_at
    from bot.model.dockerfile import parse
    from bot.model.text import Position, Span

    text = ("ARG V=1\nFROM debian:12 AS a\nRUN apt-get update \\\n  && apt-get install -y curl\n\n# note\n"
            "COPY <<EOF /x\nbody\nEOF\nONBUILD RUN echo hi\nFROM a\nRUN true")
    df = parse(text)
    spans = sorted(((ins.span, ins) for ins in df.instructions), key=lambda p: p[0].start)
    starts = [span.start for span, _ in spans]
    assert [ins for _, ins in spans] == df.instructions  # the parser lists them in that order
    index = df.index
    points = [index.position(o) for o in range(len(text) + 1)] + [Position(99, 1)]
    finding = analyse_text("Dockerfile", BASE, OPTS).findings[0]
    for a in points:
        for b in (a, index.position(min(index.offset(a) + 3, len(text))) if a.line < 99 else a):
            f = finding._replace(span=Span(a, max(a, b)))
            assert _instruction_at(df.instructions, starts, f) == _first_hit_forward(spans, f), (a, b)
