"""The hidden markers that make our comments and reviews recognisable (github.md §6.2).

Marker v2 (written now)::

    <!-- dockerdiet:v2 fp=<path+identity> id=<identity> rule=DT101 run=<run>-<attempt> [state=fixed] -->
    <!-- dockerdiet:v2 summary head=<sha> run=<run>-<attempt> -->

``fp`` is the finding's fingerprint (bot/identity.py); ``id`` is its path-less identity,
so a renamed file keeps its comments. Marker v1 (``fp`` = hash of the instruction text)
is still read during the migration: v1 comments are matched by that old fingerprint.
"""

from __future__ import annotations

import re

from bot.identity import digest

VERSION = "2"
MARKER_PREFIX = "<!-- dockerdiet:v2 "
MARKER_PREFIXES = ("<!-- dockerdiet:v1 ", MARKER_PREFIX)
_TRAILING_MARKER = re.compile(r"<!-- dockerdiet:v([12]) ([^<>\n]*?) -->\s*\Z")
GITHUB_ACTIONS_LOGIN = "github-actions[bot]"


def identity_id(identity: str) -> str:
    return digest(identity)


def comment_marker(fp: str, rule_id: str, run: str, state: str = "", ident: str = "") -> str:
    id_part = f" id={ident}" if ident else ""
    extra = f" state={state}" if state else ""
    return f"<!-- dockerdiet:v2 fp={fp}{id_part} rule={rule_id} run={run}{extra} -->"


def summary_marker(head_sha: str, run: str) -> str:
    return f"<!-- dockerdiet:v2 summary head={head_sha} run={run} -->"


def parse_marker(body: str) -> dict[str, str] | None:
    """The marker that ENDS the body (ours always does), as key=value pairs plus ``v``.

    Only the trailing marker counts, so a marker-like string quoted from a Dockerfile
    earlier in the body (inside a suggestion block, say) is never mistaken for ours.
    """
    m = _TRAILING_MARKER.search(body)
    if not m:
        return None
    fields: dict[str, str] = {"v": m.group(1)}
    for token in m.group(2).split():
        key, _, value = token.partition("=")
        fields[key] = value if value else "true"
    return fields


def strip_marker(body: str) -> str:
    return _TRAILING_MARKER.sub("", body).rstrip()


def is_ours(login: str, user_type: str, bot_login: str = "") -> bool:
    """The author is us: the login we post as. Without a known login (a test planning
    offline) any Bot is taken; the action always resolves the login first
    (:func:`our_login`), so another bot copying our marker is never taken for us."""
    return login == bot_login if bot_login else user_type == "Bot"


def our_login(token_kind: str, bot_login_input: str, resolve) -> str:
    """Who posts our comments: ``github-actions[bot]`` for GITHUB_TOKEN, else the
    ``bot_login`` input, else what the token resolves to (``resolve()``: GET /user)."""
    if bot_login_input:
        return bot_login_input
    if token_kind == "github_token":
        return GITHUB_ACTIONS_LOGIN
    try:
        return resolve() or GITHUB_ACTIONS_LOGIN
    except Exception:  # noqa: BLE001 - installation tokens answer 403 on /user
        return GITHUB_ACTIONS_LOGIN
