"""Drive a container engine's CLI: build with one layer per instruction, export, read sizes.

Supported: ``docker`` (BuildKit), ``podman`` and ``buildah``. All are driven through
their command lines only, so no engine library is imported. Builds use the layer
cache (a second build of an unchanged prefix is fast) and produce one layer per
instruction, as ``docker build`` does (buildah needs ``--layers`` for that).

Environment (podman/buildah):
  DOCKERDIET_MEASURE_ROOT       private store: ROOT/storage, ROOT/run, lock file ROOT/lock
                                (the layout of tools/measure_image.sh, so both share bases
                                and cache; unset: the engine's default store, no lock)
  DOCKERDIET_MEASURE_DRIVER     storage driver with a private root (default overlay)
  DOCKERDIET_MEASURE_ISOLATION  RUN isolation (default chroot: works without cgroup
                                setup and in nested containers; RUN steps share the host
                                network namespace)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from bot.measure import ENGINES
from bot.measure.buildlog import FailurePoint, failure_point
from bot.measure.export import SizeCache, read_docker_save, read_oci_layout
from bot.measure.images import ImageFormatError, ImageLayers

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class MeasureError(Exception):
    """A problem the user must fix (engine missing, bad arguments): exit code 2."""


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    ok: bool
    image_id: str
    seconds: float
    log: str
    failure: FailurePoint | None = None


@dataclass(frozen=True, slots=True)
class BuildRequest:
    dockerfile: str  # path of the Dockerfile to build
    context: str  # build context directory
    target: str | None = None
    build_args: tuple[tuple[str, str], ...] = ()
    pull: str | None = None  # always | missing | never; None: the engine's default
    extra_args: tuple[str, ...] = ()  # passed to the build command verbatim


def _run(cmd: Sequence[str], **kw: object) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(list(cmd), text=True, capture_output=True, **kw)  # type: ignore[call-overload]


@dataclass
class Engine:
    name: str
    executable: str
    runner: Runner = _run
    root: str | None = None  # private store (podman/buildah only)
    driver: str = "overlay"
    isolation: str | None = None
    cache: SizeCache = field(default_factory=SizeCache)

    # ------------------------------------------------------------------ commands
    def _base(self) -> list[str]:
        cmd = [self.executable]
        if self.root and self.name != "docker":
            cmd += ["--root", os.path.join(self.root, "storage"),
                    "--runroot", os.path.join(self.root, "run"), "--storage-driver", self.driver]
        return cmd

    def build_command(self, req: BuildRequest, iidfile: str) -> list[str]:
        cmd = self._base()
        if self.name == "buildah":
            cmd += ["bud", "--layers"]
        else:
            cmd += ["build"]
        if self.name == "docker":
            cmd += ["--progress=plain"]
            if req.pull == "always":
                cmd += ["--pull"]
        else:
            cmd += ["--layers"] if self.name == "podman" else []
            if req.pull:
                cmd += [f"--pull={req.pull}"]
            if self.isolation:
                cmd += ["--isolation", self.isolation]
            cmd += ["--force-rm"]
        cmd += ["-f", req.dockerfile, "--iidfile", iidfile]
        if req.target:
            cmd += ["--target", req.target]
        for k, v in req.build_args:
            cmd += ["--build-arg", f"{k}={v}"]
        cmd += list(req.extra_args)
        cmd += [req.context]
        return cmd

    def export_command(self, image_id: str, dest: str) -> list[str]:
        if self.name == "docker":
            return self._base() + ["save", "-o", dest, image_id]
        # The engine compresses exactly as its push to a registry would.
        return self._base() + ["push", "--compression-format", "gzip", image_id, f"oci:{dest}:image"]

    # ------------------------------------------------------------------ actions
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One user of a private store at a time (measure_image.sh takes the same lock)."""
        if not self.root or self.name == "docker":
            yield
            return
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, "lock"), "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.name == "docker":
            env["DOCKER_BUILDKIT"] = "1"
        elif self.isolation:
            env["BUILDAH_ISOLATION"] = self.isolation
        return env

    def build(self, req: BuildRequest) -> BuildOutcome:
        with tempfile.TemporaryDirectory(prefix="dockerdiet-measure-") as tmp:
            iidfile = os.path.join(tmp, "iid")
            cmd = self.build_command(req, iidfile)
            with self._locked():  # waiting for the lock is not build time
                t0 = time.monotonic()
                proc = self.runner(cmd, env=self._env(), stdin=subprocess.DEVNULL)
                seconds = round(time.monotonic() - t0, 2)
            log = (proc.stdout or "") + (proc.stderr or "")
            image_id = ""
            if proc.returncode == 0 and os.path.exists(iidfile):
                with open(iidfile, encoding="utf-8") as f:
                    image_id = f.read().strip()
            if proc.returncode != 0 or not image_id:
                return BuildOutcome(False, "", seconds, log, failure_point(log))
            return BuildOutcome(True, image_id, seconds, log)

    def layers(self, image_id: str) -> ImageLayers:
        with tempfile.TemporaryDirectory(prefix="dockerdiet-export-") as tmp:
            dest = os.path.join(tmp, "image.tar" if self.name == "docker" else "oci")
            with self._locked():
                proc = self.runner(self.export_command(image_id, dest), env=self._env(),
                                   stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise MeasureError(
                    f"{self.name}: exporting image {image_id} failed: {(proc.stderr or '').strip()[-500:]}"
                )
            try:
                if self.name == "docker":
                    return read_docker_save(dest)
                return read_oci_layout(dest, self.cache)
            except ImageFormatError as e:
                raise MeasureError(f"{self.name}: cannot read exported image: {e}") from e


def _docker_usable(executable: str, runner: Runner) -> bool:
    try:
        proc = runner([executable, "version", "--format", "{{.Server.Version}}"], timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def make_engine(name: str | None = None, runner: Runner = _run,
                which: Callable[[str], str | None] = shutil.which) -> Engine:
    """The named engine, or the first usable of docker, podman, buildah.

    Raises :class:`MeasureError` (never a traceback) when none is installed.
    """
    if name is not None and name not in ENGINES:
        raise MeasureError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
    root = os.environ.get("DOCKERDIET_MEASURE_ROOT") or None
    driver = os.environ.get("DOCKERDIET_MEASURE_DRIVER", "overlay")
    isolation = os.environ.get("DOCKERDIET_MEASURE_ISOLATION", "chroot") or None
    candidates = [name] if name else list(ENGINES)
    for cand in candidates:
        exe = which(cand)
        if not exe:
            continue
        if cand == "docker" and not _docker_usable(exe, runner):
            if name:
                raise MeasureError("docker is installed but its daemon is not reachable (docker version failed)")
            continue
        return Engine(cand, exe, runner, root if cand != "docker" else None, driver,
                      isolation if cand != "docker" else None)
    if name:
        raise MeasureError(f"engine {name!r} not found on PATH: install it or pick another with --engine")
    raise MeasureError("no container engine found: install docker, podman or buildah (measuring builds images)")
