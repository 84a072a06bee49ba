import re
from typing import Iterator

from bot.model import hints
from bot.model.dockerfile import Instruction
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.records import Record, field
from bot.model.shell import Command, ShellScript, Word
from bot.model.text import Edit, Position, Span
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.dockerignore import copied_bytes
from bot.rules.facts import copy_args, is_url, join_path, layer_claim, path_within, short_name, workdir_at, TAR_SUFFIXES

# Folders a base image usually fills: a recursive chown there rewrites base files too,
# which COPY --chown would not, so no edit is offered (the finding stays).
SYSTEM_DIRS = frozenset(
    "/usr /usr/local /usr/local/bin /usr/local/lib /usr/local/share /usr/bin /usr/sbin /usr/lib "
    "/usr/share /bin /sbin /lib /etc /var /var/lib /home /root /tmp /opt /srv".split()
)
# options that keep `chown -R x p` equivalent to COPY --chown=x plus `chown x p`
HARMLESS = frozenset(("-R", "--recursive", "-v", "--verbose", "-c", "--changes", "-f", "--silent", "--quiet"))
# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
OCTAL = r"0?[0-7]{3}"
OWNER = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
PLUS_X = {"+x": "0755", "a+x": "0755", "ugo+x": "0755", "+rx": "0755", "a+rx": "0755", "u+x": "0744"}
SYMBOLIC_MODE = r"[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*"


class Written(Record):
    """What one COPY/ADD wrote: a folder (``is_dir``) or a single file at ``path``."""

    __slots__ = ()
    _fields = ("ins", "path", "is_dir", "sources")
    ins = field(0, "Instruction")
    path = field(1, "str")
    is_dir = field(2, "bool")
    sources = field(3, "tuple[str, ...]")

    def __new__(cls, ins, path, is_dir, sources):
        return tuple.__new__(cls, (ins, path, is_dir, sources))


class ChownDuplicatesCopiedFiles(Rule):
    id = "DT202"
    name = "chown-duplicates-copied-files"
    severity = Severity.WARNING
    summary = "`RUN chown -R`/`chmod -R` on files a COPY wrote stores them twice"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds `RUN chown -R` and `RUN chmod -R` (and `chmod` of a single copied file) whose
target is exactly what an earlier `COPY`/`ADD` of the same image wrote, or a path
inside it. Relative targets are resolved against `WORKDIR`.

## Why is this bad?
A layer stores every file whose content *or metadata* changed. Changing the owner or
mode of copied files in a later `RUN` writes a full second copy of each file into the
new layer, so the image carries them twice. `COPY --chown=` and `COPY --chmod=` set
owner and mode while copying, in the same layer.

