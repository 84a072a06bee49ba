"""Records: small immutable tuples with named fields, written out (start-up time, issue 12).

A ``typing.NamedTuple`` class is built at import: ``collections.namedtuple`` compiles its
``__new__`` from source text and sets up a dozen attributes, ~0.6M instructions a class, and a
small check defines some fifty of them (a fifth of its cold start). A record is a tuple
subclass whose ``__new__`` is written in its module (compiled once, into the .pyc), whose
fields are namedtuple's own C accessors (:func:`field`), and which inherits from
:class:`Record` the NamedTuple methods the code uses. It behaves as the NamedTuple it
replaces: a tuple (equality, hash, order, unpacking), ``_fields``, ``_replace``, ``_asdict``,
its repr, and copy and pickle through ``__new__``. (A module of records may defer its
annotations again, ``from __future__ import annotations``: typing.NamedTuple compiled string
annotations, and an evaluated one such as ``Sequence[Word]`` costs typing's alias machinery.)
"""

from __future__ import annotations

try:  # namedtuple's own field accessor, in C: a private name, so kept with namedtuple's fallback
    from collections import _tuplegetter as _getter
except ImportError:  # (an interpreter without it): what collections.namedtuple then uses
    from operator import itemgetter as _itemgetter

    def _getter(index: int, doc: str | None):
        return property(_itemgetter(index), doc=doc)


def field(index: int, doc: str | None = None):
    """The read-only attribute for item ``index`` of a record (``doc``: what it holds)."""
    return _getter(index, doc)


class Record(tuple):
    """Base of the records: subclasses set ``__slots__ = ()``, ``_fields``, one :func:`field`
    per name in order, and a ``__new__`` that takes them (defaults included)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _replace(self, **changes):
        """A copy with ``changes`` (field names) made; as namedtuple's, it does not call
        ``__new__`` (no checks run again)."""
        values = tuple(map(changes.pop, self._fields, self))
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return tuple.__new__(type(self), values)

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"{type(self).__name__}({inner})"

    def __getnewargs__(self) -> tuple:
        return tuple(self)
