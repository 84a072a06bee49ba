"""Shortcuts of the shell model hold to the full reading they stand in for: a plain
script's commands read from its words equal those read from tree-sitter's tree, and
node types read by kind id equal tree-sitter's own type names."""

from __future__ import annotations

import glob
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import shell
from bot.model.dockerfile import parse
from tests.conftest import requires_corpus

CORPUS = os.path.join(os.path.dirname(__file__), "../../../../shared/corpus/dockerfiles")


def _readings(df, logical):
    src = logical.text.encode("utf-8")
    return shell._plain_script(df, logical, src), shell._tree_script(df, logical, src)


def _assert_same(plain, tree):
    from bot.rules.facts import and_chain, shell_effects, single_command

    assert plain.plain and not tree.plain
    assert plain._replace(plain=False) == tree  # logical, commands (words, positions, operators), ok, end, source
    assert [c.program for c in plain.commands] == [c.program for c in tree.commands]
    assert [(c.span, c.name_span, [a.span for a in c.args]) for c in plain.commands] == \
        [(c.span, c.name_span, [a.span for a in c.args]) for c in tree.commands]
    assert plain.root.id == tree.root.id  # the same tree, parsed when asked
    # the facts read from a plain script's commands are those read from its tree
    assert shell_effects(plain) == shell_effects(tree)
    assert and_chain(plain) == and_chain(tree)
    assert single_command(plain) is (plain.commands[0] if single_command(tree) is not None else None)
    text = plain.logical.text
    for at in range(len(text) + 2):
        assert shell.runs_last(text, at) == shell._runs_last_in_tree(text, at)


def _run_scripts_of(path_text: str):
    df = parse(path_text)
    for ins in df.all_instructions():
        if ins.keyword == "RUN" and ins.json_args is None:
            for logical in [ins.body] + [h.body for h in ins.heredocs]:
                yield df, logical


WORDS = ["apt-get", "install", "-y", "--no-install-recommends", "curl", "/usr/bin/pip3", "rm", "-rf",
         "/var/lib/apt/lists/*", "*", "-", "--", "--opt=v", "CC=gcc", "A=1", "A=", "A+=1", "a=b=c", "=", "==x",
         "1", "2x", ".", ":", "%s", "+%s", "a@1.2", "x,y", "_", "A_B=c/d", "if", "then", "fi", "done", "in",
         "export", "unset", "local", "time", "echo", "true"]
SEPARATORS = [" ", "  ", "\t", " && ", "&&", " || ", "; ", ";", " | ", "|", " & ", ";;", " |& ", "|||"]


# the listed words, and any word of the plain characters
WORD = st.one_of(st.sampled_from(WORDS), st.text(alphabet=shell._PLAIN_CHARACTERS, min_size=1, max_size=5))


@settings(max_examples=int(os.environ.get("SHORTCUT_EXAMPLES", "400")), deadline=None)
@given(st.lists(st.tuples(WORD, st.sampled_from(SEPARATORS)), min_size=1, max_size=8),
       st.sampled_from(["", " ", "\t"]), st.sampled_from(["", " ", ";", " &&", "&"]))
def test_a_plain_script_reads_as_its_tree_does(pieces, lead, tail):
    body = lead + "".join(w + s for w, s in pieces[:-1]) + pieces[-1][0] + tail
    df = parse(f"FROM debian:12\nRUN {body}\n")
    (ins,) = [i for i in df.instructions if i.keyword == "RUN"]
    plain, tree = _readings(df, ins.body)
    if plain is not None:
        _assert_same(plain, tree)
        assert tree.ok and all(c.depth == 0 for c in tree.commands)


@requires_corpus
def test_plain_scripts_of_the_corpus_read_as_their_trees_do():
    """Every RUN of the corpus and the examples: a plain one (most) reads the same both ways."""
    paths = sorted(glob.glob(os.path.join(CORPUS, "*Dockerfile")))
    assert paths, "the corpus is missing"
    plain_count = total = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for df, logical in _run_scripts_of(text):
            plain, tree = _readings(df, logical)
            total += 1
            if plain is not None:
                plain_count += 1
                _assert_same(plain, tree)
    assert plain_count > total // 2  # the shortcut is taken where it matters


