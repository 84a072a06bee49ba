"""The held-out harness's rebasing (bench/heldout_eval.py): what it changes in a corpus file."""

import importlib.util
import os

import pytest

HERE = os.path.dirname(__file__)
_spec = importlib.util.spec_from_file_location("heldout_eval", os.path.join(HERE, "..", "..", "bench", "heldout_eval.py"))
heldout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heldout)


def test_bases_move_to_debian_12_and_stage_references_stay():
    text = "FROM ubuntu:20.04 AS build\nRUN true\nFROM debian:buster-slim\nCOPY --from=build /a /a\nFROM build\n"
    new, why = heldout.rebase(text)
    assert why == []
    froms = [ln for ln in new.splitlines() if ln.startswith("FROM")]
    assert froms == ["FROM debian:bookworm AS build", "FROM debian:bookworm-slim", "FROM build"]
    assert new.count("ARG DEBIAN_FRONTEND=noninteractive") == 2


@pytest.mark.parametrize("base", ["node:18", "alpine:3.19", "python:3.11-slim"])
def test_other_bases_are_refused_with_the_reason(base):
    _, why = heldout.rebase(f"FROM {base}\nRUN true\n")
    assert why == [f"base {base} is not Debian/Ubuntu"]


def test_package_names_across_continuations_and_renames():
    text = "RUN apt-get update && apt-get install -y --no-install-recommends \\\n    python-pip \\\n    curl=7.* git \\\n && rm -rf /x\n"
    new, _ = heldout.rebase("FROM ubuntu:18.04\n" + text)
    assert heldout.apt_packages(new) == ["python3-pip", "git"]  # a pinned version is not a name to check


def test_unreachable_fetches_are_named():
    why = heldout.unreachable("FROM debian:bookworm\nRUN curl -fsSL https://github.com/x/y.tgz | tar xz\n"
                              "RUN pip install -i https://pypi.org/simple flask\n")
    assert why == ["fetches from github.com"]
