"""A bare node install that finds no package.json installs nothing and leaves no cache:
DT106, DT107 and DT302 stay silent (ecosystems.reads_no_manifest)."""

import pytest

from bot.rules.dt106_npm_cache_in_layer import NpmCacheInLayer as DT106
from bot.rules.dt107_yarn_cache_in_layer import YarnCacheInLayer as DT107
from bot.rules.dt302_dev_dependencies_in_final_image import DevDependenciesInFinalImage as DT302
from tests.rules.harness import run

# precision sample (seed 5150, corpus 0205): `yarn install --check-files` in / of ruby:alpine, before
# any WORKDIR or COPY. Built with yarn 1.22: it succeeds, saves a lockfile and a 12 KB cache.
RUBY = ("FROM ruby:3.0.3-alpine3.15\nRUN apk add --update nodejs npm\nRUN npm install --global yarn\n"
        "RUN yarn install --check-files\nWORKDIR /app\nADD Gemfile Gemfile.lock /app/\nRUN bundle install\n")


def test_a_yarn_install_in_an_empty_root_installs_nothing():
    assert not run(DT107, RUBY) and not run(DT302, RUBY)


def test_an_npm_install_in_an_empty_root_installs_nothing():
    # corpus 0514: `npm install` in / of ubuntu; the next `npm install typescript` does install
    code = ("FROM ubuntu:20.04\nRUN apt-get install -y npm\nRUN npm install\nRUN npm install typescript\n"
            "WORKDIR /app\nADD . /app\n")
    assert [f.span.start.line for f in run(DT106, code)] == [4]
    assert not run(DT302, code)


@pytest.mark.parametrize("brings", [
    "WORKDIR /app\nCOPY package.json ./\n",            # the manifest is copied in
    "COPY . /\n",
    "RUN git clone https://example.com/app.git .\n",   # cloned into the working directory
    "RUN echo '{}' > package.json\n",
    "RUN npm init -y\n",
    "WORKDIR /srv\n",                                   # a working directory of its own: not claimed empty
])
def test_anything_that_may_bring_a_manifest_keeps_the_findings(brings):
    code = f"FROM node:20\n{brings}RUN yarn install\nCOPY . /app\nCMD [\"node\", \"index.js\"]\n"
    assert run(DT107, code) and run(DT302, code)


def test_a_base_of_unknown_content_keeps_the_findings():
    code = "FROM myorg/app-base:1\nRUN yarn install\nCOPY . /app\nCMD [\"node\", \"index.js\"]\n"
    assert run(DT107, code) and run(DT302, code)


def test_a_cd_in_the_same_run_keeps_the_findings():
    assert run(DT106, "FROM node:20\nRUN cd /usr/src/app && npm install\nCOPY . /app\n")


def test_without_a_later_copy_the_file_does_not_show_where_the_project_is():
    # the rule examples' shape (`FROM node:20` + `RUN npm ci`): the project may be a base's
    code = "FROM node:20\nRUN npm ci\n"
    assert run(DT106, code) and run(DT302, code)


def test_a_project_cloned_into_its_own_directory_is_not_in_the_root():
    # precision sample (seed 65537, corpus 0517): `git clone .../Typescript`, then a `RUN cd Typescript`
    # that changes nothing, then `npm install` in /: no package.json there
    code = ("FROM ubuntu:20.04\nRUN apt-get update && apt-get install -y npm git\n"
            "RUN git clone https://github.com/MonkTeam/Typescript\nRUN cd Typescript\nRUN npm install\n")
    assert not run(DT106, code)
    assert run(DT106, code.replace("Typescript\nRUN cd", "Typescript .\nRUN cd"))  # cloned into / itself
