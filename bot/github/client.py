"""A thin typed client over PyGithub: plain records in, typed errors out.

Two PyGithub instances share the token: reads retry 5xx with backoff; writes never
retry a 5xx or a read timeout inside urllib3 (a 502 may come after GitHub created the
review, and a blind retry posts it twice), so ``publish`` decides by looking for our
marker. Rate-limit waits honour ``Retry-After`` / ``x-ratelimit-reset`` up to a bound.
"""

from __future__ import annotations

import base64
import math
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import RateLimitExceededException, RateLimitExceededExceedsMaxWait

from bot.github.records import FileText, PullFile, PullInfo, RemoteComment, RemoteReview, TreeListing
from bot.model.source import SourceError, decode

API_VERSION = "2022-11-28"
MAX_FILE_BYTES = 1_000_000  # we parse at most 1 MB per Dockerfile (github.md §5.2)
GRAPHQL_BATCH = 50  # files per GraphQL query: well under GitHub's node and size limits


class ApiError(Exception):
    """A GitHub call failed; ``status`` 0 means no HTTP answer (timeout, connection)."""

    def __init__(self, status: int, message: str, errors: tuple[str, ...] = ()) -> None:
        super().__init__(f"{status or 'no response'}: {message}")
        self.status = status
        self.message = message
        self.errors = errors


class Forbidden(ApiError):
    """403 without rate-limit signs: a read-only token (fork PR) or missing permission."""


class NotFound(ApiError):
    pass


class Unprocessable(ApiError):
    """422: GitHub rejected the review (anchors, commit_id)."""


class Ambiguous(ApiError):
    """5xx, timeout or exhausted retries on a write: it may or may not have happened."""


class RateLimited(ApiError):
    """The required wait for a rate limit exceeded our bound."""


class BoundedRetry(GithubRetry):
    """GithubRetry whose ``Retry-After`` sleep is bounded too (urllib3 obeys it blindly),
    and which remembers the last rate-limit answer: when retries run out, urllib3 raises a
    bare ``RetryError`` and the wait GitHub asked for would otherwise be lost."""

    def __init__(self, *, max_retry_after: float = 300, seen: dict | None = None, **kw: Any) -> None:
        self.max_retry_after = max_retry_after
        self.seen = {} if seen is None else seen  # shared by every copy urllib3 makes
        super().__init__(**kw)

    def new(self, **kw: Any) -> "BoundedRetry":
        kw.setdefault("max_retry_after", self.max_retry_after)
        kw.setdefault("seen", self.seen)
        return super().new(**kw)  # type: ignore[return-value]

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if response is not None and response.status in (403, 429):
            wait = limit_wait(response.headers, self.secondary_rate_wait)
            if wait is not None:
                self.seen["limit"] = wait
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        if wait is not None and wait > self.max_retry_after:
            raise RateLimitWaitTooLong(wait)
        return wait


def limit_wait(headers: Any, secondary_wait: float = 60) -> tuple[str, float] | None:
    """("primary" | "secondary", seconds to wait) when ``headers`` show a rate limit, else None.

    Primary: ``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset`` (epoch seconds).
    Secondary: ``Retry-After`` (or, without it, GitHub's advice to wait at least a minute).
    """
    get = (lambda k: headers.get(k)) if headers is not None else (lambda k: None)
    retry_after = get("Retry-After") or get("retry-after")
    if retry_after is not None and str(retry_after).strip().isdigit():
        return "secondary", float(retry_after)
    remaining = get("X-RateLimit-Remaining") or get("x-ratelimit-remaining")
    reset = get("X-RateLimit-Reset") or get("x-ratelimit-reset")
    if str(remaining) == "0" and reset is not None and str(reset).isdigit():
        return "primary", max(0.0, int(reset) - time.time())
    if str(remaining) == "0":
        return "primary", secondary_wait
    return None


def limit_message(kind: str, wait: float) -> str:
    return f"GitHub rate limit: retry after {max(1, math.ceil(wait))} s ({kind} limit)"


class RateLimitWaitTooLong(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"GitHub asked to wait {wait:.0f} s, more than allowed")
        self.wait = wait


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """Knobs tests turn down; production keeps PyGithub's write spacing."""

    seconds_between_requests: float = 0.25
    seconds_between_writes: float = 1.0
    backoff_factor: float = 1.0
    max_rate_limit_wait: float = 300
    secondary_rate_wait: float = 60
    timeout: float = 15
    write_timeout: float = 60  # a big review is slow; a timeout is the ambiguous case


