"""DT105 edge cases, including where it differs from hadolint's DL3042 on purpose.

PIP_NO_CACHE_DIR: pip (cmdoptions._handle_no_cache_dir) disables the cache for ANY value
strtobool accepts, false ones included, for backwards compatibility; an invalid value
makes pip exit with an error; only an empty value leaves the cache on. Checked with
pip 23.2: PIP_NO_CACHE_DIR=0/false/off/no -> cache_dir False, "" -> /root/.cache/pip.
hadolint only accepts true-looking values, so it reports `=0`/`=false`/`=off`.
"""

from __future__ import annotations

import pytest

from bot.rules.dt105_pip_cache_in_layer import PipCacheInLayer as DT105
from tests.rules.harness import fixed_text, run


@pytest.mark.parametrize("value", ["0", "false", "off", "no", "1", "True"])
def test_hadolint_wrong_any_valid_value_disables_the_cache(value):
    assert not run(DT105, f"FROM python:3.12\nENV PIP_NO_CACHE_DIR={value}\nRUN pip install flask\n")
    assert not run(DT105, f"FROM python:3.12\nRUN PIP_NO_CACHE_DIR={value} pip install flask\n")


def test_hadolint_wrong_build_arg_is_in_the_environment_of_run():
    # ARG values are environment variables of the RUNs after them; DL3042 only reads ENV
    assert not run(DT105, "FROM python:3.12\nARG PIP_NO_CACHE_DIR=1\nRUN pip install flask\n")


def test_env_set_in_a_parent_stage_is_inherited():
    code = "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n"
    assert not run(DT105, code)
    code = "FROM python:3.12 AS other\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.12\nRUN pip install flask\n"
    assert run(DT105, code)


def test_hadolint_wrong_cache_removed_in_the_same_run():
    # DL3042 fires although the cache is gone before the layer is committed
    for cleanup in ("rm -rf /root/.cache/pip", "rm -rf ~/.cache", "rm -rf $HOME/.cache/pip/*", "pip cache purge",
                    "python3 -m pip cache purge"):  # fmt: skip
        assert not run(DT105, f"FROM python:3.12\nRUN pip install flask && {cleanup}\n"), cleanup


def test_removal_before_the_install_or_of_another_home_does_not_count():
    assert run(DT105, "FROM python:3.12\nRUN rm -rf /root/.cache && pip install flask\n")
    # as USER app, pip's cache is /home/app/.cache/pip
    assert run(DT105, "FROM python:3.12\nUSER app\nRUN pip install --user flask && rm -rf /root/.cache\n")
    assert not run(DT105, "FROM python:3.12\nUSER app\nRUN pip install --user flask && rm -rf /home/app/.cache\n")


def test_hadolint_misses_pip_by_path_and_through_sudo():
    # corpus 0411 (/ve/bin/pip), 0444 (sudo pip3): DL3042 does not recognise these
    code = "FROM python:3.12\nRUN /ve/bin/pip install -f /wheelhouse -r /wheelhouse/requirements.txt\n"
    (f,) = run(DT105, code)
    assert f.hint.params["requirements"] == ("/wheelhouse/requirements.txt",)
    assert f.hint.params["packages"] == ()
    assert fixed_text(DT105, "FROM python:3.12\nRUN sudo pip3 install -r requirements.txt\n") == (
        "FROM python:3.12\nRUN sudo pip3 install --no-cache-dir -r requirements.txt\n"
    )


def test_hadolint_wrong_builder_stage_never_reaches_the_image():
    # corpus 0526: the builder's /root/.local is copied, its /root/.cache is not
    code = (
        "FROM python:3.8 AS builder\nRUN pip install --user -r requirements.txt\n"
        "FROM python:3.8-slim\nCOPY --from=builder /root/.local /root/.local\n"
    )
    assert not run(DT105, code)


