"""A local stand-in for PyPI's JSON API (``/pypi/<name>/<version>/json``) on 127.0.0.1.

Releases are given as ``{(name, version): {"files": [...filenames], "requires_dist": [...]}}``;
anything else answers 404. Every request is recorded, so tests can see what was asked.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator


@contextmanager
def fake_pypi(releases: dict[tuple[str, str], dict]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``releases``; yields (base URL, list of requested paths)."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):  # quiet
            pass

        def do_GET(self):
            asked.append(self.path)
            parts = self.path.strip("/").split("/")
            rel = releases.get((parts[1], parts[2])) if len(parts) == 4 and parts[0] == "pypi" else None
            if rel is None:
                body, code = b'{"message": "Not Found"}', 404
            else:
                files = [{"filename": f, "packagetype": "bdist_wheel" if f.endswith(".whl") else "sdist",
                          "size": 1000} for f in rel.get("files", ())]  # fmt: skip
                info = {"name": parts[1], "version": parts[2], "requires_dist": rel.get("requires_dist") or None}
                body, code = json.dumps({"info": info, "urls": files}).encode(), 200
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
