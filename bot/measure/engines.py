"""Drive a container engine's CLI: build with one layer per instruction, export, read sizes.

Supported: ``docker``, ``podman`` and ``buildah``. All are driven through their command
lines only, so no engine library is imported. Builds use the layer cache (a second build
of an unchanged prefix is fast) and produce one layer per instruction, as ``docker build``
does (buildah needs ``--layers`` for that). What one run built (images, docker's BuildKit
cache records) is removed by :meth:`Engine.cleanup`.

docker: BuildKit when the CLI can use it (its buildx plugin; CLIs before 23.0 have it built
in), else the legacy builder with the flags it accepts. A CLI or engine that cannot build
at all is a :class:`MeasureError` (exit 2, with the fix), never "this Dockerfile does not
build". Uncompressed layer sizes are docker's own (file bytes, as ``docker images`` and
``docker image inspect`` count them); podman and buildah report tar bytes (3-4% more).

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
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from bot.measure import ENGINES
from bot.measure.buildlog import FailurePoint, failure_point
from bot.measure.export import SizeCache, read_docker_save, read_oci_layout
from bot.measure.images import ImageFormatError, ImageLayers, with_engine_sizes

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class MeasureError(Exception):
    """A problem the user must fix (engine missing, bad arguments): exit code 2."""


BUILDKIT, LEGACY = "buildkit", "legacy"  # docker's builders
_LEGACY_LAYER = re.compile(r"^ ---> ([0-9a-f]{12,64})\s*$", re.M)  # the legacy builder's result of a step
_BUILDX_FIX = ("install the buildx plugin (Debian/Ubuntu: docker-buildx or docker-buildx-plugin; "
               "the official CLI image: /usr/local/libexec/docker/cli-plugins/docker-buildx)")
_SOCKET_FIX = ("start the engine, or give this process its socket (a container: "
               "-v /var/run/docker.sock:/var/run/docker.sock; elsewhere: DOCKER_HOST)")
# Lines of a failed docker build that blame the CLI or the engine, not the Dockerfile.
_DOCKER_SETUP = (
    ("buildx component is missing", f"docker: the CLI cannot build with BuildKit without its buildx plugin: "
                                    f"{_BUILDX_FIX}"),
    ("cannot connect to the docker daemon", f"docker: the engine is not reachable: {_SOCKET_FIX}"),
    ("error during connect", f"docker: the engine is not reachable: {_SOCKET_FIX}"),
    ("permission denied while trying to connect", "docker: no permission to use the engine's socket: run as "
                                                  "root or as a member of the socket's group"),
    ("unknown flag: --progress", "docker: this CLI builds with the legacy builder only (no --progress): "
                                 f"{_BUILDX_FIX}"),
    ("requires buildkit", f"docker: this Dockerfile needs BuildKit, and the docker CLI here has only the "
                          f"legacy builder: {_BUILDX_FIX}"),
    ("is not a docker command", f"docker: a CLI command is missing: {_BUILDX_FIX}"),
)


def setup_problem(engine: str, log: str) -> str:
    """Why a failed build says nothing about the Dockerfile ("" when it does)."""
    if engine != "docker":
        return ""
    low = log.lower()
    for needle, why in _DOCKER_SETUP:
        if needle in low:
            last = next((ln.strip() for ln in reversed(log.splitlines()) if needle in ln.lower()), "")
            return f"{why} (docker said: {last[:200]})"
    return ""


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
    builder: str = BUILDKIT  # docker only
    note: str = ""  # said once before measuring (e.g. the legacy builder is used, and why)
    built: list[str] = field(default_factory=list)  # image ids this engine built
    housekeeping: Runner = _run  # listing and cleanup: outside any time budget of the builds
    started: float | None = None  # wall clock of the first build (build-cache records after it are ours)

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
            if self.builder == BUILDKIT:
                cmd += ["--progress=plain"]
            else:  # the legacy builder: no --progress; remove intermediate containers even on failure
                cmd += ["--force-rm"]
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
            env["DOCKER_BUILDKIT"] = "1" if self.builder == BUILDKIT else "0"
        elif self.isolation:
            env["BUILDAH_ISOLATION"] = self.isolation
        return env

    def build(self, req: BuildRequest) -> BuildOutcome:
        """The built image, or the failure of the Dockerfile; a :class:`MeasureError` when the
        engine or its CLI could not build anything."""
        if self.started is None:
            self.started = time.time()
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
            if self.name == "docker" and self.builder == LEGACY:  # its layer cache: intermediate images
                self.built += _LEGACY_LAYER.findall(log)
            if proc.returncode != 0 or not image_id:
                why = setup_problem(self.name, log)
                if why:
                    raise MeasureError(why)
                return BuildOutcome(False, "", seconds, log, failure_point(log))
            self.built.append(image_id)
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
                    image = read_docker_save(dest, self.cache)
                else:
                    return read_oci_layout(dest, self.cache)
            except ImageFormatError as e:
                raise MeasureError(f"{self.name}: cannot read exported image: {e}") from e
        # docker's own layer sizes, so the figures are the ones `docker images` shows
        proc = self.runner(self._base() + ["history", "--no-trunc", "--human=false", "--format", "{{.Size}}",
                                           image_id], env=self._env(), stdin=subprocess.DEVNULL)
        sizes = [int(x) for x in (proc.stdout or "").split() if x.isdigit()]
        return with_engine_sizes(image, sizes) if proc.returncode == 0 else image

    # ------------------------------------------------------------------ cleanup
    def _lines(self, args: Sequence[str]) -> list[str]:
        try:
            proc = self.housekeeping(self._base() + list(args), env=self._env(), stdin=subprocess.DEVNULL,
                                     timeout=60)
        except (OSError, subprocess.SubprocessError):
            return []
        return (proc.stdout or "").splitlines() if proc.returncode == 0 else []

    def _cache_records_since(self, since: float) -> list[str]:
        """BuildKit's cache records created after ``since`` (docker only: podman and buildah
        keep their layer cache as images in the store)."""
        if self.name != "docker" or self.builder != BUILDKIT:
            return []
        out = []
        fmt = "{{range .BuildCache}}{{.ID}}|{{.CreatedAt}}{{println}}{{end}}"
        for line in self._lines(["system", "df", "-v", "--format", fmt]):
            rec, _, created = line.partition("|")
            rec = rec.rstrip("*")  # the CLI marks shared records with a star
            when = _go_time(created)
            if rec and when is not None and when >= since:
                out.append(rec)
        return out

    def _untagged(self, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` (full or short) that name an image without a tag; an image that
        also carries a tag (a Dockerfile that is just a FROM builds its base) is not ours."""
        name = "{{.Name}}" if self.name == "buildah" else "{{.Repository}}"
        rows = [ln.split() for ln in self._lines(["images", "-a", "--no-trunc", "--format",
                                                  "{{.ID}} " + name + ":{{.Tag}}"])]
        tagged = {r[0].removeprefix("sha256:") for r in rows if len(r) == 2 and not r[1].startswith("<none>")}
        present = {r[0].removeprefix("sha256:") for r in rows if r}
        out = []
        for i in ids:
            short = i.removeprefix("sha256:")
            full = [p for p in present if p.startswith(short)]
            if len(full) == 1 and full[0] not in tagged:
                out.append(i)
        return out

    def cleanup(self) -> str:
        """Remove what this engine's builds left: the untagged images it built (with the legacy
        builder's intermediate images) and docker's build-cache records created since the first
        build. Returns a one-line account ("" when nothing was built)."""
        if self.started is None:
            return ""
        since, self.started = self.started - 2, None  # 2 s: the engine's clock may lag a little
        built, self.built = list(dict.fromkeys(self.built)), []
        with self._locked():
            mine = self._untagged(built) if built else []
            if mine:  # newest first: removing an image also removes its untagged parents
                self._lines(["rmi", *reversed(mine)])
            records = self._cache_records_since(since)
            for rec in records:  # one id per call: docker's prune takes one value per filter key
                self._lines(["builder", "prune", "--force", "--all", "--filter", f"id={rec}"])
        what = f"removed {len(mine)} image(s)"
        if self.name == "docker" and self.builder == BUILDKIT:
            what += f" and {len(records)} build-cache record(s) of this run"
        return what


