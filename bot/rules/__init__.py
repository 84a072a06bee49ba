"""The rule catalogue: every rule, explicitly listed and sorted by id.

A rule module is imported only when its rule runs or is asked about: ids, names and
defaults come from the module names below, so ``dockerdiet check`` loads the rules it
selects whose trigger words the file says (TRIGGERS), and ``--select DT102`` loads at most
one (start-up time).
"""

from __future__ import annotations

import importlib

from bot.rules.base import Rule

# Every rule module, sorted by id, one line each (hadolint's Process.hs style: the catalogue
# is explicit). A module is named ``dt<id>_<name with underscores>``: the id and the name are
# read from it without importing it. tests/rules/test_meta.py checks the list against the
# files on disk and each name against its class.
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

# What a file must say for a rule to have anything to report there. A rule runs, and its module
# is imported, only on a file that says one of its words (``says``): an upper-case word is an
# instruction keyword the file uses (ONBUILD's inner ones too); a lower-case one is part of
# every program name the rule's check starts from (caches.py, managers.py and ecosystems.py hold
# those names), so "pip" stands for pip3, pip3.12, ``python -m pip`` and ``uv pip``. None: the
# rule looks at every file. tests/rules/test_triggers.py holds every example and every corpus
# finding to its rule's words.
TRIGGERS: dict[str, tuple[str, ...] | None] = {
    "DT101": ("apt",),  # apt-get, apt, aptitude, add-apt-repository
    "DT102": ("apt",),
    "DT103": ("apk",),
    "DT104": ("yum", "dnf", "zypper"),  # dnf5, microdnf, tdnf
    "DT105": ("pip",),
    "DT106": ("npm",),
    "DT107": ("yarn",),
    "DT108": ("gem", "bundle"),
    "DT109": ("conda", "mamba"),  # micromamba
    "DT110": ("go",),
    "DT111": ("mvn", "gradle", "sbt"),  # mvnw, gradlew
    "DT112": ("cpanm", "composer", "cargo"),
    "DT201": ("RUN",),
    "DT202": ("chown", "chmod"),
    "DT203": ("apt",),
    "DT204": ("RUN",),
    "DT205": ("curl", "wget"),
    "DT206": ("ADD", "COPY"),
    "DT207": ("apt", "apk", "yum", "dnf"),
    "DT208": ("useradd",),
    "DT209": ("RUN",),
    "DT301": ("ADD", "COPY"),
    "DT302": ("pip", "npm", "yarn", "composer", "bundle"),  # pnpm
    "DT401": None,
    "DT402": None,
    "DT403": ("COPY",),
    "DT501": ("ADD", "COPY"),
    "DT502": ("ADD", "COPY"),
    "DT503": ("ADD", "COPY"),
    "DT601": ("apt", "pip", "go", "npm", "yarn", "cargo", "mvn", "gradle", "composer", "bundle"),
    "DT701": None,
    "DT702": None,
    "DT703": None,
    "DT704": None,
    "DT705": None,
    "DT900": None,
    "DT901": None,
}
# Rules the engine calls itself after the others have run, not through ``check``.
RUN_BY_ENGINE = frozenset(("DT901",))

# Rules that run only when selected (by id, prefix or ALL); checked against the classes'
# ``default_enabled`` by tests/rules/test_meta.py.
OFF_BY_DEFAULT: frozenset[str] = frozenset()
# The measured family: found in built layers, never by the static check (rules/measured.py).
MEASURED_PREFIX = "DT7"

# The hadolint codes our rules share (each rule's ``hadolint``), so a .hadolint.yaml's ``ignored:``
# list or a pragma naming a DL code is read without importing every rule (start-up time: 28M
# instructions). tests/unit/test_fixed_costs_2.py and tests/rules/test_rule_shortcuts_6.py hold
# it to the classes.
HADOLINT: dict[str, tuple[str, ...]] = {
    "DL1000": ("DT900",),
    "DL3009": ("DT101", "DT203"),
    "DL3010": ("DT206",),
    "DL3015": ("DT102",),
    "DL3019": ("DT103",),
    "DL3032": ("DT104",),
    "DL3036": ("DT104",),
    "DL3040": ("DT104",),
    "DL3042": ("DT105",),
    "DL3046": ("DT208",),
    "DL3059": ("DT204",),
    "DL3060": ("DT107",),
    "DL3067": ("DT403",),
}

