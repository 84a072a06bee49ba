"""Who reads and who needs apt's package lists across a stage: the facts DT101 and DT203
share to decide whether removing the lists in a RUN is safe."""

from __future__ import annotations

from bot.model.shell import ShellScript
from bot.rules.base import Context
from bot.rules.facts import single_command, unwrap
from bot.rules.managers import APT_FAMILY, verb

# apt subcommands that read the package lists `apt-get update` wrote
USES_LISTS = frozenset((
    "install", "upgrade", "safe-upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download",
    "reinstall", "satisfy", "policy", "show", "search", "showpkg", "depends", "madison",
))
SCRIPT_RUNNERS = frozenset(("sh", "bash", "dash", "zsh", "python", "python2", "python3", "perl", "ruby", "node"))
SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".pl", ".rb")
BUILD_SCRIPTS = frozenset(("configure", "setup.py", "autogen.sh", "bootstrap.sh"))  # build a source tree
NEEDS_LISTS = frozenset(("install", "upgrade", "safe-upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "reinstall"))
_READS_LISTS = USES_LISTS | {"update"}  # made once, not per command



def lone_update(script: ShellScript):
    """The `apt-get update` of a script that does nothing else, or None."""
    if len(script.commands) != 1:  # asked first: single_command walks the script's tree
        return None
    cmd = single_command(script)
    if cmd is None:
        return None
    if verb(unwrap(cmd), "apt") == "update" and cmd.depth == 0:
        return cmd
    return None


def lists_user(ctx: Context, following) -> tuple[Instruction | None, list[Instruction]]:
    """The first of ``following`` (the rest of a stage) that uses apt's lists, and the
    instructions before it; (None, ...) when none does."""
    between = []
    for other in following:
        if other.keyword == "RUN" and any(_uses_lists(s) for s in ctx.scripts(other)):
            return other, between
        between.append(other)
    return None, between


def _uses_lists(script: ShellScript) -> bool:
    for c in map(unwrap, script.commands):  # sudo apt-get install x
        if (c.program in APT_FAMILY and verb(c, "apt") in _READS_LISTS) or c.program in ("apt-cache", "aptitude"):
            return True
    return False


def later_unseen_script(ctx: Context, ins) -> tuple[str, str] | None:
    """Where and what: the first later RUN command that runs a script this file does not
    show (``./setup.sh``, ``python3 ubuntu.py``, ``curl ... | bash``) before any new
    ``apt-get update``, or a container command that runs a shell script (``bash install.sh``):
    it may install with apt on these lists, so removing them is no longer a one-click fix."""
    for other in ctx.after(ins):
        if other.keyword in ("CMD", "ENTRYPOINT"):
            words = list(other.json_args) if other.json_args is not None else other.body.text.split()
            label = _shell_script(words)
            if label:
                return f"the container's command (line {other.line})", label
            continue
        if other.keyword != "RUN":
            continue
        for script in ctx.scripts(other):
            for c in map(unwrap, script.commands):
                if c.program in APT_FAMILY and verb(c, "apt") == "update":
                    return None
                label = _unseen_script(c)
                if label:
                    return f"the RUN on line {other.line}", label
    return None


def later_install_needs_lists(ctx: Context, ins) -> int | None:
    """The line of a later RUN that installs without its own ``apt-get update``: it
    relies on these lists, so removing them would break that build."""
    for other in ctx.after(ins):
        if other.keyword != "RUN":
            continue
        for script in ctx.scripts(other):
            for c in script.commands:
                inner = unwrap(c)
                if inner.program == "rosdep" and inner.subcommand() == "install":
                    return other.line  # rosdep installs the system dependencies with apt-get, no update
                sub = verb(c, "apt") if c.program in APT_FAMILY else ""  # most commands: no apt, no call
                if not sub:
                    continue
                if sub == "update":
                    break
                if sub in NEEDS_LISTS:
                    return other.line
    return None


def _unseen_script(cmd) -> str:
    """The script a command runs whose text the Dockerfile does not hold: an executable
    script (``./install.sh``, ``/tmp/setup.py``), a script file given to an interpreter,
    or a script piped into a shell. "" for anything else."""
    if cmd.program in BUILD_SCRIPTS:
        return ""
    if cmd.name.startswith("./") or cmd.program.endswith(SCRIPT_SUFFIXES):
        return cmd.name
    if cmd.program not in SCRIPT_RUNNERS:
        return ""
    words = cmd.words
    if any(w in ("-c", "-m", "-e") for w in words):
        return ""  # the code is on the command line: the rule sees it
    if "-" in words or (cmd.operator_before == "|" and not words):
        return f"| {cmd.program}"
    script = next((w for w in words if not w.startswith("-")), "")
    if not script or script.rsplit("/", 1)[-1] in BUILD_SCRIPTS:
        return ""
    return f"{cmd.program} {script}"


def _shell_script(words: list[str]) -> str:
    """The shell script a container command runs (``bash install.sh``, ``/entrypoint.sh``), or "".
    Application entry points in other languages (``python3 app.py``) install nothing with apt."""
    if not words:
        return ""
    first = words[0].strip("'\"")
    name = first.rsplit("/", 1)[-1]
    if name in ("sh", "bash", "dash") and len(words) > 1 and not words[1].startswith("-"):
        return f"{name} {words[1]}"
    return first if name.endswith((".sh", ".bash")) else ""