T = TypeVar("T")


def retry_configs(cfg: RetryConfig) -> tuple[BoundedRetry, BoundedRetry]:
    """(read, write) retry policies of github.md §4.3, with bounded Retry-After."""
    common = dict(secondary_rate_wait=cfg.secondary_rate_wait, max_rate_limit_wait=cfg.max_rate_limit_wait,
                  max_retry_after=cfg.max_rate_limit_wait)
    read = BoundedRetry(total=5, backoff_factor=cfg.backoff_factor, **common)
    # status_forcelist=[] leaves GithubRetry's 403 (rate limit) as the only retried status.
    write = BoundedRetry(total=3, status_forcelist=[], read=0, connect=2,
                         backoff_factor=cfg.backoff_factor, **common)
    return read, write


class GitHubClient:
    def __init__(self, token: str, repo: str, base_url: str, cfg: RetryConfig = RetryConfig(),
                 api_version: str | None = API_VERSION) -> None:
        read_retry, write_retry = retry_configs(cfg)
        self._read_retry, self._write_retry = read_retry, write_retry
        self._secondary_wait = cfg.secondary_rate_wait
        auth = Auth.Token(token)
        kw: dict[str, Any] = dict(base_url=base_url.rstrip("/"), auth=auth, per_page=100, lazy=True,
                                  seconds_between_requests=cfg.seconds_between_requests,
                                  seconds_between_writes=cfg.seconds_between_writes)
        if api_version:
            kw["api_version"] = api_version
        self._read = Github(retry=read_retry, timeout=max(1, int(cfg.timeout)), **kw)
        self._write = Github(retry=write_retry, timeout=max(1, int(cfg.write_timeout)), **kw)
        self.repo_name = repo
        self._rrepo = self._read.get_repo(repo)
        self._wrepo = self._write.get_repo(repo)
        self.requests = 0  # calls made through this client, for the request budget

    # -- reads -----------------------------------------------------------------------
    def pull(self, number: int) -> PullInfo:
        def get() -> PullInfo:
            pr = self._rrepo.get_pull(number)  # lazy: the first attribute read GETs it
            head, base = pr.head, pr.base
            return PullInfo(
                number=int(pr.number), state=str(pr.state or ""), draft=bool(pr.draft),
                head_sha=str(head.sha or ""), base_sha=str(base.sha or ""),
                head_repo=str(head.repo.full_name) if head.repo is not None else "",
                base_repo=str(base.repo.full_name) if base.repo is not None else self.repo_name,
                changed_files=int(pr.changed_files or 0),
            )
        return self._call(get)

    def files(self, number: int) -> list[PullFile]:
        def get() -> list[PullFile]:
            return [PullFile(f.filename, f.status, f.sha, f.patch, f.previous_filename)
                    for f in self._rrepo.get_pull(number).get_files()]
        return self._call(get)

    def merge_base(self, base_sha: str, head_sha: str) -> str:
        """The merge base of the PR (``GET /compare/{base}...{head}``): what the PR's diff is
        taken against, and so what "new" findings are new relative to. ``base.sha`` is the
        base branch's tip, which moves on as other PRs merge."""
        def get() -> str:
            _, data = self._read.requester.requestJsonAndCheck(
                "GET", f"{self._rrepo.url}/compare/{base_sha}...{head_sha}", parameters={"per_page": 1})
            sha = str(((data or {}).get("merge_base_commit") or {}).get("sha") or "")
            if not re.fullmatch(r"[0-9a-f]{40}", sha):
                raise ApiError(0, "the compare answer has no merge_base_commit")
            return sha
        return self._call(get)

    def blob(self, sha: str) -> FileText:
        """A file by blob SHA (no path-encoding issues; base64 up to 100 MB)."""
        def get() -> FileText:
            blob = self._rrepo.get_git_blob(sha)
            if blob.size and blob.size > MAX_FILE_BYTES:
                return too_big(blob.size)
            return file_text(base64.b64decode(blob.content or ""))
        return self._call(get)

    def text_at(self, path: str, ref: str) -> FileText:
        """A file at a commit by path (REST contents API)."""
        def get() -> FileText:
            try:
                content = self._rrepo.get_contents(path, ref=ref)
            except GithubException as exc:
                if exc.status == 404:
                    return FileText("missing")
                raise
            if isinstance(content, list):
                return FileText("missing", note="a directory")
            if content.type in ("symlink", "submodule"):
                return FileText(content.type)
            if content.type != "file":
                return FileText("missing", note=f"a {content.type}")
            if content.size and content.size > MAX_FILE_BYTES or content.encoding != "base64":
                return too_big(content.size or 0)
            return file_text(content.decoded_content)
        return self._call(get)

    def read_graphql(self, files: Sequence[tuple[str, str]], dirs: Sequence[tuple[str, str]] = ()
                     ) -> tuple[dict[tuple[str, str], FileText], dict[tuple[str, str], dict[str, str]]]:
        """Many files and directory listings, at any commits, in one GraphQL request per
        ``GRAPHQL_BATCH`` objects: ``repository { object(expression: "sha:path") }``.

        ``files``: (commit, path) pairs; a file GraphQL cannot give whole (truncated text)
        comes back as kind "unread" for the caller to read through REST. ``dirs``: (commit,
        directory) pairs, answered as {entry name: "file" | "symlink" | "submodule" | "dir"}:
        a Blob does not say whether it is a symlink, its tree entry's mode does. Paths
        travel as variables, never inside the query text. Raises ApiError when GraphQL
        fails (an old GHES, a blocking proxy): the caller then reads through REST.
        """
        items = [("f", ref, path) for ref, path in dict.fromkeys(files)] + \
                [("d", ref, path) for ref, path in dict.fromkeys(dirs)]
        texts: dict[tuple[str, str], FileText] = {}
        listings: dict[tuple[str, str], dict[str, str]] = {}
        for i in range(0, len(items), GRAPHQL_BATCH):
            chunk = items[i:i + GRAPHQL_BATCH]
            repo = self._call(lambda chunk=chunk: self._graphql_objects(chunk))
            for n, (what, ref, path) in enumerate(chunk):
                node = repo.get(f"o{n}")
                if what == "f":
                    texts[(ref, path)] = _blob_node(node)
                elif isinstance(node, dict) and isinstance(node.get("entries"), list):
                    listings[(ref, path)] = {str(e.get("name")): _entry_kind(e.get("mode"), e.get("type"))
                                             for e in node["entries"] if isinstance(e, dict)}
        return texts, listings

    def _graphql_objects(self, chunk: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
        fields = []
        for n, (what, _, _) in enumerate(chunk):
            part = ("... on Blob { text byteSize isBinary isTruncated }" if what == "f"
                    else "... on Tree { entries { name mode type } }")
            fields.append(f"o{n}: object(expression: $o{n}) {{ {part} }}")
        decl = "".join(f", $o{n}: String!" for n in range(len(chunk)))
        owner, name = self.repo_name.split("/", 1)
        query = (f"query($owner: String!, $name: String!{decl}) {{ repository(owner: $owner, name: $name) "
                 f"{{ {' '.join(fields)} }} }}")
        variables: dict[str, Any] = {"owner": owner, "name": name,
                                     **{f"o{n}": f"{ref}:{path}" for n, (_, ref, path) in enumerate(chunk)}}
        _, data = self._read.requester.graphql_query(query, variables)
        repo = ((data or {}).get("data") or {}).get("repository")
        if not isinstance(repo, dict):
            raise ApiError(0, "GraphQL answered without a repository")
        return repo

    def tree(self, sha: str, recursive: bool = True) -> TreeListing:
        """A commit's tree in one request (``recursive``: every level; else the top only)."""
        def get() -> TreeListing:
            tree = self._rrepo.get_git_tree(sha, recursive=recursive)
            blobs: dict[str, tuple[int, str]] = {}
            special: dict[str, str] = {}
            for e in tree.tree:
                kind = _entry_kind(e.mode, e.type)
                if kind in ("symlink", "submodule"):
                    special[str(e.path)] = kind
                if e.type == "blob":
                    blobs[str(e.path)] = (int(e.size or 0), str(e.sha))
            return TreeListing(blobs, special, bool(tree.raw_data.get("truncated")))
        return self._call(get)

    def review_comments(self, number: int) -> list[RemoteComment]:
        def get() -> list[RemoteComment]:
            out = []
            # Attributes, not raw_data: raw_data would GET every comment once more.
            for c in self._rrepo.get_pull(number).get_review_comments():
                user = c.user
                out.append(RemoteComment(int(c.id), str(c.node_id or ""), str(c.path or ""), c.line,
                                         str(c.body or ""), str(user.login if user else ""),
                                         str(user.type if user else ""), c.original_line, c.start_line))
            return out
        return self._call(get)

    def reviews(self, number: int) -> list[RemoteReview]:
        def get() -> list[RemoteReview]:
            out = []
            for r in self._rrepo.get_pull(number).get_reviews():
                user = r.user
                out.append(RemoteReview(int(r.id), str(r.body or ""), str(r.commit_id or ""),
                                        str(user.login if user else ""), str(user.type if user else "")))
            return out
        return self._call(get)

    def login(self) -> str:
        """The login the token posts as (GET /user); installation tokens answer 403."""
        return self._call(lambda: str(self._read.get_user().login or ""))

    # -- writes ----------------------------------------------------------------------
    def create_review(self, number: int, head_sha: str, body: str, comments: list[dict[str, Any]]) -> int:
        """POST one COMMENT review. Never retried here on 5xx/timeout: see ``Ambiguous``."""
        def post() -> int:
            pr = self._wrepo.get_pull(number)
            review = pr.create_review(commit=self._wrepo.get_commit(head_sha), body=body,
                                      event="COMMENT", comments=comments)  # type: ignore[arg-type]
            return int(review.id)
        return self._call(post, write=True)

    def edit_comment(self, comment_id: int, body: str) -> None:
        def patch() -> None:
            self._write.requester.requestJsonAndCheck(
                "PATCH", f"{self._wrepo.url}/pulls/comments/{comment_id}", input={"body": body})
        self._idempotent(patch)

    def edit_review(self, number: int, review_id: int, body: str) -> None:
        def put() -> None:
            self._write.requester.requestJsonAndCheck(
                "PUT", f"{self._wrepo.url}/pulls/{number}/reviews/{review_id}", input={"body": body})
        self._idempotent(put)

    def minimize(self, node_id: str, classifier: str = "RESOLVED") -> None:
        def mutate() -> None:
            self._write.requester.graphql_named_mutation(
                "minimizeComment", {"subjectId": node_id, "classifier": classifier},
                "minimizedComment { isMinimized }")
        self._idempotent(mutate)

    def review_threads(self, number: int) -> dict[int, tuple[str, bool]]:
        """{id of a thread's first comment: (thread node id, resolved)}; GraphQL only
        (REST cannot see or resolve threads).

        Linked through ``fullDatabaseId`` (a BigInt, sent as a string): REST comment ids
        passed 2^31, and the deprecated 32-bit ``databaseId`` can no longer hold them.
        """
        owner, name = self.repo_name.split("/", 1)
        query = ("query($owner: String!, $name: String!, $number: Int!, $cursor: String) { "
                 "repository(owner: $owner, name: $name) { pullRequest(number: $number) { "
                 "reviewThreads(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } "
                 "nodes { id isResolved comments(first: 1) { nodes { fullDatabaseId } } } } } } }")

        def get() -> dict[int, tuple[str, bool]]:
            out: dict[int, tuple[str, bool]] = {}
            cursor = None
            for _ in range(30):  # 3000 threads: far beyond any review we post
                _, data = self._read.requester.graphql_query(
                    query, {"owner": owner, "name": name, "number": number, "cursor": cursor})
                pr = (((data or {}).get("data") or {}).get("repository") or {}).get("pullRequest") or {}
                threads = pr.get("reviewThreads") or {}
                for node in threads.get("nodes") or ():
                    first = ((node.get("comments") or {}).get("nodes") or [{}])[0] or {}
                    full = str(first.get("fullDatabaseId") or "")
                    if full.isdigit():
                        out[int(full)] = (str(node["id"]), bool(node.get("isResolved")))
                page = threads.get("pageInfo") or {}
                if not page.get("hasNextPage"):
                    break
                cursor = page.get("endCursor")
            return out
        return self._call(get)

    def resolve_thread(self, thread_id: str) -> None:
        def mutate() -> None:
            self._write.requester.graphql_named_mutation(
                "resolveReviewThread", {"threadId": thread_id}, "thread { isResolved }")
        self._idempotent(mutate)

    # -- error mapping -----------------------------------------------------------------
    def _idempotent(self, fn: Callable[[], T]) -> T:
        """PATCH/PUT/GraphQL edits: repeating them is harmless, so retry one 5xx."""
        try:
            return self._call(fn, write=True)
        except Ambiguous:
            return self._call(fn, write=True)

    def _call(self, fn: Callable[[], T], write: bool = False) -> T:
        self.requests += 1
        (self._write_retry if write else self._read_retry).seen.clear()
        try:
            return fn()
        except ApiError:
            raise
        except RateLimitWaitTooLong as exc:
            raise RateLimited(429, limit_message("secondary", exc.wait)) from None
        except RateLimitExceededException as exc:  # also ...ExceedsMaxWait, which knows the wait
            kind, wait = limit_wait(exc.headers, self._secondary_wait) or ("secondary", self._secondary_wait)
            if isinstance(exc, RateLimitExceededExceedsMaxWait) and exc.wait is not None:
                wait = exc.wait
            raise RateLimited(exc.status, limit_message(kind, wait)) from None
        except GithubException as exc:
            status, message = exc.status, _message(exc)
            errors = _errors(exc.data)
            if status == 403:
                raise Forbidden(status, message, errors) from None
            if status == 404:
                raise NotFound(status, message, errors) from None
            if status == 422:
                raise Unprocessable(status, message, errors) from None
            if status >= 500 and write:
                raise Ambiguous(status, message, errors) from None
            raise ApiError(status, message, errors) from None
        except (requests.exceptions.RetryError, requests.exceptions.Timeout,
                requests.exceptions.ConnectionError) as exc:
            # Exhausted retries surface as RetryError, not GithubException (github.md §4.3);
            # when they were spent waiting on a rate limit, say so and how long it asks for.
            limit = self._limit_seen(write)
            if isinstance(exc, requests.exceptions.RetryError) and limit is not None:
                raise RateLimited(429, limit_message(*limit)) from None
            kind = "timeout" if isinstance(exc, requests.exceptions.Timeout) else \
                "connection failed" if isinstance(exc, requests.exceptions.ConnectionError) else "retries exhausted"
            if write:
                raise Ambiguous(0, f"no usable answer from GitHub ({kind})") from None
            raise ApiError(0, f"no usable answer from GitHub ({kind})") from None

    def _limit_seen(self, write: bool) -> tuple[str, float] | None:
        seen = (self._write_retry if write else self._read_retry).seen
        return seen.pop("limit", None)


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(exc.message or data or "")


def _errors(data: Any) -> tuple[str, ...]:
    """Both shapes GitHub uses: strings (reviews) and objects (most other endpoints)."""
    if not isinstance(data, dict):
        return ()
    out = []
    for item in data.get("errors") or ():
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.append(str(item.get("message") or item.get("code") or item))
    return tuple(out)


def file_text(data: bytes) -> FileText:
    """Bytes as a Dockerfile would be read locally (``bot.model.source``): binary (NUL
    bytes), non-UTF-8 and oversized files are never analysed; the BOM is noted, not kept."""
    try:
        source = decode("", data, MAX_FILE_BYTES)
    except SourceError as exc:
        return FileText("binary" if b"\x00" in data[:8192] else "unreadable", note=str(exc))
    return FileText("file", source.text, source.bom)


def too_big(size: int) -> FileText:
    return FileText("unreadable", note=f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit")


def _blob_node(node: Any) -> FileText:
    if node is None:
        return FileText("missing")  # absent, or a submodule (its commit is not in this repository)
    if not isinstance(node, dict) or "text" not in node and "isBinary" not in node:
        return FileText("missing", note="not a file")  # a tree: the expression names a directory
    if node.get("isBinary"):
        return FileText("binary", note="binary file")
    size = int(node.get("byteSize") or 0)
    if size > MAX_FILE_BYTES:
        return too_big(size)
    if node.get("isTruncated") or node.get("text") is None:
        return FileText("unread")  # GraphQL cut the text: REST reads the blob whole
    return file_text(str(node["text"]).encode("utf-8", "surrogatepass"))


def _entry_kind(mode: Any, type_: Any) -> str:
    """Git tree entry modes: 120000 symlink, 160000 submodule (REST gives the octal string,
    GraphQL an Int: accept both readings)."""
    text = str(mode or "")
    number = mode if isinstance(mode, int) else int(text, 8) if text.isdigit() and set(text) <= set("01234567") else -1
    if number == 0o120000 or text == "120000":
        return "symlink"
    if number == 0o160000 or text == "160000" or type_ == "commit":
        return "submodule"
    if number == 0o40000 or type_ == "tree":
        return "dir"
    return "file"
