"""Shared checks for DT3xx/DT4xx fixes: the result parses, the rule is quiet, and
hadolint finds nothing new."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import tempfile

from bot.model.dockerfile import parse
from tests.rules.harness import fixed_text, run

HADOLINT = shutil.which("hadolint") or "/work/venv/bin/hadolint"


def hadolint_codes(text: str) -> collections.Counter | None:
    if not os.path.exists(HADOLINT):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile", delete=False) as fh:
        fh.write(text)
    try:
        out = subprocess.run([HADOLINT, "--no-fail", "-f", "json", fh.name], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(fh.name)
    return collections.Counter(d["code"] for d in json.loads(out.stdout or "[]"))


def assert_clean_rewrite(rule, code: str, context=None) -> str:
    after = fixed_text(rule, code, context)
    assert after != code, "no fix was applied"
    assert not parse(after).errors
    assert not run(rule, after, context), f"{rule.id} still fires after its fix"
    before_codes, after_codes = hadolint_codes(code), hadolint_codes(after)
    if before_codes is not None:
        assert not (after_codes - before_codes), f"new hadolint findings: {after_codes - before_codes}"
    return after
