"""DT502/DT503 read the build context's file list once per context: every Dockerfile of a
folder shares it (a repository of many images, the corpus bench)."""

from __future__ import annotations

from bot.engine import Options, analyse_text
from bot.rules.base import BuildContext

BIG = 400_000
FILES = {"app.py": 10, "tests/test_app.py": BIG, "docs/guide.md": BIG, "dist/app.js.map": BIG, "dist/app.js": 10}


def _found(text: str, context: BuildContext, path: str = "Dockerfile") -> list[tuple[str, str]]:
    result = analyse_text(path, text, Options(estimate=False), context)
    return [(f.rule_id, f.message) for f in result.findings if f.rule_id in ("DT502", "DT503")]


def test_dockerfiles_sharing_a_context_get_what_each_gets_alone():
    files = [
        "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/app.py\"]\n",
        "FROM python:3.12-slim\nCOPY . /app\nRUN pytest /app/tests\nCMD [\"python\", \"/app/app.py\"]\n",
        "FROM nginx:1.27-alpine\nCOPY dist /usr/share/nginx/html\n",
        "FROM python:3.12-slim\nCOPY app.py /app/\n",
    ]
    alone = [_found(text, BuildContext("", FILES)) for text in files]
    assert alone[0] and alone[2] and not alone[3]
    assert alone[0] != alone[1]  # the second runs its tests: they are not shipped for nothing
    shared = BuildContext("", FILES)
    for _ in range(2):  # in any order, and again
        assert [_found(text, shared) for text in files] == alone
        assert [_found(text, shared) for text in reversed(files)] == alone[::-1]


def test_the_ignore_file_of_each_dockerfile_is_its_own():
    """``<name>.dockerignore`` beside a Dockerfile serves that one only."""
    context = BuildContext("", {**FILES, "api.Dockerfile.dockerignore": 5},
                           {"api.Dockerfile.dockerignore": "tests\ndocs\n"})
    text = "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/app.py\"]\n"
    assert _found(text, context, "web.Dockerfile")
    assert not [f for f in _found(text, context, "api.Dockerfile") if f[0] == "DT502"]
    assert _found(text, context, "web.Dockerfile") == _found(text, BuildContext("", FILES), "web.Dockerfile")
