"""Live look-ups against local HTTP servers that behave like Docker Hub, PyPI and a file host.

Also slow (timeout), 404, 429 and malformed answers: every failure is a clean None and
the estimator falls back to its tables. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.estimate import Estimator
from bot.estimate.lookups import Endpoints, Lookups
from bot.model import hints as K
from bot.model.findings import SizeHint

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class FakeServices(BaseHTTPRequestHandler):
    requests: list[tuple[str, str]] = []
    slow_seconds = 1.0

    def log_message(self, *a):  # quiet
        pass

    def _send(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if ("Content-Length", None) not in headers and not any(k == "Content-Length" for k, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

    def _json(self, obj, code=200, ctype="application/json"):
        self._send(code, json.dumps(obj).encode(), ctype)

    def do_HEAD(self):
        self.requests.append(("HEAD", self.path))
        if self.path == "/files/app.tar.gz":
            self._send(200, headers=[("Content-Length", "123456789")], ctype="application/gzip")
        elif self.path == "/files/slow.tar.gz":
            time.sleep(self.slow_seconds)
            try:
                self._send(200, headers=[("Content-Length", "5")])
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/files/bad-length.tar.gz":
            self._send(200, headers=[("Content-Length", "lots")])
        else:
            self._send(404)

    def do_GET(self):
        self.requests.append(("GET", self.path))
        p = self.path
        if p.startswith("/token"):
            if "scope=repository%3Alibrary%2Fratelimited" in p:
                return self._send(429, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}')
            return self._json({"token": "tok123"})
        if p.startswith("/v2/"):
            if self.headers.get("Authorization") != "Bearer tok123":
                return self._send(401, b"{}")
            repo, _, ref = p[4:].partition("/manifests/")
            if repo == "library/python" and ref == "3.99":
                return self._json({"mediaType": INDEX, "manifests": [
                    {"digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64"}},
                    {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
                ]}, ctype=INDEX)  # fmt: skip
            if repo == "library/python" and ref == "sha256:amd":
                return self._json({"mediaType": MANIFEST, "layers": [{"size": 30_000_000}, {"size": 12_000_000}]},
                                  ctype=MANIFEST)  # fmt: skip
            if repo == "library/single" and ref == "1":
                return self._json({"mediaType": MANIFEST, "layers": [{"size": 7}]}, ctype=MANIFEST)
            if repo == "library/garbled":
                return self._send(200, b"{not json", ctype=MANIFEST)
            if repo == "library/slow":
                time.sleep(self.slow_seconds)
                return self._json({"layers": [{"size": 1}]})
            return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        if p.startswith("/pypi/"):
            name = p.split("/")[2]
            if name == "fastlib":
                return self._json({"urls": [
                    {"packagetype": "sdist", "filename": "fastlib-1.0.tar.gz", "size": 900},
                    {"packagetype": "bdist_wheel", "filename": "fastlib-1.0-cp312-cp312-win_amd64.whl", "size": 1},
                    {"packagetype": "bdist_wheel",
                     "filename": "fastlib-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                     "size": 4_000_000},
                ]})  # fmt: skip
            if name == "sdistonly":
                return self._json({"urls": [{"packagetype": "sdist", "filename": "s-1.tar.gz", "size": 2500}]})
            if name == "malformed":
                return self._json({"info": {}})
            return self._send(404, b'{"message": "Not Found"}')
        return self._send(404)


@pytest.fixture
def server():
    FakeServices.requests = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeServices)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    yield base
    srv.shutdown()
    srv.server_close()


def client(base, tmp_path, **kw):
    eps = Endpoints(registry=base, auth=base + "/token", pypi=base)
    return Lookups(eps, cache_dir=tmp_path / "cache", **kw)


def test_registry_manifest_list_to_amd64_layers(server, tmp_path):
    lk = client(server, tmp_path)
    assert lk.image_compressed_size("python:3.99") == 42_000_000
    assert ("GET", "/v2/library/python/manifests/sha256:amd") in FakeServices.requests
    assert lk.image_compressed_size("docker.io/library/single:1") == 7


def test_results_are_cached_on_disk_across_clients(server, tmp_path):
    assert client(server, tmp_path).image_compressed_size("python:3.99") == 42_000_000
    n = len(FakeServices.requests)
    assert client(server, tmp_path).image_compressed_size("python:3.99") == 42_000_000
    assert len(FakeServices.requests) == n  # second client answered from the cache


def test_cache_entries_expire(server, tmp_path):
    now = [1000.0]
    client(server, tmp_path, wall=lambda: now[0]).image_compressed_size("python:3.99")
    n = len(FakeServices.requests)
    now[0] += 8 * 24 * 3600
    client(server, tmp_path, wall=lambda: now[0]).image_compressed_size("python:3.99")
    assert len(FakeServices.requests) > n


def test_404_and_malformed_are_none_and_not_cached(server, tmp_path):
    lk = client(server, tmp_path)
    assert lk.image_compressed_size("nosuch:1") is None
    assert lk.image_compressed_size("garbled:1") is None
    assert lk.wheel_size("nosuch") is None
    assert lk.wheel_size("malformed") is None
    assert not list((tmp_path / "cache").glob("*.json"))
    assert len(lk.notes) == 4 and "404" in lk.notes[0]


def test_429_stops_further_lookups_this_run(server, tmp_path):
    lk = client(server, tmp_path)
    assert lk.image_compressed_size("ratelimited:1") is None
    n = len(FakeServices.requests)
    assert lk.image_compressed_size("python:3.99") is None  # no new request after a 429
    assert len(FakeServices.requests) == n
    assert "429" in lk.notes[0]


def test_slow_server_times_out_and_the_budget_bounds_the_run(server, tmp_path):
    lk = client(server, tmp_path, timeout=0.2, budget=0.5)
    assert lk.content_length(server + "/files/slow.tar.gz") is None
    assert lk.image_compressed_size("slow:1") is None
    assert lk.spent >= 0.2
    # the budget is now (nearly) spent: further look-ups give up without asking
    lk.spent = lk.budget
    n = len(FakeServices.requests)
    assert lk.content_length(server + "/files/app.tar.gz") is None
    assert len(FakeServices.requests) == n
    assert any("budget" in note for note in lk.notes)


def test_unreachable_host_goes_offline_once(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    base = f"http://127.0.0.1:{port}"
    lk = client(base, tmp_path)
    assert lk.wheel_size("fastlib") is None
    assert lk.offline
    assert lk.content_length(base + "/files/app.tar.gz") is None
    assert "offline" in lk.notes[-1]


def test_pypi_prefers_the_manylinux_wheel_then_sdist(server, tmp_path):
    lk = client(server, tmp_path)
    assert lk.wheel_size("fastlib") == 4_000_000
    assert lk.wheel_size("sdistonly") == 2500


def test_head_content_length(server, tmp_path):
    lk = client(server, tmp_path)
    assert lk.content_length(server + "/files/app.tar.gz") == 123_456_789
    assert lk.content_length(server + "/files/missing.tar.gz") is None
    assert lk.content_length(server + "/files/bad-length.tar.gz") is None
    assert lk.content_length("ftp://example/x") is None


def test_estimator_uses_lookups_and_falls_back_to_tables(server, tmp_path):
    est = Estimator(lookups=client(server, tmp_path))
    e, _ = est.estimate(SizeHint(K.ARCHIVE_LEFT, {"url": server + "/files/app.tar.gz", "path": "/tmp/app.tar.gz"}))
    assert (e.bytes_low, e.source) == (123_456_789, "live")
    e, _ = est.estimate(SizeHint(K.PIP_CACHE, {"packages": ("fastlib", "numpy")}))
    assert e.source == "live" and e.bytes_low >= 4_000_000 + 15_720_599
    size = est.base_image_size("python:3.99")
    assert size.source == "live" and size.compressed_low == 42_000_000
    # a tag that is in the table never asks the registry
    n = len(FakeServices.requests)
    assert est.base_image_size("python:3.12-slim").source == "table"
    assert len(FakeServices.requests) == n
    e, reason = est.estimate(SizeHint(K.ARCHIVE_LEFT, {"url": server + "/files/missing.tar.gz"}))
    assert e is None and "failed" in reason


def test_default_cache_dir_honours_env(monkeypatch, tmp_path):
    from bot.estimate.lookups import default_cache_dir

    monkeypatch.setenv("DOCKERDIET_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("DOCKERDIET_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "dockerdiet" / "lookups"
