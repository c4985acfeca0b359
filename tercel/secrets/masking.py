"""Masking secret values in log lines and error messages."""

from __future__ import annotations

import re
import threading

#: What a secret value is replaced with.
MASK = "******"


class SecretMasker:
    """Replaces every registered secret value in a text with `MASK`.

    One compiled alternation (longest value first, so that a secret containing another is
    masked whole) scans the text once: cost is linear in the text, whatever the number of
    secrets. Multi-line values are also masked line by line, because tools often print
    them one line at a time.
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
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def mask(self, text: str) -> str:
        """`text` with every registered value replaced by `MASK`."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, value: object) -> bool:
        return value in self._values
