"""Measured mode of the action (input ``measure``): real image sizes for the pull request.

After the review is posted, the action builds each changed Dockerfile at the PR head, the
same file with its safe fixes, and the base branch's version, from the workspace checkout.
This module holds the GitHub side of it as plain data: whether measuring is allowed (never
a fork's Dockerfile under a privileged trigger), whether the workspace holds the analysed
commit, where each build context is, and how the numbers read in the job summary and in
the review body: sizes per Dockerfile, and the head image's measured waste (findings and
a table of the bytes each line adds, of which waste). The builds are driven by the action through bot/measure, which this
layer does not import.

Measuring EXECUTES the Dockerfile's RUN steps on the runner: this is the one part of
dockerdiet that runs pull-request code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from bot.github.context import context_root
from bot.github.event import InputError, parse_bool, read_input
from bot.github.publish import MARKER_PREFIX, is_ours, parse_marker
from bot.github.records import PullInfo, RemoteReview
from bot.report.markdown import BODY_BUDGET, escape_cell, escape_prose, format_bytes, format_range

ENGINE_CHOICES = ("auto", "docker", "podman", "buildah")
DEFAULT_TIMEOUT = 1200
PRIVILEGED_EVENTS = ("pull_request_target", "workflow_run")  # write token and secrets, even for forks
SECTION_START = "<!-- dockerdiet:measured -->"
SECTION_END = "<!-- dockerdiet:measured-end -->"
TITLE = "### Measured image sizes"
CHECKOUT_HINT = ("check out the pull request's head commit: `actions/checkout` with "
                 "`ref: ${{ github.event.pull_request.head.sha }}`")
_SHA = re.compile(r"[0-9a-f]{40}")

# Statuses of one Dockerfile
OK = "ok"  # head and fixed head built
NO_FIXES = "no-fixes"  # no safe fix applies: only the head was built
HEAD_FAILED = "head-failed"  # the head version does not build
FIXED_FAILED = "fixed-failed"  # the head builds, the fixed version does not: a fix breaks the build
SKIPPED = "skipped"  # not built (time budget, context missing, setup error)


@dataclass(frozen=True, slots=True)
class MeasureInputs:
    enabled: bool = False
    timeout: float = DEFAULT_TIMEOUT  # seconds for all builds of the run
    engine: str | None = None  # None: auto-detect


def measure_inputs(env: Mapping[str, str]) -> MeasureInputs:
    enabled = parse_bool("measure", read_input(env, "measure"), False)
    raw = read_input(env, "measure_timeout")
    if raw == "":
        timeout = float(DEFAULT_TIMEOUT)
    elif raw.isascii() and raw.isdigit() and 0 < int(raw) <= 6 * 3600:
        timeout = float(raw)
    else:
        raise InputError(f"input measure_timeout: expected whole seconds between 1 and 21600, got {raw!r}")
    engine = read_input(env, "measure_engine").lower() or "auto"
    if engine not in ENGINE_CHOICES:
        raise InputError(f"input measure_engine: expected one of {', '.join(ENGINE_CHOICES)}, got {engine!r}")
    return MeasureInputs(enabled, timeout, None if engine == "auto" else engine)


_SECRET_ENV = ("GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
               "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_RUNTIME_URL", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL")


def hidden_from_builds(name: str) -> bool:
    """The job's tokens and our inputs (github_token among them) stay out of the engine's
    environment: the build runs the pull request's code."""
    return name.startswith("INPUT_") or name.upper() in _SECRET_ENV


# ------------------------------------------------------------------------- may we measure?
def fork_refusal(event_name: str, pull: PullInfo) -> str:
    """Why measuring must not run here ("" when it may): a fork's Dockerfile under a
    trigger that holds a write token and secrets would be a "pwn request"."""
    if event_name not in PRIVILEGED_EVENTS or not pull.is_fork:
        return ""
    source = pull.head_repo or "a deleted fork"
    return (f"Measuring skipped: this pull request comes from a fork ({source}) and the workflow runs on "
            f"`{event_name}`, which holds a write token and secrets. Measuring builds the pull request's "
            "Dockerfile, so every RUN step would execute the fork's code with them. Measure on "
            "`pull_request` instead (see the README).")


