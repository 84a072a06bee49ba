"""DT403 edge cases beyond the rule's examples."""

from bot.rules.dt403_copy_whole_filesystem import CopyWholeFilesystem as R
from tests.rules.harness import run


def test_proposal_lists_source_copy_destinations():
    code = ("FROM node:20 AS deps\nWORKDIR /app\nCOPY package.json .\nRUN npm install\n"
            "FROM node:20-slim\nCOPY --from=deps / /\n")
    (f,) = run(R, code)
    assert "COPY --from=deps /app /app" in f.fix.proposal
    assert f.hint.params == {"from_image": "node:20", "into_image": "node:20-slim"}


def test_dot_source_counts_as_whole_filesystem():
    assert run(R, "FROM debian:12 AS b\nRUN true\nFROM debian:12-slim\nCOPY --from=b /. /\n")
