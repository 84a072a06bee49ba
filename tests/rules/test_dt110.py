"""DT110 edge cases: which Go writes which cache, and where the caches live."""

from __future__ import annotations

import pytest

from bot.rules.dt110_go_cache_in_layer import GoCacheInLayer as DT110
from tests.rules.harness import fixed_text, run


def test_gomodcache_env_in_a_cache_mount_leaves_only_the_build_cache():
    code = ("FROM golang:1.22\nENV GOMODCACHE=/cache/mod\n"
            "RUN --mount=type=cache,target=/cache go build -o /app .\n")
    (f,) = run(DT110, code)
    assert "Go build cache" in f.message and "module" not in f.message
    assert fixed_text(DT110, code).endswith("go build -o /app . && go clean -cache\n")


def test_gocache_env_removed_by_path_counts_as_cleaned():
    code = "FROM golang:1.22\nENV GOCACHE=/tmp/gocache\nRUN go build -o /app . && rm -rf /tmp/gocache /go/pkg/mod\n"
    assert not run(DT110, code)


def test_go_called_by_path_is_cleaned_the_same_way():
    code = "FROM debian:12\nRUN /usr/local/go/bin/go install example.com/tool@v1.0.0\n"
    assert fixed_text(DT110, code).endswith("&& /usr/local/go/bin/go clean -modcache -cache\n")


@pytest.mark.parametrize("cmd", ["go version", "go env", "go fmt ./...", "go clean -cache"])
def test_commands_that_write_no_cache_are_silent(cmd):
    assert not run(DT110, f"FROM golang:1.22\nRUN {cmd}\n")


def test_go_get_since_1_18_builds_nothing():
    (f,) = run(DT110, "FROM golang:1.21\nRUN go get example.com/lib@v1.0.0\n")
    assert "Go module cache" in f.message and "build" not in f.message


def test_entrypoint_running_go_keeps_the_caches():
    code = "FROM golang:1.22\nRUN go build ./...\nENTRYPOINT go run ./cmd/server\n"
    assert not run(DT110, code)


def test_vendored_modules_download_nothing():
    (f,) = run(DT110, "FROM golang:1.22\nRUN go build -mod=vendor -o /app .\n")
    assert "Go build cache" in f.message and "module" not in f.message
    (g,) = run(DT110, "FROM golang:1.22\nENV GOFLAGS=-mod=vendor\nRUN go build -o /app .\n")
    assert "module" not in g.message
