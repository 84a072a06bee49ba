"""Runs that stop early still leave a job summary and the ``outcome`` output, and say why
in words a user can act on: bad inputs, workflow_run payloads that must not post, rate
limits that outlast the bound (never a bare "RetryError")."""

from __future__ import annotations

import json

import pytest

from tests.integration.github.conftest import run_action

DOCKERFILE = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"


def test_bogus_mode_writes_the_error_to_the_summary_and_sets_outcome(fake, tmp_path):
    fake.open_pull(1, {}, {"Dockerfile": DOCKERFILE})
    run = run_action(fake, tmp_path, 1, inputs={"mode": "bogus"})
    assert run.code == 2
    assert "input mode: expected one of review, annotations, summary-only, got 'bogus'" in run.stdout
    assert "**Input error**" in run.summary and "got 'bogus'" in run.summary
    assert "dockerdiet outcome: bad input" in run.summary
    assert run.outputs["outcome"] == "bad input" and run.outputs["findings"] == "0"
    assert fake.requests == []


def test_a_missing_event_file_still_leaves_summary_and_outputs(fake, tmp_path):
    fake.open_pull(2, {}, {"Dockerfile": DOCKERFILE})
    run = run_action(fake, tmp_path, 2, extra_env={"GITHUB_EVENT_PATH": str(tmp_path / "nope.json")})
    assert run.code == 2 and "cannot read the event payload" in run.summary
    assert run.outputs["outcome"] == "bad input"


def workflow_run_payload(pull, **fields) -> dict:
    return {"workflow_run": {"head_sha": pull.head_sha, "pull_requests": [], **fields}}


@pytest.mark.parametrize("fields, says", [
    ({"event": "workflow_dispatch", "conclusion": "success"}, "started by 'workflow_dispatch', not pull_request"),
    ({"event": "repository_dispatch", "conclusion": "success"}, "started by 'repository_dispatch'"),
    ({"event": "push", "conclusion": "success"}, "started by 'push'"),
    ({"event": "pull_request", "conclusion": None}, "has not completed (conclusion is null)"),
])
def test_workflow_run_refuses_runs_that_must_not_post(fake, tmp_path, fields, says):
    pull = fake.open_pull(3, {}, {"Dockerfile": DOCKERFILE})
    work = tmp_path / "run-300-1"
    work.mkdir()
    (work / "pr.json").write_text(json.dumps({"number": 3, "head_sha": pull.head_sha}))
    run = run_action(fake, tmp_path, 3, event="workflow_run", payload=workflow_run_payload(pull, **fields),
                     run_id="300", inputs={"pr_file": "pr.json"})
    assert run.code == 2, run.stdout
    assert says in run.stdout and says in run.summary and "refusing to post" in run.summary
    assert run.outputs["outcome"] == "bad input"
    assert fake.requests == []  # not even a read


def test_workflow_run_of_a_dispatch_payload_is_refused(fake, tmp_path):
    fake.open_pull(4, {}, {"Dockerfile": DOCKERFILE})
    # what a workflow_dispatch event carries: inputs, no workflow_run object
    payload = {"inputs": {"pr": "4"}, "ref": "refs/heads/main", "workflow": ".github/workflows/x.yml"}
    run = run_action(fake, tmp_path, 4, event="workflow_run", payload=payload, inputs={"pr_file": "pr.json"})
    assert run.code == 2 and "no workflow_run object" in run.summary
    assert fake.requests == []


def test_workflow_dispatch_event_is_refused_with_the_reason_in_the_summary(fake, tmp_path):
    fake.open_pull(5, {}, {"Dockerfile": DOCKERFILE})
    run = run_action(fake, tmp_path, 5, event="workflow_dispatch", payload={"inputs": {}})
    assert run.code == 2 and "unsupported event 'workflow_dispatch'" in run.summary
    assert run.outputs["outcome"] == "bad input" and fake.requests == []


@pytest.mark.parametrize("conclusion", ["failure", "cancelled", "skipped"])
def test_workflow_run_that_did_not_succeed_stops_quietly(fake, tmp_path, conclusion):
    pull = fake.open_pull(6, {}, {"Dockerfile": DOCKERFILE})
    run = run_action(fake, tmp_path, 6, event="workflow_run", inputs={"pr_file": "pr.json"},
                     payload=workflow_run_payload(pull, event="pull_request", conclusion=conclusion))
    assert run.code == 0, run.stdout
    assert f"conclusion is '{conclusion}', not success; nothing to review" in run.summary
    assert run.outputs["outcome"] == "skipped" and fake.requests == []


def test_persistent_secondary_rate_limit_names_the_wait_not_a_retry_error(fake, tmp_path):
    fake.open_pull(7, {}, {"Dockerfile": DOCKERFILE})
    fake.rate_limit("GET", r"/pulls/7/files$", "secondary", seconds=1, times=-1)
    run = run_action(fake, tmp_path, 7, extra_env={"DOCKERDIET_MAX_RATE_LIMIT_WAIT": "30"})
    assert run.code == 2
    assert "error: GitHub rate limit: retry after 1 s (secondary limit), while listing the changed files" in run.stdout
    assert "RetryError" not in run.stdout + run.summary and "Traceback" not in run.stderr
    assert len(fake.calls("GET", r"/pulls/7/files$")) > 1  # the bounded waits were tried first
    assert "GitHub rate limit: retry after 1 s" in run.summary and run.outputs["outcome"] == "failed"


def test_secondary_limit_without_retry_after_beyond_the_bound(fake, tmp_path):
    fake.open_pull(8, {}, {"Dockerfile": DOCKERFILE})
    fake.rate_limit("GET", r"/pulls/8/files$", "secondary", seconds=None, times=-1)
    run = run_action(fake, tmp_path, 8, extra_env={"DOCKERDIET_MAX_RATE_LIMIT_WAIT": "5",
                                                   "DOCKERDIET_SECONDARY_RATE_WAIT": "60"})
    assert run.code == 2
    assert "GitHub rate limit: retry after 60 s (secondary limit)" in run.stdout
    assert len(fake.calls("GET", r"/pulls/8/files$")) == 1

