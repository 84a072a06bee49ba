from __future__ import annotations

from bot.rules.measured import MeasuredRule


class DuplicateFilesMeasured(MeasuredRule):
    id = "DT704"
    name = "duplicate-files-measured"
    summary = "files with the same content as files already in the image (measured)"
    explanation = """
## What it does
Hashes the content of every file of at least 1 kB in the built image's final
filesystem and reports the copies an instruction added of content already present
(the earliest written copy is the one kept); hard links are one copy, not two.
Copies inside the directories packages install into (`/usr` but not `/usr/local` or
`/usr/src`, `/lib*`, `/bin`, `/sbin`, `/etc`, `/var/lib`) are the distribution's and
not reported. Reported by `dockerdiet measure` and `dockerdiet inspect --dockerfile`.

## Why is this bad?
Each copy is stored and pulled again: a `cp` instead of a move, the same asset
copied into two places, a vendored library next to the system one.

## Example
```dockerfile
FROM debian:12
COPY model.bin /opt/app/model.bin
RUN cp /opt/app/model.bin /srv/model.bin
```

## Use instead
```dockerfile
FROM debian:12
COPY model.bin /opt/app/model.bin
RUN ln -s /opt/app/model.bin /srv/model.bin
```

## Fix safety
No fix: a link and a copy differ when one of them is later changed.

## Size impact
Exactly the bytes of the extra copies (uncompressed; compression does not
deduplicate across files that are far apart in a layer).
"""
