"""The corpus tokenisation the table generators share (gen_apt_table, gen_pip_table).

Deliberately simple, not the product's parser: join continuation lines, cut the text at
shell operators, and take the words after a command a pattern recognises. It only picks
which packages are worth measuring.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Callable, Iterable, Iterator

OPS = re.compile(r"&&|\|\||[;|&()\n]")


def count_names(corpus: Path, command: re.Pattern[str], names: Callable[[list[str]], Iterable[str]]) -> collections.Counter[str]:
    """Name -> number of files of ``corpus`` that name it: ``command`` finds a command in a
    piece of shell (its group ``rest`` holds the words after it) and ``names`` reads them."""
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(corpus.glob("*")):
        if not path.is_file():
            continue
        text = path.read_text(errors="replace").replace("\\\r\n", " ").replace("\\\n", " ")
        found: set[str] = set()
        for segment in OPS.split(text):
            m = command.search(segment)
            if m:
                found.update(names(m.group("rest").split()))
        counts.update(found)
    return counts


def operands(words: Iterable[str], takes_value: Iterable[str]) -> Iterator[str]:
    """The words but the values of options that take one (``-o X``: X is skipped)."""
    takes_value = frozenset(takes_value)
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        if w in takes_value:
            skip = True
            continue
        yield w
