"""DT202 edge cases beyond the rule's examples."""

from bot.rules.dt202_chown_duplicates_copied_files import ChownDuplicatesCopiedFiles as R
from tests.rules.harness import fixed_text, run


def test_bytes_from_build_context_respect_dockerignore():
    code = "FROM node:20-slim\nCOPY . /app\nRUN chown -R node:node /app\n"
    ctx = {"a.js": "x" * 10, "big/blob.bin": "y" * 1000, ".dockerignore": "big\n"}
    (f,) = run(R, code, ctx)
    assert f.hint.params["bytes"] == len("x" * 10) + len("big\n")  # .dockerignore itself is sent


def test_chown_user_colon_login_group_gets_no_edit():
    code = "FROM node:20-slim\nCOPY . /app\nRUN chown -R node: /app\n"
    (f,) = run(R, code)
    assert f.fix is None


def test_parent_stage_copy_gets_no_edit():
    code = "FROM node:20-slim AS base\nCOPY . /app\nFROM base\nRUN chown -R node:node /app\n"
    (f,) = run(R, code)
    assert f.fix is None  # editing the base stage would change its other children


def test_context_decides_file_or_folder():
    code = "FROM debian:12-slim\nCOPY tool /opt/tool\nRUN chmod 755 /opt/tool\n"
    assert run(R, code, {"tool/run.sh": "x"}) == []  # a folder: chmod of its entry only
    (f,) = run(R, code, {"tool": "x"})
    assert fixed_text(R, code, {"tool": "x"}) == "FROM debian:12-slim\nCOPY --chmod=755 tool /opt/tool\n"
