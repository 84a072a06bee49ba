"""DT201 edge cases: which cleanups are 'later', and when moving them is safe."""

from __future__ import annotations

from bot.rules.dt101_apt_lists_left_in_layer import AptListsLeftInLayer
from bot.rules.dt201_cleanup_in_later_layer import CleanupInLaterLayer
from bot.rules.dt205_downloaded_archive_left import DownloadedArchiveLeft

from tests.rules.harness import fixed_text, run

R = CleanupInLaterLayer


def test_claim_is_shared_with_dt101():
    code = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n"
    (mine,) = run(R, code)
    (theirs,) = run(AptListsLeftInLayer, code)
    assert mine.hint.kind == "later_layer_cleanup" and mine.hint.params["cleaned"] == "apt_lists"
    assert set(mine.hint.claims) == set(theirs.hint.claims)


def test_claim_is_shared_with_dt205():
    code = "FROM debian:12\nRUN curl -o /tmp/a.tgz https://x.example/a.tgz && tar xzf /tmp/a.tgz\nRUN rm /tmp/a.tgz\n"
    (mine,) = run(R, code)
    (theirs,) = run(DownloadedArchiveLeft, code)
    assert set(mine.hint.claims) == set(theirs.hint.claims)
    assert mine.hint.params["cleaned"] == "archive_left" and mine.hint.params["path"] == "/tmp/a.tgz"


def test_install_between_blocks_the_move():
    # moving the rm into line 2 would break line 3's install
    code = ("FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n"
            "RUN rm -rf /var/lib/apt/lists/*\n")
    (f,) = run(R, code)
    assert f.fix is None


def test_cleanup_run_doing_other_work_has_no_fix():
    code = "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN rm -rf /var/lib/apt/lists/* && make\n"
    (f,) = run(R, code)
    assert f.fix is None


def test_or_true_cleanup_has_no_fix():
    # `creator && rm x || true` would hide a failing creator
    code = "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN rm -rf /var/lib/apt/lists/* || true\n"
    (f,) = run(R, code)
    assert f.fix is None


def test_relative_cleanup_after_cd_has_no_fix():
    code = ("FROM debian:12\nWORKDIR /tmp\nRUN cd /opt && curl -O https://x.example/a.tgz && tar xzf a.tgz\n"
            "RUN rm a.tgz\n")
    # the rm in /tmp removes /tmp/a.tgz, not the /opt/a.tgz the first RUN wrote
    assert not run(R, code)


def test_absolute_cleanup_after_cd_is_moved():
    code = ("FROM debian:12\nRUN cd /opt && curl -O https://x.example/a.tgz && tar xzf a.tgz\n"
            "RUN rm /opt/a.tgz\n")
    assert fixed_text(R, code) == (
        "FROM debian:12\nRUN cd /opt && curl -O https://x.example/a.tgz && tar xzf a.tgz && rm -f /opt/a.tgz\n"
    )


def test_parent_stage_creator_is_reported_without_fix():
    code = ("FROM debian:12 AS base\nRUN apt-get update && apt-get install -y a\n"
            "FROM base\nRUN rm -rf /var/lib/apt/lists/*\n")
    (f,) = run(R, code)
    assert f.fix is None and "line 2" in f.message


def test_user_home_cache():
    code = "FROM python:3.12\nUSER app\nRUN pip install --user flask\nRUN rm -rf ~/.cache/pip\n"
    (f,) = run(R, code)
    assert f.hint.params["cleaned"] == "pip_cache"


def test_pip_no_cache_env_means_nothing_to_clean():
    code = "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\nRUN rm -rf /root/.cache/pip\n"
    assert not run(R, code)


def test_dnf_and_yum_share_rpm_kind():
    code = "FROM fedora:40\nRUN dnf install -y git\nRUN dnf clean all\n"
    (f,) = run(R, code)
    assert f.hint.params["cleaned"] == "rpm_cache" and f.hint.params["manager"] == "dnf"
    assert fixed_text(R, code) == "FROM fedora:40\nRUN dnf install -y git && dnf clean all\n"


