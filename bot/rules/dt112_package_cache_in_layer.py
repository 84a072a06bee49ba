from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Safety, Severity
from bot.rules import caches as C
from bot.rules.base import Context, Invalid, Rule, Valid

SMALL_CACHES = (C.BY_KEY["cpanm"], C.BY_KEY["composer"], C.BY_KEY["cargo"])


class PackageCacheInLayer(Rule):
    id = "DT112"
    name = "package-cache-in-layer"
    severity = Severity.WARNING
    summary = "cpanm, composer or cargo download caches left in the layer"
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a `RUN` in a stage that reaches the final image that installs with `cpanm`,
`composer` (`install`, `update`, `require`, `create-project`) or `cargo` (`build`,
`install`, `fetch`, ...) and leaves the manager's cache in its layer: `~/.cpanm`
(`PERL_CPANM_HOME`), composer's cache (`COMPOSER_CACHE_DIR`, `$COMPOSER_HOME/cache`,
`~/.cache/composer`), cargo's registry and git checkouts (`$CARGO_HOME/registry`, `git`).
The bundler cache is DT108's.

## Why is this bad?
cpanm keeps every downloaded tarball, its unpacked build tree and the build logs;
composer keeps a zip of every package next to the installed `vendor/`; cargo keeps the
crate index, the `.crate` files and their unpacked sources. None of it is read by the
installed program. Removing it in a later `RUN` frees nothing.

## Example
```dockerfile
FROM perl:5.38
RUN cpanm Mojolicious
```

## Use instead
```dockerfile
FROM perl:5.38
RUN cpanm Mojolicious && rm -rf ~/.cpanm
```

## Fix safety
Safe for cpanm (`~/.cpanm` is cpanm's work directory: downloads, build trees, logs) and
composer (`composer clear-cache` removes only its cache, wherever the image configured
it). Review for cargo: `rm -rf "${CARGO_HOME:-$HOME/.cargo}/registry" .../git` runs at
the end of the `RUN`; a later `cargo` command in the image downloads the crates again
(so no fix then, and nothing is reported when `CMD`/`ENTRYPOINT` runs `cargo`). Not
reported with `composer --no-cache` or `COMPOSER_CACHE_DIR=/dev/null`, `cargo --offline`,
a cache mount on the cache, a removal in the same `RUN`, or in builder stages.

## Size impact
The downloaded packages: they depend on the project's `cpanfile`, `composer.lock` or
`Cargo.lock`, which dockerdiet cannot see.
"""
    examples = (
        Invalid(
            "FROM perl:5.38\nRUN cpanm Mojolicious\n",
            fixed="FROM perl:5.38\nRUN cpanm Mojolicious && rm -rf ~/.cpanm\n",
            at="2:5-2:22",
        ),
        Invalid(
            "FROM php:8.3-cli\nCOPY . /app\nRUN cd /app && composer install --no-dev\n",
            fixed="FROM php:8.3-cli\nCOPY . /app\nRUN cd /app && composer install --no-dev && composer clear-cache\n",
            message="composer",
        ),
        Invalid(
            "FROM rust:1.79\nRUN cargo install ripgrep\n",
            fixed='FROM rust:1.79\nRUN cargo install ripgrep && rm -rf "${CARGO_HOME:-$HOME/.cargo}/registry"'
            ' "${CARGO_HOME:-$HOME/.cargo}/git"\n',
        ),
        Valid("FROM perl:5.38\nRUN cpanm Mojolicious && rm -rf /root/.cpanm\n"),
        Valid("FROM php:8.3\nRUN composer install --no-cache\n"),
        Valid("FROM php:8.3\nENV COMPOSER_CACHE_DIR=/dev/null\nRUN composer install\n"),
        Valid("FROM php:8.3\nRUN composer install && composer clearcache\n"),
        Valid("FROM php:8.3\nRUN composer dump-autoload --optimize\n", note="writes no cache"),
        Valid("FROM rust:1.79\nRUN --mount=type=cache,target=/usr/local/cargo/registry cargo build --release\n",
              note="the registry lives in a BuildKit cache mount"),
        Valid(
            "FROM rust:1.79 AS build\nRUN cargo build --release\nFROM debian:12-slim\n"
            "COPY --from=build /target/release/app /app\n",
            note="a builder stage: its layers do not reach the final image",
        ),
        Valid("FROM rust:1.79\nCOPY . .\nRUN cargo fetch\nCMD [\"cargo\", \"run\"]\n",
              note="cargo run at start-up reads the registry"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for found in C.run_findings(ctx, SMALL_CACHES):
            where = found.advice()
            yield ctx.finding(
                self,
                found.ins,
                found.span,
                f"`{found.caches[0].tool}` leaves the {C.labels(found.caches)} in this layer{where}",
                fix=found.fix,
                hint=C.hint(ctx, found, hints.PACKAGE_CACHE),
            )
