from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command, Word
from bot.model.words import expand
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.edits import insert_after
from bot.rules.facts import getopt, layer_claim
from bot.rules.tool_options import USERADD

# hadolint DL3046 calls a UID "high" when it has more than 5 characters; as a number
# that is 100000 and up.
HIGH_UID = 100000


def uid_word(cmd: Command) -> Word | None:
    """The value of ``-u N``, ``-uN``, ``-ru N`` (clusters), ``--uid N`` or ``--uid=N``
    (the last one counts; nothing after ``--`` is an option)."""
    values = [v for name, v in getopt(cmd.args, USERADD)[0] if name in ("-u", "--uid") and v is not None]
    return values[-1] if values else None


def has_no_log_init(cmd: Command) -> bool:
    """``-l`` (also in a cluster) or ``--no-log-init`` (or a prefix getopt_long takes)."""
    return any(name == "-l" or name.startswith("--no-log") for name, _ in getopt(cmd.args, USERADD)[0])


def uid_value(word: Word, env: dict[str, str]) -> int | None:
    """The numeric UID, expanding ARG/ENV defaults; None when unknown."""
    text = word.text
    if word.dynamic or "$" in text:
        text, known = expand(text, env)
        if not known:
            return None
    text = text.strip()
    return int(text) if text.isdigit() else None


class UseraddLastlogInLayer(Rule):
    id = "DT208"
    name = "useradd-lastlog-in-layer"
    severity = Severity.WARNING
    summary = "`useradd` with a high UID without `-l` writes a huge sparse lastlog/faillog"
    hadolint = ("DL3046",)
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds `useradd -u UID` (also `--uid UID`, `-uUID`, `-ru UID`) with a UID of 100000 or
more and without `-l` / `--no-log-init`, in a stage that ends up in the final image.
A UID given as `$VAR` counts when an `ARG`/`ENV` default gives its value; otherwise the
UID is unknown and nothing is reported.

## Why is this bad?
On distributions whose `useradd` still initialises `/var/log/lastlog` and
`/var/log/faillog` (older Debian and Ubuntu, the RHEL family), it writes the new user's
record at offset UID × 292 bytes. The file is sparse on disk but image layers store it
in full: a UID of 1000000 adds about 292 MB of zeros. `-l` skips that initialisation.

## Example
```dockerfile
FROM ubuntu:20.04
RUN useradd -u 1000000 -m app
```

## Use instead
```dockerfile
FROM ubuntu:20.04
RUN useradd -l -u 1000000 -m app
```

## Fix safety
Safe: `-l` only skips adding the user to the lastlog and faillog databases; the user,
its groups and home are the same.

## Size impact
About UID × 292 bytes (lastlog) plus UID × 32 bytes (faillog) where the base's
`useradd` writes them; measured: Debian 12's `useradd` no longer does, so the estimate
depends on the base image.

## References
hadolint DL3046 (which judges the UID by its length as written, so it also fires on
`-u ${UID}` whose value it cannot know and misses `--uid`).
"""
    examples = (
        Invalid(
            "FROM ubuntu:20.04\nRUN useradd -u 1000000 -m app\n",
            fixed="FROM ubuntu:20.04\nRUN useradd -l -u 1000000 -m app\n",
            at="2:5-2:30",
        ),
        Invalid(
            "FROM centos:7\nRUN groupadd -g 123456 app && useradd --uid=123456 -g app app\n",
            fixed="FROM centos:7\nRUN groupadd -g 123456 app && useradd -l --uid=123456 -g app app\n",
            note="hadolint misses the long form",
        ),
        Invalid(
            "FROM ubuntu:18.04\nARG APP_UID=200000\nRUN useradd -ru ${APP_UID} app\n",
            fixed="FROM ubuntu:18.04\nARG APP_UID=200000\nRUN useradd -l -ru ${APP_UID} app\n",
            note="the ARG default gives the UID",
        ),
        Valid("FROM ubuntu:20.04\nRUN useradd -l -u 1000000 -m app\n"),
        Valid("FROM ubuntu:20.04\nRUN useradd --no-log-init -u 1000000 -m app\n"),
        Valid("FROM ubuntu:20.04\nRUN useradd -lu 1000000 app\n", note="-l inside a cluster"),
        Valid("FROM ubuntu:20.04\nRUN useradd -u 99999 app\n", note="below hadolint's threshold"),
        Valid("FROM ubuntu:20.04\nRUN useradd -u 000001 app\n", note="UID 1: hadolint fires on the 6 characters"),
        Valid(
            "FROM ubuntu:20.04\nARG UID\nRUN useradd -u ${UID} app\n",
            note="unknown UID: hadolint fires because `${UID}` is 6 characters long",
        ),
        Valid("FROM ubuntu:20.04\nRUN useradd -m -s /bin/sh app\n"),
        Valid(
            "FROM ubuntu:20.04 AS build\nRUN useradd -u 1000000 app\n"
            "FROM scratch\nCOPY --from=build /etc/passwd /etc/passwd\n",
            note="a builder stage: its layers do not reach the final image",
        ),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            env = None
            for script in ctx.scripts(ins):
                for cmd in script.find("useradd"):
                    word = uid_word(cmd)
                    if word is None or has_no_log_init(cmd):
                        continue
                    if env is None:
                        env = ctx.env(ins)
                    uid = uid_value(word, env)
                    if uid is None or uid < HIGH_UID:
                        continue
                    fix = Fix("Add -l so useradd skips lastlog and faillog", (insert_after(cmd, " -l"),), Safety.SAFE)
                    yield ctx.finding(
                        self,
                        ins,
                        cmd.span,
                        f"`useradd` with UID {uid} and without -l can write a lastlog of UID x 292 bytes "
                        "into this layer",
                        fix=fix,
                        hint=SizeHint(
                            hints.LASTLOG,
                            {"uid": uid, "base_image": ctx.base_image(ctx.stage(ins))},
                            (layer_claim("lastlog", ins),),
                        ),
                    )

