"""Planning across pushes with real engine findings: reconcile, verified suggestions, limits."""

from __future__ import annotations

import json

from bot.engine import Options, analyse_text
from bot.github.diff import parse_file_patch
from bot.github.markers import comment_marker, is_ours, our_login, parse_marker, summary_marker
from bot.github.placement import check_fixed
from bot.github.plan import PlanOptions, plan
from bot.github.inputs import AnalysedFile, Existing
from bot.identity import legacy_fingerprint
from bot.github.records import RemoteComment, RemoteReview
from bot.model.findings import Severity
from tests.fakes.github_server import hunk_patch

HEAD = "abc1234" + "0" * 33
BOT = ("github-actions[bot]", "Bot")


def analysed(text: str, base: str = "", path: str = "Dockerfile", previous: str = "", bom: bool = False,
             options: Options | None = None) -> AnalysedFile:
    findings = analyse_text(path, text, options or Options()).findings
    base_fps = frozenset(f.fingerprint for f in analyse_text(path, base, Options(estimate=False)).findings) \
        if base else frozenset()
    return AnalysedFile(path, text, tuple(findings), base_fps,
                        parse_file_patch(path, hunk_patch(base, text), added_file=not base),
                        previous_path=previous, bom=bom)


def posted(p, first_id: int = 1) -> tuple[RemoteComment, ...]:
    return tuple(RemoteComment(first_id + i, f"N{i}", c.path, c.line, c.body, *BOT, c.line, c.start_line)
                 for i, c in enumerate(p.comments))


APT = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"


def test_editing_a_flagged_line_without_fixing_keeps_the_comment_and_posts_nothing_new():
    first = plan([analysed(APT)], Existing(), PlanOptions(HEAD, "1-1"))
    assert {c.rule_id for c in first.comments} == {"DT101", "DT102"}
    earlier = posted(first)
    edited = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl git\n"
    # GitHub marks both comments outdated: their line changed
    outdated = tuple(RemoteComment(c.id, c.node_id, c.path, None, c.body, *BOT, c.line) for c in earlier)
    again = plan([analysed(edited)], Existing(outdated), PlanOptions("d" * 40, "2-1"))
    assert again.comments == () and again.resolved == ()
    assert {r.where for r in again.rows if r.finding.rule_id != "DT601"} == {"commented earlier"}
    # the suggestion text changed (git is in it now): bodies are updated in place
    assert {u.comment_id for u in again.updated} == {c.id for c in earlier}
    assert all("still there" in u.body for u in again.updated)


def test_rerun_on_the_same_text_changes_nothing():
    first = plan([analysed(APT)], Existing(), PlanOptions(HEAD, "1-1"))
    review = RemoteReview(9, first.body, HEAD, *BOT)
    again = plan([analysed(APT)], Existing(posted(first), (review,)), PlanOptions(HEAD, "2-1"))
    assert not again.post_review and not again.updated and not again.resolved and again.summary_update is None


def test_fix_resolves_only_the_fixed_finding_and_never_a_foreign_comment():
    first = plan([analysed(APT)], Existing(), PlanOptions(HEAD, "1-1"))
    earlier = posted(first)
    dt101 = next(c for c in earlier if "rule=DT101" in c.body)
    foreign = RemoteComment(50, "N50", "Dockerfile", 2, "copy\n" + parse_marker_body(dt101.body), "other[bot]", "Bot")
    fixed = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    again = plan([analysed(fixed)], Existing(earlier + (foreign,)),
                 PlanOptions("e" * 40, "2-1", bot_login="github-actions[bot]"))
    assert [u.comment_id for u in again.resolved] == [dt101.id]
    marker = parse_marker(again.resolved[0].body)
    assert marker["state"] == "fixed" and marker["v"] == "2"


def parse_marker_body(body: str) -> str:
    return body[body.rindex("<!-- dockerdiet:"):]


def test_v1_comments_are_matched_by_the_old_fingerprint_and_upgraded():
    f = analysed(APT)
    dt101 = next(x for x in f.findings if x.rule_id == "DT101")
    v1 = RemoteComment(7, "N7", "Dockerfile", 2,
                       f"old text\n<!-- dockerdiet:v1 fp={legacy_fingerprint(dt101)} rule=DT101 run=1-1 -->", *BOT)
    stale = RemoteComment(8, "N8", "Dockerfile", 2, "old\n<!-- dockerdiet:v1 fp=0123456789abcdef rule=DT101 run=1-1 -->",
                          *BOT)
    p = plan([f], Existing((v1, stale)), PlanOptions(HEAD, "2-1"))
    assert [u.comment_id for u in p.updated] == [7]
    assert parse_marker(p.updated[0].body)["fp"] == dt101.fingerprint
    # the stale v1 comment sits on the DT101 line but its fingerprint is unknown: the line
    # signal cannot give it the finding v1 already took, so it is resolved
    assert [u.comment_id for u in p.resolved] == [8]
    assert all(c.rule_id != "DT101" for c in p.comments)


