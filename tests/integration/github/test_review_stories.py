"""Five-push stories with the real entrypoint against the stateful fake GitHub.

After every run the same invariants are checked against ``dockerdiet check`` on the
head files: no duplicate review per head, no two live comments for one finding, no
comment marked resolved whose finding still exists, no finding missing from the union
of inline comments, review body and job summary, and every live suggestion, applied the
way GitHub applies it, fixes what it claims and adds nothing.
"""

from __future__ import annotations

from bot.model.findings import Severity

import re
from collections import Counter

from bot.engine import Options, analyse_text
from bot.github.markers import parse_marker
from bot.github.placement import check_fixed
from bot.github.suggestion import edited_lines
from tests.fakes.github_server import BIG_IDS, BOT, OTHER_BOT, FakeGitHub
from tests.integration.github.conftest import apply_suggestion, run_action, suggestion_of

APT = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"
PIP = "FROM python:3.12-slim\nWORKDIR /app\nRUN pip install flask\n"


def ours(fake: FakeGitHub, number: int) -> list[dict]:
    return [c for c in fake.comments_of(number) if c["user"] == BOT and parse_marker(c["body"])]


def check(fake: FakeGitHub, number: int, run) -> dict[str, list]:
    """The story invariants; returns the head findings per path."""
    assert run.code in (0, 1), run.stdout + run.stderr
    pull = fake.pulls[number]
    head = {p: analyse_text(p, t, Options()).findings for p, t in pull.head_tree.items() if "Dockerfile" in p}
    prints = {f.fingerprint: f for fs in head.values() for f in fs}
    # one review per head commit
    per_head = Counter(r["commit_id"] for r in fake.reviews_of(number))
    assert all(n == 1 for n in per_head.values()), per_head
    live, fixed = [], []
    for c in ours(fake, number):
        m = parse_marker(c["body"])
        (fixed if m.get("state") == "fixed" else live).append((c, m))
    # no duplicate comments: one live comment per finding
    live_fps = Counter(m["fp"] for _, m in live)
    assert all(n == 1 for n in live_fps.values()), live_fps
    # no false "resolved": a comment resolved in this head has no finding of its identity
    # (a later push may bring a new finding with the same identity: it gets a new comment)
    for c, m in fixed:
        if f"**Resolved** in {pull.head_sha[:7]}" not in c["body"]:
            continue
        same_path = [f for f in head.get(c["path"], ()) if f.fingerprint == m["fp"]]
        assert not same_path, f"comment {c['id']} marked resolved but {m['rule']} still exists"
    # nothing lost: every finding is in the job summary (and the body or a comment)
    rows = re.findall(r"^\| `([^`]+)` \| \[(DT\d{3})\]", run.summary, re.M)
    expected = Counter((p, f.rule_id) for p, fs in head.items() for f in fs)
    assert Counter(rows) == expected, (rows, expected)
    # every live, current suggestion is verified
    for c, m in live:
        block = suggestion_of(c["body"])
        if block is None or c["line"] is None or m["fp"] not in prints:
            continue
        text = pull.head_tree[c["path"]]
        applied = apply_suggestion(text, c, block)
        lo, hi = c["start_line"] or c["line"], c["line"]
        # the spec: the block applies every fix whose edits fall on the commented lines
        # (a style finding, DT601's cache mount, is a team's choice: it never rides along)
        claimed = [f for f in head[c["path"]] if f.fix is not None and f.fix.edits and f.severity is not Severity.STYLE
                   and lo <= edited_lines(f.fix.edits)[0] and edited_lines(f.fix.edits)[1] <= hi]
        assert prints[m["fp"]] in claimed
        assert check_fixed(c["path"], text, applied, claimed) == "", c["body"]
    return head


def test_story_edit_without_fixing(fake, tmp_path):
    fake.open_pull(1, {}, {"Dockerfile": APT})
    first = run_action(fake, tmp_path, 1, run_id="1")
    check(fake, 1, first)
    posted = {c["id"]: c["body"] for c in ours(fake, 1)}
    assert len(posted) == 2
    edits = [APT.replace("curl", "curl git"),  # the flagged line edited, still wasteful
             "FROM debian:12-slim\nLABEL team=a\n" + APT.split("\n", 1)[1].replace("curl", "curl git"),  # shifted
             "FROM debian:12-slim\nLABEL team=a\nRUN apt-get update &&  apt-get install -y  curl git wget\n"]
    for i, text in enumerate(edits, start=2):
        fake.push(1, {"Dockerfile": text})
        check(fake, 1, run_action(fake, tmp_path, 1, run_id=str(i)))
    again = run_action(fake, tmp_path, 1, run_id="9")  # same head: nothing new
    check(fake, 1, again)
    assert set(c["id"] for c in ours(fake, 1)) == set(posted)  # never a second comment
    assert not any("state=fixed" in c["body"] for c in ours(fake, 1))  # never a false resolved
    assert len(fake.reviews_of(1)) == 1 and not fake.minimized


