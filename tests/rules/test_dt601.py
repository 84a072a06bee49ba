import pytest

from bot.rules.dt601_cache_mount_available import CacheMountAvailable as R
from tests.rules.harness import fixed_text, run
from tests.rules.rewrite_checks import assert_clean_rewrite

APT = ("FROM debian:12-slim\nRUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl \\\n"
       "    && apt-get clean \\\n    && rm -rf /var/lib/apt/lists/*\n")


def test_apt_fix_drops_the_cleanups_and_stays_hadolint_clean():
    after = assert_clean_rewrite(R, APT)
    assert "sharing=locked" in after and "rm -f /etc/apt/apt.conf.d/docker-clean" in after
    assert "apt-get clean" not in after and "/var/lib/apt/lists" not in after


@pytest.mark.parametrize("syntax,fires", [
    ("# syntax=docker/dockerfile:1.0\n", False),
    ("# syntax=docker/dockerfile:1.1.7\n", False),
    ("# syntax=docker/dockerfile:1\n", True),
    ("# syntax=docker/dockerfile:1.4\n", True),
    ("# syntax=example.com/other-frontend:1\n", False),
    ("", True),
    ("# syntax=docker/dockerfile:1.0-experimental\n", True),
    ("# syntax=docker/dockerfile:experimental\n", True),
    ("# syntax=docker/dockerfile:1.1.7-experimental\n", True),
    ("# syntax=docker/dockerfile:1.2\n", True),
    ("# syntax=docker/dockerfile:1.2.0-rc1\n", True),
    ("# syntax=docker/dockerfile-upstream:1.1\n", False),
    ("# syntax=docker.io/docker/dockerfile:1.1@sha256:" + "a" * 64 + "\n", False),
    ("# syntax=docker/dockerfile:1.4@sha256:" + "a" * 64 + "\n", True),
    ("# syntax=docker/dockerfile\n", True),
    ("# syntax=docker/dockerfile:0.9\n", False),
    ("# syntax=mycorp/dockerfile:1.4\n", False),
])
def test_frontend_pin_decides(syntax, fires):
    assert bool(run(R, syntax + "FROM python:3.12-slim\nRUN pip install flask\n")) is fires


def test_each_manager_gets_its_cache_target():
    cases = {
        "FROM node:20\nRUN yarn install --frozen-lockfile && yarn cache clean\n":
            "RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile\n",
        "FROM rust:1.79\nCOPY . .\nRUN cargo build --release\n":
            "RUN --mount=type=cache,target=/usr/local/cargo/registry --mount=type=cache,target=/usr/local/cargo/git "
            "cargo build --release\n",
        "FROM composer:2\nCOPY . .\nRUN composer install --no-dev --no-cache\n":
            "RUN --mount=type=cache,target=/tmp/cache composer install --no-dev\n",
        "FROM ruby:3.3\nCOPY . .\nRUN bundle install\n":
            "RUN --mount=type=cache,target=/usr/local/bundle/cache bundle install\n",
    }
    for code, expected_run in cases.items():
        after = fixed_text(R, code)
        assert after.endswith(expected_run), after


def test_a_run_with_a_cache_mount_is_silent():
    # the author chose what this RUN caches: one for pip is a choice about npm too
    code = "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install x && npm ci\n"
    assert run(R, code) == []
    # a bind or secret mount is no such choice
    code = "FROM python:3.12\nRUN --mount=type=secret,id=netrc,target=/root/.netrc pip install x\n"
    (f,) = run(R, code)
    assert f.message.startswith("pip ")


def test_mixed_rm_keeps_its_other_operands():
    code = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl "
            "&& rm -rf /var/lib/apt/lists/* /tmp/* /var/tmp/*\n")
    after = fixed_text(R, code)
    assert after.endswith("apt-get install -y --no-install-recommends curl && rm -rf /tmp/* /var/tmp/*\n"), after


def test_apt_without_update_mounts_only_the_archives():
    # the lists come from an earlier layer: a /var/lib/apt mount would hide them (empty cache:
    # "Unable to locate package"); the rm of the image's lists stays
    code = ("FROM debian:12-slim\nRUN apt-get update\n"
            "RUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n")
    after = fixed_text(R, code)
    assert "target=/var/lib/apt," not in after and "target=/var/cache/apt,sharing=locked" in after
    assert after.endswith("apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n")


def test_stages_on_different_bases_get_their_own_apt_cache():
    code = ("FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\n"
            "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y curl\n")
    after = fixed_text(R, code)
    assert "--mount=type=cache,id=apt-cache-debian-12,target=/var/cache/apt,sharing=locked" in after
    assert "--mount=type=cache,id=apt-lists-ubuntu-22.04,target=/var/lib/apt,sharing=locked" in after
    same = "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nFROM build\nRUN apt-get update && apt-get install -y curl\n"
    assert "id=" not in fixed_text(R, same)  # one base: the default id (the target) is shared on purpose


