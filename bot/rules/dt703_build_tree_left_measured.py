from __future__ import annotations

from bot.rules.measured import MeasuredRule


class BuildTreeLeftMeasured(MeasuredRule):
    id = "DT703"
    name = "build-tree-left-measured"
    summary = "leftovers of building (/tmp, .git, a configured build tree) are in the final image (measured)"
    explanation = """
## What it does
Reads the built image's final filesystem and reports what building left behind, on
the instruction that wrote it: contents of `/tmp` and `/var/tmp`, `.git`
directories, build trees (a directory with `config.status` or `CMakeCache.txt`, and
object files), with the bytes measured. Reported by `dockerdiet measure` and
`dockerdiet inspect --dockerfile`.

## Why is this bad?
A source tree unpacked, built and installed is needed only while building; a cloned
repository's history is never needed at run time. Both ship with every pull.

## Example
```dockerfile
FROM debian:12
RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /tmp \\
 && make -C /tmp/tool install
```

## Use instead
```dockerfile
FROM debian:12
RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /tmp \\
 && make -C /tmp/tool install && rm -rf /tmp/tool
```

## Fix safety
No fix: which files the program needs at run time is for the author to say. A
multi-stage build that copies only the installed result is the thorough answer.

## Size impact
Exactly the bytes of the leftover files in the final image (uncompressed).
"""
