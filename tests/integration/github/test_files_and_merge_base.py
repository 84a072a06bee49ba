"""What the action reads and compares against, end to end through ``python -m bot.action``:
"new" is measured against the PR's merge base, symlinks / submodules / binary files are
skipped with a note, and the request count stays within 2N + 8 for N Dockerfiles, with
GraphQL and without it."""

from __future__ import annotations

import pytest

from bot.github.client import GRAPHQL_BATCH

from tests.fakes.github_server import Submodule, Symlink
from tests.integration.github.conftest import run_action

LISTS = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
CLEAN = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl "
         "&& rm -rf /var/lib/apt/lists/*\n")


def no_graphql(fake) -> None:
    fake.fail("POST", r"^/graphql$", 404, times=-1, body={"message": "Not Found"})  # e.g. an old GHES


def test_findings_on_the_merge_base_stay_existing_when_the_base_branch_moves_on(fake, tmp_path):
    # The PR branched off a commit whose Dockerfile already keeps its apt lists (DT101).
    pull = fake.open_pull(1, {"Dockerfile": LISTS}, {"Dockerfile": LISTS + "LABEL team=a\n"})
    first = run_action(fake, tmp_path, 1, inputs={"fail_on": "warning"})
    assert first.code == 0, first.stdout
    assert first.outputs["findings"] == "2" and first.outputs["new_findings"] == "0"  # DT101 + DT601 (style)
    # Meanwhile main fixes DT101: base.sha now has no finding, the merge base still has it.
    merge_base = pull.base_sha
    tip = fake.advance_base(1, {"Dockerfile": CLEAN})
    fake.push(1, {"Dockerfile": LISTS + "LABEL team=b\n"})
    second = run_action(fake, tmp_path, 1, run_id="200", inputs={"fail_on": "warning"})
    assert second.code == 0, second.stdout  # compared with base.sha, DT101 would be "new" and fail
    assert second.outputs["new_findings"] == "0" and second.report["totals"]["new_findings"] == 0
    assert fake.calls("GET", rf"/compare/{tip}\.\.\.{fake.pulls[1].head_sha}$")
    reads = [v for v in fake.graphql_queries[-1]["variables"].values() if v.endswith(":Dockerfile")]
    assert f"{merge_base}:Dockerfile" in reads and f"{tip}:Dockerfile" not in reads
    assert fake.comments_of(1) == [] and "already on the base branch" in second.summary
    # A finding the PR really adds is still new, and trips fail_on.
    fake.push(1, {"Dockerfile": LISTS + "RUN apt-get update && apt-get install -y git\n"})
    third = run_action(fake, tmp_path, 1, run_id="300", inputs={"fail_on": "warning"})
    assert third.code == 1 and int(third.outputs["new_findings"]) >= 1


def test_merge_base_without_graphql_comes_from_the_patch(fake, tmp_path):
    fake.open_pull(2, {"Dockerfile": LISTS}, {"Dockerfile": LISTS + "LABEL team=a\n"})
    fake.advance_base(2, {"Dockerfile": CLEAN})
    no_graphql(fake)
    run = run_action(fake, tmp_path, 2, inputs={"fail_on": "warning"})
    assert run.code == 0, run.stdout
    assert run.outputs["new_findings"] == "0"
    assert not fake.calls("GET", r"/contents/")  # the PR's patch reversed: no read of the old version


def test_without_a_merge_base_the_tip_stands_in_with_a_note(fake, tmp_path):
    fake.open_pull(3, {"Dockerfile": LISTS}, {"Dockerfile": LISTS + "LABEL a=b\n"})
    fake.fail("GET", r"/compare/", 404, times=-1, body={"message": "Not Found"})
    run = run_action(fake, tmp_path, 3)
    assert run.code == 0, run.stdout
    assert "merge base could not be read" in run.summary


@pytest.mark.parametrize("graphql", [True, False], ids=["graphql", "rest"])
def test_symlinks_submodules_and_binaries_are_skipped_with_a_note(fake, tmp_path, graphql):
    binary = b"\x7fELF\x02\x01\x01\x00\x00\x00\x1b[31mFROM x\n\x00\x00RUN \x1b\x00\n" * 4
    head = {
        "docker/Dockerfile": LISTS,
        "Dockerfile": Symlink("docker/Dockerfile"),
        "app/Dockerfile": Symlink("../docker/Dockerfile"),
        "vendor/Containerfile": Submodule("c" * 40),
        "bin/Dockerfile": binary,
    }
    fake.open_pull(4, {}, head)
    if not graphql:
        no_graphql(fake)
    run = run_action(fake, tmp_path, 4)
    assert run.code == 0, run.stdout + run.stderr
    findings = run.report["findings"]
    assert {f["path"] for f in findings} == {"docker/Dockerfile"}
    assert not any(f["rule_id"] == "DT900" for f in findings)
    summary = run.summary
    for path, why in [("Dockerfile", "a symbolic link"), ("app/Dockerfile", "a symbolic link"),
                      ("vendor/Containerfile", "a git submodule"), ("bin/Dockerfile", "a binary file")]:
        line = next(line for line in summary.splitlines() if line.startswith(f"`{path}` not analysed"))
        assert why in line
    posted = "".join(r["body"] for r in fake.reviews_of(4)) + "".join(c["body"] for c in fake.comments_of(4))
    assert not any(ch in posted + summary + run.stdout for ch in "\x00\x1b")
    assert {c["path"] for c in fake.comments_of(4)} == {"docker/Dockerfile"}


def test_a_dockerfile_with_a_bom_is_analysed_like_locally(fake, tmp_path):
    fake.open_pull(5, {}, {"Dockerfile": "\ufeff" + LISTS})
    run = run_action(fake, tmp_path, 5)
    assert run.code == 0, run.stdout
    assert [f["rule_id"] for f in run.report["findings"]] == ["DT101", "DT601"]


