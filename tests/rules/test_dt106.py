"""DT106 edge cases: npm aliases, where the cache lives, and when no fix is offered."""

from __future__ import annotations

import pytest

from bot.engine import Options, analyse_text
from bot.model import hints
from bot.rules.dt106_npm_cache_in_layer import NpmCacheInLayer as DT106
from tests.rules.harness import fixed_text, run


@pytest.mark.parametrize("cmd", ["npm i", "npm isntall left-pad", "npm add x", "npm clean-install", "npm ci -q",
                                 "npm install -g npm@10", "npm --loglevel warn install"])
def test_install_aliases_fire(cmd):
    assert run(DT106, f"FROM node:20\nRUN {cmd}\n")


@pytest.mark.parametrize("cmd", ["npm run build", "npm --version", "npm ci --offline", "npm cache clean --force",
                                 "pnpm install", "echo npm install"])
def test_other_npm_commands_are_silent(cmd):
    assert not run(DT106, f"FROM node:20\nRUN {cmd}\n")


def test_cleanup_in_a_later_run_saves_nothing():
    assert run(DT106, "FROM node:20\nRUN npm ci\nRUN npm cache clean --force\n")


def test_non_root_user_cache_removed_by_home_path():
    code = "FROM node:20\nUSER node\nRUN npm ci && rm -rf /home/node/.npm\n"
    assert not run(DT106, code)
    (f,) = run(DT106, "FROM node:20\nUSER node\nRUN npm ci\n")
    assert "/home/node/.npm" in f.message


def test_removing_only_the_cacache_directory_counts():
    assert not run(DT106, "FROM node:20\nRUN npm ci && rm -rf $HOME/.npm/_cacache\n")


def test_env_cache_outside_home_is_named_and_fixed_with_npm_cache_clean():
    code = "FROM node:20\nENV NPM_CONFIG_CACHE=/tmp/npm\nRUN npm ci\n"
    (f,) = run(DT106, code)
    assert "/tmp/npm" in f.message
    assert fixed_text(DT106, code).endswith("RUN npm ci && npm cache clean --force\n")


def test_cache_flag_on_the_command_means_no_fix():
    (f,) = run(DT106, "FROM node:20\nRUN npm ci --cache /tmp/c\n")
    assert f.fix is None
    assert not run(DT106, "FROM node:20\nRUN npm ci --cache /tmp/c && rm -rf /tmp/c\n")


def test_tmpfs_mount_keeps_the_cache_out_of_the_layer():
    assert not run(DT106, "FROM node:20\nRUN --mount=type=tmpfs,target=/root/.npm npm ci\n")


def test_subshell_install_is_reported_without_a_fix():
    (f,) = run(DT106, "FROM node:20\nRUN (cd /app && npm ci)\n")
    assert f.fix is None


def test_heredoc_gets_the_cleanup_before_the_terminator():
    code = "FROM node:20\nRUN <<EOF\nset -e\nnpm ci\nEOF\n"
    assert fixed_text(DT106, code) == "FROM node:20\nRUN <<EOF\nset -e\nnpm ci\nnpm cache clean --force\nEOF\n"


def test_one_finding_per_run_with_packages_in_the_hint():
    (f,) = run(DT106, "FROM node:20\nRUN npm install -g pm2 && npm install express\n")
    assert f.hint.kind == hints.NPM_CACHE
    assert f.hint.params["packages"] == ("pm2", "express")
    assert f.span.start.column == 5


def test_stage_copied_whole_into_the_final_image_counts():
    code = "FROM node:20 AS deps\nRUN npm ci\nFROM node:20-slim\nCOPY --from=deps / /\n"
    assert run(DT106, code)


def test_claim_is_shared_with_the_later_cleanup_rule():
    # DT201 reports the later `npm cache clean`; both describe the same bytes
    code = "FROM node:20\nRUN npm ci\nRUN npm cache clean --force\n"
    res = analyse_text("Dockerfile", code, Options(select=("DT106", "DT201"), estimate=False))
    claims = {f.rule_id: f.hint.claims for f in res.findings if f.hint}
    assert set(claims) == {"DT106", "DT201"}
    assert set(claims["DT106"]) & set(claims["DT201"])