def test_scripts_beyond_plain_words_are_read_from_the_tree():
    for body in ('echo "a b"', "echo 'a'", "echo $HOME", "a > /dev/null", "<<EOF\na\nb\nEOF", "(cd x && make)",
                 "echo a # note", "a &", "a &&", "&& a", "[ -f x ] && y", "export A=1", "A=1", "A=1 B=2 && c",
                 "for x in a; do b; done", "echo ~", "echo {a,b}", "echo é", "a;;b", "A+=1 cmd", "a=b=c cmd"):
        for d, logical in _run_scripts_of(f"FROM debian:12\nRUN {body}\n"):
            assert shell._plain_script(d, logical, logical.text.encode("utf-8")) is None, body


def test_a_plain_script_keeps_its_assignments_operators_and_positions():
    df = parse("FROM debian:12\nRUN DEBIAN_FRONTEND=noninteractive apt-get -y install curl && rm -rf /x/* | tee a; b\n")
    (s,) = shell.run_scripts(df, df.instructions[1])
    assert s.root is not None and s.root.type == "program"  # the tree is there when asked
    assert [(c.name, c.words, c.operator_before, c.assignments) for c in s.commands] == [
        ("apt-get", ["-y", "install", "curl"], "", ("DEBIAN_FRONTEND=noninteractive",)),
        ("rm", ["-rf", "/x/*"], "&&", ()), ("tee", ["a"], "|", ()), ("b", [], ";", ())]
    first = s.commands[0]
    assert (first.span.start.line, first.span.start.column, first.name_span.start.column) == (2, 5, 36)  # 1-based columns
    assert s.logical.text[: s.end].endswith("; b")


def test_kind_ids_name_each_node_as_its_type_does():
    """_KindNames (types read by kind id) agrees with node.type on every node of a mix of
    scripts, error nodes included."""
    names = shell._kind_names()
    for body in ("a && b || c ; d | e & f", "echo 'x' \"$Y\" $(id -u) > f 2>&1 <<< s",
                 "if [ -f x ]; then export A=1; fi", "for i in 1 2; do (cd $i && make); done",
                 "echo 'unterminated && x", "case $a in x) y;; esac", "f() { local v=1; }"):
        stack = [shell.parse_tree(body.encode()).root_node]
        while stack:
            node = stack.pop()
            assert names[node.kind_id] == node.type
            stack.extend(node.children)


def test_a_command_fact_is_computed_once_and_keeps_none_and_falsy_answers():
    calls = []

    @shell.command_fact
    def answer(cmd):
        calls.append(cmd.name)
        return {"a": None, "b": 0, "c": ("x",)}[cmd.name]

    df = parse("FROM debian:12\nRUN a && b && c\n")
    (s,) = shell.run_scripts(df, df.instructions[1])
    for _ in range(3):
        assert [answer(c) for c in s.commands] == [None, 0, ("x",)]
    assert calls == ["a", "b", "c"]
    fresh = s.commands[0]._replace()  # a new record keeps nothing
    assert answer(fresh) is None and calls == ["a", "b", "c", "a"]


def test_a_file_without_run_compiles_no_plain_script_pattern(tmp_path):
    """The plain reader's patterns are compiled on first use: a check of a file without
    RUN (its rules import the shell model) never compiles them."""
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    code = ("import io, contextlib, sys\nfrom bot import cli\nfrom bot.model import shell\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        cli.main(['check', '-q', '--no-estimate', sys.argv[1]])\n"
            "    except SystemExit:\n        pass\n"
            "print(shell._plain_patterns.cache_info().currsize, 'bot.rules.base' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "Dockerfile")], capture_output=True, text=True)
    assert out.stdout.split()[-2:] == ["0", "True"], out.stderr