## Example
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY . /app
RUN chown -R node:node /app
```

## Use instead
```dockerfile
FROM node:20-slim
WORKDIR /app
COPY --chown=node:node . /app
RUN chown node:node /app
```

## Fix safety
Review. The edit adds `--chown`/`--chmod` to every `COPY` that wrote into the target
and makes the `chown`/`chmod` non-recursive, so the target folder itself (which may
predate the `COPY`, e.g. created by `WORKDIR` or the base image) keeps the same owner;
the command is dropped when it only touched a single copied file. Check: `--chmod`
needs BuildKit; `chown user` without a group keeps group 0, so the edit writes
`--chown=user:0`; the user must exist before the `COPY` (no fix is offered when a
`RUN` runs between the `COPY` and the `chown`, or when other commands precede the
`chown` in its `RUN`). Targets inside a copied folder, globs, symbolic `chmod` modes
and system folders get no edit.

## Size impact
The size of the copied files (from the build context where it is known).
"""
    examples = (
        Invalid(
            "FROM node:20-slim\nWORKDIR /app\nCOPY . /app\nRUN chown -R node:node /app\n",
            fixed="FROM node:20-slim\nWORKDIR /app\nCOPY --chown=node:node . /app\nRUN chown node:node /app\n",
            at="4:5-4:28",
        ),
        Invalid(
            "FROM python:3.12-slim\nWORKDIR /srv\nCOPY src/ ./src/\nCOPY app.py .\nRUN chmod -R 755 src\n",
            fixed="FROM python:3.12-slim\nWORKDIR /srv\nCOPY --chmod=755 src/ ./src/\nCOPY app.py .\nRUN chmod 755 src\n",
            note="relative paths resolve against WORKDIR; only the COPY that wrote src/ changes",
        ),
        Invalid(
            "FROM debian:12-slim\nCOPY entrypoint.sh /usr/local/bin/\nRUN chmod +x /usr/local/bin/entrypoint.sh\n"
            "ENTRYPOINT [\"entrypoint.sh\"]\n",
            fixed="FROM debian:12-slim\nCOPY --chmod=0755 entrypoint.sh /usr/local/bin/\n"
            "ENTRYPOINT [\"entrypoint.sh\"]\n",
            message="entrypoint.sh",
            note="a single copied file is duplicated too; +x on a 0644 file gives 0755 (review)",
        ),
        Invalid(
            "FROM debian:12-slim\nCOPY scripts/ /opt/scripts/\nRUN chmod -R u+x /opt/scripts\n",
            note="symbolic mode on a folder: COPY --chmod takes one mode for files and folders: no edit",
        ),
        Invalid(
            "FROM debian:12-slim\nCOPY app /usr/local/bin/app\nRUN chmod 0755 /usr/local/bin/app && echo done\n",
            fixed="FROM debian:12-slim\nCOPY --chmod=0755 app /usr/local/bin/app\nRUN echo done\n",
            note="single file: the command goes, the rest of the RUN stays",
        ),
        Invalid(
            "FROM php:8.3-apache\nCOPY . /var/www/html/\nRUN chown -R www-data /var/www/html\n",
            fixed="FROM php:8.3-apache\nCOPY --chown=www-data:0 . /var/www/html/\nRUN chown www-data /var/www/html\n",
            note="chown without a group keeps group 0",
        ),
        Invalid(
            "FROM node:20-slim\nCOPY . /app\nRUN npm ci --prefix /app\nRUN chown -R node /app\n",
            note="a RUN between the COPY and the chown may have written into /app: no edit",
        ),
        Invalid(
            "FROM node:20-slim\nCOPY . /app\nRUN useradd -m app && chown -R app /app\n",
            note="the user is created in the same RUN: COPY --chown would fail, so no edit",
        ),
        Valid(
            "FROM node:20-slim\nCOPY --chown=node:node . /app\nRUN chown node:node /app\n",
            note="already COPY --chown; a non-recursive chown of the folder rewrites no file",
        ),
        Valid(
            "FROM python:3.12-slim\nARG UID=1000\nCOPY --chown=${UID}:${UID} pyproject.toml uv.lock /app/\n"
            "RUN chown -R ${UID}:${UID} /app\n",
            note="the COPY already sets that owner",
        ),
        Valid(
            "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN chown -R nobody /app\n",
            note="the COPY wrote one file into /app, not /app itself",
        ),
        Valid(
            "FROM node:20-slim\nRUN mkdir -p /data && chown -R node /data\n",
            note="files created in the same RUN are written once",
        ),
        Valid(
            "FROM debian:12 AS build\nCOPY . /src\nRUN chown -R nobody /src\n"
            "FROM debian:12-slim\nCOPY --from=build /src/out /out\n",
            note="a builder stage",
        ),
        Valid(
            "FROM debian:12-slim\nCOPY app.jar /app/app.jar\nRUN chown -R nobody /app\n",
            note="/app holds more than the COPY wrote (the folder itself): not exactly what was copied",
        ),
        Valid(
            "FROM debian:12-slim\nCOPY . /app\nRUN chown -R nobody /data\n",
            note="another path",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            for script in ctx.scripts(ins):
                for cmd in script.commands:
                    if cmd.program in ("chown", "chmod"):
                        finding = self._check(ctx, ins, script, cmd)
                        if finding is not None:
                            yield finding

    def _check(self, ctx: Context, ins: Instruction, script: ShellScript, cmd: Command) -> Finding | None:
        parsed = _parse(cmd)
        if parsed is None:
            return None
        spec, targets, options = parsed
        if any(t.dynamic or not t.text for t in targets) or any(o.startswith("--reference") for o in options):
            return None
        recursive = bool({"-R", "--recursive"} & set(options))
        preceding = script.commands[: script.commands.index(cmd)]
        wd = ctx.workdir(ins)
        if any(c.program in ("cd", "pushd") for c in preceding) and any(not t.text.startswith("/") for t in targets):
            return None
        if not wd and any(not t.text.startswith("/") for t in targets):
            return None
        writes = _written(ctx, ins)
        covered: list[tuple[str, Written, bool]] = []  # (target, copy, exact)
        globbed = False
        for t in targets:
            glob = any(ch in t.text for ch in "*?[")
            globbed = globbed or glob
            static = t.text.split("*")[0].split("?")[0].split("[")[0] if glob else t.text
            if glob:
                static = static.rsplit("/", 1)[0] if not static.endswith("/") else static
            path = join_path(wd or "/", static or ".")
            hit = next((w for w in writes if path_within(path, w.path) and w.path != "/"), None)
            if hit is None:
                continue
            if not recursive and not glob and hit.is_dir and path == hit.path:
                continue  # a folder's own metadata: one directory entry, not the files
            if not recursive and not glob and hit.is_dir and not _looks_like_file(path):
                continue  # `chmod x /app/sub` of a sub-folder: its entry only
            covered.append((path, hit, path == hit.path and not glob))
        if not covered:
            return None
        flag = "--chown" if cmd.program == "chown" else "--chmod"
        if all(_same_flag(w.ins, flag[2:], spec) for _, w, _ in covered):
            return None  # the COPY already set it: nothing new is written by the copy
        paths = tuple(dict.fromkeys(p for p, _, _ in covered))
        sources = tuple(dict.fromkeys(s for _, w, _ in covered for s in w.sources))
        fix = None
        if len(covered) == len(targets) and not globbed:
            fix = self._fix(ctx, ins, script, cmd, spec, options, [p for p, _, _ in covered], writes, recursive)
        from_context = all(not w.ins.flag("from") for _, w, _ in covered)
        params = {"paths": paths, "sources": sources}
        size = copied_bytes(ctx.build_context, ctx.path, sources) if from_context else None
        if size is not None:
            params["bytes"] = size
        severity = None if recursive or any(w.is_dir for _, w, _ in covered) else Severity.INFO
        verb = f"{cmd.program}{' -R' if recursive else ''}"
        kw = "ADD" if all(w.ins.keyword == "ADD" for _, w, _ in covered) else "COPY"
        return ctx.finding(
            self,
            ins,
            cmd.span,
            _message(verb, paths, kw, flag),
            fix=fix,
            hint=SizeHint(hints.CHOWN_DUPLICATE, params, (layer_claim("chown", ins),)),
            severity=severity,
        )

    def _fix(self, ctx, ins, script, cmd, spec, options, paths, writes, recursive) -> Fix | None:
        df = ctx.df
        if ins not in df.instructions or not script.ok or cmd.depth or script.commands[0] is not cmd:
            return None  # ONBUILD, broken shell, nested, or something ran before it in this RUN
        if set(options) - HARMLESS:
            return None
        if cmd.program == "chown":
            value = _owner(spec.text)
            flag = "chown"
        else:
            value = spec.text if re.fullmatch(OCTAL, spec.text) else None
            flag = "chmod"
            if value is None and not recursive and spec.text in PLUS_X and all(
                not w.is_dir for p in paths for w in writes if w.path == p
            ):
                value = PLUS_X[spec.text]  # a single file: 0644 in the context becomes this
        if value is None or spec.dynamic:
            return None
        stage = ctx.stage(ins)
        earlier = list(ctx.before(ins))
        edits: list[Edit] = []
        first_copy = None
        keep_dirs = []
        for path in paths:
            exact = [w for w in writes if w.path == path and w.path not in SYSTEM_DIRS]
            if not exact:
                return None
            if exact[0].is_dir:
                keep_dirs.append(path)
            for w in writes:
                if not path_within(w.path, path):
                    continue
                if ctx.stage(w.ins) is not stage or w.ins not in df.instructions or w.ins.heredocs:
                    return None
                if w.ins.keyword == "ADD" and any(s.lower().endswith(TAR_SUFFIXES) and not is_url(s) for s in w.sources):
                    return None  # extracted archives: --chown semantics differ
                existing = w.ins.flag(flag)
                if existing is not None:
                    if existing.value != value:
                        return None
                    continue
                edits.append(Edit(Span(w.ins.keyword_span.end, w.ins.keyword_span.end), f" --{flag}={value}"))
                if first_copy is None or w.ins.index < first_copy.index:
                    first_copy = w.ins
        if first_copy is None:
            return None
        # nothing between the first edited COPY and this RUN may write into the target
        for other in earlier:
            if other.index <= first_copy.index or ctx.stage(other) is not stage:
                continue
            if other.keyword == "RUN":
                return None
            if other.keyword == "WORKDIR":
                wd = workdir_at(df, [other] + [o for o in earlier if o.index < other.index])
                if not wd or any(path_within(wd, p) for p in paths):
                    return None
        if recursive and keep_dirs:
            edit = _drop_recursive(cmd)
            if edit is None:
                return None
            edits.append(edit)
        else:
            edit = _remove_command(ctx, ins, script, cmd)
            if edit is None:
                return None
            edits.append(edit)
        edits.sort(key=lambda e: e.span.start)
        what = "owner" if flag == "chown" else "mode"
        reason = (
            f"the {what} is now set by COPY --{flag}; check that the user exists before the COPY"
            if flag == "chown"
            else "COPY --chmod needs BuildKit (the default builder since Docker 23)"
        )
        if flag == "chmod" and spec.text in PLUS_X:
            reason += f"; `chmod {spec.text}` gives {value} only if the file is 0644 in the build context"
        if keep_dirs and recursive:
            reason += f"; the {flag} stays for the folder itself, non-recursive"
        kw = "ADD" if all(w.ins.keyword == "ADD" for w in writes if any(path_within(w.path, p) for p in paths)) else "COPY"
        return Fix(f"Set the {what} in {kw} --{flag}", tuple(edits), Safety.REVIEW, reason=reason)


def _parse(cmd: Command) -> tuple[Word, list[Word], list[str]] | None:
    """(owner or mode, targets, options) of a chown/chmod."""
    options: list[str] = []
    spec: Word | None = None
    targets: list[Word] = []
    for a in cmd.args:
        t = a.text
        if spec is None and cmd.program == "chmod" and re.fullmatch(SYMBOLIC_MODE, t) and t.startswith("-") and t not in ("-R",):
            spec = a  # `chmod -x file`: a mode, not an option
        elif t.startswith("-") and len(t) > 1 and spec is None:
            if t.startswith("--"):
                options.append(t)
            else:
                options.extend("-" + c for c in t[1:])
        elif spec is None:
            spec = a
        else:
            targets.append(a)
    if spec is None or not targets:
        return None
    return spec, targets, options


def _same_flag(ins: Instruction, name: str, spec: Word) -> bool:
    flag = ins.flag(name)
    if flag is None or flag.value is None:
        return False
    want = _owner(spec.text) if name == "chown" else spec.text
    return flag.value in (spec.text, want)


def _owner(spec: str) -> str | None:
    user, sep, group = spec.partition(":")
    if not sep:
        return f"{user}:0" if re.fullmatch(OWNER, user) else None
    if not group:
        return None  # `user:` means the login group: COPY cannot say that
    if not user:
        return f"0:{group}" if re.fullmatch(OWNER, group) else None
    return spec if re.fullmatch(OWNER, user) and re.fullmatch(OWNER, group) else None


def _looks_like_file(path: str) -> bool:
    return "." in path.rsplit("/", 1)[-1]


def _written(ctx: Context, ins: Instruction) -> list[Written]:
    """What earlier COPY/ADD instructions of this image wrote, nearest first."""
    out = []
    before = list(ctx.before(ins))
    for i, other in enumerate(before):
        if other.keyword not in ("COPY", "ADD"):
            continue
        args = copy_args(ctx.df, other)
        if args is None or args.heredoc or "$" in args.dest:
            continue
        wd = workdir_at(ctx.df, before[i + 1 :])
        if not wd:
            continue
        dest = join_path(wd, args.dest)
        src = args.sources[0]
        single_file = (
            len(args.sources) == 1
            and not any(ch in src for ch in "*?[")
            and src not in (".", "./")
            and not src.endswith("/")
            and _is_file(ctx, other, src, dest)
        )
        if other.keyword == "ADD" and src.lower().endswith(TAR_SUFFIXES) and not is_url(src):
            single_file = False  # extracted into dest
        into_dir = args.dest.endswith("/") or args.dest.rsplit("/", 1)[-1] in (".", "..") or dest == wd
        if single_file and into_dir:
            name = src.rstrip("/").rsplit("/", 1)[-1]
            out.append(Written(other, join_path(dest, name), False, args.sources))
        else:
            out.append(Written(other, dest, not single_file, args.sources))
    return out


def _is_file(ctx: Context, ins: Instruction, src: str, dest: str) -> bool:
    """Whether a single COPY source is a file: from the build context when it is known,
    else by its name (an extension, or a destination in a bin folder)."""
    bc = ctx.build_context
    if bc is not None and bc.files and not ins.flag("from") and not is_url(src):
        rel = src.lstrip("/")
        while rel.startswith("./"):
            rel = rel[2:]
        if bc.exists(rel):
            return True
        if bc.is_folder(rel.rstrip("/")):
            return False
    if is_url(src):
        return True
    parent = dest.rsplit("/", 2)[-2] if dest.count("/") >= 2 else ""
    return _looks_like_file(src.split("?")[0]) or parent in ("bin", "sbin")


def _message(verb: str, paths: tuple[str, ...], kw: str, flag: str) -> str:
    def text(shown: str) -> str:
        return f"`{verb}` rewrites {shown} that {kw} wrote, storing them twice; use {kw} {flag}"

    budget = 100 - len(text(""))
    return text(_short(paths, budget))


def _short(paths: tuple[str, ...], budget: int) -> str:
    """The paths within ``budget`` characters; a long path keeps its file name."""
    text = ", ".join(paths[:2]) + (" ..." if len(paths) > 2 else "")
    if len(text) <= budget:
        return text
    more = " ..." if len(paths) > 1 else ""
    name = paths[0].rstrip("/").rsplit("/", 1)[-1]
    room = budget - len(more)
    if len(paths[0]) <= room:
        return paths[0] + more
    return (".../" + name if len(name) + 4 <= room else short_name(name, room)) + more


def _drop_recursive(cmd: Command) -> Edit | None:
    prev_end = cmd.name_span.end
    for a in cmd.args:
        if a.text in ("-R", "--recursive"):
            return Edit(Span(prev_end, a.span.end), "")
        if a.text.startswith("-") and not a.text.startswith("--") and "R" in a.text:
            rest = a.text.replace("R", "")
            return Edit(a.span, rest) if rest != "-" else Edit(Span(prev_end, a.span.end), "")
        prev_end = a.span.end
    return None


def _remove_command(ctx: Context, ins: Instruction, script: ShellScript, cmd: Command) -> Edit | None:
    """Delete the first command of a RUN: the whole RUN when it is alone, else the
    command and the operator after it."""
    df = ctx.df
    if len(script.commands) == 1:
        if script.logical.text[script.end :].strip():
            return None
        start = Position(ins.span.start.line, 1)
        end_line = ins.span.end.line
        end = Position(end_line + 1, 1) if end_line < df.index.line_count else ins.span.end
        if end_line >= df.index.line_count:
            start = Position(ins.span.start.line, 1)
        return Edit(Span(start, end), "")
    nxt = script.commands[1]
    if nxt.operator_before not in ("&&", ";", "\n") or nxt.depth:
        return None
    return Edit(Span(cmd.span.start, nxt.span.start), "")
