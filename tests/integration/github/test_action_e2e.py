"""End to end: the real ``python -m bot.action`` subprocess, real PyGithub, fake GitHub."""

from __future__ import annotations

import json
import re

import pytest

from bot.engine import Options, analyse_text
from tests.fakes.github_server import FakeGitHub
from tests.integration.github.conftest import TOKEN, apply_suggestion, run_action, suggestion_of

APT = "RUN apt-get update && apt-get install -y --no-install-recommends {pkg}\n"


def dockerfile(pkg: str, extra: str = "") -> str:
    return f"FROM debian:12-slim\n{extra}" + APT.format(pkg=pkg)


def writes(fake: FakeGitHub) -> list[dict]:
    """Requests that change something (a GraphQL query is a POST but only reads)."""
    return [r for r in fake.requests if r["method"] != "GET"
            and not (r["path"] == "/graphql" and r["json"].get("query", "").lstrip().startswith("query"))]


def test_new_pr_posts_one_review_whose_suggestions_fix_their_findings(fake, tmp_path):
    head = {
        "a/Dockerfile": dockerfile("curl"),
        "b/Dockerfile": "FROM debian:12-slim\nRUN apt-get update \\\n    && apt-get install -y git \\\n    && apt-get clean\n",
        "c/Dockerfile.dev": dockerfile("make", "RUN echo one\n"),
        "README.md": "docs\n",
    }
    pull = fake.open_pull(1, {"README.md": "old\n"}, head)
    run = run_action(fake, tmp_path, 1)
    assert run.code == 0, run.stdout + run.stderr
    assert len(fake.reviews_of(1)) == 1
    review = fake.reviews_of(1)[0]
    assert review["commit_id"] == pull.head_sha and review["state"] == "COMMENTED"
    comments = fake.comments_of(1)
    assert {c["path"] for c in comments} == {"a/Dockerfile", "b/Dockerfile", "c/Dockerfile.dev"}
    suggested = 0
    for c in comments:
        assert re.search(r"<!-- dockerdiet:v2 fp=[0-9a-f]{16} id=[0-9a-f]{16} rule=DT\d{3} run=100-1 -->\s*\Z", c["body"])
        replacement = suggestion_of(c["body"])
        if replacement is None:
            # b/Dockerfile: DT101 and DT102 fix the same RUN, so only one carries the suggestion
            assert "also applies this fix" in c["body"]
            continue
        suggested += 1
        fp = re.search(r"fp=([0-9a-f]+)", c["body"]).group(1)
        fixed = apply_suggestion(head[c["path"]], c, replacement)
        assert fixed != head[c["path"]]
        after = analyse_text(c["path"], fixed, Options(estimate=False))
        assert after.error is None
        assert fp not in {f.fingerprint for f in after.findings}
        assert not any(f.rule_id == "DT900" for f in after.findings)
    assert suggested == 3
    multi = next(c for c in comments if c["path"] == "b/Dockerfile" and suggestion_of(c["body"]))
    assert multi["start_line"] == 2 and multi["line"] == 4  # the whole RUN, one hunk
    # DT601 (style: a team's choice) on each of the three apt RUNs is listed in the summary, not inline
    assert run.outputs["findings"] == str(len(comments) + 3) == run.outputs["new_findings"]
    assert run.outputs["report_path"] == "dockerdiet-report.json"
    assert run.report["totals"]["new_findings"] == len(comments) + 3 == 7
    assert run.summary.count("listed here (style)") == 3
    assert "| `a/Dockerfile` |" in run.summary and "new, inline" in run.summary


def test_rerun_on_same_sha_writes_nothing(fake, tmp_path):
    fake.open_pull(2, {}, {"Dockerfile": dockerfile("curl"), "x/Dockerfile": dockerfile("vim")})
    assert run_action(fake, tmp_path, 2).code == 0
    before = len(writes(fake))
    again = run_action(fake, tmp_path, 2, run_id="101")
    assert again.code == 0
    assert len(writes(fake)) == before == 1
    assert len(fake.comments_of(2)) == 2
    assert again.outputs["findings"] == "4"  # 2 DT101 inline + 2 DT601 (style) in the summary


