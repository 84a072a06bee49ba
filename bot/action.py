"""The GitHub Action: ``python -m bot.action`` (also ``dockerdiet action``).

Reads the event and inputs, the configuration from the BASE commit, the PR's Dockerfiles
and their build context through the API (never a checkout), analyses head and base, posts
one review (or annotations + job summary on a read-only token), writes outputs, the job
summary and a JSON report. With the ``measure`` input, and only after the review is
posted, it also builds the changed Dockerfiles from the workspace checkout (head, head
with safe fixes, base), reads the head image's layers for measured waste, and adds both
to the job summary and the review body: the one step that executes pull-request code
(see bot/github/measured.py).

Exit codes: 0 done, 1 the ``fail_on`` threshold was reached, 2 bad input, a GitHub
failure or a runner file command (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) that could not be
written (always with a one-line reason, never a traceback, and the job summary still
written where it can be).
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
    from bot.report.annotations import escape_data

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
    fail_on: object = None  # config.FailOn once the settings are known
    measured: object = None  # measured.Measurement when the measure input ran


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


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a run leaves its outputs, job summary and report. Read from the environment
    before any input is validated, so that even a bad input leaves them behind."""

    repo: str
    workspace: str
    output_path: str
    summary_path: str

    @classmethod
    def of(cls, environ: Mapping[str, str]) -> "Destination":
        return cls(environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_WORKSPACE", ""),
                   environ.get("GITHUB_OUTPUT", ""), environ.get("GITHUB_STEP_SUMMARY", ""))


def stopped(title: str, reason: str, advice: str = "") -> str:
    """The job summary of a run that stopped before reviewing anything."""
    from bot.report.markdown import code_block

    text = f"### dockerdiet\n\n**{title}**:\n\n{code_block(reason)}"
    return f"{text}\n\n{advice}" if advice else text


