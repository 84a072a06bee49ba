"""Image references: normalisation, tag matching against base_images.csv, distro detection."""

import pytest

from bot.estimate.images import distro_of, match_row, parse_ref


@pytest.mark.parametrize(
    "ref,name,tag",
    [
        ("python:3.12", "python", "3.12"),
        ("docker.io/library/python:3.12", "python", "3.12"),
        ("library/python:3.12", "python", "3.12"),
        ("index.docker.io/library/node", "node", "latest"),
        ("python:3.12@sha256:" + "a" * 64, "python", "3.12"),
        ("ghcr.io/owner/img:1", "ghcr.io/owner/img", "1"),
        ("localhost:5000/app:dev", "localhost:5000/app", "dev"),
        ("bitnami/redis:7", "bitnami/redis", "7"),
    ],
)
def test_parse_ref_normalises_hub_prefixes(ref, name, tag):
    r = parse_ref(ref)
    assert (r.name, r.tag) == (name, tag)
    assert str(r) == f"{name}:{tag}" and r.digest == ""  # the table key: a digest names no other row


@pytest.mark.parametrize("ref", ["", "${BASE_IMAGE}", "scratch", "$BASE:1"])
def test_parse_ref_gives_up_on_unresolved_refs(ref):
    assert parse_ref(ref) is None


@pytest.mark.parametrize(
    "ref,row_tag,quality",
    [
        ("python:3.12-slim", "3.12-slim", "exact"),
        ("python:3.12.4", "3.12", "version"),
        ("python:3.12.4-bookworm", "3.12-bookworm", "version"),
        ("python:3.12.4-trixie", "3.12", "version"),  # 3.12's default distro is trixie
        ("node:22-bookworm-slim", "22-slim", "version"),
        ("docker.io/library/node:22-slim", "22-slim", "exact"),
        ("debian:12-slim", "bookworm-slim", "exact"),  # 12 is bookworm
        ("python:3.12-alpine3.20", "3.12-alpine", "version"),
        ("golang:1.26.1", "1.26", "version"),
        # no row of the version on the named release: that release's nearest version, not the
        # version's row on another release (held-out round 3: node:18-bookworm was sized as
        # bullseye's node:18, and its slim swap measured 830 MB against 609-783 MB)
        ("python:3.13-slim-bookworm", "3.12-slim-bookworm", "nearest"),
        ("node:18-bookworm", "22", "nearest"),
        ("node:18-bookworm-slim", "22-slim", "nearest"),
        ("python:3.11-bookworm", "3.12-bookworm", "nearest"),
        ("python:3.10-slim-bullseye", "3.9-slim", "nearest"),
    ],
)
def test_tag_matching_finds_the_right_row(ref, row_tag, quality):
    m = match_row(parse_ref(ref))
    assert m is not None
    assert (m.row.tag, m.quality) == (row_tag, quality)


def test_one_image_s_rows_are_the_whole_table_s_rows_of_that_name():
    """rows_of (what a check reads: the rows of its base image only) answers as the whole table
    does, for every image in it (written as docker.io/library/... or not) and for one not in it."""
    from bot.estimate.images import base_rows, rows_of

    table = base_rows()
    assert len(table) > 10 and all(rows_of(name) == rows for name, rows in table.items())
    assert rows_of("myorg/app") == () and rows_of(parse_ref("docker.io/library/python:3").name) == table["python"]


@pytest.mark.parametrize("ref", ["node:20", "python:3.12-windowsservercore", "myorg/app:1"])
def test_tag_matching_does_not_guess_other_versions_or_variants(ref):
    assert match_row(parse_ref(ref)) is None


@pytest.mark.parametrize(
    "ref,family,release",
    [
        ("debian:bookworm", "debian", "12"),
        ("debian:12-slim", "debian", "12"),
        ("python:3.12-slim-bookworm", "debian", "12"),
        ("python:3.12-slim", "debian", "13"),  # from the table row's variant
        ("node:22", "debian", "12"),
        ("ubuntu:22.04", "ubuntu", "22.04"),
        ("eclipse-temurin:21-jre-jammy", "ubuntu", "22.04"),
        ("alpine:3.20", "alpine", "3.20"),
        ("python:3.12-alpine", "alpine", ""),
        ("centos:7", "rhel", "7"),
        ("registry.access.redhat.com/ubi9/ubi-minimal", "rhel", "latest"),
    ],
)
def test_distro_of(ref, family, release):
    d = distro_of(ref)
    assert (d.family, d.release) == (family, release)


def test_distro_of_unknown_image_is_none():
    assert distro_of("myorg/app:1") is None
    assert distro_of("") is None
