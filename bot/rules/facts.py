"""Shared knowledge about commands, so rules agree on what a command does.

Claims name the bytes a finding is about (see SizeHint.claims): rules that talk
about the same files must build the same claim here.
"""

from __future__ import annotations

from bot.model.dockerfile import Instruction
from bot.model.shell import Command

APT = frozenset(("apt-get", "apt"))
PIP = frozenset(("pip", "pip3", "pip2")) | frozenset(f"pip3.{n}" for n in range(6, 16))
APT_LISTS = "/var/lib/apt/lists"


def is_recursive_rm(cmd: Command) -> bool:
    return cmd.program == "rm" and cmd.has_option("-r", "-R", "--recursive")


def removes(cmd: Command, path: str) -> bool:
    """``rm`` (or ``find PATH -delete``) of ``path``, its contents, or a parent of it."""
    path = path.rstrip("/")
    if cmd.program == "rm":
        for w in cmd.positionals():
            target = w.text.rstrip("/")
            if target.endswith("/*"):
                target = target[:-2]
            if target and (path == target or path.startswith(target + "/")):
                return True
    if cmd.program == "find" and cmd.has_option("-delete"):
        return any(w.text.rstrip("/") == path for w in cmd.positionals())
    return False


def removes_apt_lists(cmd: Command) -> bool:
    if cmd.program in APT and cmd.subcommand() in ("distclean", "dist-clean"):
        return True
    return removes(cmd, APT_LISTS)


def apt_lists_claim(update_run: Instruction) -> str:
    """The apt lists written by the RUN that ran ``apt-get update``."""
    return f"apt-lists@{update_run.index}"


def layer_claim(kind: str, run: Instruction) -> str:
    """Generic: the files of ``kind`` written by one RUN."""
    return f"{kind}@{run.index}"
