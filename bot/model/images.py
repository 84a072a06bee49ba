"""Image references as written in FROM: ``[registry/]repository[:tag][@digest]``.

One parser and one record for the rules (which tags have a slimmer variant) and for
estimate/ (which table row describes an image): both must read a reference the same way.
"""

from __future__ import annotations

from functools import lru_cache

from bot.model.records import Record, field

HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")


class ImageRef(Record):
    """``name`` drops Docker Hub's ``docker.io/library/`` so official images compare as ``python``."""

    __slots__ = ()
    _fields = ("registry", "repository", "tag", "digest")
    registry = field(0, 'str: "" for Docker Hub')
    repository = field(1, "str: lower case")
    tag = field(2, 'str: "" when the reference has none (Docker reads it as latest)')
    digest = field(3, "str")

    def __new__(cls, registry: str, repository: str, tag: str, digest: str) -> "ImageRef":
        return tuple.__new__(cls, (registry, repository, tag, digest))

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def with_tag(self, tag: str) -> str:
        return f"{self.name}:{tag}"

    def __str__(self) -> str:
        """``name:tag`` (the tag as written; estimate's ``parse_ref`` fills in ``latest``)."""
        return self.with_tag(self.tag)


@lru_cache(maxsize=1024)  # rules, identity and estimates read the same few references of a file many times
def parse_image(ref: str) -> ImageRef | None:
    """None for references that still hold a variable or are empty. (Memoised: the
    ImageRef is immutable, so every caller may share it.)"""
    ref = ref.strip()
    if not ref or "$" in ref or any(c.isspace() for c in ref):
        return None
    ref, _, digest = ref.partition("@")
    parts = ref.split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts.pop(0).lower()
        if registry in HUB_ALIASES:
            registry = ""
    if not registry and len(parts) == 2 and parts[0] == "library":
        parts.pop(0)
    last, _, tag = parts[-1].partition(":")
    parts[-1] = last
    return ImageRef(registry, "/".join(parts).lower(), tag, digest)
