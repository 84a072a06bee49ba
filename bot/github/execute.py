"""Carry out a review plan: the only part of review publishing that calls GitHub.

Order: re-read the head, post the new review FIRST, then the cosmetic edits (earlier
comments updated or marked resolved, minimised, threads resolved, the summary edited).
A failure of a cosmetic edit is a warning, never the end of the run: a human deleting
our comment (404) or two 502s must not cost the new findings. The review POST is never
blindly repeated: after an ambiguous failure (5xx, timeout) it re-reads the reviews a
few times, looking for this run's marker, before one retry.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import Callable, Mapping, Sequence, TextIO

from bot.github.markers import parse_marker
from bot.github.plan import ReviewPlan

REREAD_DELAYS = (0.0, 1.0, 2.0, 3.0)  # seconds before each re-read: about 6 s in all


class Outcome(str, Enum):
    POSTED = "posted"  # a new review
    UPDATED = "updated"  # only edits (resolved comments, summary)
    NOTHING = "nothing"  # nothing new to say
    HEAD_MOVED = "head-moved"  # a newer push: the newer run reviews it


def reread_delays_from(env: Mapping[str, str]) -> tuple[float, ...]:
    """``DOCKERDIET_REREAD_DELAYS=0,0.1``: tests shorten the waits; production keeps the default."""
    raw = env.get("DOCKERDIET_REREAD_DELAYS", "")
    try:
        delays = tuple(float(x) for x in raw.split(",") if x.strip())
    except ValueError:
        return REREAD_DELAYS
    return delays or REREAD_DELAYS


def execute(plan: ReviewPlan, client, number: int, out: TextIO, *, minimize: bool = True,
            resolve_threads: bool = False, reread_delays: Sequence[float] = REREAD_DELAYS,
            sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Carry out the plan. Raises client errors of the review POST (Forbidden, ApiError)."""
    from bot.github.client import Unprocessable

    if not (plan.post_review or plan.resolved or plan.updated or plan.summary_update):
        return Outcome.NOTHING
    if client.pull(number).head_sha != plan.head_sha:
        print("dockerdiet: the pull request moved to a newer commit; not posting (the newer run will)", file=out)
        return Outcome.HEAD_MOVED
    outcome = Outcome.UPDATED
    if plan.post_review:
        comments = [c.api() for c in plan.comments]
        try:
            _post_once(plan, client, number, plan.body, comments, out, reread_delays, sleep)
        except Unprocessable as exc:
            print(f"dockerdiet: GitHub rejected the review (422): {'; '.join(exc.errors) or exc.message}", file=out)
            if client.pull(number).head_sha != plan.head_sha:
                print("dockerdiet: the pull request moved meanwhile; not retrying", file=out)
                return Outcome.HEAD_MOVED
            print("dockerdiet: retrying once with every finding in the review body", file=out)
            _post_once(plan, client, number, plan.fallback_body, [], out, reread_delays, sleep)
        outcome = Outcome.POSTED
    _housekeeping(plan, client, number, out, minimize, resolve_threads)
    return outcome


def _warn(out: TextIO, what: str, exc: Exception) -> None:
    status = getattr(exc, "status", None)
    message = getattr(exc, "message", "") or type(exc).__name__
    if status == 404:
        message = "it was deleted"
    print(f"dockerdiet: warning: could not {what} ({status or 'no response'}: {message})", file=out)


def _housekeeping(plan: ReviewPlan, client, number: int, out: TextIO, minimize: bool, resolve_threads: bool) -> None:
    """Edits after the review: each failure is a warning and the others still run."""
    from bot.github.client import ApiError

    for update in plan.updated:
        try:
            client.edit_comment(update.comment_id, update.body)
        except ApiError as exc:
            _warn(out, f"update comment {update.comment_id}", exc)
    resolved = []
    for update in plan.resolved:
        try:
            client.edit_comment(update.comment_id, update.body)
        except ApiError as exc:
            _warn(out, f"mark comment {update.comment_id} resolved", exc)
            continue
        resolved.append(update)
        if minimize and update.node_id:
            try:
                client.minimize(update.node_id)
            except ApiError as exc:  # minimising is a nicety; permissions vary
                _warn(out, "minimise a resolved comment", exc)
    if resolve_threads and resolved:
        _resolve_threads(resolved, client, number, out)
    if plan.summary_update:
        try:
            client.edit_review(number, plan.summary_update[0], plan.summary_update[1])
        except ApiError as exc:
            _warn(out, "update the earlier review summary", exc)


RESOLVE_HINT = ("dockerdiet: cannot resolve review threads with this token (Resource not accessible by "
                "integration): give the job `permissions: contents: write`, or set resolve_threads: false")


def _resolve_threads(resolved, client, number: int, out: TextIO) -> None:
    """Resolve the threads of our fixed comments (opt-in: needs contents: write)."""
    from bot.github.client import ApiError

    try:
        threads = client.review_threads(number)
        for update in resolved:
            thread = threads.get(update.comment_id)
            if thread is not None and not thread[1]:
                client.resolve_thread(thread[0])
    except ApiError as exc:
        if exc.status == 403 or any("not accessible" in e.lower() for e in (exc.message, *exc.errors)):
            print(RESOLVE_HINT, file=out)
        else:
            print(f"dockerdiet: could not resolve review threads ({exc.status or 'no response'} {exc.message})",
                  file=out)


def _post_once(plan: ReviewPlan, client, number: int, body: str, comments: list[dict], out: TextIO,
               reread_delays: Sequence[float], sleep: Callable[[float], None]) -> None:
    """POST the review; after an ambiguous failure, re-POST only if it did not land."""
    from bot.github.client import Ambiguous, ApiError

    for attempt in (1, 2):
        try:
            client.create_review(number, plan.head_sha, body, comments)
            return
        except Ambiguous as exc:
            print(f"dockerdiet: posting the review failed ambiguously ({exc}); checking whether it landed",
                  file=out)
            for delay in reread_delays:
                if delay:
                    sleep(delay)
                try:
                    if _landed(plan, client, number):
                        print("dockerdiet: the review was created despite the error; not posting again", file=out)
                        return
                except ApiError as read_exc:
                    _warn(out, "list the reviews", read_exc)
            if attempt == 2:
                raise


def _landed(plan: ReviewPlan, client, number: int) -> bool:
    for review in client.reviews(number):
        m = parse_marker(review.body) or {}
        if "summary" in m and m.get("run") == plan.run_nonce and m.get("head") == plan.head_sha:
            return True
    return False
