"""A stateful fake GitHub REST API over real HTTP on 127.0.0.1 (github.md §8).

Driven by the real PyGithub client (and, end to end, by ``python -m bot.action`` as a
subprocess). It keeps pulls, files, blobs, reviews and review comments across runs,
builds absolute URLs from the request's Host header (PyGithub asserts they match its
base URL), paginates with ``Link`` headers, validates review anchors like GitHub
(§3.2, 422 with a string array), records every request and injects faults.
Also answers under the ``/api/v3`` prefix (GHES) and at ``/graphql``.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

FIRST_ID = 2**31 + 1000
INT32_MAX = 2**31 - 1
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
HUMAN = {"login": "octocat", "id": 1, "type": "User"}
OTHER_BOT = {"login": "other-linter[bot]", "id": 7, "type": "Bot"}
BIG_IDS = 2**31 + 1000  # REST comment ids passed 2^31 in 2025 (github.md §3.6)


@dataclass(frozen=True)
class Symlink:
    """A tree entry with mode 120000: git stores the target path as the blob's content."""

    target: str


@dataclass(frozen=True)
class Submodule:
    """A tree entry with mode 160000: a commit of another repository, no blob here."""

    commit: str


# A tree maps a path to its text (str), to raw bytes (a binary blob), or to a Symlink / Submodule.
def entry_bytes(value: Any) -> bytes | None:
    if isinstance(value, Submodule):
        return None
    if isinstance(value, Symlink):
        return value.target.encode()
    return value if isinstance(value, bytes) else value.encode()


def entry_text(value: Any) -> str:
    """What a diff shows for the entry (git shows a submodule as one "Subproject commit" line)."""
    if isinstance(value, Submodule):
        return f"Subproject commit {value.commit}\n"
    data = entry_bytes(value)
    return data.decode("utf-8", "replace")


def entry_mode(value: Any) -> str:
    return "160000" if isinstance(value, Submodule) else "120000" if isinstance(value, Symlink) else "100644"


def entry_sha(value: Any) -> str:
    return value.commit if isinstance(value, Submodule) else blob_sha(entry_bytes(value))


def is_binary(value: Any) -> bool:
    return isinstance(value, bytes) and b"\0" in value[:8000]


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def hunk_patch(old: str, new: str, context: int = 3) -> str:
    """A hunks-only patch as the files endpoint returns it (no ---/+++ header)."""
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context))
    return "\n".join(lines[2:])


def right_hunks(patch: str) -> list[set[int]]:
    hunks: list[set[int]] = []
    line = 0
    for raw in patch.split("\n"):
        m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", raw)
        if m:
            hunks.append(set())
            line = int(m.group(1))
        elif not hunks or raw.startswith("\\"):
            continue
        elif raw.startswith("-"):
            continue
        else:
            hunks[-1].add(line)
            line += 1
    return hunks


@dataclass
class Fault:
    method: str
    pattern: str  # regex on the path (without prefix and query)
    status: int  # 0: answer normally (a hook that only runs ``then``)
    times: int = 1  # -1: forever
    after_store: bool = False  # handle the request, then answer with the fault (502 after create)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0  # sleep before handling (a request that dies slowly)
    delay_after: float = 0.0  # sleep after handling, before answering (stored, then a slow reply)
    then: Any = None  # callable run when the fault fires (e.g. a push between two calls)
    hidden_reads: int = 0  # after_store: the stored review is missing from this many list reads


@dataclass
class PullFile:
    filename: str
    status: str
    sha: str | None
    patch: str | None
    previous_filename: str | None = None
    additions: int = 0
    deletions: int = 0


@dataclass
class Pull:
    number: int
    base_sha: str
    head_sha: str
    base_tree: dict[str, str]  # path -> text
    head_tree: dict[str, str]
    files: list[PullFile]
    state: str = "open"
    commits: list[str] = field(default_factory=list)
    head_repo: str = ""  # "owner/name" of a fork; "" = the repository itself
    base_history: list[str] = field(default_factory=list)  # base branch commits, oldest (the merge base) first


