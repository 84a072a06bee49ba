"""One table per system package manager: its subcommands with their documented aliases,
where it keeps its cache and what cleans it. Rules ask ``verb(cmd, "apt") == "install"``
instead of comparing the words each rule happened to know (``dnf in``, ``aptitude update``)."""

from __future__ import annotations

from typing import Mapping

from bot.model.records import Record, field
from bot.model.shell import Command, command_fact
from bot.rules.facts import PIP, program_args, removes_dir, rm_covers, unwrap


class Manager(Record):
    __slots__ = ()
    _fields = ("family", "aliases", "cache_dirs", "fetches", "cleans", "value_options", "cleanup")
    family = field(0, "str: managers of one family share one cache: one cleans what the other wrote")
    aliases = field(1, "Mapping[str, str]: documented alias -> the subcommand it stands for")
    cache_dirs = field(2, "tuple[str, ...]")
    fetches = field(3, "frozenset[str]: subcommands that download repository metadata")
    cleans = field(4, "frozenset[str]: `clean` arguments that remove the metadata")
    value_options = field(5, "frozenset[str]: global options that take a separate value")
    cleanup = field(6, "str: the command a fix appends")

    def __new__(cls, family, aliases, cache_dirs, fetches, cleans, value_options, cleanup):
        return tuple.__new__(cls, (family, aliases, cache_dirs, fetches, cleans, value_options, cleanup))


# apt-get(8), apt(8): no aliases of their own; `apt` adds full-upgrade for dist-upgrade.
_APT_VALUES = frozenset(("-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release"))
# aptitude(8) "Command-line actions": safe-upgrade was `upgrade`, full-upgrade was
# `dist-upgrade`, build-depends = build-dep. It reads apt's lists in /var/lib/apt/lists.
_APTITUDE = {"upgrade": "safe-upgrade", "dist-upgrade": "full-upgrade", "build-depends": "build-dep"}
_APT_DIRS = ("/var/lib/apt/lists",)
_APT_FETCH = frozenset(("update",))

# dnf(8) command reference (dnf 4, doc/command_ref.rst "Aliases" / "Deprecated aliases"
# of each command); dnf5 ships the same words in /usr/share/dnf5/aliases.d/compatibility.conf.
# On EL8+ `yum` is dnf, so yum takes them too; yum 3 (EL7) has only the long forms.
_DNF = {
    "in": "install", "install-n": "install", "install-na": "install", "install-nevra": "install",
    "localinstall": "install", "rei": "reinstall", "rm": "remove", "erase": "remove",
    "up": "upgrade", "update": "upgrade", "upgrade-to": "upgrade", "update-to": "upgrade", "localupdate": "upgrade",
    "up-min": "upgrade-minimal", "update-minimal": "upgrade-minimal", "dg": "downgrade",
    "dsync": "distro-sync", "distrosync": "distro-sync", "distribution-synchronization": "distro-sync",
    "mc": "makecache", "grp": "group", "groupinstall": "group install", "groupupdate": "group upgrade",
    "check-upgrade": "check-update", "if": "info", "ls": "list", "se": "search", "rq": "repoquery",
}  # fmt: skip
_RPM_DIRS = ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5")
_RPM_FETCH = frozenset("install reinstall upgrade downgrade upgrade-minimal makecache distro-sync builddep swap".split())
_RPM_VALUES = frozenset(("-c", "--config", "--installroot", "--enablerepo", "--disablerepo", "--setopt", "--releasever",
                         "-x", "--exclude", "--repo", "--repoid", "-d", "--debuglevel", "-e", "--errorlevel",
                         "--rpmverbosity", "--forcearch", "--downloaddir", "--destdir", "--disableplugin",
                         "--enableplugin", "--repofrompath", "--color"))  # fmt: skip
# microdnf(8): install, reinstall, remove, upgrade (update), download, clean, makecache.
_MICRODNF = {"update": "upgrade"}
# zypper(8): each command's short form is listed next to it.
_ZYPPER = {"in": "install", "up": "update", "dup": "dist-upgrade", "ref": "refresh", "si": "source-install",
           "inr": "install-new-recommends", "rm": "remove", "cc": "clean"}  # fmt: skip

