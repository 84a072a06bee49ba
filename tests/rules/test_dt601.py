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


def test_an_existing_cache_mount_for_one_manager_leaves_the_other():
    code = "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install x && npm ci\n"
    (f,) = run(R, code)
    assert f.message.startswith("npm ")


def test_estimate_is_build_time_and_stays_out_of_totals():
    from bot.engine import Options, analyse_text
    from bot.estimate import totals

    res = analyse_text("Dockerfile", "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n",
                       Options(select=("DT601",), estimate=True))
    (f,) = res.findings
    assert f.estimate is None and f.estimate_note.startswith("build time, not image size")
    assert totals(res.findings).bytes_high == 0