def test_push_fixing_a_finding_marks_our_comment_resolved_and_leaves_humans_alone(fake, tmp_path):
    head = {"Dockerfile": dockerfile("curl"), "w/Dockerfile": dockerfile("wget")}
    fake.open_pull(3, {}, head)
    assert run_action(fake, tmp_path, 3).code == 0
    human = fake.add_comment(3, "Dockerfile", 2, "please also pin curl <!-- dockerdiet:v1 fp=deadbeef rule=DT101 run=1-1 -->")
    fixed = dict(head, Dockerfile="FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n")
    fake.push(3, fixed)
    run = run_action(fake, tmp_path, 3, run_id="200")
    assert run.code == 0, run.stdout
    ours = [c for c in fake.comments_of(3) if c["user"]["type"] == "Bot"]
    assert len(ours) == 2  # nothing re-posted
    resolved = next(c for c in ours if c["path"] == "Dockerfile")
    assert "**Resolved**" in resolved["body"] and "state=fixed" in resolved["body"]
    assert resolved["node_id"] in fake.minimized
    other = next(c for c in ours if c["path"] == "w/Dockerfile")
    assert "state=fixed" not in other["body"]
    assert human["body"].startswith("please also pin curl")  # untouched
    assert not fake.calls("PATCH", rf"/comments/{human['id']}$")
    assert len(fake.reviews_of(3)) == 1  # summary edited, no second review
    assert fake.calls("PUT", r"/reviews/\d+$")


def test_new_finding_outside_the_hunks_goes_to_the_body(fake, tmp_path):
    filler = "".join(f"LABEL l{i}=v\n" for i in range(8))
    base = "FROM debian:12-slim\n" + filler + APT.format(pkg="curl")
    # Naming the stage changes its stage key (part of the identity), so the finding on
    # line 10 is new while the changed line, 1, is far from it.
    head = base.replace("FROM debian:12-slim\n", "FROM debian:12-slim AS app\n")
    fake.open_pull(4, {"Dockerfile": base}, {"Dockerfile": head})
    run = run_action(fake, tmp_path, 4)
    assert run.code == 0, run.stdout
    assert run.outputs["new_findings"] == "2"  # DT101 and its RUN's DT601 (style)
    assert fake.comments_of(4) == []
    body = fake.reviews_of(4)[0]["body"]
    assert "new, outside the diff" in body
    assert "rm -rf /var/lib/apt/lists/*" in body  # the fix is still offered, as a diff


def test_300_file_pr_is_paginated_and_every_dockerfile_analysed(fake, tmp_path):
    head = {f"src/file{i:03}.txt": f"v{i}\n" for i in range(297)}
    for name in ("zz1/Dockerfile", "zz2/Dockerfile", "zz3/Dockerfile"):
        head[name] = dockerfile("curl")
    fake.open_pull(5, {}, head)
    run = run_action(fake, tmp_path, 5)
    assert run.code == 0
    pages = fake.calls("GET", r"/pulls/5/files$")
    assert [p["query"].get("page", "1") for p in pages] == ["1", "2", "3"]
    assert all(p["query"].get("per_page") == "100" for p in pages)
    assert sorted(c["path"] for c in fake.comments_of(5)) == ["zz1/Dockerfile", "zz2/Dockerfile", "zz3/Dockerfile"]


def test_file_without_patch_is_reported_in_the_body_only(fake, tmp_path):
    fake.open_pull(6, {}, {"Dockerfile": dockerfile("curl"), "big/Dockerfile": dockerfile("gcc")},
                   no_patch={"big/Dockerfile"})
    run = run_action(fake, tmp_path, 6)
    assert run.code == 0
    assert [c["path"] for c in fake.comments_of(6)] == ["Dockerfile"]
    body = fake.reviews_of(6)[0]["body"]
    assert "`big/Dockerfile`" in body and "not annotatable" in body
    assert run.outputs["findings"] == "4"  # each apt RUN: DT101 and DT601 (style)