NAMES = {m[:5].upper(): m[6:].replace("_", "-") for m in MODULES}  # id -> name
_MODULE_OF = {m[:5].upper(): m for m in MODULES}
_loaded: dict[str, type[Rule]] = {}


def load(rule_id: str) -> type[Rule]:
    """The rule class of ``rule_id``, importing its module on first use."""
    found = _loaded.get(rule_id)
    if found is None:
        module = importlib.import_module(f"{__name__}.{_MODULE_OF[rule_id]}")
        (found,) = (
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Rule) and v is not Rule and v.__module__ == module.__name__
        )
        _loaded[rule_id] = found
    return found


def all_rules() -> list[type[Rule]]:
    """Every rule class, sorted by id (imports every rule module)."""
    return [load(i) for i in NAMES]


def by_id() -> dict[str, type[Rule]]:
    return {i: load(i) for i in NAMES}


def hadolint_map() -> dict[str, set[str]]:
    """DL code -> ids of the rules that share it (no rule imported)."""
    return {code: set(ids) for code, ids in HADOLINT.items()}


def resolve_selector(token: str) -> set[str]:
    """Rule ids a --select/--ignore token means: an id, a name, a prefix like DT1, or ALL."""
    token = token.strip()
    if token.upper() == "ALL":
        return set(NAMES)
    upper = token.upper()
    ids = {i for i, name in NAMES.items() if i.startswith(upper) or name == token.lower()}
    if not ids:
        raise ValueError(f"unknown rule or prefix {token!r}")
    return ids


def selected_ids(select: list[str] | None = None, ignore: list[str] | None = None) -> list[str]:
    """The ids ``select`` and ``ignore`` leave, sorted, without importing any rule."""
    chosen = set(NAMES) - OFF_BY_DEFAULT
    if select:
        chosen = set().union(*(resolve_selector(t) for t in select))
    for t in ignore or ():
        chosen -= resolve_selector(t)
    return [i for i in NAMES if i in chosen]


def select(select: list[str] | None = None, ignore: list[str] | None = None) -> list[type[Rule]]:
    return [load(i) for i in selected_ids(select, ignore)]


# the program-name words of TRIGGERS, each looked for once per file
_TEXT_WORDS = tuple(sorted({w for words in TRIGGERS.values() if words for w in words if w.islower()}))


def says(df) -> frozenset[str]:
    """The words of :data:`TRIGGERS` a Dockerfile says: the keywords of its instructions
    (ONBUILD's inner ones too), and the lower-case words found in their text (keywords,
    arguments with continuations joined, heredoc bodies, in lower case; quotes and
    backslashes dropped, so ``"apt-get"`` and ``ap\\t-get`` say apt; comments say nothing)."""
    keywords, parts = set(), []
    for ins in df.instructions:
        keywords.add(ins.keyword)
        if ins.inner is not None:
            keywords.add(ins.inner.keyword)
        parts.append(ins.keyword)
        parts.append(ins.args.text)
        if ins.heredocs:  # (few have one: no generator made for the others)
            parts.extend(h.body.text for h in ins.heredocs)
    text = "\n".join(parts).lower().replace('"', "").replace("'", "").replace("\\", "")
    return frozenset(keywords).union(w for w in _TEXT_WORDS if w in text)


def may_report(rule_id: str, said: frozenset[str]) -> bool:
    """Whether ``rule_id`` can find anything in a file that says ``said`` (:func:`says`)."""
    words = TRIGGERS[rule_id]
    return words is None or not said.isdisjoint(words)


def plan(ids: list[str]) -> tuple[tuple[str, frozenset[str] | None], ...]:
    """What the engine's rule loop needs of each of ``ids`` it runs through ``check``: the id,
    and its trigger words (None: every file), in the order of ``ids``."""
    return tuple((i, None if TRIGGERS[i] is None else frozenset(TRIGGERS[i])) for i in ids if i not in RUN_BY_ENGINE)


def static_ids(select: list[str] | None = None, ignore: list[str] | None = None) -> list[str]:
    """The selected rules that check the text (the measured family left out), without importing any."""
    return [i for i in selected_ids(select, ignore) if not i.startswith(MEASURED_PREFIX)]


def static_rules(select: list[str] | None = None, ignore: list[str] | None = None) -> list[type[Rule]]:
    """The selected rules that check the text: the measured family is left unloaded."""
    return [load(i) for i in static_ids(select, ignore)]
