"""The Dockerfile model: exact positions through every syntax BuildKit accepts."""

from __future__ import annotations

from bot.model.dockerfile import parse
from bot.model.shell import run_scripts
from bot.model.text import Position, Span


def sp(a: str, b: str) -> Span:
    (l1, c1), (l2, c2) = (map(int, a.split(":")), map(int, b.split(":")))
    return Span(Position(l1, c1), Position(l2, c2))


def commands(df, ins):
    return [(c.name, c.words) for s in run_scripts(df, ins) for c in s.commands]


def test_continuations_skip_comments_and_blank_lines():
    text = "FROM debian:12\nRUN apt-get update \\\n    # why\n\n    && apt-get install -y curl\n"
    df = parse(text)
    run = df.instructions[1]
    assert run.span == sp("2:1", "5:31")
    assert commands(df, run) == [("apt-get", ["update"]), ("apt-get", ["install", "-y", "curl"])]
    install = list(run_scripts(df, run))[0].commands[1]
    assert install.span == sp("5:8", "5:31")
    assert df.index.text[df.index.offset(install.span.start) :].startswith("apt-get install")


def test_escape_directive_backtick_and_windows_shell_not_parsed():
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n    c:\\\n"
    df = parse(text)
    assert df.escape == "`"
    assert df.directives == {"escape": "`"}
    run = df.instructions[1]
    assert run.body.text == "dir     c:\\"
    assert run.span == sp("3:1", "4:8")
    assert list(run_scripts(df, run)) == []  # not a POSIX shell: no commands claimed


def test_crlf_positions_exclude_carriage_returns():
    text = "FROM debian:12\r\nRUN apt-get update && \\\r\n    apt-get install -y curl\r\n"
    df = parse(text)
    run = df.instructions[1]
    assert "\r" not in run.body.text
    assert run.span == sp("2:1", "3:28")
    assert commands(df, run)[1] == ("apt-get", ["install", "-y", "curl"])


def test_lowercase_instructions_tabs_and_flags():
    text = "from debian:12 as Base\nrun\t--mount=type=cache,target=/var/cache/apt --network=none\techo hi\n"
    df = parse(text)
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN"]
    assert df.stages[0].name == "base"
    run = df.instructions[1]
    assert [(f.name, f.value) for f in run.flags] == [("mount", "type=cache,target=/var/cache/apt"), ("network", "none")]
    assert run.flags[0].span == sp("2:5", "2:45")
    assert run.body.text == "echo hi"


def test_heredocs_several_and_dash_form():
    text = (
        "FROM debian:12\n"
        "COPY <<a.txt <<-b.txt /dst/\n"
        "hello\n"
        "a.txt\n"
        "\tworld\n"
        "\tb.txt\n"
        "RUN <<EOF\n"
        "set -e\n"
        "apt-get update\n"
        "EOF\n"
        "CMD [\"bash\"]\n"
    )
    df = parse(text)
    copy, run, cmd = df.instructions[1:]
    assert [h.word for h in copy.heredocs] == ["a.txt", "b.txt"]
    assert copy.heredocs[0].body.text == "hello\n"
    assert copy.heredocs[1].strip_tabs and copy.span.end.line == 6
    assert run.span == sp("7:1", "10:4")
    assert commands(df, run) == [("set", ["-e"]), ("apt-get", ["update"])]
    assert list(run_scripts(df, run))[0].commands[1].span == sp("9:1", "9:15")
    assert cmd.json_args == ("bash",)
    assert not df.errors


def test_unclosed_heredoc_is_an_error_not_a_crash():
    df = parse("FROM debian:12\nRUN <<EOF\necho hi\n")
    assert len(df.errors) == 1 and "never closed" in df.errors[0].message


def test_here_string_is_not_a_heredoc():
    df = parse("FROM debian:12\nRUN cat <<<'x'\nRUN echo 2\n")
    assert len(df.instructions) == 3 and not df.instructions[1].heredocs


def test_json_form_and_broken_json_falls_back_to_shell_form():
    df = parse('FROM debian:12\nRUN ["apt-get", "install", "-y", "x"]\nRUN ["unterminated\n')
    assert df.instructions[1].json_args == ("apt-get", "install", "-y", "x")
    assert df.instructions[2].json_args is None


