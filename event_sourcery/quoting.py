"""How error messages quote a value a caller or a row gave: its repr, cut short when long,
so that a 10,000-character name does not fill the message."""

from __future__ import annotations

QUOTE_LIMIT = 60
"""How many characters of a long text a message shows."""


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value``'s repr; a text or bytes longer than ``limit`` is cut, with its length."""
    if isinstance(value, str | bytes) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    return repr(value)