def test_the_tracked_line_is_the_second_signal():
    f = analysed(APT)
    dt101 = next(x for x in f.findings if x.rule_id == "DT101")
    drifted = RemoteComment(3, "N3", "Dockerfile", 2, "x\n" + comment_marker("f" * 16, "DT101", "1-1", ident="0" * 16),
                            *BOT)
    p = plan([f], Existing((drifted,)), PlanOptions(HEAD, "2-1"))
    assert not p.resolved and all(c.rule_id != "DT101" for c in p.comments)
    assert p.updated[0].fingerprint == dt101.fingerprint
    gone = RemoteComment(3, "N3", "Dockerfile", None, drifted.body, *BOT)  # outdated: no line to go by
    assert [u.comment_id for u in plan([f], Existing((gone,)), PlanOptions(HEAD, "2-1")).resolved] == [3]


def test_a_rename_carries_comments_over():
    first = plan([analysed(APT, path="old/Dockerfile")], Existing(), PlanOptions(HEAD, "1-1"))
    moved = tuple(RemoteComment(c.id, c.node_id, c.path, None, c.body, *BOT) for c in posted(first))
    renamed = analysed(APT + "RUN echo more\n", base=APT, path="new/Dockerfile", previous="old/Dockerfile")
    again = plan([renamed], Existing(moved), PlanOptions("f" * 40, "2-1"))
    assert again.resolved == () and again.comments == ()


def test_merged_suggestion_is_verified_and_fixes_what_it_claims():
    text = "FROM debian:12-slim\nRUN apt-get update \\\n    && apt-get install -y git \\\n    && apt-get clean\n"
    p = plan([analysed(text)], Existing(), PlanOptions(HEAD, "1-1"))
    (host,) = [c for c in p.comments if c.suggestion is not None]
    assert len(host.fixes) == 2 and "DT101, DT102" in host.body and "[!CAUTION]" in host.body
    lines = text.split("\n")
    applied = "\n".join(lines[:host.start_line - 1] + host.suggestion.split("\n") + lines[host.line:])
    assert check_fixed("Dockerfile", text, applied, [f for f in analysed(text).findings
                                                      if f.fingerprint in host.fixes]) == ""
    after = {f.rule_id for f in analyse_text("Dockerfile", applied, Options(estimate=False)).findings}
    assert not after & {"DT101", "DT102"}


def test_a_suggestion_that_fails_the_recheck_is_not_offered():
    text = APT
    f = analysed(text)
    dt101 = next(x for x in f.findings if x.rule_id == "DT101")
    assert check_fixed("Dockerfile", text, text, [dt101]) == "DT101 would still be reported"
    fixed = text.replace("curl\n", "curl && rm -rf /var/lib/apt/lists/*\n")
    assert check_fixed("Dockerfile", text, fixed, [dt101]) == ""
    worse = fixed + "RUN pip install flask\n"
    assert check_fixed("Dockerfile", text, worse, [dt101]) == "it would add a DT105 finding"
    assert check_fixed("Dockerfile", text, fixed + "COPY\n", [dt101]) == "the result would not parse"


def test_bom_is_kept_on_a_line_one_suggestion():
    from bot.github.suggestion import block_fix

    text = "RUN apt-get update\nFROM x\n"
    lf = block_fix(text, "RUN apt-get update && rm -rf /x\nFROM x\n", 1, 1, bom=True)
    assert lf.original == "\ufeffRUN apt-get update" and lf.replacement.startswith("\ufeffRUN apt-get update &&")
    assert not block_fix("A\nB\n", "A\nC\n", 2, 2, bom=True).replacement.startswith("\ufeff")


def test_info_findings_stay_in_the_summary_unless_asked():
    text = "FROM debian:12-slim\nRUN mkdir -p /app\nRUN chmod 755 /app\n"  # DT204: two file-system steps
    f = analysed(text)
    assert any(x.severity is Severity.INFO for x in f.findings)
    p = plan([f], Existing(), PlanOptions(HEAD, "1-1"))
    assert not any(c.rule_id == "DT204" for c in p.comments)
    assert "listed here (info)" in p.summary
    p2 = plan([f], Existing(), PlanOptions(HEAD, "1-1", info_inline=True))
    assert any(c.rule_id == "DT204" for c in p2.comments)