def test_arg_before_from_resolves_stage_images_and_parents():
    text = "ARG PY=3.12\nARG V\nFROM python:${PY}-slim AS base\nFROM base AS build\nRUN make\nFROM python:$V\nCOPY --from=build /out /out\n"
    df = parse(text)
    assert df.global_args == {"PY": "3.12", "V": ""}
    assert [s.image for s in df.stages] == ["python:3.12-slim", "base", "python:"]
    assert df.stages[1].parent == 0
    assert df.reaches_final == {2}  # copying one path out of a builder does not carry its layers


def test_reaching_stages_follow_from_chains_and_whole_fs_copies():
    text = "FROM debian:12 AS a\nFROM a AS b\nFROM alpine AS c\nFROM b\nCOPY --from=c / /\n"
    df = parse(text)
    assert df.reaches_final == {0, 1, 2, 3}


def test_bom_stripped_by_source_and_positions_start_after_it():
    from bot.model.source import decode

    src = decode("Dockerfile", "\ufeffFROM debian:12\n".encode())
    assert src.bom and src.text == "FROM debian:12\n"
    assert src.render(src.text).startswith(b"\xef\xbb\xbf")
    assert parse(src.text).instructions[0].span.start == Position(1, 1)


def test_onbuild_wraps_an_instruction_with_positions():
    df = parse("FROM debian:12\nONBUILD RUN apt-get update\n")
    ob = df.instructions[1]
    assert ob.keyword == "ONBUILD" and ob.inner.keyword == "RUN"
    assert commands(df, ob.inner) == [("apt-get", ["update"])]
    assert list(run_scripts(df, ob))[0].commands[0].span == sp("2:13", "2:27")


def test_unknown_instruction_and_instruction_before_from():
    df = parse("COPY a b\nFROM debian:12\nRUNN x\nRUN echo ok\n")
    messages = [e.message for e in df.errors]
    assert any("before the first FROM" in m for m in messages)
    assert any("unknown instruction: RUNN" in m for m in messages)
    assert df.instructions[-1].keyword == "RUN"


def test_empty_and_comment_only_files():
    assert parse("").instructions == []
    assert parse("# just a comment\n\n").comments[0].text == "just a comment"


def test_continuation_at_end_of_file():
    df = parse("FROM debian:12\nRUN echo hi \\\n")
    assert df.instructions[1].body.text == "echo hi"  # BuildKit trims the arguments
    assert not df.errors


def test_missing_arguments_are_parse_errors():
    # BuildKit runs an empty RUN (sh -c ""), but a COPY needs a destination; a heredoc counts as a source
    df = parse("FROM debian:12\nRUN \nCOPY --from=build /only/src\nCOPY <<EOF /dst\nhi\nEOF\n")
    assert [e.message for e in df.errors] == [
        "COPY requires at least two arguments, but only one was provided. Destination could not be determined"]


def test_comment_right_after_a_heredoc_terminator():
    # corpus 0860: hadolint 2.15.1 reports DL1000 "unexpected '#'" here; BuildKit accepts it
    df = parse("FROM debian:12\nRUN <<EOT bash\n  echo hi\nEOT\n# next part\nRUN echo 2\n")
    assert not df.errors and len(df.instructions) == 3 and df.comments[0].line == 5


def test_a_lone_continuation_character_is_an_empty_instruction():
    # found by hypothesis: positions must stay inside the file; BuildKit joins the line with
    # nothing and rejects the empty instruction
    df = parse("\\")
    assert df.instructions == []
    assert [e.message for e in df.errors] == ["unknown instruction: (nothing)"]
    assert df.errors[0].span.start.line == 1


