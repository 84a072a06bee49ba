import re
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript
from bot.model.text import Edit, Position, Span
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.dockerignore import copied_bytes
from bot.rules.edits import append_command
from bot.rules.facts import (
    APT,
    TAR_SUFFIXES,
    copy_args,
    is_archive,
    is_url,
    join_path,
    layer_claim,
    short_name,
)

DECOMPRESSORS = frozenset(("unzip", "gunzip", "bunzip2", "unxz", "unlzma", "uncompress", "zcat", "gzcat", "7z", "7za", "bsdtar"))
# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
_VAR = r"\$\{?([A-Za-z_][A-Za-z0-9_]*)"
_SAFE_PATH = r"[A-Za-z0-9_./+@%-]+"


class Archive(Record):
    __slots__ = ()
    _fields = ("ins", "source", "path", "word")
    ins = field(0, "Instruction: the COPY/ADD")
    source = field(1, "str: as written: a context path or a URL")
    path = field(2, "str: where it lands in the image")
    word = field(3, "tuple[int, int]: offsets of the source in ins.body")

    def __new__(cls, ins, source, path, word):
        return tuple.__new__(cls, (ins, source, path, word))


class ArchiveLeftInCopyLayer(Rule):
    id = "DT206"
    name = "archive-left-in-copy-layer"
    severity = Severity.WARNING
    summary = "an archive brought in by `ADD <url>` or `COPY` stays in its layer after a later RUN unpacks it"
    hadolint = ("DL3010",)
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds an archive or package file (`.tar.gz`, `.tgz`, `.zip`, `.deb`, `.rpm`, `.whl`,
...) that `COPY`, `ADD <url>` or `ADD` of a non-tar file puts into the image, when a
later `RUN` extracts or installs it (`tar -x`, `unzip`, `dpkg -i`, `pip install`, ...)
or deletes it, in a stage that reaches the final image.

## Why is this bad?
The archive is written into the layer of the `COPY`/`ADD`. Extracting it in a later
`RUN` adds the extracted files on top, and deleting it there only hides it: the image
carries the archive *and* its contents. `ADD <url>` never extracts remote archives.

## Example
```dockerfile
FROM debian:12-slim
COPY vendor/tool.tar.gz /tmp/tool.tar.gz
RUN tar -xzf /tmp/tool.tar.gz -C /opt && rm /tmp/tool.tar.gz
```

## Use instead
```dockerfile
FROM debian:12-slim
RUN --mount=type=bind,source=vendor/tool.tar.gz,target=/tmp/tool.tar.gz tar -xzf /tmp/tool.tar.gz -C /opt
```
For a remote archive: download, extract and delete it in one `RUN`
(`curl -fsSL -o /tmp/x.tgz URL && tar -xzf /tmp/x.tgz && rm -f /tmp/x.tgz`). For a
local tar archive, `ADD x.tar.gz /opt/` extracts it without keeping it.

## Fix safety
Review. For a `COPY` the edit drops the `COPY` and bind-mounts the archive into the
`RUN` that uses it (needs BuildKit; a bind mount is read-only, so an `rm` of the
archive in that `RUN` is dropped too). For `ADD <url>` the edit downloads with
`curl`/`wget` inside that `RUN`, only when an earlier `RUN` of the image installs or
uses that tool. No edit when another instruction also reads the archive, when
instructions other than metadata sit between the two, or when flags such as
`--chown` or `--checksum` are on the `ADD`/`COPY`.