def test_one_review_per_head_even_after_a_fallback():
    f = analysed(APT)
    first = plan([f], Existing(), PlanOptions(HEAD, "1-1"))
    fallback = RemoteReview(9, first.fallback_body, HEAD, *BOT)  # the 422 path: no inline comments exist
    again = plan([f], Existing((), (fallback,)), PlanOptions(HEAD, "2-1"))
    assert not again.post_review and again.summary_update is None


def test_bodies_and_summary_respect_the_limits():
    texts = {f"s{i:03}/Dockerfile": APT for i in range(400)}
    files = [analysed(t, path=p) for p, t in texts.items()]
    p = plan(files, Existing(), PlanOptions(HEAD, "1-1", max_comments=5))
    assert len(p.body) <= 65_536 and len(p.fallback_body) <= 65_536
    assert "job summary" in p.body  # the body was cut and says where the rest is
    assert len(p.summary.encode()) <= 1_048_576
    assert p.summary.count("| `s") >= 800  # every finding listed in the job summary
    assert all(len(c.body) <= 65_536 for c in p.comments)
    small = plan(files, Existing(), PlanOptions(HEAD, "1-1", summary_budget=20_000))
    assert "JSON report" in small.summary


def test_whose_comments():
    assert our_login("github_token", "", lambda: "x") == "github-actions[bot]"
    assert our_login("", "my-app[bot]", lambda: "x") == "my-app[bot]"
    assert our_login("", "", lambda: "pat-user") == "pat-user"
    assert is_ours("github-actions[bot]", "Bot", "github-actions[bot]")
    assert not is_ours("other[bot]", "Bot", "github-actions[bot]")
    assert parse_marker("x\n" + summary_marker(HEAD, "1-1"))["head"] == HEAD


def test_plan_is_json_serialisable_and_anchors_are_valid():
    text = "FROM debian:12-slim\nRUN apt-get update \\\n    && apt-get install -y git\n"
    p = plan([analysed(text)], Existing(), PlanOptions(HEAD, "1-1"))
    data = json.loads(json.dumps(p.to_json()))
    host = next(c for c in data["comments"] if "start_line" in c)
    assert (host["start_line"], host["line"], host["side"], host["start_side"]) == (2, 3, "RIGHT", "RIGHT")


def test_a_merged_suggestion_that_adds_a_finding_becomes_advice():
    # DT203's merge moves `apt update` into the install RUN, which then keeps the lists for
    # the install after it (DT101)
    text = "FROM ubuntu:22.04\nRUN apt update -y\nRUN apt install curl -y\nRUN apt install git -y\n"
    p = plan([analysed(text)], Existing(), PlanOptions(HEAD, "1-1"))
    assert {c.rule_id for c in p.comments} == {"DT203", "DT102"}
    assert all(c.suggestion is None and "it would add a DT101 finding" in c.body for c in p.comments)


class FlakyClient:
    """In memory: the review POST lands but answers 502 and shows on the third list read;
    every comment edit answers 404 (a human deleted the comments)."""

    def __init__(self, head: str) -> None:
        from bot.github.records import PullInfo

        self.pull_info = PullInfo(1, "open", False, head, "b" * 40, "o/r", "o/r", 1)
        self.calls: list[str] = []
        self.stored: list[RemoteReview] = []
        self.reads = 0

    def pull(self, number):
        self.calls.append("pull")
        return self.pull_info

    def create_review(self, number, head_sha, body, comments):
        from bot.github.client import Ambiguous

        self.calls.append("post")
        self.stored.append(RemoteReview(1, body, head_sha, *BOT))
        raise Ambiguous(502, "Bad Gateway")

    def reviews(self, number):
        self.calls.append("list")
        self.reads += 1
        return self.stored if self.reads >= 3 else []

    def edit_comment(self, comment_id, body):
        from bot.github.client import ApiError

        self.calls.append("edit")
        raise ApiError(404, "Not Found")

    def minimize(self, node_id):
        self.calls.append("minimize")


def test_execute_posts_first_rereads_with_the_injected_wait_and_survives_failed_edits():
    import io

    from bot.github.execute import Outcome, execute

    first = plan([analysed(APT)], Existing(), PlanOptions(HEAD, "1-1"))
    fixed = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n" \
            "RUN pip install flask\n"
    p = plan([analysed(fixed)], Existing(posted(first)), PlanOptions("e" * 40, "2-1"))
    assert p.post_review and p.resolved
    client, waits, out = FlakyClient("e" * 40), [], io.StringIO()
    outcome = execute(p, client, 1, out, reread_delays=(0.0, 0.5, 1.0, 2.0), sleep=waits.append)
    assert outcome is Outcome.POSTED
    assert client.calls[:2] == ["pull", "post"]  # the new review before any edit
    assert client.calls.count("post") == 1 and waits == [0.5, 1.0]  # found on the third read
    assert "edit" in client.calls and "it was deleted" in out.getvalue()
