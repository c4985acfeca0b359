"""Password hashing with argon2id (`argon2-cffi`): only hashes are stored."""

from __future__ import annotations

import contextlib
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tercel.errors import InputError

#: A stored hash no password matches (a user created without one, or migrated).
NO_PASSWORD = "!"  # noqa: S105 (not a hash: matches nothing)
MIN_LENGTH = 8

_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Verified against when the user does not exist, so timing does not tell who exists.

    Made on first use, not on import: an argon2 hash costs ~0.1 s and 64 MB, which every
    process that merely imports the store (`tercel run`) would otherwise pay.
    """
    return _hasher.hash("tercel-no-such-user")


def check_strength(password: str) -> None:
    """InputError when a new password is too short."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"password: at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of a new password, after `check_strength`."""
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash (constant work when there is none)."""
    if stored is None or stored == NO_PASSWORD:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy(), password + "x")
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
