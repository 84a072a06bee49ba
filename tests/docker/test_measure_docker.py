"""`dockerdiet measure --engine docker` on a real engine, checked against docker itself.

The Dockerfiles build offline (no RUN reaches the network) and their savings are known from
what they do: a chown -R layer duplicates its files (words.txt, 462 594 bytes), debian:bookworm
minus debian:bookworm-slim is the difference of the two base images, and Debian 12's useradd
writes no lastlog, so `useradd -l` saves nothing. Sizes reported for docker are docker's own
layer sizes (file bytes, as `docker images` / `docker image inspect` show them), not tar bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.measure.engines import LEGACY, make_engine
from bot.measure.pair import measure_pair
from bot.measure.result import STATUS_OK
from tests.docker.conftest import ROOT, docker
from tests.measure.helpers import case

pytestmark = pytest.mark.docker


def inspect_size(image: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", image).stdout)


def history_sizes(image: str) -> list[int]:
    """Layer sizes of the image's history entries, oldest first, empty entries left out."""
    out = docker("history", "--no-trunc", "--human=false", "--format", "{{.Size}}", image).stdout.split()
    return [int(x) for x in reversed(out) if int(x) > 0]


def within_1pct(ours: int, theirs: int) -> bool:
    return abs(ours - theirs) <= 0.01 * max(abs(theirs), 1)


def check_against_docker(result) -> None:
    for img in (result.before, result.after):
        assert within_1pct(img.size, inspect_size(img.image_id)), (img.size, inspect_size(img.image_id))
        ours = [layer.size for layer in img.layers if layer.size]
        assert ours == history_sizes(img.image_id)[-len(ours):] if ours else True
    saved = inspect_size(result.before.image_id) - inspect_size(result.after.image_id)
    assert within_1pct(result.saved, saved) or abs(result.saved - saved) < 10_000


@pytest.fixture
def engine(docker_ready, monkeypatch):
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    eng = make_engine("docker")
    yield eng
    eng.cleanup()


def test_chown_layer_saving_is_the_duplicated_files(engine):
    text, ctx = case("chown-layer")
    r = measure_pair(text, ctx, engine, unsafe=True)
    assert r.status == STATUS_OK, r.note
    check_against_docker(r)
    words = os.path.getsize(os.path.join(ctx, "data", "words.txt"))
    assert within_1pct(r.saved, words), (r.saved, words)
    assert r.before.size_basis == "engine"


def test_slim_base_saving_is_the_difference_of_the_bases(engine):
    text, ctx = case("slim-base")
    r = measure_pair(text, ctx, engine, unsafe=True)
    assert r.status == STATUS_OK, r.note
    check_against_docker(r)
    expected = inspect_size("debian:bookworm") - inspect_size("debian:bookworm-slim")
    assert expected > 20_000_000 and within_1pct(r.saved, expected), (r.saved, expected)


def test_useradd_l_saves_nothing_on_debian_12(engine):
    text, ctx = case("useradd-high-uid")
    r = measure_pair(text, ctx, engine)
    assert r.status == STATUS_OK, r.note
    check_against_docker(r)
    assert abs(r.saved) < 100_000


def test_run_leaves_no_images_and_no_build_cache(docker_ready, monkeypatch):
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    text, ctx = case("chown-layer")
    eng = make_engine("docker")
    r = measure_pair(text.replace("/srv/data", "/srv/cleanup-check"), ctx, eng, unsafe=True)
    assert r.status == STATUS_OK
    def records_of_this_run() -> list[str]:  # the engine is shared: pick ours by their unique path
        fmt = "{{range .BuildCache}}{{.ID}} {{.Description}}{{println}}{{end}}"
        return [ln for ln in docker("system", "df", "-v", "--format", fmt).stdout.splitlines()
                if "/srv/cleanup-check" in ln]

    assert records_of_this_run()
    assert eng.cleanup().startswith("removed 2 image(s)")
    for image_id in (r.before.image_id, r.after.image_id):
        assert docker("image", "inspect", image_id, check=False).returncode != 0
    assert records_of_this_run() == []