def test_every_spelling_of_pip_install():
    for pip in ("pip", "pip3", "pip3.12", "/opt/venv/bin/pip", "python -m pip", "python3.11 -m pip",
                "python3 -u -m pip", "env PYTHONWARNINGS=ignore pip"):  # fmt: skip
        code = f"FROM python:3.12\nRUN {pip} install flask\n"
        assert fixed_text(DT105, code) == f"FROM python:3.12\nRUN {pip} install --no-cache-dir flask\n", pip


def test_not_pip_install():
    for cmd in ("pip download flask", "pip wheel flask", "uv pip install flask", "pipx install black",
                "pipenv install", "pip list", "python -c 'import pip'", "pip --no-cache-dir install flask",
                "pip install --no-cache-dir flask", "python -m pip --no-cache-dir install flask"):  # fmt: skip
        assert not run(DT105, f"FROM python:3.12\nRUN {cmd}\n"), cmd


def test_exported_in_the_same_run():
    assert not run(DT105, "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=1 && pip install flask\n")


def test_pip_config_in_an_earlier_run():
    code = "FROM python:3.12\nRUN pip config set global.no-cache-dir false\nRUN pip install flask\n"
    assert not run(DT105, code)


def test_cache_dir_moved_by_environment_and_mounted_or_removed():
    assert not run(DT105, "FROM python:3.12\nENV PIP_CACHE_DIR=/tmp/pip\nRUN --mount=type=cache,target=/tmp/pip pip install x\n")
    assert not run(DT105, "FROM python:3.12\nRUN pip install --cache-dir=/tmp/c x && rm -rf /tmp/c\n")
    assert run(DT105, "FROM python:3.12\nENV PIP_CACHE_DIR=/tmp/pip\nRUN --mount=type=cache,target=/root/.cache/pip pip install x\n")
    assert not run(DT105, "FROM python:3.12\nENV XDG_CACHE_HOME=/cache\nRUN --mount=type=cache,target=/cache pip install x\n")


def test_one_finding_per_run_fixes_every_install():
    code = "FROM python:3.12\nRUN pip install -U pip && pip install --no-cache-dir a && pip install b c\n"
    (f,) = run(DT105, code)
    assert f.hint.params["packages"] == ("pip", "b", "c")
    assert fixed_text(DT105, code) == (
        "FROM python:3.12\nRUN pip install --no-cache-dir -U pip && pip install --no-cache-dir a "
        "&& pip install --no-cache-dir b c\n"
    )


def test_exec_form_is_reported_without_a_fix():
    # corpus 0873
    (f,) = run(DT105, 'FROM python:2.7\nRUN ["pip", "install", "lxml"]\n')
    assert f.fix is None


def test_pips_abbreviation_no_cache_counts_as_the_flag():
    # optparse takes an unambiguous prefix: `--no-cache` is `--no-cache-dir`; adding both is noise
    assert not run(DT105, "FROM python:3.12\nRUN pip install --no-cache flask\n")
    assert not run(DT105, "FROM python:3.12\nRUN pip install --no-cache-d flask\n")
    # `--no-c` is ambiguous (--no-color, --no-compile): not the flag
    assert run(DT105, "FROM python:3.12\nRUN pip install --no-compile flask\n")


def test_distro_pip_1x_on_ancient_bases_is_left_alone():
    # Ubuntu 14.04's python-pip is 1.5: no wheel cache, and --no-cache-dir is rejected
    code = "FROM ubuntu:14.04\nRUN apt-get install -y python-pip\nRUN pip install flask\n"
    assert not run(DT105, code)
    upgraded = "FROM ubuntu:14.04\nRUN apt-get install -y python-pip && pip install -U pip\nRUN pip install flask\n"
    assert run(DT105, upgraded)


def test_install_from_local_wheels_only_downloads_nothing():
    # precision sample (corpus 0411): --no-index -f /wheelhouse installs ready wheels: no cache to leave
    assert not run(DT105, "FROM python:3.12\nRUN pip install --no-index -f /wheelhouse -r /wheelhouse/req.txt\n")