def test_story_fix(fake, tmp_path):
    text = "FROM debian:12-slim\nRUN apt-get update \\\n    && apt-get install -y git \\\n    && apt-get clean\n"
    fake.open_pull(2, {}, {"Dockerfile": text, "py/Dockerfile": PIP})
    check(fake, 2, run_action(fake, tmp_path, 2, run_id="1"))
    # push 2: apply every posted suggestion the way GitHub's batch commit does
    tree = dict(fake.pulls[2].head_tree)
    for c in sorted(ours(fake, 2), key=lambda c: -c["line"]):
        block = suggestion_of(c["body"])
        if block is not None:
            tree[c["path"]] = apply_suggestion(tree[c["path"]], c, block)
    fake.push(2, tree)
    run = run_action(fake, tmp_path, 2, run_id="2")
    head = check(fake, 2, run)
    fixed = [c for c in ours(fake, 2) if "state=fixed" in c["body"]]
    assert fixed and all(c["node_id"] in fake.minimized for c in fixed)
    assert not any(f.rule_id in ("DT101", "DT102", "DT105") for fs in head.values() for f in fs)
    # push 3: a new waste; push 4: unrelated edit; push 5: re-run
    tree["Dockerfile"] += "RUN apt-get update && apt-get install -y vim\n"
    fake.push(2, tree)
    check(fake, 2, run_action(fake, tmp_path, 2, run_id="3"))
    tree["README.md"] = "x\n"
    fake.push(2, tree)
    check(fake, 2, run_action(fake, tmp_path, 2, run_id="4"))
    before = len(fake.requests)
    check(fake, 2, run_action(fake, tmp_path, 2, run_id="5"))
    assert not [r for r in fake.requests[before:] if r["method"] in ("PATCH", "PUT")
                or (r["method"] == "POST" and r["path"].endswith("/reviews"))]


def test_story_rename(fake, tmp_path):
    fake.open_pull(3, {"README.md": "x\n"}, {"svc/Dockerfile": APT, "README.md": "x\n"})
    check(fake, 3, run_action(fake, tmp_path, 3, run_id="1"))
    first = {c["id"] for c in ours(fake, 3)}
    fake.push(3, {"app/Dockerfile": APT, "README.md": "x\n"})  # a new file for the PR: an add
    check(fake, 3, run_action(fake, tmp_path, 3, run_id="2"))
    # a rename against the base: the base gets the file, the head moves it
    fake.open_pull(4, {"svc/Dockerfile": APT}, {"svc/Dockerfile": APT + "RUN echo 1\n"})
    check(fake, 4, run_action(fake, tmp_path, 4, run_id="3"))
    fake.open_pull(5, {"old/Dockerfile": "FROM debian:12-slim\n"}, {"old/Dockerfile": APT})
    check(fake, 5, run_action(fake, tmp_path, 5, run_id="4"))
    posted = {c["id"] for c in ours(fake, 5)}
    fake.push(5, {"new/Dockerfile": APT + "RUN echo moved\n"}, renames={"new/Dockerfile": "old/Dockerfile"})
    check(fake, 5, run_action(fake, tmp_path, 5, run_id="5"))
    assert {c["id"] for c in ours(fake, 5)} == posted  # carried over: no new comment
    assert not any("state=fixed" in c["body"] for c in ours(fake, 5))
    assert first


def test_story_human_reply_and_foreign_bot(fake, tmp_path):
    fake.open_pull(6, {}, {"Dockerfile": APT})
    check(fake, 6, run_action(fake, tmp_path, 6, run_id="1"))
    mine = ours(fake, 6)
    reply = fake.reply(6, mine[0], "we need the recommends, see #12")
    copy = fake.add_comment(6, "Dockerfile", 2, "lint\n" + mine[0]["body"][mine[0]["body"].rindex("<!--"):],
                            user=OTHER_BOT)
    fake.push(6, {"Dockerfile": APT.replace("curl", "curl jq")})
    check(fake, 6, run_action(fake, tmp_path, 6, run_id="2"))
    fake.push(6, {"Dockerfile": APT.replace("curl\n", "curl && rm -rf /var/lib/apt/lists/*\n")})
    check(fake, 6, run_action(fake, tmp_path, 6, run_id="3"))
    fake.push(6, {"Dockerfile": "FROM debian:12-slim\n"})
    check(fake, 6, run_action(fake, tmp_path, 6, run_id="4"))
    check(fake, 6, run_action(fake, tmp_path, 6, run_id="5"))
    touched = {int(r["path"].rsplit("/", 1)[1]) for r in fake.calls("PATCH", r"/pulls/comments/\d+$")}
    assert reply["id"] not in touched and copy["id"] not in touched
    assert copy["node_id"] not in fake.minimized
    assert all("state=fixed" in c["body"] for c in ours(fake, 6))


