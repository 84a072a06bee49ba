"""More work the engine and rules skip or keep (speed, issue 12, round 4; see test_rule_shortcuts):
each shortcut answers as the code it replaced, here kept as a reference."""

from bot import rules as catalogue
from bot.engine import Options, analyse_text
from bot.rules import dt901_unused_suppression as dt901

from tests.unit.test_layers import _check_loads, _loaded

# ---------------------------------------------------------------------------- pragmas without importing every rule


def _hadolint_map_from_classes() -> dict[str, set[str]]:
    """The DL map as it was made: from every rule class's ``hadolint`` codes."""
    out: dict[str, set[str]] = {}
    for r in catalogue.all_rules():
        for code in r.hadolint:
            out.setdefault(code, set()).add(r.id)
    return out


def test_the_hadolint_table_is_the_rule_classes_codes():
    assert catalogue.hadolint_map() == _hadolint_map_from_classes()
    assert all(list(ids) == sorted(ids) for ids in catalogue.HADOLINT.values())


def test_dt901_knows_every_rule_id():
    assert dt901._all_ids() == set(catalogue.by_id()) == {r.id for r in catalogue.all_rules()}


def test_a_hadolint_pragma_does_not_import_every_rule(tmp_path):
    text = "FROM debian:12\n# hadolint ignore=DL3009,DL3008\nRUN apt-get update && apt-get install -y curl\n"
    _, _, modules = _check_loads(tmp_path, text)
    assert "bot.rules.dt101_apt_lists_left_in_layer" in modules  # the file says apt
    assert _loaded(modules, ("bot.rules.dt105", "bot.rules.dt403", "bot.rules.dt5")) == []
    said = {f.rule_id for f in analyse_text("Dockerfile", text, Options(estimate=False)).findings}
    assert "DT101" not in said and "DT203" not in said  # DL3009 is both
    assert "DT102" in said  # DL3008 is no rule of ours: nothing else is suppressed


def test_an_unused_dockerdiet_pragma_does_not_import_every_rule(tmp_path):
    text = "FROM debian:12\n# dockerdiet ignore=DT105,DT999\nCOPY a /a\n"
    _, _, modules = _check_loads(tmp_path, text)
    # rules the file gives nothing to (no RUN, no apt, no pip): loaded only by an import of every rule
    assert _loaded(modules, ("bot.rules.dt105", "bot.rules.dt11", "bot.rules.dt204", "bot.rules.dt209")) == []
    found = [f for f in analyse_text("Dockerfile", text, Options(estimate=False)).findings if f.rule_id == "DT901"]
    assert len(found) == 1
    assert "DT105 reports nothing here" in found[0].message and "DT999 is an unknown code" in found[0].message