def request_count(fake, tmp_path, n: int, graphql: bool) -> int:
    # every head file brings one new finding (the base has the image without the install)
    base = {f"svc{i:02}/Dockerfile": "FROM debian:12\n" for i in range(n)}
    head = {p: LISTS.replace("curl", f"curl pkg{i}") for i, p in enumerate(base)}
    fake.open_pull(n, base, head)
    if not graphql:
        no_graphql(fake)
    run = run_action(fake, tmp_path, n)
    assert run.code == 0, run.stdout
    assert len(fake.reviews_of(n)) == 1 and len(fake.comments_of(n)) == n
    print(f"\n{n} Dockerfiles, {'GraphQL' if graphql else 'REST fallback'}: {len(fake.requests)} requests: "
          + ", ".join(f"{r['method']} {r['path'].rsplit('/', 1)[-1][:12]}" for r in fake.requests))
    return len(fake.requests)


@pytest.mark.parametrize("n", [2, 20])
@pytest.mark.parametrize("graphql", [True, False], ids=["graphql", "rest"])
def test_request_count_is_at_most_2n_plus_8(fake, tmp_path, n, graphql):
    count = request_count(fake, tmp_path, n, graphql)
    assert count <= 2 * n + 8
    if graphql:  # batched queries read config, head and merge-base versions and the listings
        queries = len(fake.calls("POST", r"/graphql$"))
        assert queries <= 1 + (3 * n) // GRAPHQL_BATCH and count <= 8 + queries


def test_five_push_story_merge_base_symlink_binary_fix_and_a_flaky_rerun(fake, tmp_path):
    """One PR over five runs of the real entrypoint: no duplicate, no false "resolved",
    nothing analysed that is not a Dockerfile, "new" always against the merge base."""
    other = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends git\n"
    pull = fake.open_pull(7, {"svc/Dockerfile": other}, {"svc/Dockerfile": other, "Dockerfile": LISTS})
    merge_base = pull.base_sha
    inputs = {"fail_on": "warning", "resolve_threads": "true"}

    def bot_comments():
        return [c for c in fake.comments_of(7) if c["user"]["type"] == "Bot"]

    # 1. the PR adds a Dockerfile keeping its apt lists: one new finding, one comment
    one = run_action(fake, tmp_path, 7, run_id="1", inputs=inputs)
    assert one.code == 1 and one.outputs["new_findings"] == "2", one.stdout  # + DT601 (style)
    (ours,) = bot_comments()
    assert ours["path"] == "Dockerfile" and ours["id"] > 2**31
    # 2. main moves on (it fixes svc/Dockerfile); the PR pushes an unrelated edit
    fake.advance_base(7, {"svc/Dockerfile": other.replace("git", "git && rm -rf /var/lib/apt/lists/*")})
    fake.push(7, {"svc/Dockerfile": other + "LABEL a=b\n", "Dockerfile": LISTS})
    two = run_action(fake, tmp_path, 7, run_id="2", inputs=inputs)
    assert two.code == 1 and two.outputs["new_findings"] == "2", two.stdout  # + DT601 (style);  # svc's DT101 is not new
    assert len(bot_comments()) == 1 and not fake.calls("PATCH")
    assert any(v == f"{merge_base}:svc/Dockerfile" for v in fake.graphql_queries[-1]["variables"].values())
    # 3. the Dockerfile becomes a symlink and a binary "Dockerfile" appears: skipped, never
    #    analysed, and our comment is not declared resolved by a file we could not read
    fake.push(7, {"svc/Dockerfile": other + "LABEL a=b\n", "real/Dockerfile": LISTS,
                  "Dockerfile": Symlink("real/Dockerfile"), "bin/Dockerfile": b"\x00\x1b[0m\x00"})
    three = run_action(fake, tmp_path, 7, run_id="3", inputs=inputs)
    assert "`Dockerfile` not analysed: a symbolic link" in three.summary
    assert "`bin/Dockerfile` not analysed: a binary file" in three.summary
    assert not any(f["rule_id"] == "DT900" for f in three.report["findings"])
    assert "state=fixed" not in bot_comments()[0]["body"]
    # the symlink's target is a Dockerfile of the PR in its own right: it gets its comment
    assert [c["path"] for c in bot_comments()] == ["Dockerfile", "real/Dockerfile"]
    # 4. the PR fixes the finding in a regular file: our comment is resolved, thread too
    fake.push(7, {"svc/Dockerfile": other + "LABEL a=b\n", "Dockerfile": CLEAN})
    four = run_action(fake, tmp_path, 7, run_id="4", inputs=inputs)
    assert four.code == 0, four.stdout
    resolved = [c for c in bot_comments() if "state=fixed" in c["body"]]
    assert resolved == bot_comments()  # the fix, and real/Dockerfile gone from the PR
    assert fake.resolved_threads == {f"PRRT_{c['id']}" for c in resolved}
    # 5. a re-run on the same head through a secondary rate limit: waited out, writes nothing
    before = [r for r in fake.requests if r["method"] in ("PATCH", "PUT")
              or r["method"] == "POST" and r["path"].endswith("/reviews")]
    fake.rate_limit("GET", r"/pulls/7/files$", "secondary", seconds=1)
    five = run_action(fake, tmp_path, 7, run_id="5", inputs=inputs)
    assert five.code == 0, five.stdout
    after = [r for r in fake.requests if r["method"] in ("PATCH", "PUT")
             or r["method"] == "POST" and r["path"].endswith("/reviews")]
    assert after == before
    assert len(fake.reviews_of(7)) == 2 and len(bot_comments()) == 2  # zero duplicates over five runs
