"""The bundled plain-text tables (the apt package graph's files).

A table file is one row a line, ``key value``: the key is the first word, the value the
rest of the line (it may hold spaces, never a line break). Uncompressed UTF-8: the wheel
is a zip already, and splitting lines costs a check far less than zlib and ``json.loads``
did (issue 12's cold start). Values stay text here; each table decodes the ones it reads
(a ``meta`` file's values are JSON, decoded only when asked for: :class:`JsonValues`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import repeat


def rows(path: str) -> dict[str, str]:
    """Key -> value of each line of ``path``; ValueError naming the file and line when malformed."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 ({e.reason} at byte {e.start})") from None
    if not text.endswith("\n"):
        raise ValueError(f"{path}: empty, or its last line has no line break (cut short?)")
    try:  # str.split mapped over the lines: no Python frame per line (a table has thousands)
        return dict(map(str.split, text[:-1].split("\n"), repeat(" "), repeat(1)))
    except ValueError:
        n, line = next((n, line) for n, line in enumerate(text.split("\n"), 1) if " " not in line)
        raise ValueError(f"{path}:{n}: the row {line!r} has no value (a row is `key value`)") from None


def write(path: str, table: Mapping[str, object]) -> None:
    """Write ``table`` (key -> value, in the order given) as :func:`rows` reads it back."""
    lines = []
    for key, value in table.items():
        value = str(value)
        if not key or any(c in key for c in " \r\n") or any(c in value for c in "\r\n"):
            raise ValueError(f"{path}: the row {key!r} cannot be stored (a line break, or a space in its key)")
        lines.append(f"{key} {value}\n")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(lines))


class JsonValues(Mapping):
    """A table whose values are JSON texts (provenance: ``meta``), decoded on access: only
    what reads them imports json."""

    def __init__(self, table: dict[str, str]) -> None:
        self._table = table

    def __getitem__(self, key: str):
        import json

        return json.loads(self._table[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)
