"""Kestra's OSS secrets: ``SECRET_<NAME>`` environment variables holding base64 values."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping

PREFIX = "SECRET_"


class EnvSecrets:
    """Secrets read once from the environment; names are case-insensitive (upper-cased).

    A variable whose value is not valid base64 is skipped (and named in `invalid`) rather
    than served garbled. Newlines inside the base64 text are ignored, as Kestra does.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = {}
        self.invalid: list[str] = []
        for key, raw in (os.environ if environ is None else environ).items():
            if not key.upper().startswith(PREFIX) or len(key) == len(PREFIX):
                continue
            try:
                value = base64.b64decode("".join(raw.split()), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                self.invalid.append(key)
                continue
            self._values[key[len(PREFIX) :].upper()] = value

    def get(self, name: str) -> str | None:
        """The value, or None."""
        return self._values.get(name.upper())

    def names(self) -> list[str]:
        """Names (upper case), sorted; never values."""
        return sorted(self._values)