## Size impact
The size of the archive (from the build context when it is known; for a URL, unknown
until downloaded).
"""
    examples = (
        Invalid(
            "FROM debian:12-slim\nCOPY vendor/tool.tar.gz /tmp/tool.tar.gz\n"
            "RUN tar -xzf /tmp/tool.tar.gz -C /opt && rm /tmp/tool.tar.gz\n",
            fixed="FROM debian:12-slim\n"
            "RUN --mount=type=bind,source=vendor/tool.tar.gz,target=/tmp/tool.tar.gz tar -xzf /tmp/tool.tar.gz -C /opt\n",
            at="2:6-2:24",
        ),
        Invalid(
            "FROM debian:12-slim\nWORKDIR /tmp\nCOPY pkg.deb ./\nRUN dpkg -i pkg.deb\n",
            fixed="FROM debian:12-slim\nWORKDIR /tmp\n"
            "RUN --mount=type=bind,source=pkg.deb,target=/tmp/pkg.deb dpkg -i pkg.deb\n",
            note="relative destination resolved against WORKDIR",
        ),
        Invalid(
            "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates"
            " && rm -rf /var/lib/apt/lists/*\n"
            "ADD https://example.com/node-v20.tar.xz /tmp/\n"
            "RUN tar -xJf /tmp/node-v20.tar.xz -C /usr/local --strip-components=1\n",
            fixed="FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates"
            " && rm -rf /var/lib/apt/lists/*\n"
            "RUN curl -fsSL --create-dirs -o /tmp/node-v20.tar.xz \"https://example.com/node-v20.tar.xz\" && "
            "tar -xJf /tmp/node-v20.tar.xz -C /usr/local --strip-components=1 && rm -f /tmp/node-v20.tar.xz\n",
            message="ADD",
            note="ADD never extracts a remote archive; curl is known to be installed",
        ),
        Invalid(
            "FROM alpine:3.20\nADD https://example.com/app.zip /opt/\nRUN cd /opt && unzip app.zip && rm app.zip\n",
            note="no download tool known in the image: no edit",
        ),
        Invalid(
            "FROM python:3.12-slim\nCOPY dist/app-1.0-py3-none-any.whl /tmp/\n"
            "RUN pip install --no-cache-dir /tmp/app-1.0-py3-none-any.whl\nRUN echo /tmp/app-1.0-py3-none-any.whl\n",
            note="another RUN also names the file: no edit",
        ),
        Valid(
            "FROM debian:12-slim\nADD vendor/tool.tar.gz /opt/\n",
            note="ADD extracts a local tar archive and does not keep it",
        ),
        Valid(
            "FROM debian:12-slim\nCOPY vendor/tool.tar.gz /srv/downloads/\n",
            note="not unpacked: the archive is what the image serves",
        ),
        Valid(
            "FROM debian:12 AS build\nCOPY tool.tar.gz /tmp/\nRUN tar -xzf /tmp/tool.tar.gz -C /opt\n"
            "FROM debian:12-slim\nCOPY --from=build /opt/tool /opt/tool\n",
            note="a builder stage",
        ),
        Valid(
            "FROM debian:12-slim\nRUN --mount=type=bind,source=tool.tar.gz,target=/tmp/tool.tar.gz tar -xzf /tmp/tool.tar.gz\n",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for archive in _archives(ctx):
            runs = _users(ctx, archive)
            if not runs:
                continue
            yield self._finding(ctx, archive, runs)

    def _finding(self, ctx: Context, archive: Archive, runs: list[tuple[Instruction, ShellScript, list[Command]]]) -> Finding:
        ins = archive.ins
        df = ctx.df
        remote = is_url(archive.source)
        extracted = any(not _removes(c, archive.path, ctx, r) for r, _, cmds in runs for c in cmds)
        name = archive.path.rsplit("/", 1)[-1]
        if remote:
            advice = "fetch, unpack, delete in one RUN"
        elif name.lower().endswith(TAR_SUFFIXES):
            advice = "bind-mount it, or let ADD extract it"
        else:
            advice = "bind-mount it into that RUN"
        params = {"url": archive.source if remote else "", "path": archive.path, "extracted": extracted}
        if not remote:
            size = copied_bytes(ctx.build_context, ctx.path, (archive.source,))
            if size is not None:
                params["bytes"] = size
        return ctx.finding(
            self,
            ins,
            df.logical_span(ins.body, *archive.word),
            _message(name, ins.keyword, advice),
            fix=self._fix(ctx, archive, runs),
            hint=SizeHint(hints.ADDED_ARCHIVE, params, (layer_claim("archive", ins),)),
        )

    def _fix(self, ctx: Context, archive: Archive, runs) -> Fix | None:
        df = ctx.df
        ins = archive.ins
        run, script, cmds = runs[0]
        if len(runs) != 1 or ins not in df.instructions or run not in df.instructions or not script.ok:
            return None
        if ins.flags or run.heredocs or ctx.stage(run) is not ctx.stage(ins):
            return None
        between = [i for i in ctx.stage(ins).instructions if ins.index < i.index < run.index]
        if any(i.keyword not in ("ENV", "ARG", "LABEL", "WORKDIR", "EXPOSE", "USER") for i in between):
            return None
        if not re.fullmatch(_SAFE_PATH, archive.path) or _read_elsewhere(ctx, archive, run):
            return None
        edits = [_delete_lines(ctx, ins)]
        removal = [c for c in script.commands if _removes(c, archive.path, ctx, run)]
        if is_url(archive.source):
            tool = _download_tool(ctx, ins)
            if tool is None or not _vars_in_scope(ctx, run, archive.source):
                return None
            first = script.commands[0]
            if first.depth:
                return None
            url = archive.source.replace('"', "%22")
            folder = archive.path.rsplit("/", 1)[0] or "/"
            if tool == "curl":
                get = f'curl -fsSL --create-dirs -o {archive.path} "{url}"'
            elif folder in ("/tmp", "/"):
                get = f'wget -q -O {archive.path} "{url}"'
            else:
                get = f'mkdir -p {folder} && wget -q -O {archive.path} "{url}"'
            edits.append(Edit(Span(first.span.start, first.span.start), get + _joiner(df, run)))
            if not removal:
                tail = append_command(df, run, script, f"rm -f {archive.path}")
                if tail is None:
                    return None
                edits.append(tail)
            reason = (f"the download now runs in the RUN with {tool}; check the URL needs no "
                      "authentication and that the RUN's working directory is unchanged")
            title = f"Download, unpack and delete {archive.path.rsplit('/', 1)[-1]} in one RUN"
        else:
            source = archive.source
            while source.startswith("./"):
                source = source[2:]
            if not re.fullmatch(_SAFE_PATH, source) or any(ch in source for ch in "*?[$"):
                return None
            if len(removal) > 1:
                return None
            if removal:
                edit = _delete_command(script, removal[0], archive.path, ctx, run)
                if edit is None:
                    return None
                edits.append(edit)
            mount = f" --mount=type=bind,source={source},target={archive.path}"
            edits.append(Edit(Span(run.keyword_span.end, run.keyword_span.end), mount))
            reason = ("a bind mount needs BuildKit; the archive is no longer in the image, so "
                      "check nothing else reads " + archive.path)
            title = "Bind-mount the archive into the RUN instead of copying it"
        edits.sort(key=lambda e: (e.span.start, e.span.end))
        return Fix(title, tuple(edits), Safety.REVIEW, reason=reason)


def _archives(ctx: Context) -> Iterator[Archive]:
    df = ctx.df
    for ins in ctx.instructions("COPY", "ADD", final_only=True):
        args = copy_args(df, ins)
        if args is None or args.heredoc or not args.source_offsets or ins.flag("from"):
            continue
        if ins.flag("unpack") or "$" in args.dest:
            continue
        archives = list(_archive_sources(ins, args))
        if not archives:
            continue  # (most COPYs): no need of where it copies to
        wd = ctx.workdir(ins)
        if not wd:
            continue
        dest = join_path(wd, args.dest)
        to_dir = len(args.sources) > 1 or args.dest.endswith("/") or args.dest.rsplit("/", 1)[-1] in (".", "..") or dest == wd
        for src, word, name in archives:
            path = join_path(dest, name) if to_dir else dest
            yield Archive(ins, src, path, word)


def _archive_sources(ins: Instruction, args) -> Iterator[tuple[str, tuple[int, int], str]]:
    """(source, its offsets, file name) of each source of a COPY/ADD that copies an archive
    as it is (ADD extracts a local tarball itself)."""
    for src, word in zip(args.sources, args.source_offsets):
        remote = is_url(src)
        name = src.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
        if not is_archive(name) or any(ch in name for ch in "*?["):
            continue
        if ins.keyword == "ADD" and not remote and name.lower().endswith(TAR_SUFFIXES):
            continue  # extracted by ADD itself
        yield src, word, name


def _users(ctx: Context, archive: Archive) -> list[tuple[Instruction, ShellScript, list[Command]]]:
    """Later RUNs of the same image that unpack, install or delete the archive."""
    out = []
    name = archive.path.rsplit("/", 1)[-1]
    for run in ctx.runs():
        if run.index <= archive.ins.index or archive.ins not in list(ctx.before(run)):
            continue
        for script in ctx.scripts(run):
            hits = [c for c in script.commands if _names(c, name) and (_unpacks(c) or _removes(c, archive.path, ctx, run))]
            if hits:
                out.append((run, script, hits))
    return out


def _names(cmd: Command, name: str) -> bool:
    for a in cmd.args:
        text = a.text.split("=", 1)[-1] if a.text.startswith("-") else a.text
        if text.rstrip("/").rsplit("/", 1)[-1] == name:
            return True
    return False


def _unpacks(cmd: Command) -> bool:
    p, sub = cmd.program, cmd.subcommand()
    if p == "tar":
        first = cmd.args[0].text if cmd.args else ""
        return cmd.has_option("-x", "--extract", "--get") or (
            bool(first) and not first.startswith("-") and "x" in first and first.isalpha()
        )
    if p in DECOMPRESSORS:
        return True
    if p in ("gzip", "bzip2", "xz", "zstd"):
        return cmd.has_option("-d", "--decompress")
    if p == "dpkg":
        return cmd.has_option("-i", "--install")
    if p == "rpm":
        return cmd.has_option("-i", "-U", "--install", "--upgrade")
    if p in APT or p in ("yum", "dnf", "microdnf", "zypper", "apk"):
        return sub in ("install", "localinstall", "add", "reinstall")
    if p.startswith("pip") or p in ("uv", "python", "python3"):
        return "install" in cmd.words
    return False


def _removes(cmd: Command, path: str, ctx: Context, run: Instruction) -> bool:
    if cmd.program != "rm":
        return False
    wd = ctx.workdir(run) or "/"
    for w in cmd.positionals():
        if w.dynamic:
            continue
        if join_path(wd, w.text) == path or w.text.rstrip("/").rsplit("/", 1)[-1] == path.rsplit("/", 1)[-1]:
            return True
    return False


def _read_elsewhere(ctx: Context, archive: Archive, run: Instruction) -> bool:
    """Whether an instruction other than ``run`` may read the archive after it lands."""
    name = archive.path.rsplit("/", 1)[-1]
    for other in ctx.df.all_instructions():
        if other.index <= archive.ins.index or other.index == run.index:
            continue
        if other.keyword == "RUN":
            if any(_names(c, name) for s in ctx.scripts(other) for c in s.commands):
                return True
        elif name in other.normalized:
            return True
    return False


def _delete_command(script: ShellScript, cmd: Command, path: str, ctx: Context, run: Instruction) -> Edit | None:
    """Drop ``rm <archive>`` (it alone) with the ``&&`` joining it to its neighbour."""
    if len(cmd.positionals()) != 1 or cmd.depth:
        return None
    i = script.commands.index(cmd)
    if i > 0 and cmd.operator_before == "&&":
        prev = script.commands[i - 1]
        if prev.depth:
            return None
        return Edit(Span(prev.span.end, cmd.span.end), "")
    if i + 1 < len(script.commands) and script.commands[i + 1].operator_before == "&&":
        return Edit(Span(cmd.span.start, script.commands[i + 1].span.start), "")
    return None


def _joiner(df, run: Instruction) -> str:
    """`` && `` in the continuation style of a multi-line RUN."""
    if run.span.end.line == run.span.start.line:
        return " && "
    second = df.index.line_text(run.span.start.line + 1)
    indent = second[: len(second) - len(second.lstrip())] or "    "
    if second.lstrip().startswith("&&"):
        return f" \\\n{indent}&& "
    return f" && \\\n{indent}"


def _delete_lines(ctx: Context, ins: Instruction) -> Edit:
    """The instruction's lines, and one blank line when it sat between two."""
    df = ctx.df
    first, last = ins.span.start.line, ins.span.end.line
    if last >= df.index.line_count:
        return Edit(Span(Position(first, 1), ins.span.end), "")
    blank = lambda n: 1 <= n <= df.index.line_count and not df.index.line_text(n).strip()
    if blank(first - 1) and blank(last + 1) and last + 1 < df.index.line_count:
        last += 1
    return Edit(Span(Position(first, 1), Position(last + 1, 1)), "")


