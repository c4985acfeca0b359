"""Secrets kept in the database, encrypted, looked up through the namespace hierarchy."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tercel.errors import InvalidNameError, SecretError
from tercel.secrets.crypto import SecretCipher
from tercel.store.api import SecretRepository
from tercel.store.records import DEFAULT_TENANT, SecretRecord, namespace_hierarchy

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
NO_KEY = (
    "cannot store secrets: no encryption key is configured. Set TERCEL_SECRET_KEY (or "
    "`secrets.key` in the configuration) to 32 random bytes in base64"
)


def normalise_name(name: str) -> str:
    """Secret names are case-insensitive, as in Kestra: stored and looked up upper-cased."""
    if not NAME_PATTERN.match(name):
        raise InvalidNameError(
            f"invalid secret name {name!r}: use letters, digits, '_', '.' or '-', "
            "starting with a letter or '_'"
        )
    return name.upper()


def _context(tenant: str, namespace: str, name: str) -> str:
    return f"{tenant}/{namespace}/{name}"


class EncryptedSecrets:
    """Set, look up, list and delete secrets; the database only ever sees ciphertext.

    Without a key, reading still answers "absent" for every name and writing raises
    `SecretError`: an installation without a key simply has no stored secrets.
    """

    def __init__(self, repository: SecretRepository, key: str | bytes | None) -> None:
        self._repository = repository
        self._cipher = SecretCipher(key) if key else None

    @property
    def enabled(self) -> bool:
        """True when a key is configured (secrets can be stored)."""
        return self._cipher is not None

    def set(self, namespace: str, name: str, value: str, *, tenant: str = DEFAULT_TENANT) -> None:
        """Encrypt and store (replacing any previous value)."""
        if self._cipher is None:
            raise SecretError(NO_KEY)
        stored_name = normalise_name(name)
        blob = self._cipher.encrypt(value, _context(tenant, namespace, stored_name))
        self._repository.put(SecretRecord(tenant, namespace, stored_name, blob, datetime.now(UTC)))

    def get(self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT) -> str | None:
        """The value from the nearest namespace that has it (`a.b.c`, then `a.b`, then `a`)."""
        if self._cipher is None or not NAME_PATTERN.match(name):
            return None
        stored_name = name.upper()
        for candidate in reversed(namespace_hierarchy(namespace)):
            record = self._repository.find(candidate, stored_name, tenant=tenant)
            if record is not None:
                return self._cipher.decrypt(
                    record.ciphertext, _context(tenant, candidate, stored_name)
                )
        return None

    def lookup(self, tenant: str, namespace: str, name: str) -> str | None:
        """`get` with the argument order of the runtime's secret lookup callable."""
        return self.get(namespace, name, tenant=tenant)

    def names(
        self, namespace: str, *, tenant: str = DEFAULT_TENANT, inherited: bool = False
    ) -> list[str]:
        """Names stored in `namespace` (and its ancestors when `inherited`); never values."""
        spaces = namespace_hierarchy(namespace) if inherited else [namespace]
        found: set[str] = set()
        for candidate in spaces:
            found.update(self._repository.names(candidate, tenant=tenant))
        return sorted(found)

    def delete(self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """Delete from exactly this namespace; True when something was deleted."""
        return self._repository.delete(namespace, normalise_name(name), tenant=tenant)
