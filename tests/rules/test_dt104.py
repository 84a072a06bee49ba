"""DT104 edge cases, including where it differs from hadolint's DL3032/DL3036/DL3040 on purpose."""

from __future__ import annotations

import pytest

from bot.rules.dt104_rpm_cache_in_layer import RpmCacheInLayer as DT104
from tests.rules.harness import fixed_text, run


def test_hadolint_wrong_unrelated_rm_is_no_cleanup():
    # hadolint 2.15.1 accepts any `rm -rf` after `yum install` / `dnf install` as the cleanup
    assert run(DT104, "FROM centos:7\nRUN yum install -y httpd && rm -rf /tmp/build\n")
    assert run(DT104, "FROM fedora:40\nRUN dnf install -y git && rm -rf /src\n")


def test_hadolint_wrong_plain_zypper_clean_keeps_the_metadata():
    # `zypper clean` without --all only removes downloaded packages (zypper(8)); DL3036 accepts it
    code = "FROM opensuse/leap:15.6\nRUN zypper -n in curl && zypper cc\n"
    assert fixed_text(DT104, code) == "FROM opensuse/leap:15.6\nRUN zypper -n in curl && zypper cc --all\n"
    assert not run(DT104, "FROM opensuse/leap:15.6\nRUN zypper -n in curl && zypper clean -a\n")


def test_hadolint_wrong_removing_the_zypp_cache_is_a_cleanup():
    # DL3036 wants `zypper clean` and still fires after rm -rf /var/cache/zypp/*
    assert not run(DT104, "FROM opensuse/leap:15.6\nRUN zypper -n in curl && rm -rf /var/cache/zypp/*\n")


def test_hadolint_wrong_dnf_cleans_what_yum_fetched():
    # on EL8+ yum is dnf: `yum install && dnf clean all` cleans the same cache (DL3032 fires)
    assert not run(DT104, "FROM rockylinux:8\nRUN yum install -y git && dnf clean all\n")


def test_hadolint_misses_update_and_refresh():
    # corpus 0380, 0705, 0798: a lone `yum -y update` keeps the metadata it downloaded in its layer
    code = "FROM centos:7\nRUN yum -y update\nRUN yum -y install httpd && yum clean all\n"
    (f,) = run(DT104, code)
    assert f.span.start.line == 2 and "`yum update`" in f.message
    # corpus 0699: zypper ref / up in their own RUNs, `zypper clean -a` only in a later one
    code = "FROM opensuse/leap:15.6\nRUN zypper --non-interactive ref\nRUN zypper --non-interactive clean -a\n"
    assert run(DT104, code)


def test_hadolint_wrong_builder_stage_never_reaches_the_image():
    # corpus 0712: keycloak's ubi9 build stage; only the unpacked server is copied on
    code = "FROM registry.access.redhat.com/ubi9 AS build\nRUN dnf install -y tar gzip\nFROM scratch\nCOPY --from=build /opt /opt\n"
    assert not run(DT104, code)


def test_partial_clean_is_not_enough():
    assert run(DT104, "FROM fedora:40\nRUN dnf install -y git && dnf clean packages\n")
    # yum's `clean metadata` leaves the sqlite cache (only `clean all` removes it); dnf's includes it
    assert run(DT104, "FROM centos:7\nRUN yum install -y git && yum clean metadata\n")
    assert not run(DT104, "FROM fedora:40\nRUN dnf install -y git && dnf clean metadata\n")


def test_cleanup_in_a_later_run_saves_nothing():
    assert run(DT104, "FROM fedora:40\nRUN dnf install -y git\nRUN dnf clean all\n")


def test_group_and_module_installs_fetch_metadata():
    (f,) = run(DT104, "FROM fedora:40\nRUN dnf group install -y 'Development Tools'\n")
    assert "`dnf group install`" in f.message
    assert run(DT104, "FROM rockylinux:9\nRUN dnf module enable -y nodejs:20 && dnf install -y nodejs\n")


def test_commands_that_fetch_nothing_are_ignored():
    assert not run(DT104, "FROM fedora:40\nRUN dnf remove -y vim-minimal && rpm -qa\n")


def test_sudo_keeps_sudo_on_the_cleanup_and_options_with_values_are_skipped():
    code = "FROM centos:7\nRUN sudo yum --enablerepo epel -y install jq\n"
    (f,) = run(DT104, code)
    assert "`yum install`" in f.message
    assert fixed_text(DT104, code) == "FROM centos:7\nRUN sudo yum --enablerepo epel -y install jq && sudo yum clean all\n"