def workspace_head(workspace: str) -> tuple[str, str]:
    """(sha of the workspace's HEAD, "") or ("", why it is unknown).

    ``git rev-parse HEAD`` when git is installed; otherwise ``.git/HEAD`` is read directly
    (the action's image has no git; actions/checkout of a SHA leaves a detached HEAD).
    """
    if not workspace or not os.path.isdir(workspace):
        return "", "GITHUB_WORKSPACE is not set or not a directory"
    git = shutil.which("git")
    if git is None:
        return _read_git_head(workspace)
    try:
        # The workspace belongs to the runner's user, the container runs as root: without
        # safe.directory git refuses the repository ("dubious ownership").
        proc = subprocess.run([git, "-c", f"safe.directory={workspace}", "-C", workspace, "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "", f"`git rev-parse HEAD` could not run ({type(exc).__name__})"
    sha = proc.stdout.strip()
    if proc.returncode != 0 or not _SHA.fullmatch(sha):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return "", f"`git rev-parse HEAD` failed in the workspace ({last})"
    return sha, ""


def _read_git_head(workspace: str) -> tuple[str, str]:
    git_dir = os.path.join(workspace, ".git")
    try:
        if os.path.isfile(git_dir):  # a worktree or submodule: "gitdir: <path>"
            with open(git_dir, encoding="utf-8") as f:
                line = f.read(4096).strip()
            if not line.startswith("gitdir:"):
                return "", "the workspace's .git file is not a gitdir link"
            git_dir = os.path.join(workspace, line[len("gitdir:"):].strip())
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as f:
            head = f.read(4096).strip()
        if _SHA.fullmatch(head):
            return head, ""
        if not head.startswith("ref: refs/"):
            return "", "the workspace's .git/HEAD is neither a SHA nor a ref"
        ref = head[len("ref: "):]
        loose = os.path.join(git_dir, *ref.split("/"))
        if os.path.isfile(loose):
            with open(loose, encoding="utf-8") as f:
                sha = f.read(100).strip()
            if _SHA.fullmatch(sha):
                return sha, ""
        with open(os.path.join(git_dir, "packed-refs"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and _SHA.fullmatch(parts[0]):
                    return parts[0], ""
    except (OSError, UnicodeDecodeError):
        return "", "the workspace is not a git checkout (no readable .git/HEAD) and git is not installed"
    return "", f"the workspace's HEAD ({head[:80]}) does not resolve to a commit"


def head_mismatch(workspace_sha: str, head_sha: str) -> str:
    return (f"Measuring skipped: the workspace holds commit `{workspace_sha[:7]}`, not the analysed head "
            f"`{head_sha[:7]}`; measuring it would report another commit's sizes. To measure, "
            f"{CHECKOUT_HINT}.")


def context_dir(workspace: str, dockerfile_path: str) -> tuple[str, str]:
    """The build context in the workspace (the Dockerfile's directory, as for the
    analysis), or ("", why)."""
    ws = os.path.realpath(workspace)
    full = os.path.realpath(os.path.join(ws, context_root(dockerfile_path)))
    if full != ws and not full.startswith(ws + os.sep):
        return "", "its directory lies outside the workspace"
    if not os.path.isdir(full):
        return "", "its directory is missing from the workspace checkout"
    return full, ""


# ------------------------------------------------------------------------- results
@dataclass(frozen=True, slots=True)
class LineWaste:
    """One instruction of the head image: the bytes its layer adds, of which measured waste."""

    line: int
    end_line: int
    text: str
    added: int
    waste: int


@dataclass(frozen=True, slots=True)
class WasteFinding:
    """A measured-waste finding of the head image (a DT7xx one, or a static one that gained
    the measured bytes), as plain data."""

    rule_id: str
    line: int
    end_line: int
    message: str
    bytes: int
    kind: str
    merged: tuple[str, ...] = ()  # DT7xx ids a static finding absorbed
    removed_by: tuple[int, int] | None = None  # (line, end_line) of the removing instruction


@dataclass(frozen=True, slots=True)
class MeasuredFile:
    path: str
    status: str
    head_size: int | None = None  # uncompressed, base image included
    fixed_size: int | None = None
    base_size: int | None = None  # the base branch's version, built with the head's context
    estimate_low: int | None = None  # estimated saving of the safe fixes
    estimate_high: int | None = None
    fixes: tuple[str, ...] = ()  # rule ids whose safe fixes were applied
    note: str = ""  # why something is missing (build failure, budget, base not built)
    seconds: float = 0.0
    waste_bytes: int | None = None  # measured waste on the head's lines; None: the layers were not read
    waste: tuple[WasteFinding, ...] = ()
    lines: tuple[LineWaste, ...] = ()

    @property
    def saved(self) -> int | None:
        if self.head_size is None or self.fixed_size is None:
            return None
        return self.head_size - self.fixed_size

    @property
    def added(self) -> int | None:
        if self.head_size is None or self.base_size is None:
            return None
        return self.head_size - self.base_size


@dataclass(frozen=True, slots=True)
class Measurement:
    head_sha: str = ""
    engine: str = ""
    files: tuple[MeasuredFile, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def measured(self) -> bool:
        return any(f.saved is not None for f in self.files)

    @property
    def savings(self) -> int:
        return sum(f.saved for f in self.files if f.saved is not None)

    @property
    def waste_bytes(self) -> int | None:
        """Measured waste on the lines of every head image whose layers were read (None: none was)."""
        read = [f.waste_bytes for f in self.files if f.waste_bytes is not None]
        return sum(read) if read else None

    def to_json(self) -> dict[str, Any]:
        files = []
        for f in self.files:
            item = asdict(f)
            item["saved"], item["added"] = f.saved, f.added
            files.append(item)
        return {"head_sha": self.head_sha, "engine": self.engine, "measured": self.measured,
                "savings_bytes": self.savings if self.measured else None, "waste_bytes": self.waste_bytes,
                "seconds": self.seconds,
                "files": files, "notes": list(self.notes)}


def skipped(reason: str) -> Measurement:
    return Measurement(notes=(reason,))


# ------------------------------------------------------------------------- rendering
def _signed(n: int) -> str:
    return ("+" if n > 0 else "−" if n < 0 else "±") + format_bytes(abs(n))


def _size(n: int | None) -> str:
    return "–" if n is None else format_bytes(n)


def markdown(m: Measurement, *, compact: bool = False) -> str:
    """The section for the job summary and the review body (``compact``: totals only)."""
    out = [TITLE, ""]
    if not m.files:
        out += [escape_prose(n) for n in m.notes] or ["Nothing was measured."]
        return "\n\n".join(out[:1] + out[2:])
    built = f"Built with {m.engine}" if m.engine else "Built"
    out.append(f"{built} from the workspace checkout of `{m.head_sha[:7]}` (the analysed head commit), "
               f"in {m.seconds:.0f} s. Sizes are uncompressed and include the base image"
               + (" (docker's own layer sizes, as `docker images` shows them)." if m.engine == "docker"
                  else " (tar bytes of the layers)."))
    out.append("")
    if m.measured:
        estimate = [(f.estimate_low, f.estimate_high) for f in m.files
                    if f.saved is not None and f.estimate_low is not None]
        total = format_bytes(m.savings) if m.savings >= 0 else f"{format_bytes(-m.savings)} larger"
        line = f"**Measured saving of the safe fixes: {total}**"
        if estimate:
            line += f"; estimated {format_range(sum(e[0] for e in estimate), sum(e[1] for e in estimate))}"
        out += [line, ""]
    waste = m.waste_bytes
    if waste is not None:
        out += [f"**Measured waste on the changed Dockerfiles' lines: {format_bytes(waste)}** (read from the head "
                "image's layers: bytes a later line deletes or overwrites, caches, build leftovers, duplicates)", ""]
    if compact:
        out.append("The job summary has the table per Dockerfile" + (" and the waste per line." if waste is not None
                                                                     else "."))
        return "\n".join(out)
    out += ["| Dockerfile | Base branch | Head (change) | Head with safe fixes | Saved by the fixes | Estimated |",
            "|---|---|---|---|---|---|"]
    for f in m.files:
        head = _size(f.head_size) + (f" ({_signed(f.added)})" if f.added is not None else "")
        saved = "–" if f.saved is None else (format_bytes(f.saved) if f.saved >= 0 else _signed(-f.saved) + " larger")
        est = format_range(f.estimate_low, f.estimate_high) if f.estimate_low is not None else "–"
        out.append(f"| `{escape_cell(f.path)}` | {_size(f.base_size)} | {head} | {_size(f.fixed_size)} | "
                   f"{saved} | {est} |")
    notes = [f"- `{escape_cell(f.path)}`: {escape_prose(_status_text(f))}" for f in m.files if _status_text(f)]
    notes += [f"- {escape_prose(n)}" for n in m.notes]
    if any(f.base_size is not None for f in m.files):
        notes.append("- The base-branch column builds the base branch's Dockerfile text with the head commit's "
                     "build context, so it shows what the Dockerfile change adds, not changes elsewhere in the tree.")
    if notes:
        out += [""] + notes
    for f in m.files:
        if f.waste_bytes is not None:
            out += ["", *waste_section(f)]
    return "\n".join(out)


def waste_section(f: MeasuredFile) -> list[str]:
    """One head image's measured findings and its line table: bytes each line adds, of which waste."""
    out = [f"#### Measured waste in `{escape_cell(f.path)}`: {format_bytes(f.waste_bytes or 0)}", ""]
    for w in sorted(f.waste, key=lambda w: -w.bytes):
        merged = f", measured as {', '.join(w.merged)}" if w.merged else ""
        out.append(f"- line {_span(w.line, w.end_line)}: **{w.rule_id}** {escape_prose(w.message)} "
                   f"({format_bytes(w.bytes)}{merged})")
    if not f.waste:
        out.append("No measured waste on this Dockerfile's lines.")
    if f.lines:
        out += ["", "| Line | Instruction | Bytes this line adds | Of which waste |", "|---:|---|---:|---:|"]
        for r in f.lines:
            text = r.text if len(r.text) <= 60 else r.text[:59] + "…"
            code = escape_cell("`" + text.replace("`", "'") + "`")
            out.append(f"| {_span(r.line, r.end_line)} | {code} | {format_bytes(r.added)} | "
                       f"{format_bytes(r.waste) if r.waste else '–'} |")
    return out


def _span(line: int, end_line: int) -> str:
    return f"{line}" if line == end_line else f"{line}–{end_line}"


def _status_text(f: MeasuredFile) -> str:
    lead = {
        NO_FIXES: "no safe fix applies, so only the head was built",
        HEAD_FAILED: "the head version does not build",
        FIXED_FAILED: "FIX BREAKS THE BUILD: the head builds but the version with the safe fixes does not",
        SKIPPED: "not measured",
    }.get(f.status, "")
    if lead and f.note:
        return f"{lead} ({f.note})"
    return lead or f.note


# ------------------------------------------------------------------------- the review body
def review_to_edit(reviews: Sequence[RemoteReview], head_sha: str, bot_login: str = "") -> RemoteReview | None:
    """Our latest review whose summary describes ``head_sha`` (posted or updated by this
    run, or an earlier run on the same commit): measurements go there, never into a
    second review."""
    found = None
    for r in reviews:
        m = parse_marker(r.body)
        if m and "summary" in m and m.get("head") == head_sha and is_ours(r.user_login, r.user_type, bot_login):
            found = r
    return found


def with_section(body: str, section: str, budget: int = BODY_BUDGET) -> str | None:
    """``body`` with ``section`` just before its trailing marker, replacing the section an
    earlier run put there; None when the body carries no marker or would grow too long."""
    if parse_marker(body) is None:
        return None
    cut = body.rfind(MARKER_PREFIX)
    text, marker = body[:cut].rstrip(), body[cut:].strip()
    if text.endswith(SECTION_END) and SECTION_START in text:
        text = text[: text.rfind(SECTION_START)].rstrip()
    new = f"{text}\n\n{SECTION_START}\n{section}\n{SECTION_END}\n\n{marker}"
    return new if len(new) <= budget else None