def test_story_flaky_api(tmp_path):
    with FakeGitHub(first_id=BIG_IDS) as fake:
        fake.open_pull(7, {}, {"Dockerfile": APT, "b/Dockerfile": PIP})
        # push 1: the POST answers 502 after storing; the list shows it only on the second read
        fake.fail("POST", r"/pulls/7/reviews$", 502, after_store=True, hidden_reads=1)
        run = run_action(fake, tmp_path, 7, run_id="1")
        check(fake, 7, run)
        assert len(fake.calls("POST", r"/pulls/7/reviews$")) == 1 and "not posting again" in run.stdout
        assert all(c["id"] > 2**31 for c in fake.comments_of(7))
        # push 2: a human deleted one of our comments; the fix must still post the new finding
        dt101 = next(c for c in ours(fake, 7) if "rule=DT101" in c["body"])
        fake.delete_comment(dt101["id"])
        fake.fail("PATCH", r"/pulls/comments/\d+$", 502, times=2)
        fake.push(7, {"Dockerfile": APT.replace("curl\n", "curl && rm -rf /var/lib/apt/lists/*\n")
                      + "RUN apt-get update && apt-get install -y --no-install-recommends git\n",
                      "b/Dockerfile": PIP.replace("flask", "flask gunicorn")})
        run = run_action(fake, tmp_path, 7, run_id="2")
        check(fake, 7, run)
        assert "warning" in run.stdout and len(fake.reviews_of(7)) == 2
        # push 3: the review POST fails for good: exit 2, summary still lists everything
        fake.push(7, {"Dockerfile": APT, "b/Dockerfile": PIP + "RUN pip install rich\n"})
        fake.fail("POST", r"/pulls/7/reviews$", 500, times=-1)
        run = run_action(fake, tmp_path, 7, run_id="3")
        assert run.code == 2 and "| `Dockerfile` |" in run.summary
        fake.faults.clear()
        # push 4 = the same head, re-run: now it posts exactly once
        check(fake, 7, run_action(fake, tmp_path, 7, run_id="4"))
        check(fake, 7, run_action(fake, tmp_path, 7, run_id="5"))
        assert len(fake.reviews_of(7)) == 3


def test_nothing_lost_against_dockerdiet_check(fake, tmp_path):
    """Inline comments ∪ review body ∪ job summary == ``dockerdiet check`` on the head files,
    on a PR with more findings than the comment cap, an info finding and a file without a diff."""
    import json
    import subprocess
    import sys

    # DT204 (info) on two file-system steps; the file without a diff keeps its apt lists
    head = {f"s{i}/Dockerfile": APT.replace("curl", f"pkg{i}") + "RUN mkdir -p /a\nRUN chmod 755 /a\n"
            for i in range(4)}
    head["py/Dockerfile"] = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends git\n"
    fake.open_pull(8, {}, head, no_patch={"py/Dockerfile"})
    run = run_action(fake, tmp_path, 8, inputs={"max_comments": "3"})
    assert run.code == 0, run.stdout
    tree = tmp_path / "tree"
    for path, text in head.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)
    proc = subprocess.run([sys.executable, "-m", "bot", "check", "--format", "json", *sorted(head)], cwd=tree,
                          capture_output=True, text=True)
    checked = Counter((file["path"], f["rule"]) for file in json.loads(proc.stdout)["files"]
                      for f in file["findings"])
    inline = Counter((c["path"], parse_marker(c["body"])["rule"]) for c in ours(fake, 8))
    body = fake.reviews_of(8)[0]["body"]
    in_body = Counter(re.findall(r"^\| `([^`]+)` \| \[(DT\d{3})\]", body, re.M))
    in_summary = Counter(re.findall(r"^\| `([^`]+)` \| \[(DT\d{3})\]", run.summary, re.M))
    # 4 x (DT101, DT102, DT204) + DT101, and DT601 (style: summary only) on each of the 5 apt RUNs
    assert sum(checked.values()) == 18 and sum(inline.values()) == 3
    assert in_summary == checked  # the job summary alone lists every finding
    assert set(inline) | set(in_body) == set(checked) and in_body == checked