def test_hint_names_the_manager_and_base():
    (f,) = run(DT104, "FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4\nRUN microdnf install -y tar\n")
    assert f.hint.params == {"base_image": "registry.access.redhat.com/ubi9/ubi-minimal:9.4", "manager": "microdnf"}


def test_cache_mount_on_a_parent_directory():
    assert not run(DT104, "FROM fedora:40\nRUN --mount=type=cache,target=/var/cache dnf install -y gcc\n")


def test_a_later_lone_clean_goes_once_the_install_cleans():
    # it would clean nothing any more: a no-op layer left behind
    code = 'FROM centos:7\nRUN yum install -y httpd\nRUN yum clean all\nCMD ["httpd"]\n'
    assert fixed_text(DT104, code) == 'FROM centos:7\nRUN yum install -y httpd && yum clean all\nCMD ["httpd"]\n'


def test_a_later_clean_that_covers_another_install_stays():
    code = "FROM centos:7\nRUN yum install -y httpd\nRUN yum install -y git\nRUN yum clean all\n"
    first, second = run(DT104, code)
    assert len(first.fix.edits) == 1 and len(second.fix.edits) == 2
    code = "FROM centos:7\nRUN yum install -y httpd\nRUN yum clean all && rm -rf /tmp/x\n"
    assert fixed_text(DT104, code).endswith("RUN yum clean all && rm -rf /tmp/x\n")


@pytest.mark.parametrize(
    "command",
    ["dnf in -y git", "dnf rei -y bash", "dnf up -y", "dnf dsync -y", "dnf mc", "dnf groupinstall -y 'Development Tools'",
     "dnf grp install -y core", "dnf5 in -y git", "yum in -y git", "yum localinstall -y x", "zypper -n in curl"],
)
def test_documented_aliases_fetch_like_the_long_forms(command):
    assert len(run(DT104, f"FROM fedora:40\nRUN {command}\n")) == 1


@pytest.mark.parametrize("command", ["dnf rm -y git", "dnf if git", "dnf ls installed", "dnf se git", "dnf rq git"])
def test_aliases_that_fetch_nothing_into_the_layer(command):
    assert run(DT104, f"FROM fedora:40\nRUN {command}\n") == []


def test_a_relative_rm_needs_a_known_directory():
    assert run(DT104, "FROM fedora:40\nRUN dnf in -y git && cd /var/cache && rm -rf dnf\n") == []
    assert len(run(DT104, "FROM fedora:40\nRUN dnf in -y git && cd $CACHE && rm -rf dnf\n")) == 1
    assert len(run(DT104, "FROM fedora:40\nRUN dnf in -y git && rm -rf dnf\n")) == 1  # in / : not the cache


def test_microdnf_clean_does_not_clean_dnf_and_the_other_way_round():
    assert len(run(DT104, "FROM fedora:40\nRUN microdnf install -y tar && dnf clean all\n")) == 1
    assert run(DT104, "FROM fedora:40\nRUN yum install -y tar && dnf clean all\n") == []


def test_a_refresh_that_feeds_a_later_run_gets_no_clean_fix():
    # precision sample (seed 8675309, corpus 0699): `zypper ref && zypper clean --all`, then
    # `zypper up` in the next RUN: the clean undid the refresh it was the whole point of
    code = "FROM opensuse/leap:15.6\nRUN zypper --non-interactive ref\nRUN zypper --non-interactive up\n"
    found = {f.span.start.line: f for f in run(DT104, code)}
    assert found[2].fix is None and found[3].fix is not None
    # with no later install the refresh is waste on its own: the clean applies
    (f,) = run(DT104, "FROM rockylinux:9\nRUN dnf makecache\nCMD [\"bash\"]\n")
    assert f.fix is not None


def test_a_later_run_of_nothing_but_cleanups_is_deleted_once_the_install_cleans():
    # precision sample (seed 1234567, corpus 0017): `RUN yum clean all && rm -rf /var/cache/yum/*` after
    # the installs: once they clean in their own RUN, it cleans nothing and was left behind
    code = ("FROM centos:7\nRUN yum update -y && yum upgrade -y\n\n"
            "RUN yum clean all && rm -rf /var/cache/yum/*\n")
    assert fixed_text(DT104, code) == "FROM centos:7\nRUN yum update -y && yum upgrade -y && yum clean all\n\n"
