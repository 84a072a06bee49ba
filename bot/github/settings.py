"""The run's effective settings: the repository's dockerdiet configuration, read from the
BASE commit through the API, with the action's inputs on top.

Never from the PR head: on ``pull_request_target`` the PR author controls the head, and a
PR must not be able to switch off its own checks. One GraphQL request fetches every
candidate file at once, whether or not they exist, together with the base versions of
the changed Dockerfiles.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from bot.config import NEVER, Config, ConfigError, FailOn, from_text
from bot.engine import Options
from bot.github.event import Inputs

CONFIG_NAMES = (".dockerdiet.toml", "pyproject.toml")  # first found wins, as locally
HADOLINT_NAMES = (".hadolint.yaml", ".hadolint.yml")


@dataclass(frozen=True, slots=True)
class Settings:
    options: Options  # for the engine: select, ignore, severity, per-file-ignores, min-saving, online
    fail_on: FailOn
    online: bool
    source: str  # where the configuration came from, for the log ("" = built-in defaults)


def check_config_path(path: str) -> str:
    """The ``config`` input names a file in the repository, nothing else."""
    clean = posixpath.normpath(path.strip())
    if not clean or clean == "." or clean.startswith(("/", "../")) or clean == ".." or "\\" in clean \
            or any(ord(c) < 32 for c in clean):
        raise ConfigError(f"input config {path!r}", "", "expected a file path inside the repository")
    return clean


def config_paths(explicit: str = "") -> list[str]:
    """The files to read at the base commit: the candidates (or the explicit one) and
    hadolint's configuration (its ``ignored:`` list is honoured, as locally)."""
    if explicit:
        return [check_config_path(explicit), *HADOLINT_NAMES]
    return [*CONFIG_NAMES, *HADOLINT_NAMES]


def config_from(texts: dict[str, str | None], problems: dict[str, str], explicit: str = "") -> Config:
    """The configuration from the files read at the base commit; an explicit path must exist."""
    for path, why in problems.items():
        if path in CONFIG_NAMES or path in HADOLINT_NAMES or (explicit and path == check_config_path(explicit)):
            raise ConfigError(path, "", f"cannot read it on the base branch: {why}")
    if explicit:
        path = check_config_path(explicit)
        if texts.get(path) is None:
            raise ConfigError(path, "", "no such file on the base branch (the config input is read from the "
                                        "base commit, never from the pull request)")
        return _config(path, texts)
    for name in CONFIG_NAMES:
        if texts.get(name) is not None:
            cfg = _config(name, texts)
            if "file" in cfg.sources:  # a pyproject.toml without [tool.dockerdiet] does not count
                return cfg
    return _config("", texts)


def _config(path: str, texts: dict[str, str | None]) -> Config:
    hadolint = next(((n, texts[n]) for n in HADOLINT_NAMES if texts.get(n) is not None), (HADOLINT_NAMES[0], None))
    return from_text(texts.get(path) if path else None, path or "defaults", hadolint[1], hadolint[0])


def effective(cfg: Config, inputs: Inputs) -> Settings:
    """Inputs override the file; the file overrides the action's defaults."""
    if inputs.fail_on is not None:
        fail_on = inputs.fail_on
    elif "fail-on" in cfg.sources:
        fail_on = cfg.fail_on  # "measured-waste>SIZE" is decided by the measure input's builds
    else:
        fail_on = NEVER  # the action's default: report, do not fail the job
    if inputs.online is not None:
        online = inputs.online
    elif "online" in cfg.sources:
        online = cfg.online
    else:
        online = True
    cfg.online = online
    source = cfg.sources.get("file", "") or cfg.sources.get("ignore", "")
    return Settings(cfg.options(), fail_on, online, source)
