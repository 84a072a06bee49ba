"""DT204 edge cases, and where it parts from hadolint's DL3059 on purpose."""

from __future__ import annotations

import pytest

from bot.rules.dt204_consecutive_runs import ConsecutiveRuns

from tests.rules.harness import fixed_text, run

R = ConsecutiveRuns


@pytest.mark.parametrize(
    "first",
    ["cd /src", "source /etc/profile", ". /venv/bin/activate", "set -e", "export A=1", "umask 077",
     "ulimit -n 1024", "alias ll=ls", "A=1", "sleep 100 &"],
)
def test_first_run_carrying_shell_state_is_not_merged(first):
    # merged, the second command would see the state the first one left behind
    assert not run(R, f"FROM alpine:3.20\nRUN {first}\nRUN make\n")


@pytest.mark.parametrize(
    "first, second",
    [("mkdir /src", "make"), ("R CMD javareconf", "yum install -y libxml2"), ("apk add git", "git clone x"),
     ("pip install flask", "apk add curl"), ("npm run build", "npm run test"), ("mkdir /a", "apt-get install -y a")],
)
def test_steps_of_different_kinds_are_not_reported(first, second):
    # only a merge that is plainly right is worth a finding: same package manager, or file-system steps
    assert not run(R, f"FROM alpine:3.20\nRUN {first}\nRUN {second}\n")


@pytest.mark.parametrize(
    "first, second",
    [("apk add git", "apk add curl"), ("pip install a", "pip3 install b"), ("yum install -y a", "dnf clean all"),
     ("mkdir /a", "chown app /a"), ("sudo apt-get install -y a", "apt-get install -y b")],
)
def test_steps_of_one_kind_are_merged(first, second):
    assert fixed_text(R, f"FROM alpine:3.20\nRUN {first}\nRUN {second}\n") is not None


def test_hadolint_fires_on_exec_form_we_report_without_fix():
    found = run(R, 'FROM alpine:3.20\nRUN ["mkdir", "/a"]\nRUN ["mkdir", "/b"]\n')
    assert len(found) == 1 and found[0].fix is None


@pytest.mark.parametrize("between", ["\n", "# b next\n", "\n# b next\n\n"])
def test_blank_lines_or_comments_between_keep_the_runs_apart(between):
    # the author's structure: no comment moves into a RUN, no blank line is dropped
    assert not run(R, f"FROM alpine:3.20\nRUN mkdir /a\n{between}RUN mkdir /b\n")


def test_leading_operator_style_is_kept():
    code = "FROM alpine:3.20\nRUN apk add --no-cache \\\n    && true\nRUN mkdir /b\n"
    # the first RUN chains two commands: like DL3059 we leave it alone
    assert not run(R, code)
    code = "FROM alpine:3.20\nRUN mkdir \\\n    /a\nRUN mkdir /b\n"
    assert fixed_text(R, code) == "FROM alpine:3.20\nRUN mkdir \\\n    /a && \\\n    mkdir /b\n"


def test_pragma_between_blocks_the_merge():
    code = "FROM alpine:3.20\nRUN mkdir /a\n# hadolint ignore=DL3018\nRUN apk add curl\n"
    assert not run(R, code)


def test_trailing_comment_on_first_run_blocks_the_merge():
    assert not run(R, "FROM alpine:3.20\nRUN mkdir /a # data\nRUN mkdir /b\n")


def test_second_run_with_or_is_still_a_single_command_shape_only_when_simple():
    # `a || b` is two commands: DL3059 does not fire either
    assert not run(R, "FROM alpine:3.20\nRUN mkdir /a\nRUN mkdir /b || true\n")


def test_onbuild_runs_are_left_alone():
    assert not run(R, "FROM alpine:3.20\nONBUILD RUN mkdir /a\nONBUILD RUN mkdir /b\n")


def test_different_stages_are_not_consecutive():
    assert not run(R, "FROM alpine:3.20 AS a\nRUN mkdir /a\nFROM a\nRUN mkdir /b\n")


def test_fix_is_review_with_the_caching_reason():
    (f,) = run(R, "FROM alpine:3.20\nRUN mkdir /a\nRUN mkdir /b\n")
    assert f.fix.safety.value == "review" and "cache" in f.fix.reason
    assert f.severity.value == "info"


def test_crlf_file():
    code = "FROM alpine:3.20\r\nRUN mkdir /a\r\nRUN mkdir /b\r\n"
    assert fixed_text(R, code) == "FROM alpine:3.20\r\nRUN mkdir /a && \\\r\n    mkdir /b\r\n"
