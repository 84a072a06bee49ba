from __future__ import annotations

from typing import Iterator

from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command, ShellScript
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import BY_KEY
from bot.rules.edits import append_command, delete_instruction, insert_after
from bot.rules.facts import and_chain, cache_claim, command_dirs, mount_overlaps, program_args, single_command, unwrap
from bot.rules.managers import MANAGERS, Manager, cleans, verb


# the programs of the families checked: a fetch of one (``BY_KEY[family].writes``) is a command of it
FAMILY_PROGRAMS = frozenset(p for p, m in MANAGERS.items() if m.family in ("dnf", "microdnf", "zypper"))


def _runs_family(inner: list[Command]) -> bool:
    """Whether one of these (unwrapped) commands is dnf, yum, microdnf or zypper."""
    return any(c.program in FAMILY_PROGRAMS for c in inner)


REFRESHES = frozenset(("makecache", "refresh"))  # fetch metadata only, for a later install


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
caches that are rebuilt on demand. No fix for a `RUN` that only refreshes the metadata
(`zypper refresh`, `dnf makecache`) for a later `RUN` that installs: cleaning it there
would only make that `RUN` fetch it again; merge the two instead. Where `zypper clean` is already there without
`--all` (which only removes downloaded packages, not the metadata), the fix adds
`--all` to it.

Not reported when a BuildKit cache mount covers the cache directory, or in stages
that do not reach the final image. Unlike hadolint, an `rm -rf` of an unrelated
directory does not count as cleaning, and the cleaning must come after the last
command that fetches metadata. The managers' documented short forms count like the
long ones (`dnf in`, `up`, `rei`, `dsync`, `mc`, `zypper in`, ...); an `rm` of a cache
directory relative to a known directory (`cd /var/cache && rm -rf dnf yum`) counts as
cleaning; a clean by another manager's family does not (`dnf install ... && microdnf
clean all` leaves dnf's cache: microdnf keeps its own).

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
        Invalid(
            "FROM fedora:40\nRUN dnf in -y git && dnf clean all\nRUN dnf up -y\n",
            fixed="FROM fedora:40\nRUN dnf in -y git && dnf clean all\nRUN dnf up -y && dnf clean all\n",
            message="`dnf up`",
            note="dnf's documented aliases (in, up, rei, dsync, mc, ...) fetch like the long forms",
        ),
        Invalid(
            "FROM rockylinux:9\nRUN dnf install -y tar && microdnf clean all\n",
            fixed="FROM rockylinux:9\nRUN dnf install -y tar && microdnf clean all && dnf clean all\n",
            note="microdnf keeps its own cache: its clean does not remove what dnf fetched",
        ),
        Valid("FROM rockylinux:9\nRUN dnf install -y python3 && dnf clean all\n"),
        Valid(
            "FROM rockylinux:9\nRUN yum install -y httpd && cd /var/cache && rm -rf dnf yum\n",
            note="a relative rm after cd removes the caches",
        ),
        Valid("FROM rockylinux:9\nWORKDIR /var/cache\nRUN dnf rei -y bash && rm -rf dnf\n", note="relative to the WORKDIR"),
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
                if not _runs_family(inner):
                    continue  # no family's writes holds (and no cd to follow)
                cwds = command_dirs(script, ctx.workdir(ins) or "")
                for family in ("dnf", "microdnf", "zypper"):
                    if any(mount_overlaps(mounts, d) for d in BY_KEY[family].defaults):
                        continue
                    finding = self._check(ctx, ins, script, inner, family, cwds)
                    if finding is not None:
                        yield finding

    def _check(
        self, ctx: Context, ins: Instruction, script: ShellScript, inner: list[Command], family: str, cwds: list[str]
    ) -> Finding | None:
        fetching = [i for i, c in enumerate(inner) if BY_KEY[family].writes(c)]
        if not fetching:
            return None
        last = fetching[-1]
        if any(cleans(c, family, cwds[i]) for i, c in enumerate(inner) if i > last):
            return None
        cmd = inner[last]
        mgr = MANAGERS[cmd.program]
        fix = None
        refresh_only = all(verb(inner[i]) in REFRESHES for i in fetching)
        if script.ok and not (refresh_only and self._later_fetch(ctx, ins, family)):
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
                BY_KEY[family].kind,
                {"base_image": ctx.base_image(ctx.stage(ins)), "manager": cmd.program.replace("dnf5", "dnf")},
                (cache_claim(BY_KEY[family].kind, ins),),
            ),
        )

    def _fix(
        self, ctx: Context, ins: Instruction, script: ShellScript, after: list[Command], cmd: Command,
        outer: Command, mgr: Manager,
    ) -> Fix | None:
        partial = [c for c in after if c.program == "zypper" and verb(c) == "clean"]
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
    def _later_fetch(ctx: Context, ins: Instruction, family: str) -> bool:
        """A later RUN that installs or updates with this family: a RUN that only refreshes
        the metadata (`zypper ref`, `dnf makecache`) feeds it, and cleaning there would make
        it fetch everything again (merging the two is the fix, as DT203 says for apt)."""
        for other in ctx.after(ins):
            if other.keyword != "RUN":
                continue
            for script in ctx.scripts(other):
                for c in map(unwrap, script.commands):
                    if BY_KEY[family].writes(c):
                        return True
        return False

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
            # `yum clean all`, or `yum clean all && rm -rf /var/cache/yum/*`: every command cleans
            simple = single_command(scripts[0]) is not None or and_chain(scripts[0]) if len(scripts) == 1 else False
            if simple and cmds and all(cleans(c, family) for c in cmds):
                return other if not other.flags else None
            if any(c.program in MANAGERS or c.program == "rpm" for c in cmds):
                return None
        return None