def test_read_takes_the_whole_file_up_to_the_limit_and_no_more(tmp_path):
    """read() asks for the file's own size: every byte still arrives, and the limit holds."""
    import os
    import threading

    import pytest

    from bot.model.source import SourceError, read

    text = "FROM debian:12\n" + "RUN true\n" * 1000
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    assert read(str(path)).text == text
    assert read(str(path), max_bytes=len(text)).text == text
    with pytest.raises(SourceError, match="larger than"):
        read(str(path), max_bytes=len(text) - 1)
    (tmp_path / "empty").write_text("")
    assert read(str(tmp_path / "empty")).text == ""
    fifo = tmp_path / "pipe"  # no size to ask for: read up to the limit
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(text))
    writer.start()
    try:
        assert read(str(fifo)).text == text
    finally:
        writer.join()


def test_each_instruction_carries_the_index_of_the_stage_that_holds_it():
    """The parser numbers stages as it reads (assign_stages copies only what it got wrong)."""
    text = ("ARG V=1\nFROM a AS one\nRUN x\nONBUILD RUN y\nFROM one\nONBUILD FROM z\nCOPY a b\n"
            "FROM scratch\nFROM b\nRUN z\n")
    df = parse(text)
    assert [i.stage for i in df.instructions] == [-1, 0, 0, 0, 1, 1, 1, 2, 3, 3]
    for stage in df.stages:
        for ins in stage.instructions:
            assert ins.stage == stage.index and (ins.inner is None or ins.inner.stage == stage.index)
        assert stage.from_instruction is stage.instructions[0]
    assert df.instructions[1:] == [i for s in df.stages for i in s.instructions]


def test_a_one_run_logical_slices_as_its_tuple_form_does():
    # a one-line instruction keeps its offsets as a range; every slice of it (empty,
    # reversed, at the end) must hold what the same slice of the tuple form holds
    from bot.model.dockerfile import Logical

    text = "echo hi there"
    as_range = Logical(text, range(7, 7 + len(text) + 1))
    as_tuple = Logical(text, tuple(as_range.offsets))
    for start in range(len(text) + 1):
        for end in [None, *range(len(text) + 1)]:
            a, b = as_range.slice(start, end), as_tuple.slice(start, end)
            assert (a.text, tuple(a.offsets)) == (b.text, b.offsets), (start, end)
            assert a.file_range(0, len(a.text)) == b.file_range(0, len(b.text))


def test_one_line_instructions_map_each_character_to_the_file():
    text = "FROM alpine\nRUN --mount=type=cache,target=/x echo hi\nRUN a \\\n  b\n"
    df = parse(text)
    for ins in df.instructions:
        for logical in (ins.args, ins.body):
            assert [text[o] for o in logical.offsets[:-1]] == list(logical.text)
    assert isinstance(df.instructions[1].body.offsets, range)


def test_a_span_of_offsets_is_the_span_of_their_positions():
    import pytest

    df = parse("FROM a\nRUN b\r\nRUN c")
    n = len(df.text)
    for start in range(n + 1):
        for end in range(n + 1):
            if start <= end:
                made = df.span(start, end)
                assert made == Span(df.index.position(start), df.index.position(end))
                assert type(made) is Span
            else:
                with pytest.raises(ValueError, match="span ends before it starts"):
                    df.span(start, end)


def test_keyword_spans_on_one_line_and_across_a_continuation():
    df = parse("FROM a\nRU\\\nN echo\n  onbuild  run x\n")
    spans = [(str(i.keyword_span), str(i.span)) for i in df.instructions]
    assert spans == [("1:1-1:5", "1:1-1:7"), ("2:1-3:2", "2:1-3:7"), ("4:3-4:10", "4:3-4:17")]
    assert str(df.instructions[2].inner.keyword_span) == "4:12-4:15"


def test_a_continuation_at_the_end_of_the_file_keeps_its_offsets():
    for text in ("FROM a\nRUN x \\", "FROM a\n\\", "FROM a\nRUN x \\\n# c\n", "FROM a\nRUN x \\\n  y \\\n"):
        df = parse(text)
        for ins in df.instructions:
            for logical in (ins.args, ins.body):
                assert [text[o] for o in logical.offsets[:-1]] == list(logical.text), text


