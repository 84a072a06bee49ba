"""Shell commands inside RUN: names, arguments, operators, nesting, recovery."""

from __future__ import annotations

from bot.model.dockerfile import parse
from bot.model.shell import run_scripts


def script(body: str):
    df = parse(f"FROM debian:12\nRUN {body}\n")
    return list(run_scripts(df, df.instructions[1]))[0]


def test_operators_and_pipelines():
    s = script("a && b || c ; d | e & f")
    assert [(c.name, c.operator_before) for c in s.commands] == [
        ("a", ""), ("b", "&&"), ("c", "||"), ("d", ";"), ("e", "|"), ("f", "&")
    ]


def test_quotes_are_removed_and_expansions_marked_dynamic():
    s = script("""apt-get install -y "curl" 'git' "$PKG" pkg-$(uname -m)""")
    install = s.commands[0]
    assert install.words == ["install", "-y", "curl", "git", "$PKG", "pkg-$(uname -m)"]
    assert [a.dynamic for a in install.args] == [False, False, False, False, True, True]
    assert [c.name for c in s.commands] == ["apt-get", "uname"]
    assert s.commands[1].depth > 0


def test_double_bracket_test_parses():
    s = script("[[ -f /x ]] && echo yes")
    assert s.ok and [c.name for c in s.commands] == ["echo"]


def test_option_clusters_and_subcommand():
    c = script("apt-get -qy install --no-install-recommends=true curl").commands[0]
    assert c.subcommand() == "install"
    assert c.has_option("-y") and c.has_option("--no-install-recommends")
    assert [w.text for w in c.positionals()] == ["install", "curl"]


def test_env_prefix_and_program_basename():
    c = script("DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get update").commands[0]
    assert c.assignments == ("DEBIAN_FRONTEND=noninteractive",)
    assert c.program == "apt-get"


def test_trailing_comment_and_semicolon_are_not_part_of_the_script_end():
    s = script("echo hi; # note")
    assert s.logical.text[: s.end] == "echo hi"


def test_broken_shell_is_flagged_not_raised():
    s = script("echo 'unterminated && apt-get update")
    assert not s.ok


def test_exec_form_is_one_command_with_exact_word_spans():
    from bot.model.text import Position

    df = parse('FROM debian:12\nRUN ["apt-get", "install", "-y", "vim"]\n')
    (s,) = run_scripts(df, df.instructions[1])
    (c,) = s.commands
    assert (c.name, c.words, s.ok) == ("apt-get", ["install", "-y", "vim"], False)
    assert c.args[2].span.start == Position(2, 34) and c.args[2].raw == '"vim"'


def test_exec_form_shell_c_parses_the_script():
    df = parse('FROM debian:12\nRUN ["/bin/sh", "-c", "apt-get update && apt-get install -y x"]\n')
    (s,) = run_scripts(df, df.instructions[1])
    assert [c.subcommand() for c in s.commands] == ["update", "install"]
    assert s.commands[0].span.start.column == 24


def test_heredoc_fed_to_bash_is_shell_but_cat_heredoc_is_data():
    df = parse("FROM debian:12\nRUN <<EOT bash\n  apt-get update\nEOT\nRUN cat <<EOF > /etc/x\napt-get nope\nEOF\n")
    assert [c.name for s in run_scripts(df, df.instructions[1]) for c in s.commands] == ["apt-get"]
    assert [c.name for s in run_scripts(df, df.instructions[2]) for c in s.commands] == ["cat"]