def test_renamed_and_deleted_dockerfiles(fake, tmp_path):
    base = {"old/Dockerfile": dockerfile("curl"), "gone/Dockerfile": dockerfile("vim")}
    head = {"new/Dockerfile": dockerfile("curl") + "RUN echo added\n"}
    fake.open_pull(7, base, head, renames={"new/Dockerfile": "old/Dockerfile"})
    statuses = {f.filename: f.status for f in fake.pulls[7].files}
    assert statuses == {"new/Dockerfile": "renamed", "gone/Dockerfile": "removed"}
    run = run_action(fake, tmp_path, 7)
    assert run.code == 0, run.stdout
    assert fake.comments_of(7) == []  # the rename carried the finding over: existing, not new
    assert run.outputs["findings"] == "2" and run.outputs["new_findings"] == "0"  # DT101 + DT601 (style)
    assert not any("gone/Dockerfile" in r["path"] for r in fake.requests)


def test_422_on_first_review_retries_once_with_everything_in_the_body(fake, tmp_path):
    fake.open_pull(8, {}, {"Dockerfile": dockerfile("curl")})
    fake.fail("POST", r"/pulls/8/reviews$", 422, body={
        "message": "Unprocessable Entity",
        "errors": ["Pull request review thread line must be part of the diff"], "status": "422"})
    run = run_action(fake, tmp_path, 8)
    assert run.code == 0, run.stdout
    posts = fake.calls("POST", r"/reviews$")
    assert len(posts) == 2
    assert posts[0]["json"]["comments"] and posts[1]["json"]["comments"] == []
    assert "line must be part of the diff" in run.stdout
    assert len(fake.reviews_of(8)) == 1
    assert "DT101" in fake.reviews_of(8)[0]["body"]


def test_502_after_the_review_was_created_does_not_post_twice(fake, tmp_path):
    fake.open_pull(9, {}, {"Dockerfile": dockerfile("curl")})
    fake.fail("POST", r"/pulls/9/reviews$", 502, after_store=True)
    run = run_action(fake, tmp_path, 9)
    assert run.code == 0, run.stdout
    assert len(fake.calls("POST", r"/reviews$")) == 1
    assert len(fake.reviews_of(9)) == 1 and len(fake.comments_of(9)) == 1
    assert "not posting again" in run.stdout


def test_502_before_anything_was_created_is_retried_once(fake, tmp_path):
    fake.open_pull(19, {}, {"Dockerfile": dockerfile("curl")})
    fake.fail("POST", r"/pulls/19/reviews$", 502)
    run = run_action(fake, tmp_path, 19)
    assert run.code == 0, run.stdout
    assert len(fake.calls("POST", r"/reviews$")) == 2
    assert len(fake.reviews_of(19)) == 1


def test_403_on_every_write_falls_back_to_annotations_and_job_summary(fake, tmp_path):
    fake.open_pull(10, {}, {"Dockerfile": dockerfile("curl")})
    for method in ("POST", "PATCH", "PUT"):
        fake.fail(method, r".", 403, times=-1, body={"message": "Resource not accessible by integration"})
    run = run_action(fake, tmp_path, 10, inputs={"fail_on": "warning"})
    assert fake.reviews_of(10) == []
    assert re.search(r"^::warning file=Dockerfile,line=2,col=\d+,endColumn=\d+,title=DT101 apt-lists-left-in-layer::",
                     run.stdout, re.M)
    assert "pull_request_target" in run.summary and "| `Dockerfile` |" in run.summary
    assert run.code == 1  # fail_on follows the findings, not the channel
    assert run.outputs["new_findings"] == "2"  # DT101 and its RUN's DT601 (style)


def test_secondary_rate_limit_with_retry_after_is_waited_out(fake, tmp_path):
    fake.open_pull(11, {}, {"Dockerfile": dockerfile("curl")})
    fake.fail("POST", r"/pulls/11/reviews$", 403, headers={"Retry-After": "1"},
              body={"message": "You have exceeded a secondary rate limit."})
    run = run_action(fake, tmp_path, 11)
    assert run.code == 0, run.stdout + run.stderr
    assert len(fake.calls("POST", r"/reviews$")) == 2
    assert len(fake.reviews_of(11)) == 1


