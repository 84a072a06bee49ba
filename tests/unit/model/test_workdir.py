"""The working directory at a point of an image (model.stages.workdir_at), read as BuildKit
reads WORKDIR: the rest of the line, quotes removed, ENV/ARG expanded, relative ones
continuing the one before."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.model.dockerfile import parse
from bot.model.stages import workdir_at
from bot.model.words import expand, process_word
from bot.rules.base import Context


def _at_end(text: str, image_default: str | None = "/") -> str | None:
    """The working directory of the file's last instruction."""
    df = parse(text)
    return workdir_at(df, Context(df, "Dockerfile").before(df.instructions[-1]), image_default)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('FROM x\nWORKDIR "/app"\nRUN a', "/app"),  # quotes removed
        ("FROM x\nWORKDIR /my app\nRUN a", "/my app"),  # the whole rest of the line
        ("FROM x\nWORKDIR /my\\ app\nRUN a", "/my app"),
        ("FROM x\nWORKDIR //app/\nRUN a", "/app"),  # Linux reads // as /
        ("FROM x\nWORKDIR /a\nWORKDIR ../b\nWORKDIR c\nRUN a", "/b/c"),
        ("FROM x\nENV D=/srv\nWORKDIR $D/app\nRUN a", "/srv/app"),
        ('FROM x\nENV D=/srv\nWORKDIR "${D}/my app"\nRUN a', "/srv/my app"),
        ("ARG D=/g\nFROM x\nARG D\nWORKDIR ${D}/x\nRUN a", "/g/x"),  # a global ARG's default
        ("FROM x\nENV D=/srv\nWORKDIR /'$D'\nRUN a", "/$D"),  # single quotes: no expansion
        ("FROM x AS b\nWORKDIR /b\nFROM b\nWORKDIR c\nRUN a", "/b/c"),  # through the parent stage
    ],
)
def test_buildkit_reading(text: str, expected: str) -> None:
    assert _at_end(text) == expected
    assert _at_end(text, None) == expected  # an absolute WORKDIR decides, whatever the image


def test_unknown_variable_is_unknown() -> None:
    assert _at_end("FROM x\nWORKDIR $D/app\nRUN a") is None
    assert _at_end("FROM x\nWORKDIR /app\nWORKDIR $D\nRUN a") is None


def test_the_image_default_decides_without_an_absolute_workdir() -> None:
    # most images keep Docker's /, some set their own (golang: /go): callers choose
    assert _at_end("FROM x\nRUN a") == "/"
    assert _at_end("FROM x\nRUN a", None) is None
    assert _at_end("FROM x\nWORKDIR /a\nFROM y\nRUN a") == "/"  # another stage's WORKDIR does not count
    assert _at_end("FROM x\nWORKDIR app\nRUN a") == "/app"
    assert _at_end("FROM x\nWORKDIR app\nRUN a", None) is None
    # scratch has no WORKDIR of its own: / whatever the caller assumes of images
    assert _at_end("FROM scratch\nWORKDIR app\nRUN a", None) == "/app"
    assert _at_end("FROM scratch AS s\nFROM s\nRUN a", None) == "/"


@pytest.mark.parametrize(
    "text, env, expected",
    [
        ("/a b", {}, ("/a b", True)),
        ('"/a b"/c', {}, ("/a b/c", True)),
        ("'$X'", {"X": "1"}, ("$X", True)),
        ('"$X"/y', {"X": "1"}, ("1/y", True)),
        ("\\$X", {"X": "1"}, ("$X", True)),
        ("${X:-d}", {}, ("d", True)),
        ("$X", {}, ("", False)),
    ],
)
def test_process_word(text: str, env: dict[str, str], expected: tuple[str, bool]) -> None:
    assert process_word(text, env) == expected


# A word with nothing to expand or unquote is answered without the character loop; a text
# that forces the loop but means the same (a trailing lone "$" stays literal, an empty "" pair
# adds nothing) must read the same.
_PLAIN = st.text(alphabet=st.characters(blacklist_characters="$'\"\\`", blacklist_categories=("Cs",)), max_size=40)


@given(_PLAIN, st.dictionaries(st.sampled_from(["A", "HOME"]), st.text(max_size=5), max_size=2))
def test_plain_words_read_as_the_character_loop_reads_them(text: str, env: dict[str, str]) -> None:
    value, known = expand(text, env)
    assert (value + "$", known) == expand(text + "$", env)
    assert process_word(text, env) == process_word(text + '""', env)
    assert process_word(text, env, "`") == process_word(text + '""', env, "`")
