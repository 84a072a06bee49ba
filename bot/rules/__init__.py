"""The rule catalogue: every rule, explicitly listed and sorted by id."""

from __future__ import annotations

import importlib

from bot.rules.base import Rule

# Every rule module, sorted by id (hadolint's Process.hs style: the catalogue is explicit;
# a test checks it against the files on disk).
MODULES = (
    "dt101_apt_lists_left_in_layer",
    "dt102_apt_recommends_installed",
    "dt103_apk_cache_in_layer",
    "dt104_rpm_cache_in_layer",
    "dt105_pip_cache_in_layer",
    "dt106_npm_cache_in_layer",
    "dt107_yarn_cache_in_layer",
    "dt108_gem_docs_in_layer",
    "dt109_conda_cache_in_layer",
    "dt110_go_cache_in_layer",
    "dt111_jvm_build_cache_in_layer",
    "dt112_package_cache_in_layer",
    "dt201_cleanup_in_later_layer",
    "dt202_chown_duplicates_copied_files",
    "dt203_apt_update_in_own_layer",
    "dt204_consecutive_runs",
    "dt205_downloaded_archive_left",
    "dt206_archive_left_in_copy_layer",
    "dt207_build_packages_in_final_image",
    "dt208_useradd_lastlog_in_layer",
    "dt209_build_tree_left_in_layer",
    "dt301_broad_copy_before_install",
    "dt302_dev_dependencies_in_final_image",
    "dt401_heavier_base_than_needed",
    "dt402_toolchain_image_as_runtime",
    "dt403_copy_whole_filesystem",
    "dt501_dockerignore_missing_heavy_folders",
    "dt502_broad_copy_brings_unneeded_files",
    "dt503_unneeded_assets_in_copy",
    "dt601_cache_mount_available",
    "dt701_removed_in_later_layer_measured",
    "dt702_cache_left_measured",
    "dt703_build_tree_left_measured",
    "dt704_duplicate_files_measured",
    "dt705_toolchain_left_measured",
    "dt900_parse_error",
    "dt901_unused_suppression",
)

_cache: list[type[Rule]] | None = None


def all_rules() -> list[type[Rule]]:
    """Every rule class, sorted by id."""
    global _cache
    if _cache is None:
        found = []
        for name in MODULES:
            module = importlib.import_module(f"{__name__}.{name}")
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
    chosen = {r.id for r in all_rules() if r.default_enabled}
    if select:
        chosen = set().union(*(resolve_selector(t) for t in select))
    for t in ignore or ():
        chosen -= resolve_selector(t)
    return [r for r in all_rules() if r.id in chosen]
