import pytest

from bot.rules.dt401_heavier_base_than_needed import HeavierBaseThanNeeded as R
from bot.model.images import parse_image
from bot.rules.ecosystems import lighter_variant
from tests.rules.harness import run
from tests.rules.rewrite_checks import assert_clean_rewrite


@pytest.mark.parametrize(
    "image,expected",
    [
        ("python:3.12", "3.12-slim"),
        ("python:3.12-bookworm", "3.12-slim-bookworm"),
        ("python", "slim"),
        ("python:latest", "slim"),
        ("node:20", "20-slim"),
        ("node:20-bookworm", "20-bookworm-slim"),
        ("node:lts", "lts-slim"),
        ("ruby:3.3", "3.3-slim"),
        ("debian:bookworm", "bookworm-slim"),
        ("debian:12", "12-slim"),
        ("eclipse-temurin:21", "21-jre"),
        ("eclipse-temurin:21-jdk-jammy", "21-jre-jammy"),
        ("openjdk:8-jdk-alpine", "8-jre-alpine"),
        ("openjdk:11-jdk-slim", "11-jre-slim"),
        ("docker.io/library/python:3.11", "3.11-slim"),
    ],
)
def test_variant_keeps_the_version(image, expected):
    assert lighter_variant(parse_image(image)).tag == expected


@pytest.mark.parametrize(
    "image",
    ["ubuntu:24.04", "python:3.12-slim", "python:3.12-alpine", "node:20-alpine", "eclipse-temurin:21-jre",
     "openjdk:17", "python:3.12-windowsservercore", "myregistry.io/python:3.12", "golang:1.22"],
)
def test_no_variant(image):
    assert lighter_variant(parse_image(image)) is None


def test_fix_on_stage_alias_chain_edits_the_root_from():
    code = "FROM python:3.12 AS base\nRUN pip install --no-cache-dir flask\nFROM base\nCMD [\"flask\", \"run\"]\n"
    after = assert_clean_rewrite(R, code)
    assert after.startswith("FROM python:3.12-slim AS base\n")


def test_tool_installed_after_use_still_blocks():
    code = "FROM python:3.12\nRUN curl -fsSL https://example.com/x.sh -o /tmp/x.sh\nRUN apt-get update && apt-get install -y curl\n"
    assert not run(R, code)


def test_arg_holding_the_whole_image_gets_no_fix():
    found = run(R, "ARG BASE=python:3.12\nFROM ${BASE}\nCOPY . /app\n")
    assert found and found[0].fix is None


def test_jre_not_suggested_when_jdk_tools_run_at_startup():
    assert not run(R, "FROM eclipse-temurin:21\nCOPY app.jar /\nCMD [\"jshell\"]\n")


def test_fixes_add_no_hadolint_findings():
    assert_clean_rewrite(R, "FROM node:20\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"index.js\"]\n")


def test_end_of_life_base_with_its_own_apt_sources_gets_no_fix():
    # precision sample (seed 2026, corpus 0375): a jessie-only saltstack repo; trixie would break the build
    code = ("FROM debian:jessie\nRUN echo \"deb http://debian.saltstack.com/debian jessie-saltstack main\" "
            "> /etc/apt/sources.list.d/saltstack.list\nRUN apt-get update && apt-get install -y salt-minion\n")
    (f,) = run(R, code)
    assert f.fix is None and "end of life" in f.message
    # installing or compiling against the old release's packages ties it too (corpus 0677: ruby 2.1 from source)
    (g,) = run(R, "FROM debian:jessie\nRUN apt-get update && apt-get install -y libssl-dev && make\n")
    assert g.fix is None
    (h,) = run(R, "FROM debian:jessie\nCOPY app /app\nCMD [\"/app\"]\n")
    assert h.fix is not None


def test_no_slim_fix_when_bundle_install_compiles_even_with_its_own_compilers():
    # fresh precision sample, corpus 0845: build-essential brings gcc and make, but the gems also
    # link against -dev headers the full ruby image has (libpq, mysql) and slim does not
    from bot.engine import Options, analyse_text

    text = ("FROM ruby:3.3\nRUN apt-get update && apt-get install -y build-essential && rm -rf /var/lib/apt/lists/*\n"
            "WORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCOPY . .\nCMD [\"rails\", \"server\"]\n")
    found = [f for f in analyse_text("Dockerfile", text, Options(estimate=False)).findings if f.rule_id == "DT401"]
    assert found and all(f.fix is None or "-slim\n" not in f.fix.proposal + "".join(e.text for e in f.fix.edits)
                         for f in found)
    assert "compiles gems" in found[0].message


def test_a_command_less_image_gets_no_multi_stage_proposal():
    # precision sample (seed 8675309, corpus 0420): the Compose Rails quickstart shape, no CMD of its own:
    # compose runs `rails s`, `bundle install`, `rails new` in it, which need the full image
    code = ("FROM ruby:2.6.5\nRUN apt-get update -qq && apt-get install -y nodejs postgresql-client\n"
            "WORKDIR /myapp\nCOPY Gemfile* ./\nRUN bundle install\nCOPY . ./\n")
    assert not run(R, code)
    (f,) = run(R, code + 'CMD ["rails", "server", "-b", "0.0.0.0"]\n')  # a runtime of its own: the split applies
    assert "2nd stage" in f.message
