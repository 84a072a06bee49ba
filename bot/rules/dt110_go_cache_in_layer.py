from __future__ import annotations

import re
from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Safety, Severity
from bot.rules import caches as C
from bot.rules.base import Context, Invalid, Rule, Valid

GO_CACHES = (C.BY_KEY["go-mod"], C.BY_KEY["go-build"])
# Patterns kept as text: re compiles (and caches) one on first use, not at import (start-up time).
# golang:1.9 has no build cache (Go 1.10) and golang:1.10 no module cache (Go 1.11)
OLD_GO = r"(?:.*/)?golang:1\.(\d+)(?:[.-].*)?$"
GO_PATH_VERSION = r".*/(?:go-?|golang-?)1\.(\d+)(?:\.\d+)?/bin/go$"  # /usr/lib/go-1.9/bin/go


def _minor(base: str, program: str) -> int:
    """Go's minor version from the image tag or the go binary's path; 99 when unknown."""
    m = re.fullmatch(OLD_GO, base) or re.fullmatch(GO_PATH_VERSION, program)
    return int(m.group(1)) if m else 99


def _writes(cache: C.Cache, cmd, minor: int, module_mode: bool) -> bool:
    """Whether this command writes the cache in this Go. ``go get`` builds (build cache)
    only before Go 1.18 and without ``-d``; before Go 1.16 the go command works in
    GOPATH mode (no module cache) unless GO111MODULE=on or a go.mod is found."""
    get = _sub(cmd) == "get"
    if cache.key == "go-build":
        return minor >= 10 and not (get and (minor >= 18 or cmd.has_option("-d")))
    if any(a.text == "-mod=vendor" for a in cmd.args):
        return False  # vendored modules: nothing is downloaded
    # before 1.16 module mode needs a go.mod we cannot see: count only what is sure
    return minor >= 16 or (minor >= 11 and (module_mode or _sub(cmd) == "mod"))


def _sub(cmd) -> str:
    return next((w.text for w in cmd.args if not w.text.startswith("-")), "")


class GoCacheInLayer(Rule):
    id = "DT110"
    name = "go-cache-in-layer"
    severity = Severity.WARNING
    summary = "Go module and build caches left in the final image after `go build`/`install`/`get`"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds a `RUN` in a stage that reaches the final image that runs `go build`,
`go install`, `go get`, `go test`, `go run` or `go mod download` and leaves the module
cache (`GOMODCACHE`, `$GOPATH/pkg/mod`, `/go/pkg/mod` in the `golang` images) or the
build cache (`GOCACHE`, `~/.cache/go-build`) in its layer.

## Why is this bad?
The module cache holds the source of every dependency (and its zip), the build cache
the compiled packages of the whole dependency tree. Together they are often several
hundred MB, and nothing in the running container reads them. Removing them in a later
`RUN` frees nothing.

## Example
```dockerfile
FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /usr/local/bin/app ./cmd/app
```

## Use instead
```dockerfile
FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /usr/local/bin/app ./cmd/app && go clean -modcache -cache
```
Better still: build in a `golang` stage and copy the binary into a small runtime image.

## Fix safety
Review: `go clean -modcache -cache` (without package arguments it removes only the two
caches, never the built binary) runs at the end of the same `RUN`. A later build in the
image downloads the modules again, and needs the network (or `GOPROXY`) for it. No fix
is offered when a later `RUN` runs `go` again; nothing is reported when the image's
`CMD`/`ENTRYPOINT` runs `go` (`go run` reads the caches at run time), when a cache
mount covers a cache, when the same `RUN` removes it, or in builder stages.

## Size impact
The module sources and compiled packages of the project's dependencies: they depend on
`go.mod`, which dockerdiet cannot see.
"""
    examples = (
        Invalid(
            "FROM golang:1.22\nRUN go build -o /app .\n",
            fixed="FROM golang:1.22\nRUN go build -o /app . && go clean -modcache -cache\n",
            at="2:5-2:23",
        ),
        Invalid(
            "FROM golang:1.22\nRUN --mount=type=cache,target=/go/pkg/mod \\\n    go install github.com/x/tool@v1.2.3\n",
            fixed="FROM golang:1.22\nRUN --mount=type=cache,target=/go/pkg/mod \\\n"
            "    go install github.com/x/tool@v1.2.3 && \\\n    go clean -cache\n",
            message="Go build cache",
            note="the module cache is in a cache mount, the build cache is not",
        ),
        Invalid(
            "FROM golang:1.22\nRUN go mod download\nCOPY . .\nRUN go build -o /app . && go clean -cache -modcache\n",
            message="a later RUN",
            note="no fix: the later build reads the downloaded modules",
        ),
        Valid("FROM golang:1.22\nRUN go build -o /app . && go clean -modcache -cache\n"),
        Valid("FROM golang:1.22\nRUN go build -o /app . && rm -rf /go/pkg/mod /root/.cache/go-build\n"),
        Valid(
            "FROM golang:1.22\nRUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \\\n"
            "    go build -o /app .\n",
            note="both caches live in BuildKit cache mounts",
        ),
        Valid(
            "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\n",
            note="a builder stage: its layers do not reach the final image",
        ),
        Valid("FROM golang:1.22\nCOPY . .\nRUN go mod download\nCMD [\"go\", \"run\", \".\"]\n",
              note="go run at start-up reads the caches"),
        Valid("FROM golang:1.22\nRUN go version && go env GOPATH\n"),
        Valid("FROM golang:1.9\nRUN go get github.com/x/tool\n", note="Go 1.9 has neither cache"),
        Valid("FROM ubuntu:18.04\nRUN /usr/lib/go-1.9/bin/go get github.com/x/tool\n",
              note="the Debian/Ubuntu go-1.9 package: Go 1.9 has neither cache"),
        Valid("FROM golang:1.15\nRUN go get -d github.com/x/tool\n",
              note="GOPATH-mode download only: no module cache, nothing built"),
        Invalid("FROM golang:1.13\nRUN go get github.com/x/tool\n", message="Go build cache in",
                fixed="FROM golang:1.13\nRUN go get github.com/x/tool && go clean -cache\n",
                note="GOPATH-mode go get: a build cache but no module cache"),
    )

    @staticmethod
    def _writes(ctx: Context):
        def writes(ins, cache: C.Cache, cmd) -> bool:
            base = ctx.base_image(ctx.stage(ins))
            env = ctx.env(ins)
            if cache.key == "go-mod" and "-mod=vendor" in env.get("GOFLAGS", ""):
                return False
            return _writes(cache, cmd, _minor(base, cmd.name), env.get("GO111MODULE") == "on")

        return writes

    def check(self, ctx: Context) -> Iterator[Finding]:
        for found in C.run_findings(ctx, GO_CACHES, self._writes(ctx)):
            cmd = found.first.command
            sub = " ".join(w.text for w in cmd.args if not w.text.startswith("-"))
            sub = " ".join(sub.split()[:2]) if sub.startswith("mod ") else sub.split(" ", 1)[0]
            where = found.advice("run `go clean` in the same RUN")
            what = " and ".join(c.label.split()[1] for c in found.caches)
            what = f"Go {what} cache" + ("s" if len(found.caches) > 1 else "")
            yield ctx.finding(
                self,
                found.ins,
                found.span,
                f"`go {sub}` leaves the {what} in this layer{where}",
                fix=found.fix,
                hint=C.hint(ctx, found, hints.GO_CACHE),
            )