def _go_time(text: str) -> float | None:
    """Seconds since the epoch of Go's time.String() ("2026-12-02 04:01:37.238697961 +0000 UTC")."""
    import datetime

    parts = text.split()
    if len(parts) < 3:
        return None
    day, clock, zone = parts[0], parts[1], parts[2]
    whole, _, frac = clock.partition(".")
    try:
        stamp = datetime.datetime.strptime(f"{day} {whole}.{(frac + '000000')[:6]} {zone}", "%Y-%m-%d %H:%M:%S.%f %z")
    except ValueError:
        return None
    return stamp.timestamp()


def _docker_builder(executable: str, runner: Runner) -> tuple[str, str]:
    """(builder, note) for a docker CLI whose engine answers; MeasureError when it does not.

    BuildKit when the CLI has its buildx plugin, or is older than 23.0 (BuildKit built in);
    otherwise the legacy builder, said in the note. DOCKER_BUILDKIT=0 forces the legacy one.
    """
    try:
        proc = runner([executable, "version", "--format", "{{.Client.Version}} {{.Server.Version}}"], timeout=15)
    except (OSError, subprocess.SubprocessError) as e:
        raise MeasureError(f"docker: `docker version` could not run ({type(e).__name__}): {_SOCKET_FIX}") from e
    if proc.returncode != 0:
        said = ((proc.stderr or "").strip().splitlines() or ["no output"])[-1][:200]
        raise MeasureError(f"docker: the engine is not reachable (docker version: {said}): {_SOCKET_FIX}")
    client = (proc.stdout or "").split()[:1]
    major = int(client[0].split(".")[0]) if client and client[0].split(".")[0].isdigit() else 0
    if os.environ.get("DOCKER_BUILDKIT") == "0":
        return LEGACY, "docker: legacy builder (DOCKER_BUILDKIT=0)"
    try:
        buildx = runner([executable, "buildx", "version"], timeout=15).returncode == 0
    except (OSError, subprocess.SubprocessError):
        buildx = False
    if buildx or 0 < major < 23:
        return BUILDKIT, ""
    return LEGACY, (f"docker: CLI {client[0] if client else '?'} has no buildx plugin, so measuring uses the "
                    f"legacy builder (a Dockerfile that needs BuildKit will be named as such); for BuildKit, "
                    f"{_BUILDX_FIX}")


def make_engine(name: str | None = None, runner: Runner = _run,
                which: Callable[[str], str | None] = shutil.which, housekeeping: Runner = _run) -> Engine:
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
        if cand == "docker":
            try:
                builder, note = _docker_builder(exe, runner)
            except MeasureError:
                if name:
                    raise
                continue
            return Engine(cand, exe, runner, builder=builder, note=note, housekeeping=housekeeping)
        return Engine(cand, exe, runner, root, driver, isolation, housekeeping=housekeeping)
    if name:
        raise MeasureError(f"engine {name!r} not found on PATH: install it or pick another with --engine")
    raise MeasureError("no container engine found: install docker, podman or buildah (measuring builds images)")
