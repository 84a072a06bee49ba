"""A thin typed client over PyGithub: plain records in, typed errors out.

Two PyGithub instances share the token: reads retry 5xx with backoff; writes never
retry a 5xx or a read timeout inside urllib3 (a 502 may come after GitHub created the
review, and a blind retry posts it twice), so ``publish`` decides by looking for our
marker. Rate-limit waits honour ``Retry-After`` / ``x-ratelimit-reset`` up to a bound.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import RateLimitExceededException, RateLimitExceededExceedsMaxWait

from bot.github.records import PullFile, PullInfo, RemoteComment, RemoteReview

API_VERSION = "2022-11-28"
MAX_FILE_BYTES = 1_000_000  # we parse at most 1 MB per Dockerfile (github.md §5.2)
GRAPHQL_BATCH = 50  # files per GraphQL query: well under GitHub's node and size limits
_TOO_BIG = "\x00too big"  # GraphQL gave no usable text: ask REST


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
    """GithubRetry whose ``Retry-After`` sleep is bounded too (urllib3 obeys it blindly)."""

    def __init__(self, *, max_retry_after: float = 300, **kw: Any) -> None:
        self.max_retry_after = max_retry_after
        super().__init__(**kw)

    def new(self, **kw: Any) -> "BoundedRetry":
        kw.setdefault("max_retry_after", self.max_retry_after)
        return super().new(**kw)  # type: ignore[return-value]

    def get_retry_after(self, response: Any) -> float | None:
        wait = super().get_retry_after(response)
        if wait is not None and wait > self.max_retry_after:
            raise RateLimitWaitTooLong(wait)
        return wait


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


def retry_configs(cfg: RetryConfig) -> tuple[GithubRetry, GithubRetry]:
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

    def blob_text(self, sha: str) -> str:
        """A file's text by blob SHA (no path-encoding issues; base64 up to 100 MB)."""
        def get() -> str:
            blob = self._rrepo.get_git_blob(sha)
            if blob.size and blob.size > MAX_FILE_BYTES:
                raise ApiError(413, f"file is {blob.size} bytes, over the {MAX_FILE_BYTES} byte limit")
            return _decode(base64.b64decode(blob.content or ""))
        return self._call(get)

    def text_at(self, path: str, ref: str) -> str | None:
        """A file's text at a commit, or None when it does not exist there."""
        def get() -> str | None:
            try:
                content = self._rrepo.get_contents(path, ref=ref)
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if isinstance(content, list) or content.type != "file":
                return None
            if content.size and content.size > MAX_FILE_BYTES or content.encoding != "base64":
                raise ApiError(413, f"{path} is over the {MAX_FILE_BYTES} byte limit")
            return _decode(content.decoded_content)
        return self._call(get)

    def texts_at(self, paths: Sequence[str], ref: str) -> tuple[dict[str, str | None], dict[str, str]]:
        """Many files at one commit in one GraphQL request per ``GRAPHQL_BATCH`` paths.

        Returns ({path: text, or None when absent}, {path: why it is unreadable}). The
        configuration candidates and every base-branch Dockerfile share one request where
        REST would spend one each. Paths travel as variables, never inside the query text.
        Falls back to REST when GraphQL is unavailable (an old GHES, a blocking proxy).
        """
        texts: dict[str, str | None] = {}
        problems: dict[str, str] = {}
        unique = list(dict.fromkeys(paths))
        for i in range(0, len(unique), GRAPHQL_BATCH):
            chunk = unique[i:i + GRAPHQL_BATCH]
            try:
                found = self._call(lambda chunk=chunk: self._graphql_blobs(chunk, ref))
            except RateLimited:
                raise
            except ApiError:  # no GraphQL here (404), or it failed: REST answers the same question
                found = None
            for path in chunk:
                if found is None or found.get(path, "") == _TOO_BIG:
                    # REST for what GraphQL could not give (and everything when it failed)
                    try:
                        texts[path] = self.text_at(path, ref)
                    except ApiError as exc:
                        if exc.status not in (403, 404, 413):
                            raise
                        problems[path] = exc.message
                else:
                    texts[path] = found.get(path)
        return texts, problems

    def _graphql_blobs(self, paths: Sequence[str], ref: str) -> dict[str, str | None]:
        aliases = {f"f{i}": p for i, p in enumerate(paths)}
        fields = " ".join(f"{a}: object(expression: ${a}) {{ ... on Blob {{ text byteSize isBinary isTruncated }} }}"
                          for a in aliases)
        decl = "".join(f", ${a}: String!" for a in aliases)
        owner, name = self.repo_name.split("/", 1)
        query = f"query($owner: String!, $name: String!{decl}) {{ repository(owner: $owner, name: $name) {{ {fields} }} }}"
        variables: dict[str, Any] = {"owner": owner, "name": name, **{a: f"{ref}:{p}" for a, p in aliases.items()}}
        _, data = self._read.requester.graphql_query(query, variables)
        repo = ((data or {}).get("data") or {}).get("repository") or {}
        out: dict[str, str | None] = {}
        for alias, path in aliases.items():
            blob = repo.get(alias)
            if not blob or "text" not in blob:  # absent, or a directory / submodule
                out[path] = None
            elif blob.get("isBinary") or blob.get("isTruncated") or blob.get("text") is None \
                    or (blob.get("byteSize") or 0) > MAX_FILE_BYTES:
                out[path] = _TOO_BIG  # REST decides: the limit message, or the full text
            else:
                out[path] = _decode(str(blob["text"]).encode())
        return out

    def tree(self, sha: str) -> tuple[dict[str, tuple[int, str]], bool]:
        """Every blob of a commit's tree as {path: (size, blob sha)}, and whether GitHub
        truncated the listing (huge repositories): one request."""
        def get() -> tuple[dict[str, tuple[int, str]], bool]:
            tree = self._rrepo.get_git_tree(sha, recursive=True)
            entries = {str(e.path): (int(e.size or 0), str(e.sha)) for e in tree.tree if e.type == "blob"}
            return entries, bool(tree.raw_data.get("truncated"))
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
        (REST cannot see or resolve threads)."""
        owner, name = self.repo_name.split("/", 1)
        query = ("query($owner: String!, $name: String!, $number: Int!, $cursor: String) { "
                 "repository(owner: $owner, name: $name) { pullRequest(number: $number) { "
                 "reviewThreads(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } "
                 "nodes { id isResolved comments(first: 1) { nodes { databaseId } } } } } } }")

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
                    if first.get("databaseId") is not None:
                        out[int(first["databaseId"])] = (str(node["id"]), bool(node.get("isResolved")))
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
        try:
            return fn()
        except ApiError:
            raise
        except RateLimitWaitTooLong as exc:
            raise RateLimited(429, str(exc)) from None
        except RateLimitExceededExceedsMaxWait as exc:
            raise RateLimited(exc.status, f"rate limit: {_message(exc)}") from None
        except RateLimitExceededException as exc:
            raise RateLimited(exc.status, f"rate limit: {_message(exc)}") from None
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
            # Exhausted retries surface as RetryError, not GithubException (github.md §4.3).
            kind = type(exc).__name__
            if write:
                raise Ambiguous(0, f"{kind}: no usable answer from GitHub") from None
            raise ApiError(0, f"{kind}: no usable answer from GitHub") from None


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


def _decode(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text

