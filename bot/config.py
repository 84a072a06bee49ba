"""Configuration: ``.dockerdiet.toml`` or ``[tool.dockerdiet]`` in ``pyproject.toml``.

Found by walking up from the checked path (``--config FILE`` overrides). Every value
remembers where it came from, for ``dockerdiet config``. Unknown keys and bad values
are errors naming the file, the key and what is allowed: nothing is silently ignored.
A ``.hadolint.yaml`` ``ignored:`` list is honoured for the DL codes our rules share.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from bot import rules as catalogue
from bot.engine import Options
from bot.model.findings import Severity
from bot.model.records import Record, field

CONFIG_NAMES = (".dockerdiet.toml", "pyproject.toml")
HADOLINT_NAMES = (".hadolint.yaml", ".hadolint.yml")
KEYS = ("select", "ignore", "severity", "per-file-ignores", "fail-on", "min-saving", "online")
SEVERITIES = tuple(s.value for s in Severity)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


class ConfigError(Exception):
    def __init__(self, path: str, key: str, message: str) -> None:
        super().__init__(f"{path}: {key}: {message}" if key else f"{path}: {message}")


class FailOn(Record):
    """When to exit 1: at a severity, never, above an estimated avoidable size, or (for
    ``measure``/``inspect``, which build or read the image) above the measured waste.
    The action's ``fail_on`` is the same, judged on what a pull request adds: its new
    findings, the avoidable size they add, the waste measured in its head images."""

    __slots__ = ()
    _fields = ("severity", "bytes", "never", "measured")
    severity = field(0, "Severity | None")
    bytes = field(1, "int | None")
    never = field(2, "bool")
    measured = field(3, 'int | None: "measured-waste>50MB", static checks never fail on it')

    def __new__(cls, severity: "Severity | None" = Severity.INFO, bytes: "int | None" = None, never: bool = False,
                measured: "int | None" = None) -> "FailOn":
        return tuple.__new__(cls, (severity, bytes, never, measured))

    def __str__(self) -> str:
        if self.never:
            return "never"
        if self.measured is not None:
            return f"{MEASURED_WASTE}>{self.measured}B"
        if self.bytes is not None:
            return f"{self.bytes}B"
        return self.severity.value if self.severity else "info"


class Config:
    """The effective configuration; every value remembers its origin in ``sources``."""

    def __init__(self) -> None:
        self.select: list[str] = []
        self.ignore: list[str] = []
        self.severity: dict[str, Severity] = {}
        self.per_file_ignores: dict[str, list[str]] = {}
        self.fail_on = FailOn()
        self.min_saving = Options().min_saving
        self.online = False
        self.root = "."
        self.sources: dict[str, str] = {}  # key -> where the value came from

    def options(self, estimate: bool = True) -> Options:
        return Options(
            select=tuple(self.select),
            ignore=tuple(self.ignore),
            estimate=estimate,
            online=self.online,
            severity=tuple(sorted(self.severity.items())),
            per_file_ignores=tuple((g, tuple(v)) for g, v in sorted(self.per_file_ignores.items())),
            min_saving=self.min_saving,
            root=self.root,
        )

    def describe(self) -> str:
        """The effective configuration as TOML, each value with its origin."""
        import json

        def origin(key: str) -> str:
            return f"  # from {self.sources.get(key, 'default')}"

        lines = [
            f"select = {json.dumps(self.select)}{origin('select')}",
            f"ignore = {json.dumps(self.ignore)}{origin('ignore')}",
            f"fail-on = {json.dumps(str(self.fail_on))}{origin('fail-on')}",
            f"min-saving = {self.min_saving}{origin('min-saving')}",
            f"online = {'true' if self.online else 'false'}{origin('online')}",
            f"\n[severity]{origin('severity')}",
        ]
        lines += [f"{k} = {json.dumps(v.value)}" for k, v in sorted(self.severity.items())]
        lines.append(f"\n[per-file-ignores]{origin('per-file-ignores')}")
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in sorted(self.per_file_ignores.items())]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- parsing values


def parse_size(value: Any, path: str, key: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(path, key, f"expected a size such as 50MB or a byte count, got {value!r}")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        num = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(num) :] or "b"
        try:
            number = float(num)
        except ValueError:
            number = -1
        if unit in _UNITS and 0 <= number < float("inf"):
            return int(number * _UNITS[unit])
    raise ConfigError(path, key, f"expected a size such as 50MB, 1.5GB or a byte count, got {value!r}")


MEASURED_WASTE = "measured-waste"
NEVER = FailOn(None, None, True)


def parse_fail_on(value: Any, path: str, key: str = "fail-on") -> FailOn:
    """The configuration's ``fail-on`` (also ``--fail-on`` and the action's ``fail_on`` input)."""
    if isinstance(value, str):
        v = value.strip().lower()
        name, gt, size = v.partition(">")
        if gt and name.strip() == MEASURED_WASTE:
            return FailOn(None, None, False, parse_size(size, path, key))
        if v == "never":
            return NEVER
        if v in SEVERITIES:
            return FailOn(Severity(v))
        if v and v[0].isdigit():
            return FailOn(None, parse_size(v, path, key))
    raise ConfigError(path, key, f"expected one of never, {', '.join(SEVERITIES)}, a size such as 50MB "
                      f"or {MEASURED_WASTE}>SIZE, got {value!r}")


def _selectors(value: Any, path: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, key, f"expected a list of rule ids, names or prefixes, got {value!r}")
    for v in value:
        try:
            catalogue.resolve_selector(v)
        except ValueError:
            known = ", ".join(r.id for r in catalogue.all_rules())
            raise ConfigError(path, key, f"unknown rule {v!r} (known: {known}, their names, or prefixes like DT1)") from None
    return list(value)


def _bool(value: Any, path: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(path, key, f"expected true or false, got {value!r}")


def apply_table(cfg: Config, table: dict[str, Any], origin: str) -> None:
    """Merge one configuration table into ``cfg``; validate every key and value."""
    for key, value in table.items():
        if key not in KEYS:
            raise ConfigError(origin, key, f"unknown key (allowed: {', '.join(KEYS)})")
        if key == "select":
            cfg.select = _selectors(value, origin, key)
        elif key == "ignore":
            cfg.ignore = _selectors(value, origin, key)
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(origin, key, "expected a table of rule id = severity")
            for rule, sev in value.items():
                ids = _selectors([rule], origin, f"severity.{rule}")
                if sev not in SEVERITIES:
                    raise ConfigError(origin, f"severity.{rule}", f"expected one of {', '.join(SEVERITIES)}, got {sev!r}")
                for rid in catalogue.resolve_selector(ids[0]):
                    cfg.severity[rid] = Severity(sev)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(origin, key, 'expected a table of "glob" = [rule ids]')
            cfg.per_file_ignores = {g: _selectors(v, origin, f"per-file-ignores.{g!r}") for g, v in value.items()}
        elif key == "fail-on":
            cfg.fail_on = parse_fail_on(value, origin)
        elif key == "min-saving":
            cfg.min_saving = parse_size(value, origin, key)
        elif key == "online":
            cfg.online = _bool(value, origin, key)
        cfg.sources[key] = origin


def _toml(path: str, text: str | None = None) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        if text is not None:
            return tomllib.loads(text)
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(path, "", exc.strerror or str(exc)) from None


def _hadolint_ignored(path: str, text: str | None = None) -> list[str]:
    import yaml

    try:
        if text is None:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        data = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(path, "", f"cannot read: {exc}") from None
    ignored = data.get("ignored", []) if isinstance(data, dict) else []
    if not isinstance(ignored, list):
        raise ConfigError(path, "ignored", "expected a list of rule codes")
    dl_map = catalogue.hadolint_map()
    return sorted({rid for code in ignored if isinstance(code, str) for rid in dl_map.get(code.upper(), ())})


def find_config(start: str) -> tuple[str | None, str | None]:
    """The nearest dockerdiet config (and .hadolint.yaml) walking up from ``start``."""
    here = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    found, hadolint = None, None
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(here, name)
            if found is None and os.path.isfile(candidate):
                if name == "pyproject.toml" and "dockerdiet" not in _toml(candidate).get("tool", {}):
                    continue
                found = candidate
        for name in HADOLINT_NAMES:
            candidate = os.path.join(here, name)
            if hadolint is None and os.path.isfile(candidate):
                hadolint = candidate
        parent = os.path.dirname(here)
        if found or parent == here or os.path.isdir(os.path.join(here, ".git")):
            return found, hadolint
        here = parent


def load(start: str = ".", explicit: str | None = None) -> Config:
    cfg = Config()
    path, hadolint = (explicit, None) if explicit else find_config(start)
    if explicit and not os.path.isfile(explicit):
        raise ConfigError(explicit, "", "no such file")
    if hadolint:
        ids = _hadolint_ignored(hadolint)
        if ids:
            cfg.ignore = ids
            cfg.sources["ignore"] = f"{hadolint} (ignored:)"
    if path:
        data = _toml(path)
        table = data.get("tool", {}).get("dockerdiet", {}) if path.endswith("pyproject.toml") else data
        if not isinstance(table, dict):
            raise ConfigError(path, "tool.dockerdiet", "expected a table")
        hadolint_ignores = list(cfg.ignore)
        apply_table(cfg, table, path)
        if hadolint_ignores and "ignore" in table:
            cfg.ignore = sorted(set(cfg.ignore) | set(hadolint_ignores))
        cfg.root = os.path.dirname(os.path.abspath(path))
    return cfg


def tool_table(data: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The dockerdiet table of a parsed file: ``[tool.dockerdiet]`` of a pyproject.toml
    (None when it has none), the whole file otherwise."""
    if not path.endswith("pyproject.toml"):
        return data
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or "dockerdiet" not in tool:
        return None
    if not isinstance(tool["dockerdiet"], dict):
        raise ConfigError(path, "tool.dockerdiet", "expected a table")
    return tool["dockerdiet"]


def from_text(text: str | None, path: str, hadolint_text: str | None = None,
              hadolint_path: str = ".hadolint.yaml") -> Config:
    """A configuration from file contents read elsewhere (the action reads them from the
    base branch through the API). Same validation and precedence as :func:`load`;
    ``path`` names the file in errors and anchors per-file-ignores globs."""
    import posixpath

    cfg = Config()
    if hadolint_text is not None:
        ids = _hadolint_ignored(hadolint_path, hadolint_text)
        if ids:
            cfg.ignore = ids
            cfg.sources["ignore"] = f"{hadolint_path} (ignored:)"
    table = tool_table(_toml(path, text), path) if text is not None else None
    if table is not None:
        hadolint_ignores = list(cfg.ignore)
        apply_table(cfg, table, path)
        if hadolint_ignores and "ignore" in table:
            cfg.ignore = sorted(set(cfg.ignore) | set(hadolint_ignores))
        cfg.root = posixpath.dirname(path)
        cfg.sources["file"] = path
    return cfg
