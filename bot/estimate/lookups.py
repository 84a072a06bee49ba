"""Optional live look-ups: registry manifests, PyPI wheel sizes, HTTP Content-Length.

One small client on ``requests`` (imported on first use, never on the check path), with
a short timeout per request, a total time budget per run, no retries, an on-disk JSON
cache and a clean ``None`` whenever anything goes wrong: estimates then fall back to the
bundled tables. Base URLs are injectable so tests can use servers on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bot.estimate.images import parse_ref

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])  # fmt: skip
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")


def default_cache_dir() -> Path:
    base = os.environ.get("DOCKERDIET_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "dockerdiet" / "lookups"


@dataclass(frozen=True, slots=True)
class Endpoints:
    registry: str = "https://registry-1.docker.io"
    auth: str = "https://auth.docker.io/token"
    pypi: str = "https://pypi.org"


class LookupFailed(Exception):
    """One look-up failed (timeout, HTTP error, malformed answer); callers get None."""


class Lookups:
    """Bounded live look-ups. Every public method returns a value or None, never raises."""

    def __init__(
        self,
        endpoints: Endpoints | None = None,
        timeout: float = 3.0,
        budget: float = 10.0,
        cache_dir: str | Path | None = None,
        ttl: float = 7 * 24 * 3600,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        session: Any = None,
    ) -> None:
        self.endpoints = endpoints or Endpoints()
        self.timeout = timeout
        self.budget = budget
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.ttl = ttl
        self._clock, self._wall = clock, wall
        self._session = session
        self.spent = 0.0
        self.offline = False  # set after a connection failure: no more waiting this run
        self.notes: list[str] = []  # what failed, for the run log

    # -- public ---------------------------------------------------------------------
    def image_compressed_size(self, ref: str) -> int | None:
        """Sum of the linux/amd64 layer sizes of a Docker Hub image (compressed bytes)."""
        parsed = parse_ref(ref)
        if parsed is None or parsed.registry:  # Docker Hub only
            return None
        repo = parsed.repository if "/" in parsed.repository else f"library/{parsed.repository}"
        return self._cached(f"image:{repo}:{parsed.tag}", lambda: self._image_size(repo, parsed.tag))

    def wheel_size(self, name: str) -> int | None:
        """Bytes of the wheel pip would download for the latest release (CPython, manylinux x86-64)."""
        name = name.strip().lower()
        if not name or "/" in name:
            return None
        return self._cached(f"pypi:{name}", lambda: self._wheel_size(name))

    def pypi_release(self, name: str, version: str) -> dict | None:
        """One release's files and dependencies from PyPI's JSON API:
        ``{"files": [{"filename", "packagetype"}...], "requires_dist": [...], "requires_python"}``."""
        name, version = name.strip().lower(), version.strip()
        if not name or not version or any(c in name + version for c in "/?#% "):
            return None
        return self._cached(f"pypi-release:{name}=={version}", lambda: self._release(name, version), dict)

    def content_length(self, url: str) -> int | None:
        if not url.startswith(("http://", "https://")):
            return None
        return self._cached(f"head:{url}", lambda: self._head(url))

    # -- plumbing -------------------------------------------------------------------
    def _cache_file(self, key: str) -> Path:
        return self.cache_dir / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def _cached(self, key: str, fetch: Callable[[], Any], kind: type = int) -> Any:
        path = self._cache_file(key)
        try:
            entry = json.loads(path.read_text())
            if entry.get("key") == key and self._wall() - float(entry["at"]) < self.ttl:
                value = entry["value"]
                return value if isinstance(value, kind) and not isinstance(value, bool) else None
        except (OSError, ValueError, KeyError, TypeError):
            pass
        try:
            value = fetch()
        except LookupFailed as e:
            self.notes.append(f"{key}: {e}")
            return None
        if value is not None:  # only real answers are cached; failures are retried next run
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"key": key, "at": self._wall(), "value": value}))
                os.replace(tmp, path)
            except OSError:
                pass
        return value

    def _http(self) -> Any:
        if self._session is None:
            import requests  # lazy: keeps `dockerdiet check` import-light

            self._session = requests.Session()
            self._session.headers["User-Agent"] = "dockerdiet-size-estimator"
        return self._session

    def _get(self, method: str, url: str, **kw: Any) -> Any:
        if self.offline:
            raise LookupFailed("offline (an earlier look-up could not connect)")
        left = self.budget - self.spent
        if left <= 0:
            raise LookupFailed("look-up time budget spent")
        import requests

        start = self._clock()
        try:
            resp = self._http().request(method, url, timeout=min(self.timeout, left), allow_redirects=True, **kw)
        except requests.ConnectionError as e:
            if not isinstance(e, requests.ReadTimeout):
                self.offline = True
            raise LookupFailed(f"{method} {url}: {type(e).__name__}") from None
        except requests.RequestException as e:
            raise LookupFailed(f"{method} {url}: {type(e).__name__}") from None
        finally:
            self.spent += self._clock() - start
        if resp.status_code == 429:
            self.offline = True  # rate limited: waiting or retrying would only cost time
            raise LookupFailed(f"{method} {url}: HTTP 429 (rate limited)")
        if resp.status_code >= 400:
            raise LookupFailed(f"{method} {url}: HTTP {resp.status_code}")
        return resp

    def _json(self, resp: Any) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise LookupFailed(f"{resp.url}: malformed JSON") from None

    def _image_size(self, repo: str, tag: str) -> int | None:
        token_resp = self._get(
            "GET", self.endpoints.auth, params={"service": "registry.docker.io", "scope": f"repository:{repo}:pull"}
        )
        token = self._json(token_resp)
        token = token.get("token") or token.get("access_token") if isinstance(token, dict) else None
        if not isinstance(token, str):
            raise LookupFailed("auth: no token in the answer")
        headers = {"Authorization": f"Bearer {token}", "Accept": MANIFEST_TYPES}
        url = f"{self.endpoints.registry}/v2/{repo}/manifests/"
        manifest = self._json(self._get("GET", url + tag, headers=headers))
        if not isinstance(manifest, dict):
            raise LookupFailed("manifest: not an object")
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            digest = None
            for m in manifest.get("manifests") or []:
                plat = m.get("platform") or {} if isinstance(m, dict) else {}
                if plat.get("os") == "linux" and plat.get("architecture") == "amd64":
                    digest = m.get("digest")
                    break
            if not isinstance(digest, str):
                raise LookupFailed("manifest list has no linux/amd64 entry")
            manifest = self._json(self._get("GET", url + digest, headers=headers))
        layers = manifest.get("layers") if isinstance(manifest, dict) else None
        if not isinstance(layers, list) or not layers:
            raise LookupFailed("manifest has no layers")
        try:
            total = sum(int(layer["size"]) for layer in layers)
        except (KeyError, TypeError, ValueError):
            raise LookupFailed("manifest layer without a size") from None
        return total if total > 0 else None

    def _wheel_size(self, name: str) -> int | None:
        data = self._json(self._get("GET", f"{self.endpoints.pypi}/pypi/{name}/json"))
        files = data.get("urls") if isinstance(data, dict) else None
        if not isinstance(files, list):
            raise LookupFailed("pypi: no 'urls' list")

        def rank(f: dict) -> int:
            fn = str(f.get("filename", ""))
            if f.get("packagetype") != "bdist_wheel":
                return 0
            if "manylinux" in fn and "x86_64" in fn:
                return 3
            if fn.endswith("-none-any.whl"):
                return 2
            return 1 if "win" not in fn and "macosx" not in fn else 0

        best = max((f for f in files if isinstance(f, dict)), key=rank, default=None)
        if best is None or rank(best) == 0:
            # no usable wheel: pip builds one from the sdist; the sdist size is a floor
            sdists = [f for f in files if isinstance(f, dict) and f.get("packagetype") == "sdist"]
            best = sdists[0] if sdists else None
        if best is None:
            return None
        size = best.get("size")
        if not isinstance(size, int) or size < 0:
            raise LookupFailed("pypi: file without a size")
        return size

    def _release(self, name: str, version: str) -> dict | None:
        data = self._json(self._get("GET", f"{self.endpoints.pypi}/pypi/{name}/{version}/json"))
        files = data.get("urls") if isinstance(data, dict) else None
        info = data.get("info") if isinstance(data, dict) else None
        if not isinstance(files, list) or not isinstance(info, dict):
            raise LookupFailed("pypi: no 'urls' list or 'info'")
        kept = [{"filename": str(f.get("filename", "")), "packagetype": str(f.get("packagetype", ""))}
                for f in files if isinstance(f, dict)]  # fmt: skip
        requires = info.get("requires_dist") or []
        if not isinstance(requires, list):
            raise LookupFailed("pypi: requires_dist is not a list")
        return {"files": kept, "requires_dist": [str(r) for r in requires],
                "requires_python": str(info.get("requires_python") or "")}

    def _head(self, url: str) -> int | None:
        resp = self._get("HEAD", url)
        value = resp.headers.get("Content-Length")
        try:
            n = int(value) if value is not None else None
        except ValueError:
            raise LookupFailed(f"HEAD {url}: bad Content-Length {value!r}") from None
        return n if n is not None and n >= 0 else None
