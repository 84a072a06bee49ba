"""The action's own packaging: action.yml inputs and a Dockerfile dockerdiet finds clean."""

from __future__ import annotations

import re
from pathlib import Path

from bot.engine import Options, analyse_text

ROOT = Path(__file__).resolve().parents[3]


def test_action_dockerfile_lints_clean():
    result = analyse_text("Dockerfile", (ROOT / "Dockerfile").read_text(), Options(estimate=False))
    assert result.error is None
    assert [f"{f.rule_id} {f.span}" for f in result.findings] == []


def test_action_yml_uses_snake_case_ids_and_docker():
    text = (ROOT / "action.yml").read_text()
    block = text.split("\ninputs:\n", 1)[1].split("\noutputs:\n", 1)[0]
    ids = re.findall(r"^  ([^\s:]+):$", block, re.M)
    assert {"github_token", "paths", "config", "max_comments", "fail_on", "online", "mode"} <= set(ids)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)
    assert "default: ${{ github.token }}" in text
    assert re.search(r"runs:\n  using: docker\n  image: Dockerfile", text)
    outputs = text.split("\noutputs:\n", 1)[1]
    for name in ("findings", "new_findings", "estimated_savings_bytes", "report_path"):
        assert re.search(rf"^  {name}:$", outputs, re.M)
