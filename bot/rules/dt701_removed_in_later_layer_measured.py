from __future__ import annotations

from bot.rules.measured import MeasuredRule


class RemovedInLaterLayerMeasured(MeasuredRule):
    id = "DT701"
    name = "removed-in-later-layer-measured"
    summary = "bytes this instruction wrote are deleted or overwritten by a later layer (measured)"
    explanation = """
## What it does
Reads the built image's layers and reports files an instruction wrote that a later
instruction deletes (a whiteout) or overwrites, with the bytes measured in the layer
and the line of the instruction that removed them. Reported by `dockerdiet measure`
and `dockerdiet inspect --dockerfile`, on the line that wrote the bytes.

## Why is this bad?
A layer is immutable: deleting or replacing a file in a later layer hides it but
every pull still downloads it. `chmod`/`chown` of copied files rewrites them whole.

## Example
```dockerfile
FROM debian:12
RUN dd if=/dev/zero of=/big bs=1M count=20
RUN rm /big
```

## Use instead
```dockerfile
FROM debian:12
RUN dd if=/dev/zero of=/big bs=1M count=20 && use /big && rm /big
```

## Fix safety
No fix: the measured layers show the waste, the text shows how to merge the steps
only in the cases the static rules know (DT201, DT202, DT206), whose findings carry
the measured bytes instead when they fire on the same lines.

## Size impact
Exactly the bytes of the removed files as stored in the writing layer (uncompressed).
"""
