"""Effective settings (base-branch config + inputs) and the shared annotation renderer."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, FailOn
from bot.github import annotations as gh_annotations
from bot.github.event import load_inputs
from bot.github.settings import check_config_path, config_from, config_paths, effective
from bot.model.findings import Severity
from bot.report import annotations as report_annotations


def inputs(**values: str):
    return load_inputs({"INPUT_GITHUB_TOKEN": "t", **{f"INPUT_{k.upper()}": v for k, v in values.items()}})


def test_inputs_override_the_file_and_the_file_overrides_the_defaults():
    cfg = config_from({".dockerdiet.toml": 'fail-on = "warning"\nonline = false\nignore = ["DT204"]\n'}, {})
    s = effective(cfg, inputs())
    assert s.fail_on == FailOn(severity=Severity.WARNING) and s.online is False
    assert s.options.ignore == ("DT204",) and s.options.online is False
    s = effective(config_from({".dockerdiet.toml": 'fail-on = "warning"\nonline = false\n'}, {}),
                  inputs(fail_on="50MB", online="true"))
    assert s.fail_on == FailOn(None, bytes=50_000_000) and s.online is True
    defaults = effective(config_from({}, {}), inputs())
    assert defaults.fail_on.never and defaults.online is True and defaults.source == ""


def test_first_config_wins_and_pyproject_needs_its_table():
    both = {".dockerdiet.toml": 'ignore = ["DT101"]\n', "pyproject.toml": '[tool.dockerdiet]\nignore = ["DT102"]\n'}
    assert config_from(both, {}).ignore == ["DT101"]
    assert config_from({"pyproject.toml": "[tool.ruff]\n"}, {}).sources == {}
    assert config_from({".hadolint.yaml": "ignored: [DL3009]\n"}, {}).ignore == ["DT101", "DT203"]


def test_explicit_config_must_exist_and_unreadable_files_are_errors():
    with pytest.raises(ConfigError, match="ci/d.toml: no such file on the base branch"):
        config_from({"ci/d.toml": None}, {}, "ci/d.toml")
    with pytest.raises(ConfigError, match="pyproject.toml: cannot read it"):
        config_from({}, {"pyproject.toml": "binary"})
    assert config_from({"ci/d.toml": 'select = ["DT1"]\n'}, {}, "./ci/d.toml").root == "ci"


@pytest.mark.parametrize("path", ["/etc/passwd", "../x.toml", "a/../../x", ".", "a\\b", "a\nb"])
def test_config_path_must_stay_inside_the_repository(path):
    with pytest.raises(ConfigError, match="inside the repository"):
        config_paths(path)
    assert check_config_path("ci/./d.toml") == "ci/d.toml"


def test_one_annotation_renderer_serves_check_and_the_action():
    assert gh_annotations.Annotation is report_annotations.Annotation
    a = report_annotations.Annotation("notice", "D", 2, 2, "T", "m", column=3, end_column=9)
    assert a.command() == "::notice file=D,line=2,col=3,endColumn=9,title=T::m"