def test_rate_limit_wait_beyond_the_bound_fails_cleanly(fake, tmp_path):
    fake.open_pull(12, {}, {"Dockerfile": dockerfile("curl")})
    fake.fail("GET", r"/pulls/12$", 403, times=-1, headers={"Retry-After": "3600"},
              body={"message": "You have exceeded a secondary rate limit."})
    run = run_action(fake, tmp_path, 12, extra_env={"DOCKERDIET_MAX_RATE_LIMIT_WAIT": "5"})
    assert run.code == 2
    assert "rate limit" in run.stdout and "Traceback" not in run.stdout + run.stderr
    assert "dockerdiet outcome: failed" in run.summary


def test_server_errors_on_reads_exit_2_with_a_clear_message(fake, tmp_path):
    fake.open_pull(13, {}, {"Dockerfile": dockerfile("curl")})
    fake.fail("GET", r"/pulls/13/files$", 500, times=-1)
    run = run_action(fake, tmp_path, 13)
    assert run.code == 2
    assert "listing the changed files" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert run.summary  # still written


def test_hostile_dockerfile_text_cannot_break_fences_markers_or_commands(fake, tmp_path):
    hostile = ("FROM debian:12-slim\n"
               "# ```` <!-- dockerdiet:v1 fp=0000 rule=DT101 run=1-1 -->\n"
               "RUN apt-get update && apt-get install -y --no-install-recommends curl && echo '::warning::pwned' `echo x` "
               "'````'\n")
    fake.open_pull(14, {}, {"Dockerfile": hostile})
    run = run_action(fake, tmp_path, 14)
    assert run.code == 0
    (comment,) = fake.comments_of(14)
    assert comment["body"].count("`````suggestion") == 1  # fence outruns the 4-backtick run
    assert suggestion_of(comment["body"]).count("::warning::pwned") == 1
    assert re.search(r"fp=[0-9a-f]{16} id=[0-9a-f]{16} rule=DT101 run=100-1 -->\s*\Z", comment["body"])
    # annotations mode prints the finding, escaped: no line of stdout starts a forged command
    ann = run_action(fake, tmp_path, 14, run_id="300", inputs={"mode": "annotations"})
    assert not re.search(r"^::warning::pwned", ann.stdout, re.M)
    assert all(line.startswith(("::warning ", "::error ", "::notice ", "dockerdiet:")) for line in ann.stdout.splitlines())
    # the rerun recognises only our trailing marker: still exactly one comment
    run_action(fake, tmp_path, 14, run_id="301")
    assert len(fake.comments_of(14)) == 1


def test_request_budget_for_20_dockerfiles(fake, tmp_path):
    head = {f"svc{i:02}/Dockerfile": dockerfile(f"pkg{i}") for i in range(20)}
    base = {f"svc{i:02}/Dockerfile": "FROM debian:12-slim\nRUN echo base\n" for i in range(20)}
    fake.open_pull(15, base, head)
    run = run_action(fake, tmp_path, 15)
    assert run.code == 0
    assert len(fake.comments_of(15)) == 20
    assert len(fake.requests) <= 2 * 20 + 8, [(r["method"], r["path"]) for r in fake.requests]


def test_comment_cap_puts_the_rest_in_the_body(fake, tmp_path):
    head = {f"s{i:02}/Dockerfile": dockerfile(f"p{i}") for i in range(7)}
    fake.open_pull(16, {}, head)
    run = run_action(fake, tmp_path, 16, inputs={"max_comments": "3"})
    assert run.code == 0
    assert len(fake.comments_of(16)) == 3
    body = fake.reviews_of(16)[0]["body"]
    assert body.count("over the inline comment limit") == 4
    # a re-run does not top up the cap with the overflow
    run_action(fake, tmp_path, 16, run_id="101", inputs={"max_comments": "3"})
    assert len(fake.comments_of(16)) == 3


