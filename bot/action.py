"""The GitHub Action: ``python -m bot.action`` (also ``dockerdiet action``).

Reads the event and inputs, the configuration from the BASE commit, the PR's Dockerfiles
and their build context through the API (never a checkout), analyses head and base, posts
one review (or annotations + job summary on a read-only token), writes outputs, the job
summary and a JSON report.

Exit codes: 0 done, 1 the ``fail_on`` threshold was reached, 2 bad input or a GitHub
failure (always with a one-line reason, never a traceback, and the job summary still
written).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, TextIO

EXIT_OK, EXIT_FAIL_ON, EXIT_ERROR = 0, 1, 2
REPORT_NAME = "dockerdiet-report.json"


def say(out: TextIO, message: str) -> None:
    """One log line; PR text in it can never start a workflow command."""
    from bot.github.annotations import escape_data

    print(f"dockerdiet: {escape_data(message)}", file=out, flush=True)


@dataclass
class RunState:
    """What to leave behind whatever happens: outputs, job summary, report."""

    summary: str = ""
    rows: tuple = ()
    number: int = 0
    head_sha: str = ""
    base_sha: str = ""
    notes: tuple[str, ...] = ()
    outcome: str = "not run"
    fail_on: object = None  # event.FailOn once the settings are known


def retry_config_from(env: Mapping[str, str]):
    """Production defaults; tests zero the spacing through DOCKERDIET_* variables."""
    from bot.github.client import RetryConfig

    def num(name: str, default: float) -> float:
        try:
            return float(env.get(name, default))
        except ValueError:
            return default

    base = RetryConfig()
    return RetryConfig(
        seconds_between_requests=num("DOCKERDIET_SECONDS_BETWEEN_REQUESTS", base.seconds_between_requests),
        seconds_between_writes=num("DOCKERDIET_SECONDS_BETWEEN_WRITES", base.seconds_between_writes),
        backoff_factor=num("DOCKERDIET_BACKOFF_FACTOR", base.backoff_factor),
        max_rate_limit_wait=num("DOCKERDIET_MAX_RATE_LIMIT_WAIT", base.max_rate_limit_wait),
        secondary_rate_wait=num("DOCKERDIET_SECONDARY_RATE_WAIT", base.secondary_rate_wait),
        timeout=num("DOCKERDIET_TIMEOUT", base.timeout),
        write_timeout=num("DOCKERDIET_WRITE_TIMEOUT", base.write_timeout),
    )


def run(environ: Mapping[str, str], out: TextIO) -> int:
    from bot.github.event import InputError, load_env, load_event, pull_ref

    try:
        env = load_env(environ)
        event = load_event(env.event_path)
        ref = pull_ref(env, event)
        if not env.inputs.token:
            raise InputError("input github_token is empty")
    except InputError as exc:
        say(out, f"error: {exc}")
        return EXIT_ERROR
    state = RunState(number=ref.number)
    try:
        return _review(env, ref, state, environ, out)
    finally:
        _leave_behind(env, state, out)


def _review(env, ref, state: RunState, environ: Mapping[str, str], out: TextIO) -> int:
    from bot.config import ConfigError
    from bot.github.analysis import analyse_pull, base_paths
    from bot.github.client import ApiError, Forbidden, GitHubClient, RateLimited
    from bot.github.context import RepoTree
    from bot.github.publish import Existing, Outcome, PlanOptions, execute, plan
    from bot.github.settings import config_from, config_paths, effective
    from bot.github.summary import FORK_HINT

    inputs = env.inputs
    client = GitHubClient(inputs.token, env.repo, env.api_url, retry_config_from(environ))
    step = "reading the pull request"
    try:
        pull = client.pull(ref.number)
        state.head_sha, state.base_sha = pull.head_sha, pull.base_sha
        if pull.state != "open":
            say(out, f"pull request #{ref.number} is {pull.state}; nothing to review")
            state.outcome = "closed"
            return EXIT_OK
        if ref.head_sha and pull.head_sha != ref.head_sha:
            say(out, "the pull request has a newer head commit than this run; the newer run reviews it")
            state.outcome = "head moved"
            return EXIT_OK
        step = "listing the changed files"
        files = client.files(ref.number)
        step = "reading the configuration and the Dockerfiles on the base branch"
        try:
            wanted = config_paths(inputs.config)
            base_texts = client.texts_at(wanted + base_paths(files, inputs.paths), pull.base_sha)
            settings = effective(config_from(*base_texts, inputs.config), inputs)
        except ConfigError as exc:
            return _bad_config(exc, pull.base_sha, state, out)
        state.fail_on = settings.fail_on
        if settings.source:
            say(out, f"configuration: {settings.source} (base branch)")
        step = "reading the Dockerfiles"
        analysis = analyse_pull(client, pull, files, inputs.paths, settings.online, settings.options,
                                RepoTree(client, pull.head_sha), base_texts)
        state.notes = analysis.notes
        existing = Existing()
        if inputs.mode == "review":
            step = "listing earlier comments"
            existing = Existing(tuple(client.review_comments(ref.number)), tuple(client.reviews(ref.number)))
        options = PlanOptions(pull.head_sha, env.run_nonce, inputs.max_comments, inputs.bot_login,
                              analysis.changed_paths, analysis.notes)
        review = plan(analysis.files, existing, options)
        state.rows, state.summary = review.rows, review.summary
        say(out, f"{len(analysis.files)} Dockerfile(s) analysed, {len(review.rows)} finding(s), "
                 f"{len(review.new_findings)} new, {len(review.comments)} inline comment(s) planned")
        if inputs.mode == "review":
            step = "posting the review"
            try:
                outcome = execute(review, client, ref.number, out, minimize=inputs.minimize,
                                  resolve_threads=inputs.resolve_threads)
            except Forbidden as exc:
                say(out, f"no write access ({exc.status}: {exc.message}); falling back to annotations")
                _annotate(review.new_findings or review.findings, out)
                state.summary = review.summary + "\n\n" + FORK_HINT
                state.outcome = "annotations (read-only token)"
            else:
                state.outcome = outcome.value
                if outcome is Outcome.HEAD_MOVED:
                    return EXIT_OK
        elif inputs.mode == "annotations":
            _annotate(review.findings, out)
            state.outcome = "annotations"
        else:
            state.outcome = "summary only"
    except RateLimited as exc:
        say(out, f"error: GitHub rate limit while {step}: {exc.message}")
        state.outcome = "failed"
        return EXIT_ERROR
    except ApiError as exc:
        detail = f" ({'; '.join(exc.errors)})" if exc.errors else ""
        say(out, f"error: GitHub API failed while {step}: {exc.status or 'no response'} {exc.message}{detail}")
        state.outcome = "failed"
        return EXIT_ERROR
    return _exit_code(state.fail_on, state, out)


def _bad_config(exc: Exception, base_sha: str, state: RunState, out: TextIO) -> int:
    """A broken configuration stops the run: exit 2, the reason in the log and summary."""
    from bot.report.markdown import code_block

    say(out, f"error: bad configuration: {exc}")
    state.summary = (f"### dockerdiet\n\n**Configuration error** (read from the base branch, `{base_sha[:7]}`):"
                     f"\n\n{code_block(str(exc))}\n\nFix the file on the base branch (or the `config` input); "
                     "nothing was analysed.")
    state.outcome = "bad configuration"
    return EXIT_ERROR


def _annotate(findings, out: TextIO) -> None:
    from bot.github.annotations import annotations_for
    from bot.report.markdown import estimate_text

    items, left = annotations_for(findings, lambda f: f"{f.message} ({estimate_text(f)})")
    for a in items:
        print(a.command(), file=out)
    if left:
        say(out, f"{left} more finding(s) not annotated (GitHub shows 10 per level per step); "
                 "see the job summary")


def _exit_code(fail_on, state: RunState, out: TextIO) -> int:
    from bot.report.markdown import format_bytes, savings_total

    if fail_on is None:
        return EXIT_OK
    new = [r.finding for r in state.rows if r.new]
    if fail_on.severity is not None:
        worst = [f for f in new if f.severity.rank >= fail_on.severity.rank]
        if worst:
            say(out, f"failing: {len(worst)} new finding(s) at or above {fail_on.severity.value}")
            return EXIT_FAIL_ON
    if fail_on.bytes is not None:
        low, high = savings_total(new)
        if (low + high) // 2 >= fail_on.bytes:
            say(out, f"failing: this pull request adds about {format_bytes((low + high) // 2)} of avoidable "
                     f"size (threshold {format_bytes(fail_on.bytes)})")
            return EXIT_FAIL_ON
    return EXIT_OK


def _leave_behind(env, state: RunState, out: TextIO) -> None:
    """Outputs, job summary, JSON report: written on every path, errors included."""
    from bot.github.annotations import append_file, output_lines
    from bot.github.summary import dump, job_summary, json_report
    from bot.report.markdown import savings_total

    report = json_report(state.rows, repo=env.repo, number=state.number, head_sha=state.head_sha,
                         base_sha=state.base_sha, outcome=state.outcome, notes=state.notes)
    report_path = ""
    try:
        base = Path(env.workspace) if env.workspace else Path.cwd()
        (base / REPORT_NAME).write_text(dump(report), encoding="utf-8")
        report_path = REPORT_NAME if env.workspace else str(base / REPORT_NAME)
    except OSError as exc:
        say(out, f"could not write {REPORT_NAME}: {exc.strerror}")
    new = [r.finding for r in state.rows if r.new]
    low, high = savings_total(new)
    outputs = {
        "findings": str(len(state.rows)),
        "new_findings": str(len(new)),
        "estimated_savings_bytes": str((low + high) // 2),
        "report_path": report_path,
        "outcome": state.outcome,
    }
    summary = state.summary or "### dockerdiet\n\nNo report: the run stopped early."
    try:
        append_file(env.output_path, output_lines(outputs))
        append_file(env.summary_path, job_summary(summary, status=f"dockerdiet outcome: {state.outcome}"))
    except OSError as exc:
        say(out, f"could not write the step outputs or summary: {exc.strerror}")


def main(argv: list[str] | None = None) -> int:
    out = sys.stdout
    try:
        return run(os.environ, out)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract: a clear line, never a traceback
        say(out, f"internal error: {type(exc).__name__}: {exc}")
        if os.environ.get("DOCKERDIET_DEBUG"):
            raise
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
