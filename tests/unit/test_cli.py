"""The CLI contract: exit codes, JSON shape, errors that name the file, fixes in place."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot import cli
from bot.cli import main

BAD = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"
GOOD = "FROM debian:12-slim\nRUN echo hi\n"


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


def test_exit_codes(tmp_path, capsys):
    assert main(["check", "--no-estimate", write(tmp_path, "Dockerfile", GOOD)]) == 0
    assert main(["check", "--no-estimate", write(tmp_path, "bad.Dockerfile", BAD)]) == 1
    assert main(["check", str(tmp_path / "missing")]) == 2
    assert main(["check", "--select", "DT999", str(tmp_path)]) == 2
    assert "unknown rule" in capsys.readouterr().err


def test_text_output_format(tmp_path, capsys):
    path = write(tmp_path, "Dockerfile", BAD)
    main(["check", "--no-estimate", "--select", "DT101", path])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}:2:5: DT101 [apt-lists-left-in-layer] ")
    assert out[1].startswith("  = fix (safe")


def test_json_output_schema(tmp_path, capsys):
    path = write(tmp_path, "Dockerfile", BAD)
    main(["check", "--format", "json", "--no-estimate", "--select", "DT101", path])
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == 1
    f = doc["files"][0]["findings"][0]
    assert {k: f[k] for k in ("rule", "line", "column", "end_line", "end_column")} == {
        "rule": "DT101", "line": 2, "column": 5, "end_line": 2, "end_column": 19,
    }
    assert f["severity"] == "warning" and f["estimate"] is None
    assert f["fix"]["safety"] == "safe"
    assert f["fix"]["edits"] == [
        {"line": 2, "column": 46, "end_line": 2, "end_column": 46, "text": " && rm -rf /var/lib/apt/lists/*"}
    ]


def test_directory_discovery(tmp_path, capsys):
    (tmp_path / "svc").mkdir()
    (tmp_path / "node_modules").mkdir()
    for name in ("svc/Dockerfile", "api.Dockerfile", "Dockerfile.dev", "Containerfile", "node_modules/Dockerfile", "notes.txt"):
        write(tmp_path, name, BAD)
    main(["check", "--no-estimate", "--format", "json", str(tmp_path)])
    paths = sorted(os.path.relpath(f["path"], tmp_path) for f in json.loads(capsys.readouterr().out)["files"])
    assert paths == ["Containerfile", "Dockerfile.dev", "api.Dockerfile", "svc/Dockerfile"]


def test_bad_input_gets_a_clear_error_naming_the_file(tmp_path, capsys):
    cases = {
        "latin1.Dockerfile": "FROM debian\nLABEL a=\xe9\n".encode("latin-1"),
        "binary.Dockerfile": b"\x7fELF\x00\x00\x01",
        "huge.Dockerfile": b"FROM debian:12\n" + b"# x\n" * (3 * 1024 * 1024),
    }
    for name, data in cases.items():
        path = write(tmp_path, name, data)
        assert main(["check", "--no-estimate", path]) == 2
        err = capsys.readouterr().err
        assert path in err and "Traceback" not in err
    # BuildKit refuses a file with no instructions: one DT900, not a crash and not silence
    assert main(["check", "--no-estimate", write(tmp_path, "empty.Dockerfile", b"")]) == 1
    assert "DT900 [parse-error] file with no instructions" in capsys.readouterr().out


def test_fix_in_place_keeps_bom_crlf_and_missing_final_newline(tmp_path, capsys):
    text = "\ufeffFROM debian:12-slim\r\nRUN apt-get update && \\\r\n    apt-get install -y curl"
    path = write(tmp_path, "Dockerfile", text.encode("utf-8"))
    assert main(["fix", "--select", "DT101", path]) == 0
    data = open(path, "rb").read().decode("utf-8")
    assert data == (
        "\ufeffFROM debian:12-slim\r\nRUN apt-get update && \\\r\n    apt-get install -y curl && \\\r\n"
        "    rm -rf /var/lib/apt/lists/*"
    )
    assert main(["fix", "--select", "DT101", path]) == 0
    assert open(path, "rb").read().decode("utf-8") == data


def test_fix_diff_does_not_write(tmp_path, capsys):
    path = write(tmp_path, "Dockerfile", BAD)
    assert main(["fix", "--diff", path]) == 1
    out = capsys.readouterr().out
    assert "+RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*" in out
    assert open(path).read() == BAD


def test_review_fixes_need_unsafe(tmp_path, capsys):
    path = write(tmp_path, "Dockerfile", BAD)
    main(["fix", path])
    once = open(path).read()
    main(["fix", "--unsafe", path])
    assert len(open(path).read()) >= len(once)


def test_explain_and_rules(capsys):
    assert main(["explain", "DT101"]) == 0
    out = capsys.readouterr().out
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"):
        assert heading in out
    assert main(["rules"]) == 0
    assert "DT101" in capsys.readouterr().out


def test_console_script_runs_as_a_process(tmp_path):
    path = write(tmp_path, "Dockerfile", BAD)
    proc = subprocess.run([sys.executable, "-m", "bot", "check", "--no-estimate", path], capture_output=True, text=True)
    assert proc.returncode == 1 and "DT101" in proc.stdout and proc.stderr == ""


def test_a_check_run_as_the_program_ends_with_all_its_output_and_its_exit_code(tmp_path):
    """run() ends a check without the interpreter's teardown (os._exit): what was written must
    all arrive, through a pipe too, and the exit code must be main()'s."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as users run it
    bad, clean = write(tmp_path, "Dockerfile", BAD), tmp_path / "clean" / "Dockerfile"
    clean.parent.mkdir()
    clean.write_text("FROM scratch\nCOPY app /app\n")
    many = [bad] * 400  # a report far larger than a pipe's buffer
    for paths in ([bad], many):
        proc = subprocess.run([sys.executable, "-m", "bot", "check", "--format", "json", *paths], capture_output=True,
                              text=True, env=env)
        assert proc.returncode == 1 and proc.stderr == ""
        assert len(json.loads(proc.stdout)["files"]) == len(paths)
    proc = subprocess.run([sys.executable, "-m", "bot", "check", str(clean)], capture_output=True, text=True, env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    proc = subprocess.run([sys.executable, "-m", "bot", "check", str(tmp_path / "missing")], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 2 and "missing" in proc.stderr


def test_a_check_whose_reader_goes_away_ends_without_a_traceback(tmp_path):
    bad = write(tmp_path, "Dockerfile", BAD)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "check", *[bad] * 400], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    proc.stdout.readline()
    proc.stdout.close()  # as `dockerdiet check | head -1`
    assert proc.stderr.read() == "" and proc.wait() in (0, 1)


def test_fixes_touching_at_a_point_are_applied_in_separate_passes():
    from bot.engine import choose_fixes
    from bot.model.findings import Finding, Fix, Safety, Severity
    from bot.model.text import Edit, Position, Span

    def finding(rule, a, b, text):
        span = Span(Position(1, a), Position(1, b))
        return Finding(rule, rule.lower(), Severity.WARNING, "Dockerfile", span, "m",
                       fix=Fix("t", (Edit(span, text),), Safety.SAFE))

    replace = finding("DT001", 1, 5, "x")
    insert_at_end = finding("DT002", 5, 5, " y")
    elsewhere = finding("DT003", 7, 7, "z")
    assert choose_fixes([insert_at_end, replace, elsewhere]) == [replace, elsewhere]


def test_local_build_context_summarises_heavy_folders(tmp_path):
    from bot.engine import LazyBuildContext

    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "node_modules" / "pkg" / "index.js").write_text("x" * 300)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    files = LazyBuildContext(str(tmp_path)).files
    assert files == {"node_modules/<1 files>": 300, ".git/<1 files>": 21, "app.py": 9}


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "x", "--format", "json", "--no-estimate", "--select", "DT1,DT2"],
        ["check", "--format", "bogus"],
        ["check", "--bogus"],
        ["check", "--help"],
        ["fix", "--diff", "--unsafe", "a", "b"],
        ["review", "--base", "origin/main", "--max-comments", "3"],
        ["review"],
        ["explain"],
        ["docs", "--check", "--root", "r"],
        ["config", "p", "--config", "c"],
        ["rules", "extra"],
    ],
)
def test_a_parser_built_for_the_command_parses_as_the_whole_one(argv, capsys):
    """main() builds only the named subcommand's parser: every outcome must be the full parser's."""

    def outcome(parser):
        try:
            result = vars(parser.parse_args(argv))
        except SystemExit as exc:
            result = exc.code
        return result, capsys.readouterr()

    assert outcome(cli.build_parser(argv[0])) == outcome(cli.build_parser())