def test_legacy_builder_measures_the_same(docker_ready, monkeypatch):
    """A CLI without BuildKit (DOCKER_BUILDKIT=0 here) builds with the legacy builder, without
    --progress, and measures the same saving."""
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    text, ctx = case("chown-layer")
    eng = make_engine("docker")
    assert eng.builder == LEGACY and "legacy builder" in eng.note
    try:
        r = measure_pair(text.replace("/srv/data", "/srv/legacy"), ctx, eng, unsafe=True)
        assert r.status == STATUS_OK, r.note
        check_against_docker(r)
        assert within_1pct(r.saved, os.path.getsize(os.path.join(ctx, "data", "words.txt")))
    finally:
        eng.cleanup()
    left = docker("images", "-aq", "--filter", "dangling=true", "--no-trunc").stdout.split()
    assert r.before.image_id not in left


def _cli(args, env_extra, tmp_path):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "bot", "measure", "--engine", "docker", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_engine_not_reachable_is_exit_2_with_the_fix(docker_ready, tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\nRUN true\n")
    proc = _cli([str(df)], {"DOCKER_HOST": f"unix://{tmp_path}/no.sock"}, tmp_path)
    assert proc.returncode == 2
    assert "engine is not reachable" in proc.stderr and "/var/run/docker.sock" in proc.stderr
    assert "does not build" not in proc.stdout + proc.stderr


def test_buildkit_dockerfile_on_the_legacy_builder_is_a_setup_error(docker_ready, tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\nRUN --mount=type=tmpfs,target=/t true\n")
    proc = _cli([str(df), "--format", "json"], {"DOCKER_BUILDKIT": "0"}, tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "needs BuildKit" in proc.stderr and "buildx" in proc.stderr
    assert "does not build" not in proc.stdout
    good = _cli([str(df), "--format", "json"], {}, tmp_path)  # the same file with BuildKit: it builds
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["status"] in ("ok", "no-fixes")


PLANTED_REMOVED = """FROM debian:bookworm-slim
RUN dd if=/dev/urandom of=/big.bin bs=1K count=2048 status=none
RUN rm /big.bin
CMD ["sleep", "1"]
"""


def test_action_measures_waste_per_line_with_docker_and_fails_on_it(docker_ready, tmp_path):
    """The action (python -m bot.action, fake GitHub) builds with the engine and reads the head
    image's layers through `docker save`: the planted 2,097,152 bytes on line 2, removed by line 3."""
    from tests.fakes.github_server import FakeGitHub
    from tests.integration.github.conftest import run_action
    from tests.integration.github.test_measure_input import BASE, git_workspace, report_of

    ws = tmp_path / "ws"
    sha = git_workspace(ws, {"Dockerfile": PLANTED_REMOVED})
    with FakeGitHub() as fake:
        fake.open_pull(1, {"Dockerfile": BASE}, {"Dockerfile": PLANTED_REMOVED}, head_sha=sha)
        run = run_action(fake, tmp_path, 1, inputs={"measure": "true", "measure_engine": "docker",
                                                    "fail_on": "measured-waste>2MB"},
                         extra_env={"GITHUB_WORKSPACE": str(ws), "DOCKER_HOST": os.environ.get("DOCKER_HOST", "")},
                         timeout=1500)
        reviews = fake.reviews_of(1)
    assert run.code == 1, run.stdout + run.stderr  # 2,097,152 B reach measured-waste>2MB
    (f,) = report_of(ws)["measured"]["files"]
    (removed,) = f["waste"]
    print(f"docker action run: {removed['rule_id']} {removed['bytes']} B on line {removed['line']}")
    assert removed["line"] == 2 and removed["removed_by"] == [3, 3] and removed["kind"] == "removed"
    assert abs(removed["bytes"] - 2048 * 1024) <= 0.02 * 2048 * 1024
    assert "#### Measured waste in `Dockerfile`" in run.summary
    assert reviews == []  # no static finding, so no review to edit: only measuring saw this waste
