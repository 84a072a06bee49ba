"""The one option parse the rules share: operands, program_args and the tables beside it."""

from __future__ import annotations

from bot.model.dockerfile import parse
from bot.model.shell import run_scripts
from bot.rules.caches import pip_install, pip_positionals
from bot.rules.dt209_build_tree_left_in_layer import _clone
from bot.rules.ecosystems import _clones_into_a_subdirectory, dependency_install
from bot.rules.facts import command_needs, operands, program_args
from bot.rules.tool_options import PIP_INSTALL_VALUES


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


# one full table per tool: every reader skips the same option values


def test_a_pip_option_value_is_not_a_local_project():
    # --cache-dir (a general option pip takes after `install` too) once read as a local install of /x
    assert dependency_install(command("pip install --cache-dir /x flask")) is None  # named packages only
    assert dependency_install(command("pip install --cache-dir /x .")).manifests == ("pyproject.toml",)


def test_a_pip_option_value_is_not_a_package_it_needs():
    assert [n.kind for n in command_needs(command("pip install --cache-dir /x --upgrade pip"))] == []
    assert [n.kind for n in command_needs(command("pip install --root-user-action ignore pip"))] == []
    assert [n.kind for n in command_needs(command("pip install --requirement=req.txt pip"))] == ["pip"]
    assert [n.kind for n in command_needs(command("pip install -rreq.txt"))] == ["pip"]


def test_a_git_clone_option_value_is_not_the_url():
    args = lambda body: list(command(body).args)  # noqa: E731
    assert not _clones_into_a_subdirectory(args("git clone --filter blob:none https://x/r.git ."))
    assert _clones_into_a_subdirectory(args("git clone --filter blob:none https://x/r.git"))
    assert _clones_into_a_subdirectory(args("git clone --shallow-exclude v1 https://x/r.git src"))
    tree = _clone(command("git clone --reference-if-able /cache https://x/tool.git"), "/src", "/root")
    assert tree is not None and (tree.url, tree.path) == ("https://x/tool.git", "/src/tool")