def run(environ: Mapping[str, str], out: TextIO) -> int:
    state = RunState()
    try:
        code = _start(environ, out, state)
    except BaseException as exc:
        # main() turns this into one log line; the summary and outputs still say what happened
        state.outcome = "failed"
        state.summary = (state.summary + "\n\n" if state.summary else "") + stopped(
            "Internal error", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        written = _leave_behind(Destination.of(environ), state, out)
    return code if written or code != EXIT_OK else EXIT_ERROR  # lost outputs must not pass silently


def _start(environ: Mapping[str, str], out: TextIO, state: "RunState") -> int:
    from bot.github.event import InputError, NothingToDo, load_env, load_event, pull_ref
    from bot.github.measured import measure_inputs

    try:
        env = load_env(environ)
        measuring = measure_inputs(environ)
        event = load_event(env.event_path)
        ref = pull_ref(env, event)
        if not env.inputs.token:
            raise InputError("input github_token is empty")
    except InputError as exc:
        say(out, f"error: {exc}")
        state.outcome = "bad input"
        state.summary = stopped("Input error", str(exc), "Nothing was analysed. Fix the workflow's inputs or "
                                                          "trigger (see the README's workflow examples).")
        return EXIT_ERROR
    except NothingToDo as exc:
        say(out, str(exc))
        state.outcome = "skipped"
        state.summary = stopped("Skipped", str(exc))
        return EXIT_OK
    state.number = ref.number
    return _review(env, ref, state, environ, out, measuring)


def _review(env, ref, state: RunState, environ: Mapping[str, str], out: TextIO, measuring=None) -> int:
    from bot.config import ConfigError
    from bot.github.analysis import analyse_pull, chosen_files
    from bot.github.reading import base_path, read_pull
    from bot.github.client import ApiError, Forbidden, GitHubClient, RateLimited
    from bot.github.context import RepoTree
    from bot.github.publish import Existing, Outcome, PlanOptions, execute, our_login, plan, reread_delays_from
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
        step = "finding the merge base"
        merge_base, base_note = _merge_base(client, pull)
        step = "reading the configuration and the Dockerfiles"
        tree = RepoTree(client, pull.head_sha)
        try:
            texts = read_pull(client, pull, chosen_files(files, inputs.paths), config_paths(inputs.config),
                              merge_base, tree)
            settings = effective(config_from(texts.config, texts.config_problems, inputs.config), inputs)
        except ConfigError as exc:
            return _bad_config(exc, pull.base_sha, state, out)
        if texts.fallback:
            say(out, f"{texts.fallback}; read the files through REST")
        state.fail_on = settings.fail_on
        if settings.source:
            say(out, f"configuration: {settings.source} (base branch)")
        step = "analysing the Dockerfiles"
        analysis = analyse_pull(pull, files, inputs.paths, texts, settings.online, settings.options, tree,
                                notes=(base_note,) if base_note else ())
        state.notes = analysis.notes
        existing = Existing()
        if inputs.mode == "review":
            step = "listing earlier comments"
            existing = Existing(tuple(client.review_comments(ref.number)), tuple(client.reviews(ref.number)))
        login = our_login("github_token" if inputs.token.startswith("ghs_") else "", inputs.bot_login,
                          client.login) if inputs.mode == "review" else inputs.bot_login
        options = PlanOptions(pull.head_sha, env.run_nonce, inputs.max_comments, login,
                              analysis.changed_paths, analysis.notes)
        review = plan(analysis.files, existing, options)
        state.rows, state.summary = review.rows, review.summary
        say(out, f"{len(analysis.files)} Dockerfile(s) analysed, {len(review.rows)} finding(s), "
                 f"{len(review.new_findings)} new, {len(review.comments)} inline comment(s) planned")
        if inputs.mode == "review":
            step = "posting the review"
            try:
                outcome = execute(review, client, ref.number, out, minimize=inputs.minimize,
                                  resolve_threads=inputs.resolve_threads,
                                  reread_delays=reread_delays_from(environ))
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
        return _failed(state, out, f"{exc.message}, while {step}")
    except ApiError as exc:
        detail = f" ({'; '.join(exc.errors)})" if exc.errors else ""
        return _failed(state, out, f"GitHub API failed while {step}: {exc.status or 'no response'} "
                                   f"{exc.message}{detail}")
    if measuring is not None and measuring.enabled:  # after the review: it never waits for or depends on builds
        base_texts = {base_path(f): texts.base[f.filename].text for f in files
                      if base_path(f) is not None and f.filename in texts.base}
        _measure(env, measuring, client, pull, files, base_texts, analysis, settings.options, state, out)
    return _exit_code(state.fail_on, state, out)


def _merge_base(client, pull) -> tuple[str, str]:
    """(the PR's merge base, a note when it could not be found and the base tip stands in)."""
    from bot.github.client import ApiError, RateLimited

    try:
        return client.merge_base(pull.base_sha, pull.head_sha), ""
    except RateLimited:
        raise
    except ApiError as exc:
        return pull.base_sha, (f"The merge base could not be read ({exc.status or 'no response'} {exc.message}): "
                               "findings were compared with the base branch's latest commit.")


def _measure(env, measuring, client, pull, files, base_texts, analysis, options, state: RunState,
             out: TextIO) -> None:
    """Measured mode. Whatever happens here, the review stands; the exit code changes only
    through ``fail_on: measured-waste>SIZE``."""
    from bot.github import measured as m
    from bot.report.annotations import escape_data
    from bot.github.client import ApiError

    say(out, "measure input on: building the changed Dockerfiles when allowed (this executes their RUN steps)")
    try:
        result = _measure_builds(env, measuring, pull, files, base_texts, analysis, options, out)
    except Exception as exc:  # noqa: BLE001 - a measuring bug must not cost the review's outputs
        result = m.skipped(f"Measuring failed: {type(exc).__name__}: {exc}")
    for note in result.notes:
        say(out, note)
    if result.notes and not result.files and analysis.files:  # asked to measure, and could not
        print(f"::warning title=dockerdiet measure::{escape_data(result.notes[0])}", file=out)
    state.measured = result
    section = m.markdown(result)
    state.summary = (state.summary + "\n\n" if state.summary else "") + section
    if env.inputs.mode != "review" or state.outcome not in ("posted", "updated", "nothing"):
        return
    try:  # edit the review of this head (PUT, no notification), never post a second one
        target = m.review_to_edit(client.reviews(pull.number), pull.head_sha, env.inputs.bot_login)
        body = None
        if target is not None:
            body = m.with_section(target.body, section) or m.with_section(target.body, m.markdown(result, compact=True))
        if body is not None and body != target.body:
            client.edit_review(pull.number, target.id, body)
            say(out, "measurements added to the review")
    except ApiError as exc:
        say(out, f"could not add the measurements to the review ({exc.status or 'no response'} {exc.message}); "
                 "they are in the job summary")
    except Exception as exc:  # noqa: BLE001 - the review is posted; this edit is extra
        say(out, f"could not add the measurements to the review ({type(exc).__name__}); they are in the job summary")


def _measure_builds(env, measuring, pull, files, base_texts, analysis, options, out: TextIO):
    from bot.github import measured as m
    from bot.measure.budget import TimeBudget
    from bot.measure.engines import MeasureError, make_engine

    refusal = m.fork_refusal(env.event_name, pull)
    if refusal:
        return m.skipped(refusal)
    if not analysis.files:
        return m.skipped("Nothing to measure: no changed Dockerfile was analysed.")
    sha, why = m.workspace_head(env.workspace)
    if not sha:
        return m.skipped(f"Measuring skipped: cannot tell which commit the workspace holds ({why}). "
                         f"To measure, {m.CHECKOUT_HINT}.")
    if sha != pull.head_sha:
        return m.skipped(m.head_mismatch(sha, pull.head_sha))
    budget = TimeBudget(measuring.timeout, hide=m.hidden_from_builds)
    try:
        engine = make_engine(measuring.engine, runner=budget.run, housekeeping=budget.unbounded)
    except MeasureError as exc:
        return m.skipped(f"Measuring skipped: {exc}.")
    if engine.note:
        say(out, engine.note)
    try:
        return _measure_files(env, measuring, pull, files, base_texts, analysis, options, engine, budget, out)
    finally:  # the images and build cache of this run go, whatever happened
        say(out, f"measure cleanup: {engine.cleanup() or 'nothing built'}")


def _measure_files(env, measuring, pull, files, base_texts, analysis, options, engine, budget, out: TextIO):
    from bot.github import measured as m

    old_path = {f.filename: f.previous_filename or f.filename for f in files
                if f.status not in ("added", "copied")}
    measured, notes = [], []
    for file in analysis.files:
        if budget.left() <= 0:
            rest = [f.path for f in analysis.files[len(measured):]]
            notes.append(f"The time budget (measure_timeout, {measuring.timeout:g} s) ran out; not measured: "
                         + ", ".join(rest))
            break
        base = base_texts.get(old_path[file.path]) if file.path in old_path else None
        say(out, f"measuring {file.path}")
        measured.append(_measure_file(file, base, env.workspace, engine, budget, options))
    return m.Measurement(pull.head_sha, engine.name, tuple(measured), tuple(notes), budget.spent())


def _measure_file(file, base_text, workspace: str, engine, budget, options):
    """Head and head-with-safe-fixes through measure_pair, then the base version alone."""
    import tempfile
    import time

    from bot.engine import LazyBuildContext
    from bot.github import measured as m
    from bot.measure.budget import BudgetExceeded
    from bot.measure.engines import MeasureError
    from bot.measure.pair import build_text, measure_pair
    from bot.measure.result import STATUS_AFTER_FAILED, STATUS_BEFORE_FAILED, STATUS_NO_FIXES
    from bot.model.findings import Safety
    from bot.report.markdown import savings_total

    t0 = time.monotonic()
    low, high = savings_total([f for f in file.findings if f.fix is not None and f.fix.safety is Safety.SAFE])
    est = {"estimate_low": low, "estimate_high": high} if high else {}
    ctx, why = m.context_dir(workspace, file.path)
    if not ctx:
        return m.MeasuredFile(file.path, m.SKIPPED, note=why, **est)
    try:
        r = measure_pair(file.text, ctx, engine, path=file.path, options=options,
                         build_context=LazyBuildContext(ctx))
    except (BudgetExceeded, MeasureError) as exc:
        return m.MeasuredFile(file.path, m.SKIPPED, note=str(exc), seconds=round(time.monotonic() - t0, 1), **est)
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not lose the others' numbers
        return m.MeasuredFile(file.path, m.SKIPPED, note=f"{type(exc).__name__}: {exc}", **est)
    fixes = tuple(sorted({f.rule_id for f in r.findings if f.applied}))
    head = r.before.size if r.before else None
    fixed = r.after.size if r.after else head if r.status == STATUS_NO_FIXES else None
    status, note = m.OK, ""
    if r.status == STATUS_BEFORE_FAILED:
        status, note = m.HEAD_FAILED, _failure_text(r.before_failure)
    elif r.status == STATUS_AFTER_FAILED:
        status, note = m.FIXED_FAILED, _failure_text(r.after_failure)
    elif r.status == STATUS_NO_FIXES:
        status = m.NO_FIXES
    waste = _head_waste(engine, r.before.image_id, file, options) if r.before is not None else {}
    if "note" in waste:
        note = "; ".join(x for x in (note, waste.pop("note")) if x)
    base_size = None
    if base_text is not None and head is not None:
        try:
            with tempfile.TemporaryDirectory(prefix="dockerdiet-base-") as tmp:
                b = build_text(engine, base_text, ctx, tmp, "Dockerfile.base", None, (), None, ())
                if b.ok:
                    base_size = engine.layers(b.image_id).size
                else:
                    note = "; ".join(x for x in (note, "the base branch's version does not build with the "
                                                         "head's build context") if x)
        except (BudgetExceeded, MeasureError) as exc:
            note = "; ".join(x for x in (note, f"base branch version not measured: {exc}") if x)
    return m.MeasuredFile(file.path, status, head, fixed, base_size, fixes=fixes, note=note,
                          seconds=round(time.monotonic() - t0, 1), **est, **waste)


def _head_waste(engine, image_id: str, file, options) -> dict:
    """The head image's measured waste as MeasuredFile fields (waste_bytes, waste, lines),
    or {"note": why} when its layers could not be read."""
    from bot.github import measured as m
    from bot.measure.budget import BudgetExceeded
    from bot.measure.engines import MeasureError
    from bot.measure.images import ImageFormatError
    from bot.measure.layers.inspection import inspect_built, line_table
    from bot.measure.layers.tarscan import LayerFormatError

    try:
        insp = inspect_built(engine, image_id, file.text, file.path, None, options)
    except (BudgetExceeded, MeasureError, ImageFormatError, LayerFormatError) as exc:
        return {"note": f"the head image's layers were not read: {exc}"}
    found = tuple(m.WasteFinding(x.finding.rule_id, x.finding.span.start.line, x.finding.span.end.line,
                                 x.finding.message, x.bytes, x.kind, x.merged, x.removed_by)
                  for x in insp.measured)
    lines = tuple(m.LineWaste(r.line, r.end_line, r.text, r.added, r.waste) for r in line_table(insp))
    return {"waste_bytes": insp.waste_bytes, "waste": found, "lines": lines}


def _failure_text(failure) -> str:
    if failure is None:
        return ""
    where = f"line {failure.line}: " if failure.line else ""
    what = failure.instruction or (failure.log_tail[-1] if failure.log_tail else "")
    return f"{where}{what}"[:200]


def _failed(state: RunState, out: TextIO, reason: str) -> int:
    """A GitHub failure: exit 2, the reason in the log and at the top of the job summary,
    with whatever report the run had already built below it."""
    say(out, f"error: {reason}")
    state.outcome = "failed"
    state.summary = stopped("Stopped", reason) + (f"\n\n{state.summary}" if state.summary else "")
    return EXIT_ERROR


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
    from bot.report.annotations import escape_data
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
    if fail_on.measured is not None:
        waste = getattr(state.measured, "waste_bytes", None)
        if waste is None:
            print("::warning title=dockerdiet fail_on::" + escape_data(
                f"fail_on measured-waste>{format_bytes(fail_on.measured)}: no head image's layers were read "
                "(the measure input is off, or measuring was skipped), so it cannot decide this run"), file=out)
        elif waste >= fail_on.measured:
            say(out, f"failing: {format_bytes(waste)} of measured waste in the head images "
                     f"(threshold {format_bytes(fail_on.measured)})")
            return EXIT_FAIL_ON
    return EXIT_OK


def _leave_behind(env: Destination, state: RunState, out: TextIO) -> bool:
    """Outputs, job summary, JSON report: written on every path, errors included. False when
    a runner file command could not be written (a ``::warning`` says which)."""
    from bot.github.annotations import append_file, output_lines
    from bot.report.annotations import escape_data
    from bot.github.summary import dump, job_summary, json_report
    from bot.report.markdown import savings_total

    measured = state.measured
    report = json_report(state.rows, repo=env.repo, number=state.number, head_sha=state.head_sha,
                         base_sha=state.base_sha, outcome=state.outcome, notes=state.notes,
                         measured=measured.to_json() if measured is not None else None)
    report_path = ""
    try:
        base = Path(env.workspace) if env.workspace else Path.cwd()
        _write_as_owner(base / REPORT_NAME, dump(report), base)
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
    if measured is not None and measured.measured:
        outputs["measured_savings_bytes"] = str(measured.savings)
    summary = state.summary or "### dockerdiet\n\nNo report: the run stopped early."
    written = True
    for what, name, path, text in (
        ("the step outputs", "GITHUB_OUTPUT", env.output_path, output_lines(outputs)),
        ("the job summary", "GITHUB_STEP_SUMMARY", env.summary_path,
         job_summary(summary, status=f"dockerdiet outcome: {state.outcome}")),
    ):
        try:
            append_file(path, text)
        except OSError as exc:  # e.g. a container user that may not write the runner's files
            written = False
            print(f"::warning title=dockerdiet::{escape_data(f'could not write {what} ({name}={path}): {exc.strerror}')}",
                  file=out, flush=True)
    return written


def _write_as_owner(path: Path, text: str, workspace: Path) -> None:
    """Write a file in the workspace that the runner's user can read and remove: a container
    action runs as root, the workspace belongs to the runner's user (uid 1001 on GitHub)."""
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o644)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        owner = workspace.stat()
        if (owner.st_uid, owner.st_gid) != (0, 0):
            os.chown(path, owner.st_uid, owner.st_gid)


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
