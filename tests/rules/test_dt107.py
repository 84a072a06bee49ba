"""DT107 edge cases: yarn v1 vs berry, cache locations, and where it differs from DL3060."""

from __future__ import annotations

import pytest

from bot.rules.dt107_yarn_cache_in_layer import YarnCacheInLayer as DT107
from tests.rules.harness import fixed_text, run


def test_hadolint_wrong_clean_before_install_leaves_the_cache():
    # DL3060 accepts `yarn cache clean` anywhere in the RUN, even before the install
    assert run(DT107, "FROM node:20\nRUN yarn cache clean && yarn install\n")


@pytest.mark.parametrize("cmd", ["yarn", "yarn --production", "yarn global add pm2", "yarn add left-pad",
                                 "yarn --cwd app install", "yarn workspace api add express"])
def test_installs_dl3060_does_not_know_fire(cmd):
    # hadolint only looks for the word `install`; a bare `yarn` and `yarn add` fill the same cache
    assert run(DT107, f"FROM node:20\nRUN {cmd}\n")


@pytest.mark.parametrize("cmd", ["yarn build", "yarn --version", "yarn cache dir", "yarn run install"])
def test_non_installs_are_silent(cmd):
    assert not run(DT107, f"FROM node:20\nRUN {cmd}\n")


@pytest.mark.parametrize("cmd", ["yarn install --immutable", "yarn install --mode=skip-build",
                                 "yarn workspaces focus --production"])
def test_berry_only_flags_are_silent(cmd):
    assert not run(DT107, f"FROM node:20\nRUN {cmd}\n")


def test_corepack_version_decides():
    berry = "FROM node:20\nRUN corepack enable && corepack prepare yarn@4.1.0 --activate && yarn install\n"
    classic = "FROM node:20\nRUN corepack enable && corepack prepare yarn@1.22.19 --activate && yarn install\n"
    assert not run(DT107, berry)
    assert run(DT107, classic)


def test_yarn_set_version_classic_is_still_v1():
    assert run(DT107, "FROM node:20\nRUN yarn set version classic && yarn install\n")
    assert not run(DT107, "FROM node:20\nRUN yarn set version 3.6.4\nRUN yarn install\n")


def test_copied_yarn_directory_means_berry():
    assert not run(DT107, "FROM node:20\nCOPY .yarn ./.yarn\nRUN yarn install\n")


def test_non_root_cache_and_its_removal():
    (f,) = run(DT107, "FROM node:20\nUSER node\nRUN yarn install\n")
    assert "/home/node/.cache/yarn" in f.message
    assert not run(DT107, "FROM node:20\nUSER node\nRUN yarn install && rm -rf ~/.cache/yarn\n")


def test_yarn_cache_dir_substitution_removes_it():
    assert not run(DT107, "FROM node:20\nRUN yarn install && rm -rf $(yarn cache dir)\n")


def test_env_cache_folder_removed_in_the_same_run():
    code = "FROM node:20\nENV YARN_CACHE_FOLDER=/tmp/yarn\nRUN yarn install && rm -rf /tmp/yarn\n"
    assert not run(DT107, code)


def test_later_run_cleanup_saves_nothing_and_fix_is_idempotent():
    code = "FROM node:20\nRUN yarn install\nRUN yarn cache clean\n"
    assert run(DT107, code)
    once = fixed_text(DT107, code)
    assert once == "FROM node:20\nRUN yarn install && yarn cache clean\nRUN yarn cache clean\n"
    assert fixed_text(DT107, once) == once


def test_only_final_stage_like_hadolint():
    code = "FROM node:20 AS a\nRUN yarn install\nFROM node:20\nRUN yarn install\n"
    (f,) = run(DT107, code)
    assert f.span.start.line == 4
