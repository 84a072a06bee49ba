"""The action's environment: inputs, the triggering event, the pull request to review.

Everything here is untrusted text (the event payload, and for ``workflow_run`` an artifact
written by a PR's workflow), so it is parsed as size-limited data and validated strictly:
a PR number is digits, a SHA is 40 hex characters, and nothing is ever executed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from bot.model.globs import glob_regex

if TYPE_CHECKING:
    from bot.config import FailOn

MAX_COMMENTS_CEILING = 100
DEFAULT_PATHS = ("**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile", "**/*.dockerfile",
                 "**/dockerfile", "**/Containerfile", "**/Containerfile.*")
MODES = ("review", "annotations", "summary-only")
_SHA = re.compile(r"[0-9a-f]{40}")
MAX_EVENT_BYTES = 25_000_000
MAX_PR_FILE_BYTES = 4_096


class InputError(Exception):
    """A bad input or event: the message names the input and the reason."""


class NothingToDo(Exception):
    """The event is valid but asks for no review (a ``workflow_run`` whose run failed)."""


@dataclass(frozen=True, slots=True)
class Inputs:
    token: str
    paths: tuple[str, ...] = DEFAULT_PATHS
    config: str = ""
    max_comments: int = 30
    fail_on: FailOn | None = None  # None: not set (the config file or the default decides)
    online: bool | None = None
    mode: str = "review"
    pr_file: str = ""
    minimize: bool = True
    resolve_threads: bool = False
    bot_login: str = ""  # whose comments are ours besides the marker (PAT/App tokens)


@dataclass(frozen=True, slots=True)
class ActionEnv:
    repo: str
    api_url: str
    event_name: str
    event_path: str
    sha: str
    run_nonce: str  # "<run_id>-<attempt>": tells this run's writes from earlier ones
    output_path: str
    summary_path: str
    workspace: str
    inputs: Inputs


@dataclass(frozen=True, slots=True)
class PullRef:
    number: int
    head_sha: str  # "" when the event does not say (workflow_dispatch with pr_number)


def read_input(env: Mapping[str, str], name: str, default: str = "") -> str:
    # The runner keeps hyphens (fail-on -> INPUT_FAIL-ON); accept both spellings.
    for key in (f"INPUT_{name.upper()}", f"INPUT_{name.upper().replace('_', '-')}"):
        if key in env:
            return env[key].strip()
    return default


def parse_bool(name: str, value: str, default: bool) -> bool:
    if value == "":
        return default
    low = value.lower()
    if low in ("true", "yes", "1", "on"):
        return True
    if low in ("false", "no", "0", "off"):
        return False
    raise InputError(f"input {name}: expected true or false, got {value!r}")


def parse_fail_on(value: str) -> FailOn:
    """The ``fail_on`` input: the configuration's ``fail-on`` grammar, where an empty
    value, ``none`` and ``false`` also mean never."""
    from bot.config import MEASURED_WASTE, NEVER, ConfigError, parse_fail_on as parse

    value = value.strip().lower()
    if value in ("", "none", "false"):
        return NEVER
    try:
        return parse(value, "input", "fail_on")
    except ConfigError:
        raise InputError(f"input fail_on: expected never, error, warning, info, style, a size such as "
                         f"50MB or {MEASURED_WASTE}>50MB, got {value!r}") from None


def parse_max_comments(value: str) -> int:
    if value == "":
        return 30
    if not value.isdigit():
        raise InputError(f"input max_comments: expected a whole number, got {value!r}")
    return min(int(value), MAX_COMMENTS_CEILING)


def parse_paths(value: str) -> tuple[str, ...]:
    parts = [p.strip() for p in re.split(r"[\n,]", value) if p.strip()]
    return tuple(parts) if parts else DEFAULT_PATHS


def load_inputs(env: Mapping[str, str]) -> Inputs:
    mode = read_input(env, "mode", "review").lower() or "review"
    if mode not in MODES:
        raise InputError(f"input mode: expected one of {', '.join(MODES)}, got {mode!r}")
    return Inputs(
        token=read_input(env, "github_token") or env.get("GITHUB_TOKEN", ""),
        paths=parse_paths(read_input(env, "paths")),
        config=read_input(env, "config"),
        max_comments=parse_max_comments(read_input(env, "max_comments")),
        fail_on=parse_fail_on(fail_on) if (fail_on := read_input(env, "fail_on")) else None,
        online=parse_bool("online", online, True) if (online := read_input(env, "online")) else None,
        mode=mode,
        pr_file=read_input(env, "pr_file"),
        minimize=parse_bool("minimize_fixed", read_input(env, "minimize_fixed"), True),
        resolve_threads=parse_bool("resolve_threads", read_input(env, "resolve_threads"), False),
        bot_login=read_input(env, "bot_login"),
    )


def load_env(env: Mapping[str, str] | None = None) -> ActionEnv:
    env = os.environ if env is None else env
    repo = env.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise InputError(f"GITHUB_REPOSITORY must be owner/name, got {repo!r}")
    return ActionEnv(
        repo=repo,
        api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        event_path=env.get("GITHUB_EVENT_PATH", ""),
        sha=env.get("GITHUB_SHA", ""),
        run_nonce=f"{_digits(env.get('GITHUB_RUN_ID', '0'))}-{_digits(env.get('GITHUB_RUN_ATTEMPT', '1'))}",
        output_path=env.get("GITHUB_OUTPUT", ""),
        summary_path=env.get("GITHUB_STEP_SUMMARY", ""),
        workspace=env.get("GITHUB_WORKSPACE", ""),
        inputs=load_inputs(env),
    )


def load_event(path: str) -> dict:
    if not path:
        raise InputError("GITHUB_EVENT_PATH is not set")
    p = Path(path)
    try:
        if p.stat().st_size > MAX_EVENT_BYTES:
            raise InputError(f"{path}: event payload is over {MAX_EVENT_BYTES} bytes")
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the event payload ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: the event payload is not a JSON object")
    return data


def pull_ref(env: ActionEnv, event: dict) -> PullRef:
    """Which PR to review, per trigger (github.md §5, §7.3)."""
    name = env.event_name
    if name in ("pull_request", "pull_request_target"):
        pr = event.get("pull_request")
        if not isinstance(pr, dict):
            raise InputError(f"{name} event without a pull_request object")
        number = _number(pr.get("number"), "pull_request.number")
        head = (pr.get("head") or {}).get("sha", "")
        return PullRef(number, _sha(head, "pull_request.head.sha"))
    if name == "workflow_run":
        run = event.get("workflow_run")
        check_workflow_run(run)
        if not env.inputs.pr_file:
            raise InputError("workflow_run: set the pr_file input to the artifact file with the PR "
                             "number and head SHA")
        ref = read_pr_file(Path(env.workspace or ".") / env.inputs.pr_file
                           if not os.path.isabs(env.inputs.pr_file) else Path(env.inputs.pr_file))
        run_head = run.get("head_sha")
        # The artifact is written by PR code; the event's head_sha comes from GitHub.
        if run_head and ref.head_sha != run_head:
            raise InputError(f"{env.inputs.pr_file}: head_sha {ref.head_sha} does not match the "
                             f"triggering run's head_sha {_sha(run_head, 'workflow_run.head_sha')}")
        return ref
    raise InputError(f"unsupported event {name!r}: use pull_request, pull_request_target or workflow_run")


def check_workflow_run(run: object) -> None:
    """Only a completed, successful ``pull_request`` run may lead to a review (github.md §5.3).

    Raises InputError for payloads that must never post (no workflow_run object, as in a
    workflow_dispatch or repository_dispatch payload; a run of another event; a run not
    completed), NothingToDo for a completed run that did not succeed.
    """
    guard = ("guard the job with `if: github.event.workflow_run.event == 'pull_request' && "
             "github.event.workflow_run.conclusion == 'success'`")
    if not isinstance(run, dict):
        raise InputError("workflow_run: the event payload has no workflow_run object (a workflow_dispatch or "
                         "repository_dispatch payload?); refusing to post")
    trigger = run.get("event")
    if trigger != "pull_request":
        raise InputError(f"workflow_run: the triggering run was started by {str(trigger)[:40]!r}, not "
                         f"pull_request; refusing to post ({guard})")
    conclusion = run.get("conclusion")
    if conclusion is None:
        raise InputError("workflow_run: the triggering run has not completed (conclusion is null); refusing to "
                         f"post (trigger on `types: [completed]` and {guard})")
    if conclusion != "success":
        raise NothingToDo(f"workflow_run: the triggering run's conclusion is {str(conclusion)[:40]!r}, not "
                          "success; nothing to review")


def read_pr_file(path: Path) -> PullRef:
    """``{"number": 12, "head_sha": "<40 hex>"}`` from the first workflow's artifact."""
    try:
        raw = path.read_bytes()[: MAX_PR_FILE_BYTES + 1]
    except OSError as exc:
        raise InputError(f"{path}: cannot read the PR file ({exc.strerror})") from None
    if len(raw) > MAX_PR_FILE_BYTES:
        raise InputError(f"{path}: PR file is over {MAX_PR_FILE_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"{path}: PR file is not JSON") from None
    if not isinstance(data, dict) or set(data) - {"number", "head_sha"}:
        raise InputError(f"{path}: PR file must be an object with exactly number and head_sha")
    return PullRef(_number(data.get("number"), f"{path}: number"), _sha(data.get("head_sha"), f"{path}: head_sha"))


def _number(value: object, what: str) -> int:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise InputError(f"{what}: expected a positive PR number, got {str(value)[:40]!r}")
    return int(text)


def _sha(value: object, what: str) -> str:
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise InputError(f"{what}: expected a 40-character hex SHA, got {str(value)[:60]!r}")
    return value


def _digits(value: str) -> str:
    return value if value.isdigit() else "0"


def path_matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(glob_regex(p).fullmatch(path) for p in patterns)
