"""A Dockerfile parsed once into stages and instructions with exact positions.

dockerfile-parse joins continuations and collapses whitespace, so it cannot give
columns, and it misreads heredocs; this lexer follows BuildKit's own rules instead
(parser directives, escape character, continuation lines that skip comments and
blank lines, heredocs, ONBUILD) and keeps, for every character of an instruction's
logical text, the offset it came from in the file.

Nothing here raises on bad input: problems become :class:`ParseError` records that
the engine reports as DT900, and the rest of the file is still modelled.
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple

from bot.model.text import LineIndex, Span
from bot.model.words import RawWord, expand, key_values, split_words

INSTRUCTIONS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD "
    "RUN SHELL STOPSIGNAL USER VOLUME WORKDIR".split()
)
HEREDOC_INSTRUCTIONS = frozenset(("RUN", "COPY", "ADD"))
# BuildKit rejects these with fewer words (heredocs count as sources for COPY/ADD)
_MIN_ARGS = {"RUN": 1, "COPY": 2, "ADD": 2, "FROM": 1, "WORKDIR": 1, "USER": 1, "ENV": 1, "ARG": 1}
_DIRECTIVE = re.compile(r"#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_KEYWORD = re.compile(r"[A-Za-z]+")
# <<EOF, <<-EOF, <<"EOF", <<'EOF'; not the here-string <<<
_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")


class Logical(NamedTuple):
    """Text with continuations and skipped lines removed, mapped back to the file.

    ``offsets[i]`` is the file offset of ``text[i]``; one extra entry holds the
    offset just past the last character.
    """

    text: str
    offsets: tuple[int, ...]

    def file_range(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            o = self.offsets[start]
            return o, o
        return self.offsets[start], self.offsets[end - 1] + 1

    def slice(self, start: int, end: int | None = None) -> "Logical":
        end = len(self.text) if end is None else end
        return Logical(self.text[start:end], self.offsets[start:end] + (self.file_range(start, end)[1],))


class Flag(NamedTuple):
    name: str  # without the leading dashes
    value: str | None
    span: Span


class Heredoc(NamedTuple):
    word: str
    strip_tabs: bool  # <<-
    quoted: bool  # <<"EOF": no expansion inside
    body: Logical  # the lines between marker and terminator, \r removed
    span: Span  # from the first body line to the end of the terminator line
    closed: bool


class Instruction(NamedTuple):
    keyword: str  # upper case
    index: int  # order in the file, ONBUILD inner instructions share their parent's
    span: Span  # keyword start .. end of the last line (incl. heredoc terminators)
    keyword_span: Span
    args: Logical  # everything after the keyword and its whitespace
    flags: tuple[Flag, ...]
    body: Logical  # args after the flags
    heredocs: tuple[Heredoc, ...] = ()
    json_args: tuple[str, ...] | None = None  # exec form
    inner: "Instruction | None" = None  # the instruction an ONBUILD wraps
    stage: int = -1  # index of the stage, -1 before the first FROM

    @property
    def line(self) -> int:
        return self.span.start.line

    @property
    def end_line(self) -> int:
        return self.span.end.line

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flag_values(self, name: str) -> list[str]:
        return [f.value or "" for f in self.flags if f.name == name]

    @property
    def normalized(self) -> str:
        """Whitespace-collapsed text, stable across re-indentation: fingerprints use it."""
        parts = [self.keyword] + [f"--{f.name}={f.value}" for f in self.flags] + self.body.text.split()
        parts += [h.body.text for h in self.heredocs]
        return " ".join(parts)

    def words(self, escape: str = "\\") -> list[RawWord]:
        """Dockerfile words of the body (for COPY, ENV, ...), offsets into ``body``."""
        return split_words(self.body.text, escape)

    def effective(self) -> "Instruction":
        """The instruction that runs: the inner one for ONBUILD."""
        return self.inner if self.inner is not None else self


class Comment(NamedTuple):
    line: int
    text: str  # without the leading '#', stripped
    span: Span


class ParseError(NamedTuple):
    span: Span
    message: str


class Stage:
    """A build stage; filled in while the file is parsed (plain classes here: importing
    dataclasses costs start-up time)."""

    __slots__ = ("index", "from_instruction", "base", "image", "name", "parent", "instructions")

    def __init__(self, index: int, from_instruction: Instruction, base: str, image: str, name: str = "") -> None:
        self.index = index
        self.from_instruction = from_instruction
        self.base = base  # the image reference as written
        self.image = image  # with ARG defaults substituted ("" when it uses an unknown variable)
        self.name = name  # lower case alias, "" when unnamed
        self.parent: int | None = None  # the earlier stage this one is FROM
        self.instructions: list[Instruction] = []

    def __repr__(self) -> str:
        return f"Stage({self.index}, {self.label!r}, image={self.image!r})"

    @property
    def label(self) -> str:
        return self.name or str(self.index)


class Dockerfile:
    __slots__ = ("path", "text", "index", "escape", "directives", "instructions", "comments", "stages",
                 "global_args", "errors", "reaches_final")

    def __init__(self, path: str, text: str, index: LineIndex, escape: str, directives: dict[str, str]) -> None:
        self.path = path
        self.text = text
        self.index = index
        self.escape = escape
        self.directives = directives
        self.instructions: list[Instruction] = []
        self.comments: list[Comment] = []
        self.stages: list[Stage] = []
        self.global_args: dict[str, str] = {}
        self.errors: list[ParseError] = []
        self.reaches_final: frozenset[int] = frozenset()

    def __repr__(self) -> str:
        return f"Dockerfile({self.path!r}, {len(self.instructions)} instructions, {len(self.stages)} stages)"

    def span(self, start: int, end: int) -> Span:
        return Span(self.index.position(start), self.index.position(end))

    def logical_span(self, logical: Logical, start: int, end: int) -> Span:
        a, b = logical.file_range(start, end)
        return self.span(a, b)

    def stage_of(self, instruction: Instruction) -> Stage | None:
        return self.stages[instruction.stage] if 0 <= instruction.stage < len(self.stages) else None

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_named(self, ref: str) -> Stage | None:
        """A stage by alias or index, as ``FROM x`` or ``COPY --from=x`` names it."""
        ref = ref.lower()
        for s in self.stages:
            if s.name and s.name == ref:
                return s
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def in_final_image(self, instruction: Instruction) -> bool:
        return instruction.stage in self.reaches_final

    def all_instructions(self) -> Iterator[Instruction]:
        """Every instruction, with the inner ones of ONBUILD in place of the wrapper."""
        for ins in self.instructions:
            yield ins.effective()

    def is_posix_shell(self, stage: Stage | None) -> bool:
        """False for Windows-style files (backtick escape, or SHELL set to pwsh/cmd)."""
        if self.escape != "\\":
            return False
        if stage is None:
            return True
        for ins in stage.instructions:
            if ins.keyword == "SHELL" and ins.json_args:
                prog = ins.json_args[0].lower().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
                if prog.startswith(("pwsh", "powershell", "cmd")):
                    return False
        return True


# ---------------------------------------------------------------------------- lexing


def _physical_lines(text: str) -> list[tuple[int, str]]:
    """(start offset, content without line ending) per line."""
    out = []
    pos = 0
    for raw in text.split("\n"):
        content = raw[:-1] if raw.endswith("\r") else raw
        out.append((pos, content))
        pos += len(raw) + 1
    return out


def _directives(lines: list[tuple[int, str]]) -> tuple[dict[str, str], int]:
    """Parser directives at the top of the file; returns them and the first other line."""
    found: dict[str, str] = {}
    for i, (_, content) in enumerate(lines):
        m = _DIRECTIVE.fullmatch(content.strip()) if content.strip().startswith("#") else None
        if not m or m.group(1).lower() in found:
            return found, i
        found[m.group(1).lower()] = m.group(2)
    return found, len(lines)


def _continues(content: str, escape: str) -> int:
    """Index of the escape char that continues this line, or -1."""
    stripped = content.rstrip(" \t")
    if stripped.endswith(escape):
        return len(stripped) - 1
    return -1


def _is_comment(content: str) -> bool:
    return content.lstrip(" \t").startswith("#")


def _split_flags(args: Logical, df: Dockerfile) -> tuple[tuple[Flag, ...], Logical]:
    flags: list[Flag] = []
    text = args.text
    i = 0
    while text.startswith("--", i):
        j = i
        quote = ""
        while j < len(text) and (quote or text[j] not in " \t"):
            if text[j] in "\"'":
                quote = "" if quote == text[j] else (quote or text[j])
            j += 1
        token = text[i + 2 : j]
        name, eq, value = token.partition("=")
        if not name:
            break
        flags.append(Flag(name.lower(), value if eq else None, df.logical_span(args, i, j)))
        while j < len(text) and text[j] in " \t":
            j += 1
        i = j
    return tuple(flags), args.slice(i)


def _json_form(body: str) -> tuple[str, ...] | None:
    stripped = body.strip()
    if not stripped.startswith("["):
        return None
    import json  # only exec-form instructions need it

    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


class _Lexer:
    def __init__(self, df: Dockerfile, lines: list[tuple[int, str]]) -> None:
        self.df = df
        self.lines = lines

    def run(self, start: int) -> None:
        i = start
        n = len(self.lines)
        while i < n:
            off, content = self.lines[i]
            stripped = content.strip()
            if not stripped:
                i += 1
                continue
            if stripped.startswith("#"):
                lead = len(content) - len(content.lstrip(" \t"))
                self.df.comments.append(
                    Comment(i + 1, stripped[1:].strip(), self.df.span(off + lead, off + len(content)))
                )
                i += 1
                continue
            i = self._instruction(i)

    def _instruction(self, i: int) -> int:
        df, lines, escape = self.df, self.lines, self.df.escape
        chars: list[str] = []
        offsets: list[int] = []
        off, content = lines[i]
        lead = len(content) - len(content.lstrip(" \t"))
        col = lead
        last_line = i
        while True:
            cut = _continues(content, escape)
            seg_end = cut if cut >= 0 else len(content)
            chars.append(content[col:seg_end])
            offsets.extend(range(off + col, off + seg_end))
            last_line = i
            if cut < 0:
                end_offset = off + len(content)
                break
            # Continuation: BuildKit drops comment and blank lines inside it.
            i += 1
            while i < len(lines) and (not lines[i][1].strip() or _is_comment(lines[i][1])):
                i += 1
            if i >= len(lines):
                end_offset = off + len(content)
                break
            off, content = lines[i]
            col = 0
        text = "".join(chars)
        if not text.strip():  # only continuation characters: nothing to run
            return last_line + 1
        logical = Logical(text, tuple(offsets) + (offsets[-1] + 1,))
        ins, next_line = self._build(logical, last_line, end_offset, len(df.instructions))
        if ins is not None:
            df.instructions.append(ins)
        return next_line

    def _build(
        self, logical: Logical, last_line: int, end_offset: int, index: int
    ) -> tuple[Instruction | None, int]:
        df = self.df
        m = _KEYWORD.match(logical.text)
        kw_end = m.end() if m else len(logical.text.split(None, 1)[0] if logical.text.strip() else "")
        keyword = logical.text[:kw_end].upper()
        if not m or keyword not in INSTRUCTIONS or (
            kw_end < len(logical.text) and logical.text[kw_end] not in " \t"
        ):
            word = logical.text.split(None, 1)[0] if logical.text.strip() else logical.text
            df.errors.append(
                ParseError(
                    df.logical_span(logical, 0, max(1, len(word))),
                    f"unknown instruction {word[:40]!r}",
                )
            )
            return None, last_line + 1
        a = kw_end
        while a < len(logical.text) and logical.text[a] in " \t":
            a += 1
        args = logical.slice(a)
        keyword_span = df.logical_span(logical, 0, kw_end)
        next_line = last_line + 1
        heredocs: tuple[Heredoc, ...] = ()
        if keyword in HEREDOC_INSTRUCTIONS and "<<" in args.text:
            heredocs, next_line, end_offset = self._heredocs(args.text, next_line, end_offset)
        inner = None
        if keyword == "ONBUILD":
            inner, next_line = self._build(args, last_line, end_offset, index)
            if inner is None:
                df.errors[-1] = ParseError(df.errors[-1].span, "ONBUILD needs a known instruction to run")
                return None, next_line
        flags, body = ((), args) if keyword == "ONBUILD" else _split_flags(args, df)
        need = _MIN_ARGS.get(keyword)
        if need:
            json_words = _json_form(body.text)
            if json_words is not None:
                count = len(json_words)
            else:  # quotes only join words, so a plain split that finds enough is enough
                count = len(body.text.split(None, need))
                if count < need:
                    count = len(split_words(body.text, df.escape))
            if count < need:
                what = "an argument" if need == 1 else f"at least {need} arguments"
                df.errors.append(ParseError(keyword_span, f"{keyword} needs {what}"))
        span = Span(df.index.position(logical.offsets[0]), df.index.position(end_offset))
        if inner is not None:
            span = Span(span.start, max(span.end, inner.span.end))
        json_args = _json_form(body.text) if keyword in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME") else None
        return (
            Instruction(keyword, index, span, keyword_span, args, flags, body, heredocs, json_args, inner),
            next_line,
        )

    def _heredocs(self, args: str, line: int, end_offset: int) -> tuple[tuple[Heredoc, ...], int, int]:
        df, lines = self.df, self.lines
        found = []
        for m in _HEREDOC.finditer(args):
            strip_tabs, quoted, word = m.group(1) == "-", bool(m.group(2)), m.group(3)
            first = line
            chars: list[str] = []
            offsets: list[int] = []
            closed = False
            while line < len(lines):
                off, content = lines[line]
                check = content.lstrip("\t") if strip_tabs else content
                line += 1
                if check == word:
                    closed = True
                    end_offset = off + len(content)
                    break
                chars.append(content + "\n")
                offsets.extend(range(off, off + len(content)))
                offsets.append(off + len(content))  # the newline (or \r\n) after the content
                end_offset = off + len(content)
            body = Logical("".join(chars), tuple(offsets) + ((offsets[-1] + 1) if offsets else end_offset,))
            start_off = lines[first][0] if first < len(lines) else end_offset
            span = Span(df.index.position(start_off), df.index.position(end_offset))
            if not closed:
                df.errors.append(ParseError(span, f"heredoc <<{word} is never closed (no line {word!r})"))
            found.append(Heredoc(word, strip_tabs, quoted, body, span, closed))
        return tuple(found), line, end_offset


# ---------------------------------------------------------------------------- stages


def _assign_stages(df: Dockerfile) -> None:
    env = dict(df.global_args)
    placed = []
    for ins in df.instructions:
        if ins.keyword == "FROM":
            words = split_words(ins.body.text, df.escape)
            base = words[0].text if words else ""
            name = ""
            if len(words) >= 3 and words[1].text.lower() == "as":
                name = words[2].text.lower()
            image, known = expand(base, env)
            stage = Stage(len(df.stages), ins, base, image if known else "", name)
            parent = df.stage_named(image) if known and image and not image.isdigit() else None
            if parent is not None and parent.index < stage.index:
                stage.parent = parent.index
            df.stages.append(stage)
        elif not df.stages:
            if ins.keyword == "ARG":
                for k, v in key_values(split_words(ins.body.text, df.escape)):
                    df.global_args[k] = v
                    env[k] = v
            else:
                df.errors.append(
                    ParseError(ins.keyword_span, f"{ins.keyword} before the first FROM: no build stage to run it in")
                )
            placed.append(ins)
            continue
        idx = len(df.stages) - 1
        inner = ins.inner._replace(stage=idx) if ins.inner is not None else None
        ins = ins._replace(stage=idx, inner=inner)
        if ins.keyword == "FROM":
            df.stages[idx].from_instruction = ins
        df.stages[idx].instructions.append(ins)
        placed.append(ins)
    df.instructions[:] = placed


def _reaching_stages(df: Dockerfile) -> frozenset[int]:
    """Stages whose layers end up in the final image.

    The final stage and the stages it is built FROM; plus any stage copied whole
    (``COPY --from=x / /``) into one of those. Copying single files out of a builder
    stage does not carry its caches along, so such stages do not count.
    """
    if not df.stages:
        return frozenset()
    reached: set[int] = set()
    todo = [len(df.stages) - 1]
    while todo:
        idx = todo.pop()
        if idx in reached:
            continue
        reached.add(idx)
        stage = df.stages[idx]
        if stage.parent is not None:
            todo.append(stage.parent)
        for ins in stage.instructions:
            ins = ins.effective()
            if ins.keyword != "COPY":
                continue
            src = ins.flag("from")
            if src is None or src.value is None:
                continue
            words = split_words(ins.body.text, df.escape)
            if any(w.text in ("/", "/.", "/*") for w in words[:-1]):
                ref = df.stage_named(src.value)
                if ref is not None and ref.index < idx:
                    todo.append(ref.index)
    return frozenset(reached)


def parse(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text (BOM already removed). Never raises on bad input."""
    lines = _physical_lines(text)
    directives, first = _directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        escape = "\\"
    df = Dockerfile(path, text, LineIndex(text), escape, directives)
    _Lexer(df, lines).run(first)
    _assign_stages(df)
    df.reaches_final = _reaching_stages(df)
    return df
