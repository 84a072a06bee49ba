"""Configuration: every key with good and bad values, discovery, precedence, pragmas."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.config import ConfigError, load

BAD = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"


def project(tmp_path, config: str | None = None, name: str = ".dockerdiet.toml", dockerfile: str = BAD):
    (tmp_path / ".git").mkdir(exist_ok=True)
    if config is not None:
        (tmp_path / name).write_text(config)
    (tmp_path / "svc").mkdir(exist_ok=True)
    (tmp_path / "svc" / "Dockerfile").write_text(dockerfile)
    return tmp_path


def rules_reported(capsys, *args) -> set[str]:
    main(["check", "--format", "json", "--no-estimate", *args])
    doc = json.loads(capsys.readouterr().out)
    return {f["rule"] for file in doc["files"] for f in file["findings"]}


def test_discovered_by_walking_up_and_select_ignore(tmp_path, capsys):
    root = project(tmp_path, 'ignore = ["DT102"]\n')
    assert "DT102" not in rules_reported(capsys, str(root / "svc"))
    assert "DT101" in rules_reported(capsys, str(root / "svc"))
    root = project(tmp_path, 'select = ["DT1"]\nignore = ["apt-lists-left-in-layer"]\n')
    found = rules_reported(capsys, str(root / "svc"))
    assert "DT101" not in found and all(r.startswith("DT1") for r in found)


def test_pyproject_table_and_explicit_config_overrides(tmp_path, capsys):
    root = project(tmp_path, '[tool.dockerdiet]\nignore = ["DT101"]\n', name="pyproject.toml")
    assert "DT101" not in rules_reported(capsys, str(root / "svc"))
    other = tmp_path / "other.toml"
    other.write_text('select = ["DT101"]\n')
    assert rules_reported(capsys, "--config", str(other), str(root / "svc")) == {"DT101"}


def test_severity_override_and_fail_on(tmp_path, capsys):
    root = project(tmp_path, '[severity]\nDT101 = "error"\nDT102 = "info"\n')
    main(["check", "--format", "json", "--no-estimate", str(root / "svc")])
    sev = {f["rule"]: f["severity"] for f in json.loads(capsys.readouterr().out)["files"][0]["findings"]}
    assert sev["DT101"] == "error" and sev["DT102"] == "info"
    assert main(["check", "--no-estimate", "--fail-on", "never", str(root / "svc")]) == 0
    assert main(["check", "--no-estimate", "--fail-on", "error", str(root / "svc")]) == 1
    (root / ".dockerdiet.toml").write_text('fail-on = "error"\n[severity]\nDT101 = "warning"\n')
    assert main(["check", "--no-estimate", str(root / "svc")]) == 0


def test_fail_on_size_uses_estimated_total(tmp_path, capsys):
    root = project(tmp_path, 'fail-on = "5MB"\n')
    assert main(["check", str(root / "svc")]) == 1
    (root / ".dockerdiet.toml").write_text('fail-on = "10GB"\n')
    assert main(["check", str(root / "svc")]) == 0


def test_per_file_ignores_and_min_saving(tmp_path, capsys):
    root = project(tmp_path, '[per-file-ignores]\n"svc/*" = ["DT101"]\n')
    assert "DT101" not in rules_reported(capsys, str(root / "svc"))
    root = project(tmp_path, 'min-saving = "5GB"\n')
    main(["check", "--format", "json", str(root / "svc")])
    findings = json.loads(capsys.readouterr().out)["files"][0]["findings"]
    assert all(f["estimate"] is None for f in findings if f["rule"] != "DT601")  # build time, not a saving


@pytest.mark.parametrize(
    "text,needle",
    [
        ("selct = []\n", "unknown key"),
        ('select = ["DT999"]\n', "unknown rule 'DT999'"),
        ("select = 3\n", "expected a list"),
        ('fail-on = "sometimes"\n', "expected one of never"),
        ('min-saving = "lots"\n', "expected a size"),
        ('online = "yes"\n', "expected true or false"),
        ('[severity]\nDT101 = "fatal"\n', "expected one of error, warning, info"),
        ('per-file-ignores = ["x"]\n', "expected a table"),
        ("select = [\n", "invalid TOML"),
    ],
)
def test_bad_values_name_file_key_and_allowed_values(tmp_path, capsys, text, needle):
    root = project(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load(str(root / "svc"))
    assert needle in str(exc.value) and ".dockerdiet.toml" in str(exc.value)
    assert main(["check", str(root / "svc")]) == 2
    assert needle in capsys.readouterr().err


def test_hadolint_yaml_ignored_codes_map_to_our_rules(tmp_path, capsys):
    root = project(tmp_path)
    (root / ".hadolint.yaml").write_text("ignored:\n  - DL3009\n  - DL3008\n")
    assert "DT101" not in rules_reported(capsys, str(root / "svc"))


def test_config_command_says_where_values_come_from(tmp_path, capsys):
    root = project(tmp_path, 'ignore = ["DT102"]\nonline = true\n')
    assert main(["config", str(root / "svc")]) == 0
    out = capsys.readouterr().out
    assert 'ignore = ["DT102"]  # from ' in out and ".dockerdiet.toml" in out
    assert "select = []  # from default" in out


def test_pragma_and_config_interplay(tmp_path, capsys):
    code = "FROM debian:12\n# dockerdiet ignore=DT102\nRUN apt-get update && apt-get install -y curl\n"
    root = project(tmp_path, 'select = ["DT101", "DT102", "DT901"]\nignore = ["DT102"]\n', dockerfile=code)
    # DT102 is not run, so the pragma cannot be judged unused: no DT901
    assert rules_reported(capsys, str(root / "svc")) == {"DT101"}
    root = project(tmp_path, 'select = ["DT101", "DT102", "DT901"]\n', dockerfile=code)
    assert rules_reported(capsys, str(root / "svc")) == {"DT101"}  # DT102 suppressed, pragma used


def test_style_findings_fail_only_when_fail_on_reaches_style(tmp_path, capsys):
    # DT601 (style) alone: reported, but the default fail-on (info) does not fail on it
    only_style = "FROM python:3.12-slim\nRUN --mount=type=bind,target=/r pip install --no-cache-dir -r /r/req.txt\n"
    root = project(tmp_path, None, dockerfile=only_style)
    assert main(["check", "--no-estimate", str(root / "svc")]) == 0
    assert "DT601" in capsys.readouterr().out
    root = project(tmp_path, 'fail-on = "style"\n', dockerfile=only_style)
    assert main(["check", "--no-estimate", str(root / "svc")]) == 1
    capsys.readouterr()
    root = project(tmp_path, 'ignore = ["DT601"]\n', dockerfile=only_style)
    assert main(["check", "--no-estimate", str(root / "svc")]) == 0
    assert "DT601" not in capsys.readouterr().out