def test_maven_cache_is_locked():
    after = fixed_text(R, "FROM maven:3-eclipse-temurin-21\nCOPY . .\nRUN mvn -B package\n")
    assert "--mount=type=cache,target=/root/.m2/repository,sharing=locked mvn" in after, after


def test_style_severity_does_not_fail_by_default_and_is_on():
    from bot import rules
    from bot.config import FailOn
    from bot.model.findings import Severity

    assert "DT601" in rules.selected_ids() and R.severity is Severity.STYLE
    assert Severity.STYLE.rank < FailOn().severity.rank


def test_comment_says_build_time():
    (f,) = run(R, "FROM python:3.12-slim\nRUN pip install flask\n")
    assert "build time" in f.message


def test_estimate_is_build_time_and_stays_out_of_totals():
    from bot.engine import Options, analyse_text
    from bot.estimate import totals

    res = analyse_text("Dockerfile", "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n",
                       Options(select=("DT601",), estimate=True))
    (f,) = res.findings
    # flask's wheels (pip_downloads.csv): what a rebuild downloads again, never image bytes
    assert f.estimate.basis.startswith("Build time, not image size") and f.estimate.bytes_low == 640863
    t = totals(res.findings)
    assert (t.bytes_high, t.count, t.unestimated) == (0, 0, 0)
    assert (t.rebuild_low, t.rebuild_count) == (640863, 1)


def test_a_manifest_install_has_no_download_estimate():
    from bot.engine import Options, analyse_text

    res = analyse_text("Dockerfile", "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n",
                       Options(select=("DT601",), estimate=True))
    (f,) = res.findings
    assert f.estimate is None and f.estimate_note.startswith("build time, not image size")


def test_apt_downloads_are_the_debs_apt_adds_on_the_base():
    from bot.engine import Options, analyse_text
    from bot.estimate.layers.graph import graph

    code = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    (f,) = analyse_text("Dockerfile", code, Options(select=("DT601",), estimate=True)).findings
    deb = graph().deb_size
    # low: curl's own .deb (earlier RUNs may have brought its libraries); high: with libcurl4 and the rest
    assert f.estimate.bytes_low == deb("curl")
    assert f.estimate.bytes_high >= deb("curl") + deb("libcurl4") and f.estimate.bytes_high < 10_000_000
    with_recommends = analyse_text("Dockerfile", code.replace("--no-install-recommends ", ""),
                                   Options(select=("DT601",), estimate=True)).findings[0]
    assert with_recommends.estimate.bytes_high > f.estimate.bytes_high  # ca-certificates, publicsuffix, ...


def test_rebuild_downloads_are_a_total_of_their_own_in_text_and_markdown():
    from bot.engine import LintResult, Options, analyse_text
    from bot.report.markdown import SummaryRow, summary_markdown
    from bot.report.text import statistics

    code = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
            "RUN pip install flask\n")
    res = analyse_text("Dockerfile", code, Options(select=("DT601", "DT101", "DT105"), estimate=True))
    stats = statistics(LintResult((res,)))
    assert "Estimated avoidable size: " in stats
    assert "Rebuild downloads a cache mount saves (build time, not image size): " in stats
    md = summary_markdown([SummaryRow(f, True, "inline") for f in res.findings], title="t")
    assert "- Rebuild downloads a cache mount saves (build time, not image size): " in md
    assert "per rebuild (build time)" in md


def test_default_summary_keeps_image_size_and_rebuild_download_apart():
    # DT601 on by default: the job summary shows the rebuild download as its own line, and the
    # avoidable image size is DT101/DT102's alone
    from bot.engine import Options, analyse_text
    from bot.report.markdown import SummaryRow, rebuild_total, savings_total, summary_markdown

    code = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    findings = analyse_text("Dockerfile", code, Options()).findings
    assert {f.rule_id for f in findings} == {"DT101", "DT601"}
    image = savings_total(findings)
    alone = savings_total([f for f in findings if f.rule_id != "DT601"])
    assert image == alone and image[0] > 0
    r_low, r_high, count = rebuild_total(findings)
    assert count == 1 and r_low > 0
    text = summary_markdown([SummaryRow(f, True, "listed here") for f in findings], title="dockerdiet")
    assert "build time, not image size" in text and "per rebuild (build time)" in text


def test_cache_purges_go_with_the_mount():
    after = fixed_text(R, "FROM python:3.12-slim\nRUN pip install flask && pip cache purge\n")
    assert after.endswith("RUN --mount=type=cache,target=/root/.cache/pip pip install flask\n"), after
    after = fixed_text(R, "FROM python:3.12-slim\nRUN pip install flask && rm -rf ~/.cache/pip /tmp/build\n")
    assert after.endswith("pip install flask && rm -rf /tmp/build\n"), after


