"""Rate limits and timeouts the action must survive: wait when the wait is bounded, fail
cleanly (exit 2, report kept in the job summary, no traceback) when it is not, and never
post a review twice."""

from __future__ import annotations

import re

from tests.integration.github.conftest import run_action

DOCKERFILE = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"


def test_primary_rate_limit_within_the_bound_is_waited_out(fake, tmp_path):
    fake.open_pull(1, {}, {"Dockerfile": DOCKERFILE})
    fault = fake.rate_limit("GET", r"/pulls/1/files$", "primary", seconds=1)
    run = run_action(fake, tmp_path, 1, extra_env={"DOCKERDIET_MAX_RATE_LIMIT_WAIT": "30"})
    assert run.code == 0, run.stdout + run.stderr
    assert fault.times == 0 and len(fake.calls("GET", r"/pulls/1/files$")) == 2
    assert len(fake.reviews_of(1)) == 1


def test_primary_rate_limit_beyond_the_bound_fails_cleanly_and_keeps_the_report(fake, tmp_path):
    fake.open_pull(2, {}, {"Dockerfile": DOCKERFILE})
    fake.rate_limit("POST", r"/pulls/2/reviews$", "primary", seconds=3600, times=-1)
    run = run_action(fake, tmp_path, 2, extra_env={"DOCKERDIET_MAX_RATE_LIMIT_WAIT": "5"})
    assert run.code == 2
    # the reset is an hour after the fake set it: whole seconds rounded up, less what a slow start takes
    assert re.search(r"error: GitHub rate limit: retry after (3[0-5]\d\d|360[01]) s \(primary limit\), while posting the review",
                     run.stdout), run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert len(fake.calls("POST", r"/reviews$")) == 1  # no retry loop against a closed door
    assert fake.reviews_of(2) == []
    # the findings are not lost: the full report is in the job summary, the JSON report and outputs
    assert "| `Dockerfile` |" in run.summary and "DT101" in run.summary
    assert "dockerdiet outcome: failed" in run.summary
    assert run.outputs["new_findings"] == "2" and run.report["totals"]["new_findings"] == 2  # + DT601 (style)


def test_429_with_retry_after_is_waited_out_on_reads_and_on_the_review_post(fake, tmp_path):
    fake.open_pull(3, {}, {"Dockerfile": DOCKERFILE})
    slow_down = {"message": "Too Many Requests"}
    fake.fail("GET", r"/pulls/3/files$", 429, headers={"Retry-After": "1"}, body=slow_down)
    fake.fail("POST", r"/pulls/3/reviews$", 429, headers={"Retry-After": "1"}, body=slow_down)
    run = run_action(fake, tmp_path, 3)
    assert run.code == 0, run.stdout + run.stderr
    assert len(fake.calls("GET", r"/pulls/3/files$")) == 2
    # a 429 means GitHub did not process the POST, so repeating it cannot duplicate
    assert len(fake.calls("POST", r"/reviews$")) == 2 and len(fake.reviews_of(3)) == 1


def test_429_asking_for_too_long_a_wait_fails_cleanly(fake, tmp_path):
    fake.open_pull(4, {}, {"Dockerfile": DOCKERFILE})
    fake.fail("GET", r"/pulls/4/files$", 429, times=-1, headers={"Retry-After": "3600"},
              body={"message": "Too Many Requests"})
    run = run_action(fake, tmp_path, 4, extra_env={"DOCKERDIET_MAX_RATE_LIMIT_WAIT": "5"})
    assert run.code == 2
    assert "GitHub rate limit: retry after 3600 s (secondary limit), while listing the changed files" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_review_stored_but_answered_after_the_timeout_is_not_posted_twice(fake, tmp_path):
    fake.open_pull(5, {}, {"Dockerfile": DOCKERFILE})
    fake.fail("POST", r"/pulls/5/reviews$", 0, delay_after=3)
    run = run_action(fake, tmp_path, 5, extra_env={"DOCKERDIET_WRITE_TIMEOUT": "1"})
    assert run.code == 0, run.stdout + run.stderr
    assert "failed ambiguously" in run.stdout and "not posting again" in run.stdout
    assert len(fake.calls("POST", r"/reviews$")) == 1
    assert len(fake.reviews_of(5)) == 1 and len(fake.comments_of(5)) == 1


def test_review_lost_in_a_timeout_is_posted_again_exactly_once(fake, tmp_path):
    fake.open_pull(6, {}, {"Dockerfile": DOCKERFILE})
    # the first POST hangs past the client timeout and is then dropped without being stored
    fake.fail("POST", r"/pulls/6/reviews$", 504, delay=3, body={"message": "Gateway Timeout"})
    run = run_action(fake, tmp_path, 6, extra_env={"DOCKERDIET_WRITE_TIMEOUT": "1"})
    assert run.code == 0, run.stdout + run.stderr
    assert "failed ambiguously" in run.stdout
    assert len(fake.calls("POST", r"/reviews$")) == 2
    assert len(fake.reviews_of(6)) == 1 and len(fake.comments_of(6)) == 1