def test_fix_twice_changes_nothing():
    code = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n"
    once = fixed_text(R, code)
    assert fixed_text(R, once) == once and not run(R, once)


def test_a_cleanup_is_not_blamed_on_files_an_earlier_cleanup_removed():
    # issue 13: line 2's lists were already removed by line 3, and the setup script on
    # line 4 may write lists of its own: line 5 blames nobody
    code = ("FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n"
            "RUN curl -fsSL https://deb.example.com/setup_20.x | bash -\nRUN rm -rf /var/lib/apt/lists/*\n")
    assert [f.span.start.line for f in run(R, code)] == [3]


def test_configure_and_make_between_do_not_hide_the_creator():
    code = ("FROM debian:12\nRUN apt-get update && apt-get install -y gcc\n"
            "RUN cd /tmp/src && ./configure && make && make install\nRUN rm -rf /var/lib/apt/lists/*\n")
    (f,) = run(R, code)
    assert "line 2" in f.message and f.fix is None


def test_apk_virtual_added_and_deleted_in_one_run_is_not_blamed():
    code = ("FROM alpine:3.20\nRUN apk add --virtual .b gcc && make && apk del .b\nRUN apk del .b\n")
    assert not run(R, code)


def test_copied_tree_removed_later_names_the_copy_and_has_no_fix():
    code = "FROM debian:12\nWORKDIR /src\nCOPY . .\nRUN rm -rf /src/.git docs\n"
    found = run(R, code)
    assert sorted(f.message.split("`")[1] for f in found) == ["/src/.git", "/src/docs"]
    assert all("COPY on line 3" in f.message and f.fix is None for f in found)


def test_copy_from_a_stage_counts_but_a_single_file_does_not():
    code = ("FROM debian:12 AS b\nRUN mkdir /out\nFROM debian:12\nCOPY --from=b /out /opt/out\n"
            "COPY run.sh /usr/local/bin/run.sh\nRUN rm -rf /opt/out/tmp /usr/local/bin/run.sh\n")
    (f,) = run(R, code)
    assert "`/opt/out/tmp`" in f.message


def test_apk_virtual_claim_names_the_creating_layer_like_dt207():
    code = "FROM alpine:3.20\nRUN apk add --virtual .b gcc && make install\nRUN apk del .b\n"
    (mine,) = run(R, code)
    assert mine.hint.params["cleaned"] == "build_packages" and mine.hint.params["packages"] == ("gcc",)
    assert len(mine.hint.claims) == 1 and mine.hint.claims[0].startswith("build-packages@")


def test_a_moved_rm_is_forced_so_other_fixes_cannot_break_it():
    # fresh precision sample, corpus 0334: DT105 adds --no-cache-dir, so pip never writes the
    # cache; DT201's moved `rm -r /root/.cache` would then fail the build without -f
    from bot.engine import Options, fix_source
    from bot.model.source import Source

    text = ("FROM alpine\nRUN apk add --no-cache python3 py3-pip\nRUN pip3 install --upgrade pip setuptools\n"
            "RUN rm -r /root/.cache\n")
    out = fix_source(Source("Dockerfile", text), Options(ignore=("DT601",)), unsafe=True)
    assert {f.rule_id for f in out.applied} >= {"DT105", "DT201"}
    assert out.fixed.splitlines()[2] == \
        "RUN pip3 install --no-cache-dir --upgrade pip setuptools && rm -rf /root/.cache"
    # with DT601 too, its cache mount comes last and takes the place of both: no --no-cache-dir,
    # and no rm of /root/.cache (an ancestor of the mount point: rm would fail with EBUSY)
    out = fix_source(Source("Dockerfile", text), unsafe=True)
    assert {f.rule_id for f in out.applied} >= {"DT105", "DT201", "DT601"}
    assert out.fixed.splitlines()[2:] == ["RUN --mount=type=cache,target=/root/.cache/pip pip3 install --upgrade pip setuptools"]
