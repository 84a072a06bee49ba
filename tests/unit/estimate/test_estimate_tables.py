"""Bundled tables load, validate and carry provenance on every row."""

import csv
from pathlib import Path

import pytest

from bot.estimate import tables

DATA = Path(tables.DATA_DIR)


@pytest.mark.parametrize("name", sorted(tables.PROVENANCE))
def test_every_row_of_every_table_has_its_provenance(name):
    with open(DATA / name, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows, f"{name} is empty"
    for i, row in enumerate(rows, start=2):
        for col in tables.PROVENANCE[name]:
            assert (row.get(col) or "").strip(), f"{name}:{i} lacks {col}"
    tables.check_rows(name, rows)  # the loader's own check agrees


def test_every_csv_in_data_is_a_known_table_with_a_provenance_section():
    text = (DATA / "PROVENANCE.md").read_text()
    for path in sorted(DATA.glob("*.csv")):
        if path.name.endswith(".skipped.csv"):
            continue
        assert path.name in tables.PROVENANCE, f"{path.name} has no provenance columns declared"
        assert f"## {path.name}" in text, f"PROVENANCE.md has no section for {path.name}"


def test_provenance_sections_state_source_date_and_method():
    text = (DATA / "PROVENANCE.md").read_text()
    for name in tables.PROVENANCE:
        section = text.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        for word in ("Source:", "Date:", "Method:"):
            assert word in section, f"PROVENANCE.md section {name} lacks {word}"


def test_a_row_without_source_is_rejected_with_file_and_line():
    rows = [{"source": "x", "date": "2026-01-01"}, {"source": "", "date": "2026-01-01"}]
    with pytest.raises(tables.TableError, match=r"base_images.csv:3: .*source"):
        tables.check_rows("base_images.csv", rows)


def test_a_malformed_date_is_rejected():
    with pytest.raises(tables.TableError, match="date"):
        tables.check_rows("base_images.csv", [{"source": "x", "date": "last week"}])


def test_waste_model_ranges_are_ordered_and_known_confidences():
    for m in tables.waste_models().values():
        assert 0 <= m.low <= m.high
        assert m.confidence in ("high", "medium", "low")
        assert m.source_kind in ("measured", "table", "heuristic")


def test_apt_table_has_hundreds_of_packages_and_sane_numbers():
    pkgs = tables.apt_packages()
    assert len(pkgs) >= 200
    for p in pkgs.values():
        assert p.with_recommends >= p.no_recommends >= 0
        assert p.new_with >= p.new_without


def test_apt_table_agrees_with_measured_builds():
    """measured.csv (real images) vs the simulated table: same order of magnitude."""
    pkgs = tables.apt_packages()
    rows = {r["name"]: r for r in tables.load("measured.csv")}
    for pkg in ("curl", "git"):
        measured = int(rows[f"recommends-{pkg}"]["saving_bytes"])
        simulated = pkgs[pkg].recommends_saving
        assert 0.7 <= measured / simulated <= 1.5, (pkg, measured, simulated)
