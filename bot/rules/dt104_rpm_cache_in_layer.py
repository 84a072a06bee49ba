from __future__ import annotations

from typing import Iterator, NamedTuple

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command, ShellScript
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import append_command, delete_instruction, insert_after
from bot.rules.facts import cache_claim, mount_overlaps, program_args, removes_dir, single_command, unwrap


class Manager(NamedTuple):
    family: str  # managers of one family clean each other's cache (yum is dnf on EL8+)
    cache_dirs: tuple[str, ...]
    fetches: frozenset[str]  # subcommands that download repository metadata
    cleans: frozenset[str]  # `clean` arguments that remove the metadata
    value_options: frozenset[str]  # global options that take a separate value
    cleanup: str  # the command the fix appends


_RPM_DIRS = ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5")
_RPM_FETCH = frozenset(
    "install reinstall update upgrade downgrade groupinstall groupupdate localinstall localupdate makecache "
    "distro-sync distrosync dsync builddep update-minimal upgrade-minimal swap group module".split()
)
_RPM_VALUES = frozenset(("-c", "--config", "--installroot", "--enablerepo", "--disablerepo", "--setopt", "--releasever",
                         "-x", "--exclude", "--repo", "--repoid", "-d", "--debuglevel", "-e", "--errorlevel",
                         "--rpmverbosity", "--forcearch", "--downloaddir", "--destdir", "--disableplugin",
                         "--enableplugin", "--repofrompath", "--color"))  # fmt: skip

MANAGERS = {
    # yum (EL7) keeps a sqlite cache that only `clean all` removes; dnf's `clean metadata` covers its dbcache
    "yum": Manager("rpm", _RPM_DIRS, _RPM_FETCH, frozenset(("all",)), _RPM_VALUES, "yum clean all"),
    "dnf": Manager("rpm", _RPM_DIRS, _RPM_FETCH, frozenset(("all", "metadata")), _RPM_VALUES, "dnf clean all"),
    "dnf5": Manager("rpm", _RPM_DIRS, _RPM_FETCH, frozenset(("all", "metadata")), _RPM_VALUES, "dnf5 clean all"),
    "microdnf": Manager("rpm", _RPM_DIRS, _RPM_FETCH, frozenset(("all", "metadata")), _RPM_VALUES, "microdnf clean all"),
    "zypper": Manager(
        "zypper",
        ("/var/cache/zypp",),
        frozenset("install in update up dist-upgrade dup patch refresh ref source-install si install-new-recommends inr".split()),
        frozenset(),  # zypper clean needs --all: by default it only removes downloaded packages
        frozenset(("--root", "-R", "--config", "-c", "--reposd-dir", "-D", "--cache-dir", "-C", "--raw-cache-dir",
                   "--solv-cache-dir", "--pkg-cache-dir", "--installroot")),  # fmt: skip
        "zypper clean --all",
    ),
}


def verb(cmd: Command, mgr: Manager) -> str:
    pos = program_args(cmd, mgr.value_options)
    return pos[0].text if pos else ""


def fetches(cmd: Command) -> bool:
    mgr = MANAGERS.get(cmd.program)
    if mgr is None:
        return False
    v = verb(cmd, mgr)
    if v in ("group", "module"):  # `dnf group install x`, `dnf module install x`
        pos = program_args(cmd, mgr.value_options)
        return len(pos) > 1 and pos[1].text in ("install", "update", "upgrade", "enable")
    return v in mgr.fetches


def cleans(cmd: Command, family: str) -> bool:
    """A clean of the family's metadata: ``dnf clean all``, ``zypper clean -a``, or an
    ``rm`` of a cache directory."""
    mgr = MANAGERS.get(cmd.program)
    if mgr is not None and mgr.family == family and verb(cmd, mgr) in ("clean", "cc"):
        if family == "zypper":
            return cmd.has_option("-a", "--all")
        pos = [w.text for w in program_args(cmd, mgr.value_options)[1:]]
        return any(p in mgr.cleans for p in pos)
    dirs = next(m.cache_dirs for m in MANAGERS.values() if m.family == family)
    return any(removes_dir(cmd, d) for d in dirs)


