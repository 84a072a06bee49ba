"""Opt-in thread resolution: when a push fixes a finding, our thread is resolved via GraphQL
(``resolve_threads: true``, which needs ``contents: write``); without the permission the
run logs a hint and carries on."""

from __future__ import annotations

from tests.integration.github.conftest import run_action

BAD = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends {pkg}\n"
GOOD = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends {pkg} "
        "&& rm -rf /var/lib/apt/lists/*\n")
PATHS = ("a/Dockerfile", "b/Dockerfile", "c/Dockerfile")


def open_and_fix(fake, tmp_path, number: int, fixed: tuple[str, ...]) -> None:
    head = {p: BAD.format(pkg=p[0]) for p in PATHS}
    fake.open_pull(number, {}, head)
    assert run_action(fake, tmp_path, number).code == 0
    assert len(fake.comments_of(number)) == 3
    fake.push(number, dict(head, **{p: GOOD.format(pkg=p[0]) for p in fixed}))


def thread_of(fake, number: int, path: str) -> str:
    return next(f"PRRT_{c['id']}" for c in fake.comments_of(number) if c["path"] == path)


def test_fixed_findings_get_their_threads_resolved(fake, tmp_path):
    open_and_fix(fake, tmp_path, 1, fixed=("a/Dockerfile", "c/Dockerfile"))
    run = run_action(fake, tmp_path, 1, run_id="200", inputs={"resolve_threads": "true"})
    assert run.code == 0, run.stdout
    # ids above 2^31, as on github.com since 2025: the 32-bit GraphQL databaseId cannot link them
    assert all(c["id"] > 2**31 for c in fake.comments_of(1))
    # c/Dockerfile's thread sits on the second page of the (2 per page) thread listing
    assert fake.resolved_threads == {thread_of(fake, 1, "a/Dockerfile"), thread_of(fake, 1, "c/Dockerfile")}
    fixed = [c for c in fake.comments_of(1) if "state=fixed" in c["body"]]
    assert {c["path"] for c in fixed} == {"a/Dockerfile", "c/Dockerfile"}
    # a re-run has nothing more to resolve and posts nothing
    before = len(fake.calls("POST", r"/graphql$"))
    again = run_action(fake, tmp_path, 1, run_id="201", inputs={"resolve_threads": "true"})
    assert again.code == 0
    assert not any("resolveReviewThread" in r["json"].get("query", "") for r in fake.calls("POST", r"/graphql$")[before:])


def test_threads_stay_open_by_default(fake, tmp_path):
    open_and_fix(fake, tmp_path, 2, fixed=("a/Dockerfile",))
    run = run_action(fake, tmp_path, 2, run_id="200")
    assert run.code == 0
    assert fake.resolved_threads == set()
    assert not any("reviewThreads" in q["query"] for q in fake.graphql_queries)
    assert any("state=fixed" in c["body"] for c in fake.comments_of(2))  # still marked fixed


def test_missing_permission_logs_a_hint_and_carries_on(fake, tmp_path):
    open_and_fix(fake, tmp_path, 3, fixed=("b/Dockerfile",))
    fake.forbidden_mutations.add("resolveReviewThread")
    run = run_action(fake, tmp_path, 3, run_id="200", inputs={"resolve_threads": "true"})
    assert run.code == 0, run.stdout
    assert "contents: write" in run.stdout and "Traceback" not in run.stdout + run.stderr
    assert fake.resolved_threads == set()
    ours = next(c for c in fake.comments_of(3) if c["path"] == "b/Dockerfile")
    assert "state=fixed" in ours["body"]  # the rest of the housekeeping happened
    assert run.outputs["outcome"] == "updated"
