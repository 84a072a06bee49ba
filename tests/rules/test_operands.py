"""The one option parse the rules share: operands, program_args and the tables beside it."""

from __future__ import annotations

from bot.model.dockerfile import parse
from bot.model.shell import run_scripts
from bot.rules.caches import PIP_INSTALL_VALUES, pip_install, pip_positionals
from bot.rules.facts import operands, program_args


def command(body: str):
    df = parse(f"FROM debian:12\nRUN {body}\n")
    return list(run_scripts(df, df.instructions[1]))[0].commands[0]


def test_values_of_listed_options_are_skipped_and_other_options_dropped():
    cmd = command("npm --prefix /app --loglevel warn install -g express")
    assert [w.text for w in operands(cmd.args, ("--prefix", "--loglevel"))] == ["install", "express"]
    assert [w.text for w in operands(cmd.args)] == ["/app", "warn", "install", "express"]


def test_a_lone_dash_is_an_operand_only_when_asked():
    cmd = command("tar -xzf - -C /opt")
    assert [w.text for w in operands(cmd.args, ("-C",))] == []
    assert [w.text for w in operands(cmd.args, ("-C",), dash=True)] == ["-"]
    assert [w.text for w in program_args(cmd, frozenset(("-C",)))] == ["-"]


def test_pip_packages_leave_out_option_values_and_variables():
    found = pip_install(command('python3 -m pip install -r req.txt --index-url https://x/simple "$EXTRA" flask==3.0 .'))
    assert found is not None and found[1].text == "install"
    assert pip_positionals(found[2]) == ["flask==3.0", "."]
    assert "--index-url" in PIP_INSTALL_VALUES