@pytest.mark.parametrize("columns", ["60", "120", "", "nonsense"])
def test_help_is_as_wide_as_argparse_would_make_it(columns, monkeypatch, capsys):
    """The formatter is told the width shutil would give argparse (start-up: no shutil import)."""
    import argparse

    monkeypatch.setenv("COLUMNS", columns)
    texts = []
    for formatter in (cli._help_formatter, argparse.HelpFormatter):
        monkeypatch.setattr(cli, "_help_formatter", formatter)
        cli.build_parser("check").parse_known_args(["check"])  # the subparser is made
        texts.append(cli.build_parser("check")._subparsers._group_actions[0].choices["check"].format_help())
    assert texts[0] == texts[1]


def test_a_file_without_a_copy_from_the_context_never_lists_it(tmp_path):
    """Listing the context walks its folder (the whole corpus for the bench): only a COPY
    or ADD from it needs the list."""
    from bot.engine import LazyBuildContext, Options, analyse_text

    (tmp_path / "big.map").write_text("x" * 200_000)
    quiet, copying = LazyBuildContext(str(tmp_path)), LazyBuildContext(str(tmp_path))
    analyse_text("Dockerfile", "FROM nginx:1.27\nRUN echo hi\nCOPY --from=build /a /b\n", Options(estimate=False), quiet)
    assert quiet._files is None
    found = analyse_text("Dockerfile", "FROM nginx:1.27\nCOPY . /usr/share/nginx/html\n", Options(estimate=False), copying)
    assert copying._files is not None and any(f.rule_id == "DT503" for f in found.findings)
