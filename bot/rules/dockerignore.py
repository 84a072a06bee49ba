"""`.dockerignore` semantics as BuildKit applies them (moby/patternmatcher).

Each non-comment line is a pattern, cleaned like Go's ``filepath.Clean`` with a
leading ``/`` dropped; ``*`` and ``?`` never cross ``/``, ``**`` crosses any number
of directories, ``[...]`` is a class, ``\\`` escapes. A pattern excludes a path when
it matches the path or one of its parent directories; ``!`` re-includes; the last
matching line wins. So ``node_modules`` excludes only the top-level folder, and
``*`` alone excludes everything.
"""

import re
from functools import lru_cache
from typing import Callable, Iterable, Mapping

from bot.model.records import Record, field


class Pattern(Record):
    __slots__ = ()
    _fields = ("text", "exclusion", "regex")
    text = field(0, 'str: cleaned, without "!"')
    exclusion = field(1, 'bool: a "!" line')
    regex = field(2, "re.Pattern[str]")

    def __new__(cls, text, exclusion, regex):
        return tuple.__new__(cls, (text, exclusion, regex))


def _clean(path: str) -> str:
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and out and out[-1] != "..":
            out.pop()
            continue
        out.append(part)
    return "/".join(out) or "."


def _regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")  # "**/" : zero or more directories
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body.startswith("^"):
                    body = "!" + body[1:]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return re.compile(r"(?!)")  # a malformed class matches nothing, as Go's Match errors


def parse(text: str) -> list[Pattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = _clean(line.lstrip("/"))
        if not line or line == ".":
            continue
        patterns.append(Pattern(line, exclusion, _regex(line)))
    return patterns


@lru_cache(maxsize=65536)  # each path of a context is matched against every pattern and wildcard COPY source
def _parents(path: str) -> tuple[str, ...]:
    parts = path.split("/")
    return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))


def is_excluded(patterns: list[Pattern], path: str) -> bool:
    """Whether ``path`` (relative to the context root) is left out of the context."""
    path = _clean(path)
    candidates = _parents(path)
    excluded = False
    for p in patterns:
        if any(p.regex.match(c) for c in candidates):
            excluded = not p.exclusion
    return excluded


def included_files(patterns: list[Pattern], files: Mapping[str, int]) -> Mapping[str, int]:
    if not patterns:
        return files
    return {p: size for p, size in files.items() if not is_excluded(patterns, p)}


def files_under(files: Mapping[str, int], sources: Iterable[str],
                is_folder: Callable[[str], bool] | None = None) -> dict[str, int]:
    """Context files a COPY of ``sources`` reads (a source names a file or a folder;
    wildcards match one path level like BuildKit's). ``is_folder``: whether a path holds
    any of ``files`` (or of a listing they come from), so a plain file name needs no scan."""
    out: dict[str, int] = {}
    for src in sources:
        src = _clean(src.lstrip("/"))
        if src == ".":
            return dict(files)
        if not any(ch in src for ch in "*?["):  # a file or a folder: no need to match patterns
            if src in files:
                out[src] = files[src]
            folder = src.rstrip("/")
            if is_folder is None or is_folder(folder):
                prefix = folder + "/"
                out.update((p, n) for p, n in files.items() if p.startswith(prefix))
            continue
        rx = _regex(src)
        for path, size in files.items():
            for cand in _parents(path):
                if cand == src or rx.match(cand):
                    out[path] = size
                    break
    return out


def ignore_file(context, dockerfile_path: str) -> tuple[str, str | None]:
    """The ignore file BuildKit uses for this Dockerfile: ``<Dockerfile>.dockerignore``
    next to it first, then ``.dockerignore`` at the context root. Returns (relative
    path, text); text is None when neither exists."""
    derived = getattr(context, "derived", None)
    if derived is None:
        return _ignore_file(context, dockerfile_path)
    # DT501, DT502 and DT503 each ask it of every Dockerfile: found once per context and Dockerfile
    return derived(("ignore file", dockerfile_path), lambda: _ignore_file(context, dockerfile_path))


def _ignore_file(context, dockerfile_path: str) -> tuple[str, str | None]:
    import os.path
    import posixpath

    root = (getattr(context, "root", "") or "").replace("\\", "/").rstrip("/")
    if root.startswith("/") and not os.path.isabs(dockerfile_path):
        dockerfile_path = os.path.abspath(dockerfile_path)  # the CLI passes paths as typed
    path = dockerfile_path.replace("\\", "/")
    rel = path[len(root) + 1 :] if root and path.startswith(root + "/") else posixpath.basename(path)
    own = posixpath.join(posixpath.dirname(rel), posixpath.basename(rel) + ".dockerignore")
    for candidate in (own, ".dockerignore"):
        text = context.text(candidate) if context.exists(candidate) else None
        if text is not None:
            return candidate, text
    return ".dockerignore", None


def copied_bytes(context, dockerfile_path: str, sources: Iterable[str]) -> int | None:
    """Bytes of the context files a COPY of ``sources`` sends, after .dockerignore;
    None when the context is unknown or nothing matches."""
    if context is None or not context.files:
        return None
    _, text = ignore_file(context, dockerfile_path)
    sources = tuple(sources)
    derived = getattr(context, "derived", None)
    if derived is None:
        return _copied_bytes(context, text, sources)
    # DT202 and DT206 ask it of COPYs in every Dockerfile of a folder: each sum (a scan of the
    # listing) made once per context, ignore text and sources
    return derived(("copied bytes", text, sources), lambda: _copied_bytes(context, text, sources))


def _copied_bytes(context, ignore_text: str | None, sources: tuple[str, ...]) -> int | None:
    files = included_files(parse(ignore_text or ""), context.files)
    found = files_under(files, sources, getattr(context, "is_folder", None))
    return sum(found.values()) if found else None
