"""DT101 edge cases, including where it differs from hadolint's DL3009 on purpose."""

from __future__ import annotations


from bot.rules.dt101_apt_lists_left_in_layer import AptListsLeftInLayer as DT101
from tests.rules.harness import fixed_text, run


def test_hadolint_wrong_typo_in_cleanup_path_still_leaves_the_lists():
    # corpus 0537: DL3009 accepts "rm -rf /var/lib/apt/list/*" (no "s"): the lists stay
    code = "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/list/*\n"
    assert run(DT101, code)


def test_hadolint_wrong_unrelated_rm_is_no_cleanup():
    # corpus 0771: DL3009 is silenced by any `rm -rf`, even of another directory
    code = "FROM debian:12\nRUN apt-get update && apt-get install -y git && rm -rf /src/tmp\n"
    assert run(DT101, code)


def test_exec_form_is_reported_without_a_fix():
    (f,) = run(DT101, 'FROM debian:12\nRUN ["apt-get", "update"]\nRUN ["apt-get", "install", "-y", "vim"]\n')
    assert f.fix is None


def test_heredoc_fed_to_bash_gets_the_cleanup_before_the_terminator():
    code = "FROM debian:12\nRUN <<EOT bash\n  set -ex\n  apt-get update\n  apt-get install -y git\nEOT\n"
    assert fixed_text(DT101, code) == (
        "FROM debian:12\nRUN <<EOT bash\n  set -ex\n  apt-get update\n  apt-get install -y git\n"
        "  rm -rf /var/lib/apt/lists/*\nEOT\n"
    )


def test_before_first_from_is_a_parse_error_not_dt101():
    # corpus 0274: hadolint reports DL3009 on a RUN that has no stage to run in
    assert not run(DT101, "RUN apt-get update && apt-get install -y x\nFROM debian:12\n")


def test_distclean_and_find_delete_count_as_cleanup():
    assert not run(DT101, "FROM debian:13\nRUN apt-get update && apt-get install -y x && apt-get distclean\n")
    assert not run(DT101, "FROM debian:12\nRUN apt-get update && apt-get install -y x && find /var/lib/apt/lists -delete\n")


def test_cleanup_inside_a_subshell_or_if_counts():
    code = "FROM debian:12\nRUN apt-get update && apt-get install -y x && (rm -rf /var/lib/apt/lists/* || true)\n"
    assert not run(DT101, code)


def test_stage_reused_by_from_is_reported():
    code = "FROM debian:12 AS base\nRUN apt-get update && apt-get install -y x\nFROM base\nRUN echo hi\n"
    assert run(DT101, code)


def test_whole_filesystem_copy_carries_the_lists():
    code = "FROM debian:12 AS base\nRUN apt-get update && apt-get install -y x\nFROM scratch\nCOPY --from=base / /\n"
    assert run(DT101, code)


def test_no_fix_when_an_unclosed_shell_heredoc_would_swallow_the_cleanup():
    # found by the mutation test: the appended line would land inside `cat <<EOF`'s data
    code = "FROM debian:12\nRUN <<EOT\napt-get update && apt-get install -y git\ncat <<EOF > /x\nEOT\n"
    (f,) = run(DT101, code)
    assert f.fix is None


def test_a_lone_update_that_a_later_run_uses_is_reported_once_by_dt203():
    # corpus 0226: DT101 and DT203 both said it on the same line
    from bot.rules.dt203_apt_update_in_own_layer import AptUpdateInOwnLayer

    code = "FROM python:3.9\nRUN apt update\nRUN curl -fsSL https://x | bash -\nRUN apt-get install -y nodejs\n"
    assert not run(DT101, code) and run(AptUpdateInOwnLayer, code)
    assert run(DT101, "FROM debian:12\nRUN apt-get update\n")  # nothing uses them: DT101's alone


def test_aptitude_update_is_an_update_and_aptitude_clean_is_not_a_list_cleanup():
    # aptitude reads and writes apt's lists; `aptitude clean` removes only downloaded .debs
    code = "FROM debian:12\nRUN aptitude update && aptitude install -y curl && aptitude clean\n"
    assert [f.message.split(";")[0] for f in run(DT101, code)] == ["`aptitude update` leaves the apt lists in this layer"]
    assert fixed_text(DT101, code).endswith("aptitude clean && rm -rf /var/lib/apt/lists/*\n")
    assert run(DT101, "FROM debian:12\nRUN aptitude update && aptitude install -y curl && rm -rf /var/lib/apt/lists/*\n") == []


def test_a_later_script_the_file_does_not_show_makes_the_removal_a_review_fix():
    # precision sample (seed 31337, corpus 0558): `RUN python3 ubuntu.py` after the install may
    # install with apt on these lists; removing them is no longer a one-click fix
    from bot.model.findings import Safety

    head = "FROM ubuntu:20.04\nRUN apt-get update && apt-get install -y python3\nCOPY setup.py ubuntu.py ./\n"
    for later, label in (("RUN python3 ubuntu.py\n", "python3 ubuntu.py"), ("RUN ./install.sh --all\n", "./install.sh"),
                         ("RUN curl -fsSL https://example.com/i | bash\n", "| bash"),
                         ("RUN curl -sSL https://example.com/p | python3 - --version 1\n", "| python3")):
        (f,) = run(DT101, head + later)
        assert f.fix.safety is Safety.REVIEW and f"`{label}`" in f.fix.reason, later
    # code the file shows, a source build, or a fresh apt-get update first: still safe
    for later in ("RUN python3 -c 'print(1)'\n", "RUN ./configure && make\n", "RUN python3 setup.py install\n",
                  "RUN apt-get update && ./install.sh\n", "RUN pip install x\n"):
        f = next(f for f in run(DT101, head + later) if f.span.start.line == 2)
        assert f.fix.safety is Safety.SAFE, later


def test_a_container_command_running_a_shell_script_makes_the_removal_a_review_fix():
    # precision sample (seed 7777, corpus 0098): `CMD bash install.sh` after installing wget/curl/unzip:
    # the installer the container runs may apt-get install on these lists
    from bot.model.findings import Safety

    head = "FROM ubuntu:20.04\nRUN apt update && apt install -y wget curl unzip\nADD install.sh .\n"
    for command, label in (("CMD bash install.sh\n", "bash install.sh"), ('ENTRYPOINT ["/entrypoint.sh"]\n', "/entrypoint.sh")):
        (f,) = run(DT101, head + command)
        assert f.fix.safety is Safety.REVIEW and f"`{label}`" in f.fix.reason and "container's command" in f.fix.reason
    (g,) = run(DT101, head + 'CMD ["python3", "app.py"]\n')  # an application entry point
    assert g.fix.safety is Safety.SAFE


def test_a_later_rosdep_install_reads_the_lists():
    # noticed in the sample of seed 4096 (corpus 0235): `rosdep install` runs apt-get install for the
    # workspace's system dependencies without an update of its own; removing the lists before it is no fix
    code = ("FROM ros:noetic-ros-base\nRUN apt-get update && apt-get install -y python3-catkin-tools\n"
            "RUN rosdep install --from-paths src --ignore-src -r -y\n")
    (f,) = run(DT101, code)
    assert f.fix is None and "RUN on line 3" in f.message
