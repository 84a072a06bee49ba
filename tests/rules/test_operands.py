"""The one option parse the rules share: operands, program_args and the tables beside it."""

from __future__ import annotations

from bot.model.dockerfile import parse
from bot.model.shell import run_scripts
from bot.rules.caches import pip_install, pip_positionals
from bot.rules.dt209_build_tree_left_in_layer import _clone
from bot.rules.ecosystems import _clones_into_a_subdirectory, dependency_install
from bot.rules.dt208_useradd_lastlog_in_layer import has_no_log_init, uid_word
from bot.rules.facts import command_needs, downloads, getopt, operands, program_args
from bot.rules.tool_options import CURL, PIP_INSTALL_VALUES, WGET


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


# getopt-style tools: one parse, a table per tool


def test_getopt_clusters_values_and_double_dash():
    opts, pos = getopt(command("curl -fsSLo out.tgz --retry=3 -H x -- -weird https://x/a").args, CURL)
    assert [(n, v.text if v else None) for n, v in opts] == [
        ("-f", None), ("-s", None), ("-S", None), ("-L", None), ("-o", "out.tgz"), ("--retry", "3"), ("-H", "x")]
    assert [w.text for w in pos] == ["-weird", "https://x/a"]  # after --, operands only


def test_wget_n_takes_the_letters_after_it_and_curl_n_takes_none():
    opts, pos = getopt(command("wget -nv -P /tmp https://x/a.tgz").args, WGET)
    assert [(n, v.text if v else None) for n, v in opts] == [("-n", "v"), ("-P", "/tmp")]
    assert [w.text for w in pos] == ["https://x/a.tgz"]
    assert [d.target for d in downloads(command("wget -nc -P /tmp https://x/a.tgz"))] == ["/tmp/a.tgz"]
    # curl's -n is --netrc: the letters after it are more options (once read as one option "-nfo")
    assert [d.target for d in downloads(command("curl -nfo /tmp/a.tgz https://x/a.tgz"))] == ["/tmp/a.tgz"]


def test_useradd_reads_through_the_same_parse():
    assert uid_word(command("useradd -ru 200000 app")).text == "200000"
    assert uid_word(command("useradd --uid=200000 -u 7 app")).text == "7"  # the last one counts
    assert uid_word(command("useradd -c -u app")) is None  # -u is the comment
    assert has_no_log_init(command("useradd -mlu 200000 app"))
    assert has_no_log_init(command("useradd --no-log -u 200000 app"))
    assert not has_no_log_init(command("useradd -u 200000 -- -l"))  # after --, not an option
    assert not has_no_log_init(command("useradd -G l -u 200000 app"))  # -G's value