def test_a_warm_up_run_says_the_later_build_needs_the_same_mount():
    code = ("FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\n"
            "COPY . .\nRUN go build -o /app .\n")
    first, second = run(R, code)
    assert "the RUN on line 6 uses it and needs the same mount" in first.fix.reason
    assert "line" not in second.fix.reason.split("exported")[-1]  # nothing after it
    offline = ("FROM maven:3-eclipse-temurin-21\nCOPY pom.xml .\nRUN mvn -B dependency:go-offline\n"
               "COPY src src\nRUN mvn -B -o package\n")
    first, second = run(R, offline)
    assert first.fix is None and second.fix is not None  # -o: a mount on the warm-up alone breaks it


def test_apt_fix_names_the_later_apt_runs_that_need_the_mount_too():
    # docker-clean stays removed: a later apt RUN without the mount keeps apt's caches
    # (measured: +74 MB on Debian 12 when only the first of two installs is mounted)
    code = ("FROM debian:12-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n"
            "RUN apt-get install -y --no-install-recommends xz-utils\n")
    first, second = sorted(run(R, code), key=lambda f: f.span.start)
    assert "RUN on line 4 too" in first.fix.reason and "line" not in second.fix.reason.split("later RUNs")[-1]


def test_no_apt_fix_when_a_later_apt_run_cannot_get_the_mount():
    code = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\nRUN [\"apt-get\", \"install\", \"-y\", \"git\"]\n"
    (f,) = run(R, code)
    assert f.fix is None


def test_lists_are_not_mounted_when_a_later_run_installs_without_an_update():
    # seed 783712 X2 (0738): the mount took the lists out of the image, and the later
    # install failed with "Unable to locate package" (built with BuildKit)
    code = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
            "RUN apt-get install -y --no-install-recommends git\n")
    out = fixed_text(R, code)
    assert "target=/var/lib/apt," not in out and out.count("target=/var/cache/apt,sharing=locked") == 2


def test_home_caches_only_on_images_known_to_build_as_root():
    # seed 783712 X8 (0198): ekidd/rust-musl-builder builds as USER rust; /root/.cargo catches nothing
    assert not run(R, "FROM ekidd/rust-musl-builder\nCOPY . .\nRUN cargo build --release\n")
    assert run(R, "FROM rust:1.79\nCOPY . .\nRUN cargo build --release\n")
    # a system path does not depend on the user
    assert run(R, "FROM someorg/debian-base\nRUN apt-get update && apt-get install -y curl\n")


def test_go_get_is_the_download_and_the_later_build_reads_its_store():
    # seed 783712 F59 (0428): `go get -d` downloads; `go install` reads what it fetched
    code = ("FROM golang:1.22-bookworm\nWORKDIR /go/src/app\nCOPY . .\nRUN go get -d -v ./...\n"
            "RUN go install -v ./...\n")
    get, install = sorted(run(R, code), key=lambda f: f.span.start)
    assert get.span.start.line == 4 and "line 5" in get.fix.reason
    assert install.message.startswith("go reads the store the RUN on line 4 fills")


def test_pip_install_from_local_wheels_downloads_nothing():
    assert not run(R, "FROM python:3.12-slim\nCOPY wheels /wheels\nRUN pip install --no-index -f /wheels app\n")


def test_a_later_add_apt_repository_counts_as_a_later_apt_run():
    code = ("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y software-properties-common\n"
            "RUN [\"add-apt-repository\", \"ppa:deadsnakes/ppa\"]\n")
    (f,) = run(R, code)
    assert f.fix is None  # the exec-form RUN cannot get the mount and would keep apt's caches


def test_a_semicolon_joined_list_removal_goes_with_the_mount():
    # seed 783712 X3 (0325): `...; rm -rf /var/lib/apt/lists/*; ...` stayed and emptied the cache
    code = ("FROM debian:12-slim\nRUN set -e; apt-get update && apt-get install -y --no-install-recommends curl; "
            "rm -rf /var/lib/apt/lists/*; rm -rf /var/log/apt\n")
    out = fixed_text(R, code)
    assert "lists/*" not in out and out.endswith("install -y --no-install-recommends curl; rm -rf /var/log/apt\n")
    # `a; rm && b` would become `a && b`: b would then depend on a, so the rm stays
    code = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl; rm -rf /var/lib/apt/lists/* && echo ok\n")
    assert "rm -rf /var/lib/apt/lists/* && echo ok" in fixed_text(R, code)


def test_no_module_cache_mount_where_go_get_may_run_in_gopath_mode():
    # seed 157246 note (0676, 0250) and seed 783712 F59 (0428): before Go 1.16 (without
    # GO111MODULE=on) `go get` may fill $GOPATH/src, which no mount holds; the later build
    # reads it and downloads nothing
    code = ("FROM golang:1.14-buster\nWORKDIR /go/src/app\nCOPY . .\nRUN go get -d -v ./...\n"
            "RUN go install -v ./...\n")
    assert not run(R, code)
    assert not run(R, "FROM golang:1.11\nRUN go get -u github.com/rogpeppe/godef\n")
    assert run(R, "FROM golang:1.11\nENV GO111MODULE=on\nRUN go get -u github.com/rogpeppe/godef\n")
    assert run(R, "FROM golang:alpine\nRUN go get -u github.com/rogpeppe/godef\n")  # the latest Go
