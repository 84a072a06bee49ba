"""The rule catalogue: every rule, explicitly listed and sorted by id."""

from __future__ import annotations

import importlib
import pkgutil

from bot.rules.base import Rule

_cache: list[type[Rule]] | None = None


def all_rules() -> list[type[Rule]]:
    """Every rule class, sorted by id (modules named ``dtNNN_*``)."""
    global _cache
    if _cache is None:
        found = []
        for info in pkgutil.iter_modules(__path__):
            if info.name[:2] == "dt" and info.name[2:5].isdigit():
                module = importlib.import_module(f"{__name__}.{info.name}")
                found.extend(
                    v
                    for v in vars(module).values()
                    if isinstance(v, type) and issubclass(v, Rule) and v is not Rule and v.__module__ == module.__name__
                )
        _cache = sorted(found, key=lambda r: r.id)
    return _cache


def by_id() -> dict[str, type[Rule]]:
    return {r.id: r for r in all_rules()}


def hadolint_map() -> dict[str, set[str]]:
    """DL code -> ids of the rules that share it."""
    out: dict[str, set[str]] = {}
    for r in all_rules():
        for code in r.hadolint:
            out.setdefault(code, set()).add(r.id)
    return out


def resolve_selector(token: str) -> set[str]:
    """Rule ids a --select/--ignore token means: an id, a name, a prefix like DT1, or ALL."""
    token = token.strip()
    rules = all_rules()
    if token.upper() == "ALL":
        return {r.id for r in rules}
    upper = token.upper()
    ids = {r.id for r in rules if r.id.startswith(upper) or r.name == token.lower()}
    if not ids:
        raise ValueError(f"unknown rule or prefix {token!r}")
    return ids


def select(select: list[str] | None = None, ignore: list[str] | None = None) -> list[type[Rule]]:
    chosen = {r.id for r in all_rules()}
    if select:
        chosen = set().union(*(resolve_selector(t) for t in select))
    for t in ignore or ():
        chosen -= resolve_selector(t)
    return [r for r in all_rules() if r.id in chosen]
