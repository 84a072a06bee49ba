"""DT109 edge cases: conda/mamba/micromamba installs and their cleanups."""

from __future__ import annotations

import pytest

from bot.model import hints
from bot.rules.dt109_conda_cache_in_layer import CondaCacheInLayer as DT109
from tests.rules.harness import fixed_text, run

BASE = "FROM continuumio/miniconda3\n"


@pytest.mark.parametrize("cmd", ["conda create -y -n app python=3.12", "conda update -y conda",
                                 "conda env update -f env.yml", "mamba create -y -n x numpy",
                                 "micromamba create -y -f env.yml", "/opt/conda/bin/conda install -y scipy"])
def test_installing_commands_fire(cmd):
    assert run(DT109, f"{BASE}RUN {cmd}\n")


@pytest.mark.parametrize("cmd", ["conda install --dry-run numpy", "conda activate app", "conda list",
                                 "conda env export", "conda config --add channels conda-forge"])
def test_other_commands_are_silent(cmd):
    assert not run(DT109, f"{BASE}RUN {cmd}\n")


def test_partial_clean_counts_as_the_authors_choice():
    assert not run(DT109, f"{BASE}RUN conda install -y numpy && conda clean -tipy\n")


def test_clean_before_the_install_does_not_help():
    assert run(DT109, f"{BASE}RUN conda clean -afy && conda install -y numpy\n")


def test_configured_package_dir_in_a_cache_mount():
    code = f"{BASE}ENV CONDA_PKGS_DIRS=/cache/pkgs-x\nRUN --mount=type=cache,target=/cache conda install -y numpy\n"
    assert not run(DT109, code)


def test_mamba_fix_uses_mamba_and_hint_names_the_manager():
    code = f"{BASE}RUN mamba install -y -c conda-forge xarray\n"
    (f,) = run(DT109, code)
    assert f.hint.kind == hints.CONDA_CACHE
    assert f.hint.params["manager"] == "mamba"
    assert "xarray" in f.hint.params["packages"]
    assert fixed_text(DT109, code).endswith("xarray && mamba clean -afy\n")


def test_install_in_a_subshell_gets_no_fix():
    (f,) = run(DT109, f"{BASE}RUN (source activate app && conda install -y numpy)\n")
    assert f.fix is None


def test_later_layer_cleanup_saves_nothing():
    assert run(DT109, f"{BASE}RUN conda install -y numpy\nRUN conda clean -afy\n")
