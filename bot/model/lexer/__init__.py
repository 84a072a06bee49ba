"""BuildKit's Dockerfile lexer, with every character's file offset kept.

Split as BuildKit splits its parser: parser directives (``directives``), physical
lines and continuations (``lines``), heredoc detection and bodies (``heredocs``, which
needs BuildKit's shell-word splitter, ``shellwords``), builder flags (``flags``) and the
per-instruction argument checks (``arguments``). ``bot.model.dockerfile`` assembles the
typed instructions from what this package finds.

Behaviour follows moby/buildkit ``frontend/dockerfile/parser`` and ``instructions``
(read, not copied); ``tests/unit/model/test_buildkit_table.py`` pins it case by case.
"""
