"""A time budget for a series of builds: a subprocess runner for :class:`Engine` that
stops the engine, and every RUN step it started, when the budget is spent.

The engines' commands have no timeout of their own; a CI job measuring several
Dockerfiles needs a bound that covers them all (the action's ``measure_timeout``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Callable, Sequence


class BudgetExceeded(Exception):
    """The time budget ran out; the command that was running has been killed."""


class TimeBudget:
    """``hide``: environment variables the engine must not see (the CI job's tokens: a
    build executes the Dockerfile, so its engine gets nothing it does not need)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic,
                 hide: Callable[[str], bool] | None = None) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds
        self._hide = hide

    def left(self) -> float:
        return max(0.0, self._end - self._clock())

    def spent(self) -> float:
        return round(self.seconds - self.left(), 1)

    def _hidden(self, kw: dict) -> None:
        if self._hide is not None:
            env = kw.get("env")
            kw["env"] = {k: v for k, v in (os.environ if env is None else env).items()  # type: ignore[union-attr]
                         if not self._hide(k)}

    def unbounded(self, cmd: Sequence[str], **kw: object) -> "subprocess.CompletedProcess[str]":
        """For listing and cleaning up: the same hidden environment, no budget (cleanup
        must run after the budget is spent); only the caller's ``timeout``."""
        self._hidden(kw)
        return subprocess.run(list(cmd), text=True, capture_output=True, **kw)  # type: ignore[call-overload]

    def run(self, cmd: Sequence[str], **kw: object) -> "subprocess.CompletedProcess[str]":
        """``subprocess.run(cmd, text=True, capture_output=True)`` bounded by the budget
        (and by a ``timeout`` the caller passes, whichever is shorter)."""
        left = self.left()
        if left <= 0:
            raise BudgetExceeded(f"no time left to run {cmd[0]}")
        asked = kw.pop("timeout", None)
        timeout = min(left, float(asked)) if asked is not None else left  # type: ignore[arg-type]
        self._hidden(kw)
        # A session of its own, so a timeout kills the RUN steps too, not just the engine.
        proc = subprocess.Popen(list(cmd), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, **kw)  # type: ignore[call-overload]
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            if asked is not None and float(asked) < left:  # the caller's own timeout, not ours
                raise
            raise BudgetExceeded(f"{os.path.basename(cmd[0])} was stopped after the time budget of "
                                 f"{self.seconds:g} s ran out") from None
        return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)


def _kill_group(proc: "subprocess.Popen[str]") -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # a grandchild in another session still holds the pipes
        pass