class FakeGitHub:
    """State plus the HTTP server. Use as a context manager; ``url`` is the base URL."""

    def __init__(self, repo: str = "octo/app", prefix: str = "", first_id: int = FIRST_ID,
                 user_login: str = "dockerdiet-pat-user") -> None:
        self.repo = repo
        self.prefix = prefix
        self.pulls: dict[int, Pull] = {}
        self.trees: dict[str, dict[str, str]] = {}  # commit sha -> path -> text
        self.blobs: dict[str, bytes] = {}
        self.reviews: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.minimized: list[str] = []
        self.truncated_trees: set[str] = set()  # commit shas whose recursive listing is truncated
        self.graphql_queries: list[dict[str, Any]] = []
        self.resolved_threads: set[str] = set()
        self.forbidden_mutations: set[str] = set()  # answered "Resource not accessible by integration"
        # GitHub's REST ids for comments and reviews passed 2^31 in 2025: by default every id
        # we hand out is above it, so a client that squeezes them through a 32-bit Int breaks here too.
        self._ids = itertools.count(first_id)
        self.user_login = user_login  # who GET /user says a non-installation token is
        self._commit_seq = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------
    def __enter__(self) -> "FakeGitHub":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    # -- seeding -------------------------------------------------------------------
    def commit(self, tree: dict[str, str], sha: str | None = None) -> str:
        """Store a tree; ``sha`` forces the commit id (a real git commit in a test's workspace)."""
        sha = sha or hashlib.sha1(f"commit {next(self._commit_seq)} {sorted(tree.items())}".encode()).hexdigest()
        self.trees[sha] = dict(tree)
        for value in tree.values():
            data = entry_bytes(value)
            if data is not None:
                self.blobs[blob_sha(data)] = data
        return sha

    def open_pull(self, number: int, base: dict[str, str], head: dict[str, str],
                  renames: dict[str, str] | None = None, no_patch: set[str] = frozenset(),
                  head_sha: str | None = None, head_repo: str = "") -> Pull:
        """A PR whose files are the differences between two trees; renames: new -> old.
        ``head_sha`` forces the head commit id; ``head_repo`` makes it a fork PR."""
        base_sha = self.commit(base)
        head_sha = self.commit(head, head_sha)
        pull = Pull(number, base_sha, head_sha, dict(base), dict(head), [], commits=[head_sha],
                    head_repo=head_repo, base_history=[base_sha])
        pull.files = self._files(base, head, renames or {}, no_patch)
        self.pulls[number] = pull
        return pull

    def advance_base(self, number: int, tree: dict[str, Any]) -> str:
        """A commit lands on the base branch after the PR was opened: ``base.sha`` moves on,
        the merge base (and so the PR's diff) stays where it was."""
        with self._lock:
            pull = self.pulls[number]
            pull.base_sha = self.commit(tree)
            pull.base_history.append(pull.base_sha)
            return pull.base_sha

    def merge_base(self, a: str, b: str) -> str | None:
        for pull in self.pulls.values():
            ends = set(pull.base_history) | set(pull.commits)
            if a in ends and b in ends:
                if a in pull.base_history and b in pull.base_history:
                    return min(a, b, key=pull.base_history.index)
                if a in pull.commits and b in pull.commits:
                    return min(a, b, key=pull.commits.index)
                return pull.base_history[0]
        return None

    def push(self, number: int, head: dict[str, str], renames: dict[str, str] | None = None) -> str:
        """A new head commit. Comments move as GitHub tracks them: a comment whose line is
        unchanged (only shifted) follows it; one whose line was edited, deleted or renamed
        away, or that left the diff, becomes outdated (``line``/``position`` null,
        ``original_line`` kept)."""
        with self._lock:
            pull = self.pulls[number]
            old_tree = pull.head_tree
            pull.head_sha = self.commit(head)
            pull.commits.append(pull.head_sha)
            pull.head_tree = dict(head)
            pull.files = self._files(pull.base_tree, head, renames or {}, set())
            for c in self.comments:
                if c["_pull"] != number or c["line"] is None:
                    continue
                old_text, new_text = _text_or_none(old_tree.get(c["path"])), _text_or_none(head.get(c["path"]))
                moved = _follow(old_text, new_text, c["line"])
                start = _follow(old_text, new_text, c["start_line"]) if c["start_line"] else None
                entry = next((f for f in pull.files if f.filename == c["path"]), None)
                in_hunk = moved is not None and entry is not None and entry.patch and any(
                    moved in h for h in right_hunks(entry.patch))
                if not in_hunk or (c["start_line"] and start is None):
                    c["line"] = c["start_line"] = c["position"] = None
                else:
                    c["line"], c["start_line"], c["position"] = moved, start, moved
            return pull.head_sha

    def delete_comment(self, comment_id: int) -> None:
        """A human deletes a comment: later edits of it answer 404."""
        with self._lock:
            self.comments = [c for c in self.comments if c["id"] != comment_id]

    def reply(self, number: int, comment: dict, body: str, user: dict | None = None) -> dict:
        with self._lock:
            c = self._new_comment(number, None, self.pulls[number].head_sha,
                                  {"path": comment["path"], "line": comment["line"], "body": body,
                                   "side": "RIGHT"}, user or HUMAN)
            c["in_reply_to_id"] = comment["id"]
            self.comments.append(c)
            return c

    def _files(self, base: dict[str, str], head: dict[str, str], renames: dict[str, str],
               no_patch: set[str]) -> list[PullFile]:
        files: list[PullFile] = []
        renamed_from = set(renames.values())
        for path in sorted(set(base) | set(head)):
            if path in renamed_from and path not in head:
                continue
            old_path = renames.get(path, path)
            old, new = base.get(old_path), head.get(path)
            if old == new:
                continue
            if new is None:
                status, text_old, text_new = "removed", old or "", ""
            elif old is None:
                status, text_old, text_new = "added", "", new
            else:
                status = "renamed" if path in renames else "modified"
                text_old, text_new = old, new
            binary = is_binary(old) or is_binary(new)
            text_old, text_new = entry_text(text_old), entry_text(text_new)
            patch = hunk_patch(text_old, text_new) if text_old != text_new and not binary else None
            if path in no_patch:
                patch = None
            sha = entry_sha(new) if new is not None else None
            files.append(PullFile(path, status, sha, patch, renames.get(path),
                                  additions=sum(1 for l in (patch or "").split("\n") if l.startswith("+")),
                                  deletions=sum(1 for l in (patch or "").split("\n") if l.startswith("-"))))
        return files

    def add_comment(self, number: int, path: str, line: int, body: str, user: dict | None = None) -> dict:
        with self._lock:
            pull = self.pulls[number]
            c = self._new_comment(number, None, pull.head_sha,
                                  {"path": path, "line": line, "body": body, "side": "RIGHT"},
                                  user or HUMAN)
            self.comments.append(c)
            return c

    def fail(self, method: str, pattern: str, status: int, **kw: Any) -> Fault:
        fault = Fault(method, pattern, status, **kw)
        self.faults.append(fault)
        return fault

    def rate_limit(self, method: str, pattern: str, kind: str = "secondary", seconds: int | None = 1,
                   times: int = 1, status: int = 403) -> Fault:
        """GitHub's two rate limits as it answers them (docs: rate limits for the REST API).

        primary: ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` ``seconds`` from now;
        secondary: "You have exceeded a secondary rate limit" with ``Retry-After: seconds``
        (``seconds=None``: no Retry-After, the client must wait at least a minute).
        """
        if kind == "primary":
            headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000",
                       "X-RateLimit-Reset": str(int(time.time()) + (seconds or 0)), "X-RateLimit-Resource": "core"}
            body = {"message": "API rate limit exceeded for installation ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}
        else:
            headers = {"Retry-After": str(seconds)} if seconds is not None else {}
            body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                               "try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}
        return self.fail(method, pattern, status, times=times, headers=headers, body=body)

    # -- queries for tests ---------------------------------------------------------
    def calls(self, method: str | None = None, pattern: str = "") -> list[dict[str, Any]]:
        return [r for r in self.requests
                if (method is None or r["method"] == method) and re.search(pattern, r["path"])]

    def reviews_of(self, number: int) -> list[dict[str, Any]]:
        return [r for r in self.reviews if r["_pull"] == number]

    def comments_of(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments if c["_pull"] == number]

    # -- JSON shapes ---------------------------------------------------------------
    def _repo_url(self, base: str) -> str:
        return f"{base}/repos/{self.repo}"

    def pull_json(self, base: str, pull: Pull) -> dict[str, Any]:
        repo = {"full_name": self.repo, "name": self.repo.split("/")[1],
                "url": self._repo_url(base), "owner": {"login": self.repo.split("/")[0], "type": "User"}}
        url = f"{self._repo_url(base)}/pulls/{pull.number}"
        return {
            "url": url, "id": pull.number * 10, "node_id": f"PR_{pull.number}", "number": pull.number,
            "state": pull.state, "draft": False, "title": "Change Dockerfiles",
            "issue_url": f"{self._repo_url(base)}/issues/{pull.number}",
            "head": {"sha": pull.head_sha, "ref": "feature", "label": "octo:feature",
                     "repo": repo if not pull.head_repo else {
                         "full_name": pull.head_repo, "name": pull.head_repo.split("/")[1],
                         "url": f"{base}/repos/{pull.head_repo}",
                         "owner": {"login": pull.head_repo.split("/")[0], "type": "User"}}},
            "base": {"sha": pull.base_sha, "ref": "main", "repo": repo, "label": "octo:main"},
            "changed_files": len(pull.files), "maintainer_can_modify": False,
            "user": HUMAN,
        }

    def tree_json(self, repo_url: str, sha: str, recursive: bool) -> dict[str, Any]:
        """``GET /git/trees/{sha}``: blobs plus the directories above them, like git."""
        files = self.trees[sha]
        entries: dict[str, dict[str, Any]] = {}
        for path, value in sorted(files.items()):
            parts = path.split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                entries.setdefault(d, {"path": d, "mode": "040000", "type": "tree",
                                       "sha": hashlib.sha1(d.encode()).hexdigest(),
                                       "url": f"{repo_url}/git/trees/{hashlib.sha1(d.encode()).hexdigest()}"})
            if isinstance(value, Submodule):
                entries[path] = {"path": path, "mode": "160000", "type": "commit", "sha": value.commit}
                continue
            data = entry_bytes(value)
            entries[path] = {"path": path, "mode": entry_mode(value), "type": "blob", "sha": blob_sha(data),
                             "size": len(data), "url": f"{repo_url}/git/blobs/{blob_sha(data)}"}
        items = [e for e in entries.values() if recursive or "/" not in e["path"]]
        truncated = sha in self.truncated_trees
        if truncated:
            items = items[: max(1, len(items) // 2)]
        return {"sha": sha, "url": f"{repo_url}/git/trees/{sha}", "tree": items, "truncated": truncated}

    def comment_json(self, base: str, c: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in c.items() if not k.startswith("_")}
        out["url"] = f"{self._repo_url(base)}/pulls/comments/{c['id']}"
        out["pull_request_url"] = f"{self._repo_url(base)}/pulls/{c['_pull']}"
        return out

    def review_json(self, base: str, r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not k.startswith("_")}
        out["pull_request_url"] = f"{self._repo_url(base)}/pulls/{r['_pull']}"
        return out

    def _new_comment(self, number: int, review_id: int | None, commit: str, spec: dict, user: dict) -> dict:
        cid = next(self._ids)
        line = spec.get("line")
        return {
            "id": cid, "node_id": f"PRRC_{cid}", "pull_request_review_id": review_id,
            "path": spec["path"], "line": line, "original_line": line,
            "start_line": spec.get("start_line"), "original_start_line": spec.get("start_line"),
            "side": spec.get("side", "RIGHT"), "start_side": spec.get("start_side"),
            "position": line, "commit_id": commit, "original_commit_id": commit,
            "body": spec["body"], "user": user, "in_reply_to_id": None, "subject_type": "line",
            "_pull": number,
        }

    # -- review validation (github.md §3.2) ------------------------------------------
    def validate_review(self, pull: Pull, payload: dict[str, Any]) -> list[str]:
        errors: list[str] = []
        if payload.get("commit_id") and payload["commit_id"] not in pull.commits:
            errors.append("Pull request review commit_id is not part of the pull request")
        if payload.get("event") in ("COMMENT", "REQUEST_CHANGES") and not payload.get("body"):
            errors.append("Body can't be blank")
        files = {f.filename: f for f in pull.files}
        for c in payload.get("comments") or []:
            if "position" in c:
                errors.append("position is not supported by this fake")
                continue
            entry = files.get(c.get("path"))
            if entry is None or entry.status == "removed":
                errors.append("Pull request review thread path is invalid")
                continue
            if not entry.patch:
                errors.append("Pull request review thread diff hunk can't be blank")
                continue
            line, start = c.get("line"), c.get("start_line")
            if not isinstance(line, int) or line < 1:
                errors.append("Pull request review thread line must be part of the diff")
                continue
            if c.get("side", "RIGHT") != "RIGHT":
                errors.append("Pull request review thread side is not supported by this fake")
                continue
            hunks = right_hunks(entry.patch)
            hunk = next((h for h in hunks if line in h), None)
            if hunk is None:
                errors.append("Pull request review thread line must be part of the diff")
                continue
            if start is not None:
                if start >= line:
                    errors.append("Pull request review thread start line must precede the end line")
                elif start not in hunk:
                    errors.append("Pull request review thread start line must be part of the same hunk as the line")
            if not c.get("body"):
                errors.append("Pull request review thread body can't be blank")
        return errors


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms ACK stalls

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- plumbing -----------------------------------------------------------------
    def _handle(self, method: str) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = split.path
        prefix = ""
        if path.startswith("/api/v3/"):
            prefix, path = "/api/v3", path[len("/api/v3"):]
        elif path == "/api/graphql":
            prefix, path = "/api", "/graphql"
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        payload = json.loads(raw) if raw else {}
        base = f"http://{self.headers.get('Host')}{prefix}"
        with fake._lock:
            fake.requests.append({"method": method, "path": path, "query": query, "json": payload,
                                  "headers": dict(self.headers)})
            fault = next((f for f in fake.faults if f.times != 0 and f.method == method
                          and re.search(f.pattern, path)), None)
            if fault is not None and fault.times > 0:
                fault.times -= 1
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.then is not None:
            fault.then()
        if fault is not None and not fault.after_store and fault.status:
            return self._send(fault.status, fault.body or {"message": "fault"}, fault.headers)
        self._fault = fault
        try:
            with fake._lock:
                status, body, headers = self._route(method, path, query, payload, base)
        except _HTTPError as err:
            status, body, headers = err.status, err.body, {}
        if fault is not None and fault.delay_after:
            time.sleep(fault.delay_after)
        if fault is not None and fault.status:  # after_store: the change happened, the client sees an error
            return self._send(fault.status, fault.body or {"message": "Bad Gateway"}, fault.headers)
        self._send(status, body, headers)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        headers = dict(headers or {})
        if not any(k.lower() == "x-ratelimit-remaining" for k in headers):
            self.send_header("X-RateLimit-Remaining", "4999")
        for k, v in headers.items():
            self.send_header(k, v)
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def _page(self, items: list[Any], query: dict[str, str], url: str) -> tuple[int, Any, dict]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page < last:
            link = lambda p: f'<{url}?per_page={per_page}&page={p}>'  # noqa: E731
            headers["Link"] = f'{link(page + 1)}; rel="next", {link(last)}; rel="last"'
        return 200, chunk, headers

    # -- routes --------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], payload: Any, base: str):
        fake = self.fake
        if method == "POST" and path == "/graphql":
            return self._graphql(payload)
        if method == "GET" and path == "/user":
            if self.headers.get("Authorization", "").startswith("token ghs_"):
                raise _HTTPError(403, {"message": "Resource not accessible by integration"})
            return 200, {"login": fake.user_login, "id": 99, "type": "User"}, {}
        rp = f"/repos/{fake.repo}"
        if not path.startswith(rp):
            raise _HTTPError(404, {"message": "Not Found"})
        rest = path[len(rp):]
        repo_url = f"{base}{rp}"
        if method == "GET" and rest == "":
            return 200, {"full_name": fake.repo, "name": fake.repo.split("/")[1], "url": repo_url,
                         "owner": {"login": fake.repo.split("/")[0]}}, {}
        m = re.fullmatch(r"/pulls/(\d+)(/.*)?", rest)
        if m:
            pull = fake.pulls.get(int(m.group(1)))
            if pull is None:
                raise _HTTPError(404, {"message": "Not Found"})
            return self._pull_route(method, pull, m.group(2) or "", query, payload, base, repo_url)
        m = re.fullmatch(r"/pulls/comments/(\d+)", rest)
        if m and method == "PATCH":
            c = next((c for c in fake.comments if c["id"] == int(m.group(1))), None)
            if c is None:
                raise _HTTPError(404, {"message": "Not Found"})
            c["body"] = payload["body"]
            return 200, fake.comment_json(base, c), {}
        m = re.fullmatch(r"/contents/(.+)", rest)
        if m and method == "GET":
            tree = fake.trees.get(query.get("ref", ""))
            file_path = unquote(m.group(1))
            if tree is None or file_path not in tree:
                raise _HTTPError(404, {"message": "Not Found"})
            value = tree[file_path]
            if isinstance(value, Symlink) and value.target in tree:  # GitHub answers with the target file
                file_path, value = value.target, tree[value.target]
            if not isinstance(value, str | bytes):
                kind = "submodule" if isinstance(value, Submodule) else "symlink"
                return 200, {"type": kind, "size": 0, "name": file_path.rsplit("/", 1)[-1], "path": file_path,
                             "sha": entry_sha(value), "url": f"{repo_url}/contents/{quote(file_path)}",
                             **({"target": value.target} if kind == "symlink" else {})}, {}
            data = entry_bytes(value)
            return 200, {"type": "file", "encoding": "base64", "size": len(data), "name": file_path.rsplit("/", 1)[-1],
                         "path": file_path, "sha": blob_sha(data),
                         "content": base64.encodebytes(data).decode(),
                         "url": f"{repo_url}/contents/{quote(file_path)}"}, {}
        m = re.fullmatch(r"/git/blobs/([0-9a-f]{40})", rest)
        if m and method == "GET":
            data = fake.blobs.get(m.group(1))
            if data is None:
                raise _HTTPError(404, {"message": "Not Found"})
            return 200, {"sha": m.group(1), "size": len(data), "encoding": "base64",
                         "content": base64.encodebytes(data).decode(),
                         "url": f"{repo_url}/git/blobs/{m.group(1)}"}, {}
        m = re.fullmatch(r"/git/trees/([0-9a-f]{40})", rest)
        if m and method == "GET":
            tree = fake.trees.get(m.group(1))
            if tree is None:
                raise _HTTPError(404, {"message": "Not Found"})
            return 200, fake.tree_json(repo_url, m.group(1), query.get("recursive") in ("1", "true")), {}
        m = re.fullmatch(r"/compare/([0-9a-f]{40})\.\.\.([0-9a-f]{40})", rest)
        if m and method == "GET":
            base_sha, head_sha = m.groups()
            merge_base = fake.merge_base(base_sha, head_sha)
            if merge_base is None:
                raise _HTTPError(404, {"message": "Not Found"})

            def commit(sha: str) -> dict[str, Any]:
                return {"sha": sha, "url": f"{repo_url}/commits/{sha}", "commit": {"message": "c"}}
            return 200, {"url": f"{repo_url}/compare/{base_sha}...{head_sha}", "status": "diverged",
                         "base_commit": commit(base_sha), "merge_base_commit": commit(merge_base),
                         "ahead_by": 1, "behind_by": 0 if merge_base == base_sha else 1, "total_commits": 1,
                         "commits": [], "files": []}, {}
        m = re.fullmatch(r"/commits/([0-9a-f]{40})", rest)
        if m and method == "GET" and m.group(1) in fake.trees:
            return 200, {"sha": m.group(1), "url": f"{repo_url}/commits/{m.group(1)}", "files": []}, {}
        raise _HTTPError(404, {"message": "Not Found"})

    def _pull_route(self, method, pull: Pull, rest, query, payload, base, repo_url):
        fake = self.fake
        pull_url = f"{repo_url}/pulls/{pull.number}"
        if method == "GET" and rest == "":
            return 200, fake.pull_json(base, pull), {}
        if method == "GET" and rest == "/files":
            items = [{
                "sha": f.sha, "filename": f.filename, "status": f.status,
                "additions": f.additions, "deletions": f.deletions, "changes": f.additions + f.deletions,
                "blob_url": f"{base}/blob/{f.sha}", "raw_url": f"{base}/raw/{f.sha}",
                "contents_url": f"{repo_url}/contents/{quote(f.filename)}?ref={pull.head_sha}",
                **({"patch": f.patch} if f.patch is not None else {}),
                **({"previous_filename": f.previous_filename} if f.previous_filename else {}),
            } for f in pull.files]
            return self._page(items, query, f"{pull_url}/files")
        if method == "GET" and rest == "/comments":
            items = [fake.comment_json(base, c) for c in fake.comments_of(pull.number)]
            return self._page(items, query, f"{pull_url}/comments")
        if method == "GET" and rest == "/reviews":
            visible = []
            for r in fake.reviews_of(pull.number):
                if r.get("_hidden_reads"):
                    r["_hidden_reads"] -= 1  # eventually consistent: listed on a later read
                    continue
                visible.append(r)
            items = [fake.review_json(base, r) for r in visible]
            return self._page(items, query, f"{pull_url}/reviews")
        m = re.fullmatch(r"/reviews/(\d+)(/comments)?", rest)
        if m:
            review = next((r for r in fake.reviews_of(pull.number) if r["id"] == int(m.group(1))), None)
            if review is None:
                raise _HTTPError(404, {"message": "Not Found"})
            if method == "PUT" and not m.group(2):
                review["body"] = payload["body"]
                return 200, fake.review_json(base, review), {}
            if method == "GET" and m.group(2):
                items = [fake.comment_json(base, c) for c in fake.comments
                         if c["pull_request_review_id"] == review["id"]]
                return self._page(items, query, f"{pull_url}/reviews/{review['id']}/comments")
            if method == "GET":
                return 200, fake.review_json(base, review), {}
        if method == "POST" and rest == "/reviews":
            errors = fake.validate_review(pull, payload)
            if errors:
                raise _HTTPError(422, {
                    "message": "Unprocessable Entity",
                    "errors": [_join_sentences(errors)],
                    "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
                    "status": "422"})
            rid = next(fake._ids)
            commit = payload.get("commit_id") or pull.head_sha
            review = {"id": rid, "node_id": f"PRR_{rid}", "user": BOT, "body": payload.get("body", ""),
                      "state": "COMMENTED" if payload.get("event") == "COMMENT" else "PENDING",
                      "html_url": f"{base}/review/{rid}", "commit_id": commit,
                      "submitted_at": "2026-01-01T00:00:00Z", "author_association": "NONE",
                      "_pull": pull.number}
            fake.reviews.append(review)
            if self._fault is not None and self._fault.hidden_reads:
                review["_hidden_reads"] = self._fault.hidden_reads
            for spec in payload.get("comments") or []:
                fake.comments.append(fake._new_comment(pull.number, rid, commit, spec, BOT))
            return 200, fake.review_json(base, review), {}
        raise _HTTPError(404, {"message": "Not Found"})

    def _graphql(self, payload: dict[str, Any]):
        query = payload.get("query", "")
        variables = payload.get("variables") or {}
        self.fake.graphql_queries.append(payload)
        if query.lstrip().startswith("query") and "object(expression:" in query:
            return 200, {"data": {"repository": self._blobs_by_expression(query, variables)}}, {}
        for mutation in self.fake.forbidden_mutations:
            if mutation in query:
                return 200, {"data": {mutation: None}, "errors": [{
                    "type": "FORBIDDEN", "path": [mutation], "locations": [{"line": 1, "column": 1}],
                    "message": "Resource not accessible by integration"}]}, {}
        if "reviewThreads" in query:
            threads = self._review_threads(variables)
            if re.search(r"\bdatabaseId\b", query) and any(
                    n["comments"]["nodes"][0]["databaseId"] is None for n in (threads or {}).get("reviewThreads", {}).get("nodes", [])):
                # what GitHub does with an id the deprecated 32-bit field cannot hold
                return 200, {"data": None, "errors": [{
                    "message": "Int cannot represent non 32-bit signed integer value", "path": [
                        "repository", "pullRequest", "reviewThreads", "nodes", 0, "comments", "nodes", 0,
                        "databaseId"]}]}, {}
            return 200, {"data": {"repository": {"pullRequest": threads}}}, {}
        if "resolveReviewThread" in query:
            thread = (variables.get("input") or {}).get("threadId", "")
            if not any(f"PRRT_{c['id']}" == thread for c in self.fake.comments):
                return 200, {"data": {"resolveReviewThread": None}, "errors": [{
                    "type": "NOT_FOUND", "message": f"Could not resolve to a node with the global id of '{thread}'"}]}, {}
            self.fake.resolved_threads.add(thread)
            return 200, {"data": {"resolveReviewThread": {"thread": {"isResolved": True}}}}, {}
        if "minimizeComment" in query:
            subject = (variables.get("input") or {}).get("subjectId") or variables.get("subjectId")
            self.fake.minimized.append(subject)
            return 200, {"data": {"minimizeComment": {"minimizedComment": {"isMinimized": True}}}}, {}
        return 200, {"errors": [{"message": "unsupported query in fake"}]}, {}


    def _review_threads(self, variables: dict[str, Any], page_size: int = 2) -> dict[str, Any] | None:
        """One thread per top-level review comment; small pages so tests cross a page."""
        number = variables.get("number")
        if number not in self.fake.pulls:
            return None
        roots = [c for c in self.fake.comments_of(number) if c.get("in_reply_to_id") is None]
        start = int(variables.get("cursor") or 0)
        chunk = roots[start:start + page_size]
        nodes = [{"id": f"PRRT_{c['id']}", "isResolved": f"PRRT_{c['id']}" in self.fake.resolved_threads,
                  "comments": {"nodes": [{"fullDatabaseId": str(c["id"]),
                                          "databaseId": c["id"] if c["id"] <= INT32_MAX else None}]}}
                 for c in chunk]
        more = start + page_size < len(roots)
        return {"reviewThreads": {"pageInfo": {"hasNextPage": more, "endCursor": str(start + page_size) if more else None},
                                  "nodes": nodes}}

    def _blobs_by_expression(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """``alias: object(expression: $var) { ... on Blob { text byteSize isBinary } }`` and
        ``alias: object(expression: $var) { ... on Tree { entries { name mode type } } }``.

        As GitHub: a symlink is a Blob holding its target path, a submodule resolves to
        nothing (its commit is not in this repository), a binary blob has ``text: null``,
        and an object of the other type than the fragment asks for comes back as ``{}``.
        """
        out: dict[str, Any] = {}
        for alias, var, kind in re.findall(r"(\w+): object\(expression: \$(\w+)\)\s*\{\s*\.\.\. on (Blob|Tree)", query):
            ref, _, path = str(variables.get(var, "")).partition(":")
            tree = self.fake.trees.get(ref)
            if tree is None:
                out[alias] = None
            elif path in tree:
                value = tree[path]
                data = entry_bytes(value)
                if data is None:
                    out[alias] = None
                elif kind != "Blob":
                    out[alias] = {}
                else:
                    binary = is_binary(value)
                    out[alias] = {"text": None if binary else data.decode("utf-8", "replace"),
                                  "byteSize": len(data), "isBinary": binary, "isTruncated": False}
            elif path == "" or any(p.startswith(path.rstrip("/") + "/") for p in tree):
                if kind != "Tree":
                    out[alias] = {}
                    continue
                prefix = f"{path.rstrip('/')}/" if path else ""
                names: dict[str, dict[str, Any]] = {}
                for p, value in tree.items():
                    if not p.startswith(prefix):
                        continue
                    name, _, rest = p[len(prefix):].partition("/")
                    # GraphQL's TreeEntry.mode is an Int: the octal mode read as a number
                    names[name] = {"name": name, "mode": 0o40000, "type": "tree"} if rest else {
                        "name": name, "mode": int(entry_mode(value), 8),
                        "type": "commit" if isinstance(value, Submodule) else "blob"}
                out[alias] = {"entries": sorted(names.values(), key=lambda e: e["name"])}
            else:
                out[alias] = None
        return out


class _HTTPError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body


def _text_or_none(entry: Any) -> str | None:
    return None if entry is None else entry_text(entry)


def _follow(old: str | None, new: str | None, line: int | None) -> int | None:
    """Where line ``line`` of ``old`` is in ``new`` if it is unchanged, else None."""
    if old is None or new is None or not line:
        return None
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        if a < line <= a + size:
            return b + (line - a)
    return None


def _join_sentences(errors: list[str]) -> str:
    if len(errors) == 1:
        return errors[0]
    return ", ".join(errors[:-1]) + ", and " + errors[-1]
