"""``dockerdiet measure --engine podman``: a real podman build, its layers read for measured waste.

podman shares buildah's private store (scripts/setup_buildah.sh installs both), so the
local Debian base serves it too. The planted sizes come from the Dockerfile (dd counts).
"""

from __future__ import annotations

import json

import pytest

from bot.measure.cli import EXIT_MEASURED_WASTE, main

pytestmark = pytest.mark.podman
KiB = 1024

PLANTED = """FROM debian:bookworm-slim
RUN dd if=/dev/urandom of=/big.bin bs=1K count=1024 status=none
RUN rm /big.bin
RUN mkdir -p /root/.cache/pip/http && dd if=/dev/urandom of=/root/.cache/pip/http/w bs=1K count=512 status=none
CMD ["sleep", "1"]
"""


def test_podman_measure_finds_the_planted_waste_on_its_lines(podman, tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(PLANTED)
    (tmp_path / ".dockerdiet.toml").write_text('fail-on = "measured-waste>1MB"\n')
    code = main([str(tmp_path / "Dockerfile"), "--engine", "podman", "--pull", "never", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == EXIT_MEASURED_WASTE, err
    doc = json.loads(out)
    assert doc["engine"] == "podman" and doc["status"] in ("ok", "no-fixes"), doc["status"]
    found = {(f["rule"], f["line"]): f for f in doc["measured_waste"]["findings"]}
    print({k: f["measured"]["bytes"] for k, f in found.items()})
    removed = found[("DT701", 2)]
    assert abs(removed["measured"]["bytes"] - 1024 * KiB) <= 0.02 * 1024 * KiB
    assert removed["removed_by"] == {"line": 3, "end_line": 3}
    cache = found[("DT702", 4)]
    assert cache["measured"]["kind"] == "pip-cache" and abs(cache["measured"]["bytes"] - 512 * KiB) <= 0.02 * 512 * KiB
    assert len(found) == 2, list(found)
    assert "removed" in err and "image(s)" in err  # the run's images were cleaned up
