from __future__ import annotations

from bot.rules.measured import MeasuredRule


class ToolchainLeftMeasured(MeasuredRule):
    id = "DT705"
    name = "toolchain-left-measured"
    summary = "compilers and headers are in an image whose command does not compile (measured)"
    explanation = """
## What it does
Reads the built image's final filesystem and, when the image's command does not
compile, reports the compiler toolchain left in it on the instruction that installed
it: compilers and binutils (`gcc`, `g++`, `cpp`, `clang`, `as`, `ld`), gcc's internals
(`/usr/lib/gcc`, `/usr/libexec/gcc`: `cc1`, `cc1plus`), headers (`/usr/include`,
`/usr/local/include`), static libraries and crt objects of `-dev` packages, with the
bytes measured. Whether the image compiles is judged as DT207 judges it: a shell or
build tool as the command, a command that compiles when the container starts, a
`dev`/`ci`/`build` stage or file name, a compiler base image, or no command on an OS
base keep the toolchain, and nothing is reported. When DT207 reports the same
packages on the same line, that finding carries the measured bytes instead; when DT402
proposes the multi-stage rewrite of the stage, its comment takes the measurement in its
basis and keeps its own estimate (the rewrite saves these bytes and more). Reported
by `dockerdiet measure` and `dockerdiet inspect --dockerfile`.

## Why is this bad?
A C toolchain with headers is typically 150-250 MB. A service that only runs its
program never uses it, yet it ships with every pull and widens the attack surface.
Only measuring sees toolchains that arrive as dependencies of other packages, or that
a script or a package manager DT207 does not read installed.

## Example
```dockerfile
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc \\
 && pip install --no-cache-dir psycopg2 && rm -rf /var/lib/apt/lists/*
CMD ["python", "app.py"]
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev gcc \\
 && pip install --no-cache-dir psycopg2 \\
 && apt-get purge -y --auto-remove gcc && apt-get purge -y libpq-dev \\
 && rm -rf /var/lib/apt/lists/*
CMD ["python", "app.py"]
```
or compile in a build stage and copy the result (see DT402).

## Fix safety
No fix of its own: DT207 offers the purge where it can see the install. Check that
nothing compiles at run time before removing the toolchain.

## Size impact
Exactly the bytes of the toolchain's files in the final image (uncompressed).
"""
