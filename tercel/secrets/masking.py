"""Masking secret values in log lines, error messages and the JSON the API shows."""

from __future__ import annotations

import re
import threading
from typing import Any

#: What a secret value is replaced with.
MASK = "******"
#: Kestra's type tag of an encrypted string (see `tercel.secrets.sealing`).
ENCRYPTED_TYPE = "io.kestra.datatype:aes_encrypted"


class SecretMasker:
    """Replaces every registered secret value in a text with `MASK`.

    The values are compiled into one regular expression shaped like a trie (shared
    prefixes are matched once, longer continuations are tried first, so a secret that
    contains another is masked whole): the text is scanned once, and the cost per
    character barely grows with the number of secrets. Multi-line values are also masked
    line by line, because tools often print them one line at a time.
    """

    def __init__(self, values: list[str] | None = None) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        for value in values or []:
            self.add(value)

    def add(self, value: str | None) -> None:
        """Register a value to mask (empty values are ignored: they would match everywhere)."""
        if not value:
            return
        candidates = {value}
        candidates.update(line for line in value.splitlines() if line.strip())
        with self._lock:
            if candidates <= self._values:
                return
            self._values |= candidates
            self._pattern = re.compile(_trie_pattern(self._values))

    def mask(self, text: str) -> str:
        """`text` with every registered value replaced by `MASK`."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def found_in(self, text: str) -> bool:
        """True when `text` contains a registered value."""
        pattern = self._pattern
        return pattern is not None and bool(text) and pattern.search(text) is not None

    def mask_value(self, value: Any) -> Any:
        """A JSON-like value with registered secrets masked in every string (a copy).

        An encrypted string (Kestra's ``{"type": "io.kestra.datatype:aes_encrypted", ...}``
        shape, how secrets are stored) is shown as `MASK` too. Keys are left alone.
        """
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            if value.get("type") == ENCRYPTED_TYPE and len(value) == 2:
                return MASK
            return {key: self.mask_value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.mask_value(item) for item in value]
        return value

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, value: object) -> bool:
        return value in self._values


_END = ""


def _trie_pattern(values: set[str]) -> str:
    """A regex matching any of `values`, longest match preferred, prefixes shared."""
    root: dict[str, Any] = {}
    for value in values:
        node = root
        for char in value:
            node = node.setdefault(char, {})
        node[_END] = {}
    return _node_pattern(root)


def _node_pattern(node: dict[str, Any]) -> str:
    # Walk single-child chains iteratively: a long secret (a PEM key) must not recurse deep.
    literal: list[str] = []
    while len(node) == 1 and _END not in node:
        char, node = next(iter(node.items()))
        literal.append(re.escape(char))
    branches = [
        re.escape(char) + _node_pattern(child)
        for char, child in sorted(node.items())
        if char != _END
    ]
    prefix = "".join(literal)
    if not branches:
        return prefix
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:
        body = "(?:" + body + ")?"
    return prefix + body