MANAGERS = {
    "apt-get": Manager("apt", {}, _APT_DIRS, _APT_FETCH, frozenset(), _APT_VALUES, "rm -rf /var/lib/apt/lists/*"),
    "apt": Manager("apt", {"dist-upgrade": "full-upgrade"}, _APT_DIRS, _APT_FETCH, frozenset(), _APT_VALUES,
                   "rm -rf /var/lib/apt/lists/*"),
    "aptitude": Manager("apt", _APTITUDE, _APT_DIRS, _APT_FETCH, frozenset(), _APT_VALUES, "rm -rf /var/lib/apt/lists/*"),
    # yum (EL7) keeps a sqlite cache that only `clean all` removes; dnf's `clean metadata` covers its dbcache
    "yum": Manager("dnf", _DNF, _RPM_DIRS, _RPM_FETCH, frozenset(("all",)), _RPM_VALUES, "yum clean all"),
    "dnf": Manager("dnf", _DNF, _RPM_DIRS, _RPM_FETCH, frozenset(("all", "metadata")), _RPM_VALUES, "dnf clean all"),
    "dnf5": Manager("dnf", _DNF, _RPM_DIRS, _RPM_FETCH, frozenset(("all", "metadata")), _RPM_VALUES, "dnf5 clean all"),
    # microdnf keeps its own cache: `microdnf clean all` does not remove what dnf fetched
    "microdnf": Manager("microdnf", _MICRODNF, _RPM_DIRS, _RPM_FETCH, frozenset(("all", "metadata")), _RPM_VALUES,
                        "microdnf clean all"),
    "zypper": Manager(
        "zypper",
        _ZYPPER,
        ("/var/cache/zypp",),
        frozenset("install update dist-upgrade patch refresh source-install install-new-recommends".split()),
        frozenset(),  # zypper clean needs --all: by default it only removes downloaded packages
        frozenset(("--root", "-R", "--config", "-c", "--reposd-dir", "-D", "--cache-dir", "-C", "--raw-cache-dir",
                   "--solv-cache-dir", "--pkg-cache-dir", "--installroot")),  # fmt: skip
        "zypper clean --all",
    ),
}
APT_FAMILY = frozenset(p for p, m in MANAGERS.items() if m.family == "apt")
# each family's cache directories (its first manager's): asked by ``cleans`` for every rm of every RUN
FAMILY_CACHE_DIRS = {family: next(m.cache_dirs for m in MANAGERS.values() if m.family == family)
                     for family in {m.family for m in MANAGERS.values()}}  # fmt: skip


def verb(cmd: Command, family: str = "") -> str:
    """The subcommand ``cmd`` runs, aliases resolved (``dnf in`` -> ``install``,
    ``dnf groupinstall`` -> ``group install``); "" when it is not a manager (of ``family``)."""
    mgr = MANAGERS.get(cmd.program)
    if mgr is None or (family and mgr.family != family):
        return ""
    return _verb(cmd)


@command_fact  # asked of each manager command by a dozen rules
def _verb(cmd: Command) -> str:
    mgr = MANAGERS[cmd.program]
    pos = program_args(cmd, mgr.value_options)
    if not pos:
        return ""
    word = mgr.aliases.get(pos[0].text, pos[0].text)
    if word in ("group", "module") and len(pos) > 1:  # `dnf group install x`
        return f"{word} {mgr.aliases.get(pos[1].text, pos[1].text)}"
    return word


def fetches(cmd: Command) -> bool:
    mgr = MANAGERS.get(cmd.program)
    if mgr is None:
        return False
    v = verb(cmd)
    if v.startswith(("group ", "module ")):
        return v.split()[1] in ("install", "update", "upgrade", "enable")
    return v in mgr.fetches


def cleans(cmd: Command, family: str, cwd: str = "") -> bool:
    """A clean of the family's metadata: ``dnf clean all``, ``zypper clean -a``, or an
    ``rm`` of a cache directory (a relative one too when ``cwd``, the command's working
    directory, is known: ``cd /var/cache && rm -rf dnf``)."""
    mgr = MANAGERS.get(cmd.program)
    if mgr is not None and mgr.family == family and verb(cmd) == "clean":
        if family == "zypper":
            return cmd.has_option("-a", "--all")
        pos = [w.text for w in program_args(cmd, mgr.value_options)[1:]]
        return any(p in mgr.cleans for p in pos)
    if cmd.program not in ("rm", "find"):  # removes_dir and rm_covers hold only for these
        return False
    dirs = FAMILY_CACHE_DIRS[family]
    return any(removes_dir(cmd, d) or (cwd and rm_covers(cmd, d, cwd, "/root")) for d in dirs)


# ------------------------------------------------------------------ step kinds
# (DT204: two RUNs whose merge is plainly right do the same kind of cheap, stateless step.
# Its own families: yum, dnf and microdnf are one `rpm` kind here, and the language managers count.)

_MANAGER_FAMILY = {
    "apt-get": "apt", "apt": "apt", "apk": "apk", "yum": "rpm", "dnf": "rpm", "microdnf": "rpm",
    "zypper": "zypper", "npm": "npm", "yarn": "yarn", "pnpm": "pnpm", "gem": "gem", "conda": "conda",
    "mamba": "conda", "micromamba": "conda", "composer": "composer",
} | {p: "pip" for p in PIP}
_MANAGER_VERBS = frozenset((
    "install", "add", "remove", "del", "uninstall", "purge", "update", "upgrade", "dist-upgrade",
    "clean", "autoremove", "global", "i", "ci",
))
FILE_SYSTEM_STEPS = frozenset((
    "mkdir", "rmdir", "rm", "chmod", "chown", "chgrp", "ln", "cp", "mv", "touch",
    "useradd", "adduser", "groupadd", "addgroup", "usermod",
))


def step_kind(program: str, args: list[str]) -> str | None:
    """``pkg:<manager family>`` for a package manager's install/remove/clean step,
    ``fs`` for a file-system step (mkdir, chmod, useradd, ...), else None."""
    program = program.rsplit("/", 1)[-1]
    if program in FILE_SYSTEM_STEPS:
        return "fs"
    family = _MANAGER_FAMILY.get(program)
    verb = next((a for a in args if not a.startswith("-")), "")
    if family is not None and verb in _MANAGER_VERBS:
        return f"pkg:{family}"
    return None


def command_kind(cmd: Command) -> str | None:
    cmd = unwrap(cmd)
    return step_kind(cmd.program, cmd.words)
