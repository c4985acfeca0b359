"""Identifiers: Kestra's short ids (a random UUID written in base62, ~22 characters)."""

from __future__ import annotations

import uuid

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def short_id(source: uuid.UUID | None = None) -> str:
    """A FriendlyId-style id, e.g. ``1KWLxLeaXEXNDaXWP7YSKA``."""
    number = (source or uuid.uuid4()).int
    chars: list[str] = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars)) or "0"