def _download_tool(ctx: Context, ins: Instruction) -> str | None:
    """curl or wget when an earlier RUN of the image installs or runs it."""
    found = set()
    for other in ctx.before(ins):
        if other.keyword != "RUN":
            continue
        for script in ctx.scripts(other):
            for c in script.commands:
                if c.program in ("curl", "wget"):
                    found.add(c.program)
                if c.program in APT or c.program in ("apk", "yum", "dnf", "microdnf"):
                    if c.subcommand() in ("install", "add"):
                        found.update(w.text for w in c.positionals() if w.text in ("curl", "wget"))
                if c.program in ("apt-get", "apt", "apk", "yum", "dnf") and c.subcommand() in ("purge", "remove", "del", "erase"):
                    found.difference_update(w.text for w in c.positionals())
    return "curl" if "curl" in found else ("wget" if "wget" in found else None)


def _vars_in_scope(ctx: Context, run: Instruction, text: str) -> bool:
    """Variables in the URL are visible to the RUN's shell: declared by ARG/ENV in a stage."""
    names = set(re.findall(_VAR, text))
    if not names:
        return True
    declared = set()
    for other in ctx.before(run):
        if other.keyword in ("ARG", "ENV"):
            for w in other.words(ctx.df.escape):
                declared.add(w.text.split("=", 1)[0])
    return names <= declared


def _message(name: str, keyword: str, advice: str) -> str:
    def text(shown: str) -> str:
        return f"the {keyword} layer keeps {shown} after a RUN unpacks it; {advice}"

    return text(short_name(name, 100 - len(text(""))))
