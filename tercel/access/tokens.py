"""Random secrets: API tokens (``tct_<id>_<secret>``), session ids and CSRF tokens.

They are long random strings, so a fast SHA-256 is enough to store them: a stolen row gives
nothing to replay, and checking a token costs microseconds, not argon2's tens of ms.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "tct_"  # noqa: S105 (a marker, not a secret)


def digest(secret: str) -> str:
    """SHA-256 (hex) of a random secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def new_secret() -> str:
    """32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def new_api_token() -> tuple[str, str, str]:
    """``(token_id, secret, token)``: the token is shown once; only the id and the
    secret's digest are stored."""
    token_id = secrets.token_hex(8)
    secret = new_secret()
    return token_id, secret, f"{TOKEN_PREFIX}{token_id}_{secret}"


def parse_api_token(token: str) -> tuple[str, str] | None:
    """``(token_id, secret)`` of a ``tct_`` token, None for anything else."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    token_id, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not token_id or not secret:
        return None
    return token_id, secret