class RpmCacheInLayer(Rule):
    id = "DT104"
    name = "rpm-cache-in-layer"
    severity = Severity.WARNING
    summary = "yum/dnf/microdnf/zypper metadata and cache left in the layer"
    hadolint = ("DL3032", "DL3036", "DL3040")
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a `RUN` in a stage that ends up in the final image where `yum`, `dnf`,
`microdnf` or `zypper` downloads repository metadata (`install`, `update`, `upgrade`,
`makecache`, `zypper refresh`, ...) and the same `RUN` does not clean it afterwards
(`yum clean all`, `dnf clean all`, `microdnf clean all`, `zypper clean --all`, or an
`rm -rf` of the cache directory).

## Why is this bad?
These managers keep the repository metadata (and its sqlite/solv caches) in
`/var/cache/yum`, `/var/cache/dnf`, `/var/cache/libdnf5` or `/var/cache/zypp`: tens to
hundreds of MB that nothing in the running image needs. Cleaning in a *later* `RUN`
saves nothing: the earlier layer keeps them.

## Example
```dockerfile
FROM rockylinux:9
RUN dnf install -y python3
```

## Use instead
```dockerfile
FROM rockylinux:9
RUN dnf install -y python3 && dnf clean all
```

## Fix safety
Safe: the clean command runs after every other command of the `RUN` and removes only
caches that are rebuilt on demand. Where `zypper clean` is already there without
`--all` (which only removes downloaded packages, not the metadata), the fix adds
`--all` to it.

Not reported when a BuildKit cache mount covers the cache directory, or in stages
that do not reach the final image. Unlike hadolint, an `rm -rf` of an unrelated
directory does not count as cleaning, and the cleaning must come after the last
command that fetches metadata.