def test_the_walkers_commands_are_what_the_command_constructor_makes():
    """The walker builds each Command without Command.__new__ (and, for ASCII text, its
    positions without the byte-to-character conversion): the program is the name's base
    name, and the spans are those of the conversion, in ASCII and non-ASCII scripts."""
    from bot.model.shell import Command

    for body in ("/usr/bin/pip3 install x && V=1 ./run.sh $(id -u) \\\n  && apt-get -y install curl",
                 "echo 'héllo wörld' && /opt/ünï/bin/tool --flag é | tee /tmp/ß"):
        s = script(body)
        text = s.logical.text
        for cmd in s.commands:
            made = Command(cmd.name, cmd.args, cmd.where, cmd.name_where, cmd.operator_before, cmd.depth,
                           cmd.assignments, cmd.end)
            assert tuple(made) == tuple(cmd) and made.program == cmd.name.rsplit("/", 1)[-1]
            written, name = text[cmd.where.start : cmd.where.end], text[cmd.name_where.start : cmd.name_where.end]
            assert name == cmd.name and name in written
            assert cmd.end == cmd.where.end
        assert [c.program for c in s.commands] in (["pip3", "run.sh", "id", "apt-get"], ["echo", "tool", "tee"])


def test_options_and_positionals_match_a_word_by_word_reading():
    """Command.options and positionals (comprehensions, for speed) give what a plain
    loop over the argument words gives, for options, clusters, '=' values and '-'."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    word = st.sampled_from(["-", "--", "-y", "-qy", "-q1", "--opt=v", "--flag", "pkg", "a-b", "-x=1", "install"])

    @settings(max_examples=60, deadline=None)
    @given(st.lists(word, max_size=6))
    def check(words):
        cmd = script(" ".join(["tool"] + words)).commands[0]
        expected_options = set()
        for t in cmd.words:
            if t.startswith("--"):
                expected_options.add(t.split("=", 1)[0])
            elif t.startswith("-") and len(t) > 1:
                expected_options.add(t)
                for c in t[1:]:
                    if c.isalpha():
                        expected_options.add("-" + c)
        assert cmd.options() == expected_options
        assert [w.text for w in cmd.positionals()] == [t for t in cmd.words if not t.startswith("-")]
        assert cmd.subcommand() == next((t for t in cmd.words if not t.startswith("-")), "")

    check()


def test_parse_shell_gives_a_whole_shellscript_record():
    """parse_shell builds its ShellScript with tuple.__new__: every field is set, as the
    NamedTuple's constructor would set it."""
    from bot.model.shell import ShellScript

    s = script("apt-get update # done")
    assert type(s) is ShellScript and len(s) == len(ShellScript._fields)
    assert s.ok and s.has_comment and s.root is not None
    assert s.end == len("apt-get update") and [c.name for c in s.commands] == ["apt-get"]


def test_a_script_parsed_again_reuses_its_tree_and_reads_as_a_fresh_parse():
    """parse_tree keeps each text's tree: a second parse of the same text (in another
    file, or after runs_last) shares it, and the commands, positions and facts are
    those of a parse from an empty cache; the cache empties itself when full."""
    from bot.model import shell

    body = "apt-get update && apt-get install -y curl 'a b' $(id -u) \\\n  && rm -rf /var/lib/apt/lists/*"
    shell._TREES.clear()
    fresh = script(body)
    assert shell.runs_last(body + " && true", len(body) + 4)
    again = parse(f"FROM alpine\n\n# moved\nRUN {body}\n")
    cached = list(run_scripts(again, again.instructions[1]))[0]
    assert cached.root.id == fresh.root.id  # the same tree, not a new one
    assert [(c.name, c.words, c.operator_before, c.depth, c.end) for c in cached.commands] == \
        [(c.name, c.words, c.operator_before, c.depth, c.end) for c in fresh.commands]
    shift = [(c.span.start.line - f.span.start.line, c.span.start.column == f.span.start.column)
             for c, f in zip(cached.commands, fresh.commands)]
    assert shift == [(2, True)] * len(fresh.commands)  # each file's own positions
    shell._TREES.clear()
    assert [c.words for c in script(body).commands] == [c.words for c in fresh.commands]
    kept, shell._TREES_KEPT = shell._TREES_KEPT, 2
    try:
        for text in (b"a", b"b", b"c"):
            shell.parse_tree(text)
        assert len(shell._TREES) <= 2 and shell.parse_tree(b"c").root_node.text == b"c"
    finally:
        shell._TREES_KEPT = kept
