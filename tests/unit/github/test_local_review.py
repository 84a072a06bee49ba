"""``dockerdiet review --base REF`` plans like the action: configuration read at REF, "new"
against the merge base, files read as bytes (BOM, binaries), symlinks skipped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.github.local import ReviewError, local_review

LISTS = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
BOTH = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"  # DT101 + DT102


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def write(repo: Path, files: dict[str, str | bytes]) -> None:
    """Write and track (``git diff REF`` sees tracked files of the working tree)."""
    for path, content in files.items():
        p = repo / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    if (repo / ".git").exists():
        git(repo, "add", *files)


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, {"README.md": "x\n"})
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def rules(review) -> list[str]:
    return sorted(f.rule_id for f in review.plan.findings)


def test_configuration_comes_from_the_base_ref_not_the_working_tree(repo):
    write(repo, {".dockerdiet.toml": 'ignore = ["DT102"]\n'})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "config")
    git(repo, "checkout", "-qb", "feature")
    # the change under review tries to switch off DT101 too: as in the action, it cannot
    write(repo, {".dockerdiet.toml": 'ignore = ["DT101", "DT102"]\n', "Dockerfile": BOTH})
    review = local_review("main", str(repo))
    assert rules(review) == ["DT101", "DT601"]
    assert "DT101" in review.markdown and "DT102" not in review.markdown


def test_a_bom_is_read_like_dockerdiet_check(repo):
    write(repo, {"Dockerfile": "\ufeff" + LISTS})
    review = local_review("HEAD", str(repo))
    assert rules(review) == ["DT101", "DT601"]  # not a DT900 on every line


def test_new_is_against_the_merge_base(repo):
    write(repo, {"Dockerfile": LISTS})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "lists")
    git(repo, "checkout", "-qb", "feature")
    write(repo, {"Dockerfile": LISTS + "LABEL a=b\n"})
    git(repo, "commit", "-qam", "label")
    git(repo, "checkout", "-q", "main")
    write(repo, {"Dockerfile": LISTS.replace("curl", "curl && rm -rf /var/lib/apt/lists/*")})
    git(repo, "commit", "-qam", "main fixes DT101")
    git(repo, "checkout", "-q", "feature")
    review = local_review("main", str(repo))
    assert rules(review) == ["DT101", "DT601"] and review.plan.new_findings == []


def test_symlinks_and_binaries_are_skipped_with_the_actions_note(repo):
    write(repo, {"docker/Dockerfile": LISTS, "bin/Dockerfile": b"\x00\x1bELF\x00\n"})
    os.symlink("docker/Dockerfile", repo / "Dockerfile")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    git(repo, "checkout", "-qb", "feature")
    write(repo, {"docker/Dockerfile": LISTS + "LABEL a=b\n", "bin/Dockerfile": b"\x00\x1bELF2\x00\n"})
    os.remove(repo / "Dockerfile")
    os.symlink("docker/../docker/Dockerfile", repo / "Dockerfile")
    review = local_review("main", str(repo))
    assert {f.path for f in review.plan.findings} == {"docker/Dockerfile"}
    assert "`Dockerfile` not analysed: a symbolic link" in review.markdown
    assert "`bin/Dockerfile` not analysed: a binary file" in review.markdown
    assert "\x00" not in review.markdown and "\x1b" not in review.markdown


def test_cli_prints_the_review_and_reports_errors(repo, capsys, monkeypatch):
    write(repo, {"Dockerfile": LISTS})
    monkeypatch.chdir(repo)
    assert main(["review", "--base", "HEAD"]) == 1  # a new finding
    out = capsys.readouterr().out
    assert "DT101" in out and "### Inline comments (1)" in out and "<!-- dockerdiet:v" not in out
    assert main(["review", "--base", "no-such-ref"]) == 2
    assert "no such commit" in capsys.readouterr().err
    write(repo, {".dockerdiet.toml": 'fail-on = "sometimes"\n'})
    git(repo, "add", ".dockerdiet.toml")
    git(repo, "commit", "-qm", "bad config")
    with pytest.raises(ReviewError, match=r"configuration \(read from HEAD\): .*fail-on"):
        local_review("HEAD", str(repo))