def test_a_continuation_at_the_end_of_the_file_spans_and_errors():
    def summary(text):
        df = parse(text)
        return ([(str(i.span), i.args.text, tuple(i.args.offsets)) for i in df.instructions[1:]],
                [(str(e.span), e.message) for e in df.errors])

    assert summary("FROM a\nRUN x \\") == ([("2:1-2:6", "x", (11, 12))], [])
    assert summary("FROM a\n\\") == ([], [("2:1-2:1", "unknown instruction: (nothing)")])
    assert summary("FROM a\n \\\n\\\n") == ([], [("3:2-3:2", "unknown instruction: (nothing)")])
    assert summary("FROM a\nRUN x \\\n  y \\\n") == ([("2:1-3:4", "x   y", (11, 12, 15, 16, 17, 18))], [])


def test_all_instructions_puts_onbuilds_inner_instruction_in_place_and_keeps_its_answer():
    df = parse("FROM a\nONBUILD RUN y\nRUN x\nONBUILD COPY a b\n")
    effective = df.all_instructions()
    assert [(i.keyword, i.body.text) for i in effective] == [("FROM", "a"), ("RUN", "y"), ("RUN", "x"),
                                                               ("COPY", "a b")]
    assert list(effective) == [i.effective() for i in df.instructions]
    assert df.all_instructions() is effective


def test_assign_stages_corrects_stage_numbers_the_parser_did_not_give():
    """Stages are slices of the instruction list from each FROM on; an instruction (or
    ONBUILD's inner one) carrying another stage number is copied with the right one."""
    from bot.model.dockerfile import Dockerfile
    from bot.model.stages import assign_stages

    text = ("ARG V=1\nARG B=alpine\nFROM $B AS one\nRUN x\nONBUILD RUN y\nFROM one\nONBUILD FROM z\n"
            "COPY a b\nFROM scratch\nFROM b\nRUN z\n")
    want = parse(text)
    for wrong in (0, 7):
        df = Dockerfile(want.path, text, want.index, want.escape, dict(want.directives))
        df.instructions = [
            i._replace(stage=wrong if n % 2 and i.stage >= 0 else i.stage,
                       inner=i.inner._replace(stage=wrong) if i.inner is not None else None)
            for n, i in enumerate(want.instructions)]
        assert assign_stages(df) == []
        assert df.instructions == want.instructions and df.global_args == want.global_args == {"V": "1", "B": "alpine"}
        assert [(s.index, s.base, s.image, s.name, s.parent, s.instructions, s.from_instruction) for s in df.stages] == \
            [(s.index, s.base, s.image, s.name, s.parent, s.instructions, s.from_instruction) for s in want.stages]
    assert [s.image for s in want.stages] == ["alpine", "one", "scratch", "b"] and want.stages[1].parent == 0


def test_a_stage_copied_whole_reaches_the_final_image_also_through_onbuild():
    base = "FROM a AS one\nRUN x\nFROM b AS two\nFROM c\n"
    assert parse(base + "COPY --from=one / /\n").reaches_final == {0, 2}
    assert parse(base + "ONBUILD COPY --from=one / /\n").reaches_final == {0, 2}
    assert parse(base + "COPY --from=one /app /app\n").reaches_final == {2}


def test_an_edit_within_a_line_keeps_the_tail_records_and_their_positions():
    """After an edit that adds no line, the old parse's comments, errors and positions past
    it are the new ones as they stand (shared, not rebuilt); after one that adds a line they
    move. Either way the reparse is the full parse."""
    from bot.model.dockerfile import reparse

    text = ("FROM debian:12\nRUN apt-get update\n# keep\nRUN --mount=type=cache,target=/c make\n"
            "WORKDIR a b\nCOPY a /b\n")
    old = parse(text)
    at = text.index("update") + len("update")
    for added in (" && rm -rf /var/lib/apt/lists/*", " \\\n  && true"):
        new_text = text[:at] + added + text[at:]
        new = reparse(old, new_text, at)
        full = parse(new_text)
        assert (new.instructions, new.comments, new.errors) == (full.instructions, full.comments, full.errors)
        assert new.instructions[0] is old.instructions[0]  # the lines before the edit's are not read again
        shared = "\n" not in added
        assert (new.comments[0] is old.comments[0]) is shared
        assert (new.instructions[2].span is old.instructions[2].span) is shared
        assert new.instructions[2].flags[0].span == full.instructions[2].flags[0].span
