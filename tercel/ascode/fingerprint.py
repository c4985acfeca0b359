"""Fingerprints that tell whether an object on the server moved since a plan read it.

A plan records, for every object it changes, the fingerprint it saw (None: absent); the
server compares them with what it holds before it applies anything. Flows use their
revision, secrets the time their value was last set, the rest a SHA-256 of their content.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

Fingerprint = str | int | None


def canonical(value: Any) -> bytes:
    """JSON with sorted keys and no spaces: equal values give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def settings_fingerprint(
    description: str | None, variables: dict[str, Any], plugin_defaults: list[dict[str, Any]]
) -> str:
    """Of a namespace's stored settings."""
    body = {"description": description, "variables": variables, "pluginDefaults": plugin_defaults}
    return hashlib.sha256(canonical(body)).hexdigest()


def kv_fingerprint(value: Any, kv_type: str) -> str:
    """Of a KV entry's value and type."""
    return hashlib.sha256(canonical({"value": value, "type": kv_type})).hexdigest()


def file_fingerprint(content: bytes) -> str:
    """Of a namespace file's bytes."""
    return hashlib.sha256(content).hexdigest()


def secret_digest(nonce: str, value: str) -> str:
    """HMAC-SHA256 of a secret value under a one-time nonce: lets the server say whether the
    value it holds is the same without either side revealing it (the nonce makes the digest
    useless for any other comparison)."""
    return hmac.new(nonce.encode(), value.encode(), hashlib.sha256).hexdigest()