def test_token_never_appears_in_logs_or_files(fake, tmp_path):
    fake.open_pull(17, {}, {"Dockerfile": dockerfile("curl")})
    fake.fail("POST", r"/reviews$", 500, times=-1)
    run = run_action(fake, tmp_path, 17)
    assert run.code == 2
    blob = run.stdout + run.stderr + run.summary + json.dumps(run.outputs) + json.dumps(run.report)
    assert TOKEN not in blob
    assert all(r["headers"].get("Authorization") == f"token {TOKEN}" for r in fake.requests)


def test_ghes_prefix(tmp_path):
    with FakeGitHub(prefix="/api/v3") as ghes:
        ghes.open_pull(1, {}, {"Dockerfile": dockerfile("curl")})
        run = run_action(ghes, tmp_path, 1)
        assert run.code == 0, run.stdout
        assert len(ghes.reviews_of(1)) == 1


def test_workflow_run_reads_and_validates_the_pr_file(fake, tmp_path):
    pull = fake.open_pull(18, {}, {"Dockerfile": dockerfile("curl")})
    work = tmp_path / "run-500-1"
    work.mkdir()
    (work / "pr.json").write_text(json.dumps({"number": 18, "head_sha": pull.head_sha}))
    payload = {"workflow_run": {"head_sha": pull.head_sha, "event": "pull_request", "conclusion": "success",
                                "pull_requests": []}}
    run = run_action(fake, tmp_path, 18, event="workflow_run", payload=payload, run_id="500",
                     inputs={"pr_file": "pr.json"})
    assert run.code == 0, run.stdout
    assert len(fake.reviews_of(18)) == 1


@pytest.mark.parametrize("content", [
    '{"number": "18; rm -rf /", "head_sha": "%s"}',
    '{"number": 18, "head_sha": "HEAD"}',
    '{"number": 18, "head_sha": "%s", "extra": 1}',
    '{"number": 18, "head_sha": "%s"}',  # well-formed, but not the triggering run's head
    "not json",
])
def test_workflow_run_rejects_bad_pr_files(fake, tmp_path, content):
    pull = fake.open_pull(18, {}, {"Dockerfile": dockerfile("curl")})
    work = tmp_path / "run-501-1"
    work.mkdir()
    (work / "pr.json").write_text(content.replace("%s", pull.head_sha) if "%s" in content else content)
    other = "f" * 40 if content.endswith('"%s"}') and "extra" not in content and "rm" not in content else pull.head_sha
    payload = {"workflow_run": {"head_sha": other, "event": "pull_request", "conclusion": "success"}}
    run = run_action(fake, tmp_path, 18, event="workflow_run", payload=payload, run_id="501",
                     inputs={"pr_file": "pr.json"})
    assert run.code == 2
    assert "pr.json" in run.stdout
    assert fake.requests == []


def test_head_moving_before_the_post_means_no_post(fake, tmp_path):
    fake.open_pull(20, {}, {"Dockerfile": dockerfile("curl")})
    newer = {"Dockerfile": dockerfile("curl") + "RUN echo newer\n"}
    fake.fail("GET", r"/pulls/20/files$", 0, then=lambda: fake.push(20, newer))
    run = run_action(fake, tmp_path, 20)
    assert run.code == 0, run.stdout
    assert writes(fake) == []
    assert "newer commit" in run.stdout


def test_422_with_a_moved_head_stops_without_retrying(fake, tmp_path):
    fake.open_pull(21, {}, {"Dockerfile": dockerfile("curl")})
    newer = {"Dockerfile": dockerfile("curl") + "RUN echo newer\n"}
    fake.fail("POST", r"/pulls/21/reviews$", 422, then=lambda: fake.push(21, newer),
              body={"message": "Unprocessable Entity", "errors": ["Start commit oid is not part of the pull request"]})
    run = run_action(fake, tmp_path, 21)
    assert run.code == 0, run.stdout
    assert len(fake.calls("POST", r"/reviews$")) == 1 and fake.reviews_of(21) == []
    assert "not retrying" in run.stdout
