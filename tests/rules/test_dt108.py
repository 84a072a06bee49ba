"""DT108 edge cases: gem documentation and bundler's gem cache."""

from __future__ import annotations

import pytest

from bot.model import hints
from bot.rules.dt108_gem_docs_in_layer import GemDocsInLayer as DT108
from tests.rules.harness import fixed_text, run


@pytest.mark.parametrize("flags", ["--no-doc", "-N", "-qN", "--document=ri", "--no-rdoc"])
def test_any_documentation_choice_is_respected(flags):
    assert not run(DT108, f"FROM debian:12\nRUN gem install {flags} rake\n")


def test_gem_hint_lists_the_gems():
    (f,) = run(DT108, "FROM alpine:3.20\nRUN gem install -v 1.2 sass compass\n")
    assert f.hint.kind == hints.GEM_DOCS
    assert f.hint.params["gems"] == ("sass", "compass")


def test_gemrc_copied_in_turns_docs_off():
    assert not run(DT108, "FROM debian:12\nCOPY gemrc /root/.gemrc\nRUN gem install rake\n")


def test_gemrc_written_in_the_same_run_before_the_install():
    assert not run(DT108, "FROM debian:12\nRUN echo 'gem: --no-document' > ~/.gemrc && gem install rake\n")


def test_unknown_base_image_is_not_judged():
    # the base could be a ruby image whose gemrc already disables documentation
    assert not run(DT108, "FROM ${BASE}\nRUN gem install rake\n")


def test_images_built_on_official_ruby_are_silent_for_docs():
    assert not run(DT108, "FROM docker.io/library/ruby:3.3-alpine\nRUN gem install rails\n")


def test_explicit_gem_home_gives_the_bundler_fix():
    code = "FROM debian:12\nENV GEM_HOME=/gems\nRUN bundle install\n"
    assert fixed_text(DT108, code) == "FROM debian:12\nENV GEM_HOME=/gems\nRUN bundle install && rm -rf /gems/cache\n"


@pytest.mark.parametrize(
    "code",
    [
        "FROM debian:12\nRUN bundle install\n",  # system gems: the cache path depends on the Ruby version
        "FROM ruby:3.3\nRUN bundle install --deployment\n",
        "FROM ruby:3.3\nRUN bundle config set --local path vendor/bundle\nRUN bundle install\n",
        "FROM ruby:3.3\nRUN bundle config set deployment true && bundle install\n",
    ],
)
def test_bundler_cache_path_unknown_means_no_fix(code):
    (f,) = run(DT108, code)
    assert f.fix is None
    assert f.hint.kind == hints.BUNDLER_CACHE


def test_rails_style_cleanup_of_bundle_path_is_accepted():
    # corpus 0674 (the Dockerfile Rails generates)
    code = ('FROM ruby:3.3-slim\nENV BUNDLE_PATH="/usr/local/bundle"\n'
            'RUN bundle install && \\\n    rm -rf ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache\n')
    assert not run(DT108, code)


def test_bundle_install_local_or_no_cache_is_left_alone():
    assert not run(DT108, "FROM ruby:3.3\nRUN bundle install --local\n")
    assert not run(DT108, "FROM ruby:3.3\nRUN bundle install --no-cache\n")


def test_gem_and_bundle_in_one_run_give_two_findings_and_both_fixes():
    code = "FROM ruby:3.3\nENV GEM_HOME=/g\nRUN apt-get install -y x && gem install --no-document bundler && bundle\n"
    assert len(run(DT108, code)) == 1
    code = "FROM centos:7\nENV GEM_HOME=/g\nRUN gem install bundler && bundle install\n"
    assert len(run(DT108, code)) == 2
    assert fixed_text(DT108, code).endswith(
        "RUN gem install --no-document bundler && bundle install && rm -rf /g/cache\n"
    )
