"""DT501 edge cases, and the .dockerignore matcher it relies on."""

from bot.rules.dockerignore import is_excluded, parse
from bot.rules.dt501_dockerignore_missing_heavy_folders import DockerignoreMissingHeavyFolders as R
from tests.rules.harness import run

NODE = "FROM node:20-slim\nCOPY . .\nRUN npm ci\n"


def test_matcher_semantics():
    p = parse("node_modules\n**/__pycache__\n/.git\n*.log\n!keep.log\n# c\n")
    assert is_excluded(p, "node_modules/a/b.js") and not is_excluded(p, "sub/node_modules/x")
    assert is_excluded(p, "a/b/__pycache__/x.pyc") and is_excluded(p, ".git/HEAD")
    assert is_excluded(p, "x.log") and not is_excluded(p, "keep.log") and not is_excluded(p, "d/x.log")
    assert is_excluded(parse("*\n!src\n"), "node_modules/x") and not is_excluded(parse("*\n!src\n"), "src/a.py")
    assert is_excluded(parse("**\n"), "a/b/c")


def test_bytes_and_proposal():
    ctx = {"package.json": "{}", ".dockerignore": "*.log\n", "node_modules/a.js": "x" * 40, "node_modules/b.js": "y" * 2}
    (f,) = run(R, NODE, ctx)
    assert f.hint.params["bytes"] == 42 and f.hint.params["missing"] == ("**/node_modules",)
    assert f.fix.proposal == "*.log\n**/node_modules\n"


def test_nested_node_modules_not_covered_by_root_pattern():
    ctx = {"package.json": "{}", ".dockerignore": "node_modules\n", "web/node_modules/a.js": "x"}
    assert run(R, NODE, ctx)


def test_git_required_only_in_a_repository_root():
    code = "FROM python:3.12-slim\nCOPY . /app\n"
    assert run(R, code, {"app.py": "x"}) == []
    (f,) = run(R, code, {"app.py": "x", ".gitignore": "*.pyc\n"})
    assert ".git" in f.message


def test_git_kept_when_the_build_uses_it():
    code = "FROM python:3.12-slim\nCOPY . /app\nRUN git -C /app describe > /version\n"
    assert run(R, code, {"app.py": "x", ".git/HEAD": "x"}) == []
