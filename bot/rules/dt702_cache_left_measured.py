from __future__ import annotations

from bot.rules.measured import MeasuredRule


class CacheLeftMeasured(MeasuredRule):
    id = "DT702"
    name = "cache-left-measured"
    summary = "a package manager's or build tool's cache is in the final image (measured)"
    explanation = """
## What it does
Reads the built image's final filesystem and reports caches left by the instruction
that wrote them: apt lists and archives, apk, dnf/yum, pip, Poetry, npm, yarn, Go, Cargo,
Maven, Gradle, Composer, cpanm, RubyGems and conda package caches, with the bytes
measured. Reported by `dockerdiet measure` and `dockerdiet inspect --dockerfile`.

## Why is this bad?
Caches only speed up a later install in the same build; in the image they are bytes
every pull downloads and nobody reads. Measuring finds caches of tools no static
rule knows and caches written by scripts the text does not show.

## Example
```dockerfile
FROM python:3.12-slim
RUN pip install flask
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN pip install --no-cache-dir flask
```

## Fix safety
No fix of its own: when a static rule (DT101, DT103-DT107, DT109, DT203) reports
the same cache on the same line, that finding carries the measured bytes and its fix.

## Size impact
Exactly the bytes of the cache files in the final image (uncompressed).
"""