## Size impact
The repository metadata of the base image's distribution (measured per distribution
and manager).
"""
    examples = (
        Invalid(
            "FROM rockylinux:9\nRUN dnf install -y python3\n",
            fixed="FROM rockylinux:9\nRUN dnf install -y python3 && dnf clean all\n",
            at="2:5-2:27",
        ),
        Invalid(
            "FROM centos:7\nRUN yum -y update \\\n    && yum -y install httpd\n",
            fixed="FROM centos:7\nRUN yum -y update \\\n    && yum -y install httpd \\\n    && yum clean all\n",
            message="`yum install`",
        ),
        Invalid(
            "FROM registry.access.redhat.com/ubi9/ubi-minimal\nRUN microdnf install -y tar gzip\n",
            fixed="FROM registry.access.redhat.com/ubi9/ubi-minimal\nRUN microdnf install -y tar gzip && microdnf clean all\n",
        ),
        Invalid(
            "FROM opensuse/leap:15.6\nRUN zypper --non-interactive install curl && zypper clean\n",
            fixed="FROM opensuse/leap:15.6\nRUN zypper --non-interactive install curl && zypper clean --all\n",
            note="plain `zypper clean` keeps the metadata (hadolint's DL3036 accepts it)",
        ),
        Invalid(
            "FROM opensuse/leap:15.6\nRUN zypper refresh\n",
            fixed="FROM opensuse/leap:15.6\nRUN zypper refresh && zypper clean --all\n",
        ),
        Invalid(
            "FROM fedora:40\nRUN dnf clean all && dnf install -y git\n",
            fixed="FROM fedora:40\nRUN dnf clean all && dnf install -y git && dnf clean all\n",
            note="a clean before the install does not remove what the install fetches",
        ),
        Valid("FROM rockylinux:9\nRUN dnf install -y python3 && dnf clean all\n"),
        Valid("FROM centos:7\nRUN yum install -y httpd && yum clean all && rm -rf /var/cache/yum\n"),
        Valid("FROM opensuse/leap:15.6\nRUN zypper -n in curl && rm -rf /var/cache/zypp\n"),
        Valid(
            "FROM fedora:40\nRUN --mount=type=cache,target=/var/cache/dnf dnf install -y gcc\n",
            note="the cache lives in a BuildKit cache mount",
        ),
        Valid(
            "FROM fedora:40 AS build\nRUN dnf install -y gcc\nFROM scratch\nCOPY --from=build /out /out\n",
            note="a builder stage: its layers do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            mounts = ctx.cache_mounts(ins)
            for script in ctx.scripts(ins):
                inner = [unwrap(c) for c in script.commands]
                for family in ("rpm", "zypper"):
                    dirs = next(m.cache_dirs for m in MANAGERS.values() if m.family == family)
                    if any(mount_overlaps(mounts, d) for d in dirs):
                        continue
                    finding = self._check(ctx, ins, script, inner, family)
                    if finding is not None:
                        yield finding

    def _check(
        self, ctx: Context, ins: Instruction, script: ShellScript, inner: list[Command], family: str
    ) -> Finding | None:
        fetching = [i for i, c in enumerate(inner) if fetches(c) and MANAGERS[c.program].family == family]
        if not fetching:
            return None
        last = fetching[-1]
        if any(cleans(c, family) for c in inner[last + 1 :]):
            return None
        cmd = inner[last]
        mgr = MANAGERS[cmd.program]
        fix = None
        if script.ok:
            fix = self._fix(ctx, ins, script, inner[last + 1 :], cmd, script.commands[last], mgr)
        words = program_args(cmd, mgr.value_options)
        v = " ".join(w.text for w in words[: 2 if words[0].text in ("group", "module") else 1])
        return ctx.finding(
            self,
            ins,
            script.commands[last].span,
            f"`{cmd.program} {v}` leaves the {cmd.program} metadata and cache in this layer",
            fix=fix,
            hint=SizeHint(
                hints.RPM_CACHE,
                {"base_image": ctx.base_image(ctx.stage(ins)), "manager": cmd.program.replace("dnf5", "dnf")},
                (cache_claim(hints.RPM_CACHE, ins),),
            ),
        )

    def _fix(
        self, ctx: Context, ins: Instruction, script: ShellScript, after: list[Command], cmd: Command,
        outer: Command, mgr: Manager,
    ) -> Fix | None:
        partial = [c for c in after if c.program == "zypper" and verb(c, mgr) in ("clean", "cc")]
        if mgr.family == "zypper" and partial:
            word = program_args(partial[-1], mgr.value_options)[0]
            return Fix("Clean the zypper metadata too", (insert_after(word, " --all"),), Safety.SAFE)
        # `sudo dnf install` gets a `sudo dnf clean all`
        cleanup = mgr.cleanup
        if outer.program == "sudo":
            cleanup = f"sudo {cleanup}"
        cleanup = cleanup.replace(cmd.program, cmd.name, 1) if cmd.name != cmd.program else cleanup
        edit = append_command(ctx.df, ins, script, cleanup)
        if edit is None:
            return None
        edits = [edit]
        noop = self._later_lone_clean(ctx, ins, mgr.family)
        if noop is not None:
            edits.append(delete_instruction(ctx.df, noop))  # it would clean nothing any more
        return Fix(f"Run `{mgr.cleanup}` in the same RUN", tuple(edits), Safety.SAFE)

    @staticmethod
    def _later_lone_clean(ctx: Context, ins: Instruction, family: str) -> Instruction | None:
        """A later RUN of the stage that only cleans this family's cache, with no use of
        the package manager in between: once the install cleans up, it is a no-op."""
        stage = ctx.stage(ins)
        for other in ctx.after(ins):
            if ctx.stage(other) is not stage or other.inner is not None:
                return None
            if other.keyword != "RUN":
                continue
            scripts = ctx.scripts(other)
            cmds = [unwrap(c) for s in scripts for c in s.commands]
            if len(scripts) == 1 and len(cmds) == 1 and single_command(scripts[0]) is not None and cleans(cmds[0], family):
                return other if not other.flags else None
            if any(c.program in MANAGERS or c.program == "rpm" for c in cmds):
                return None
        return None
