"""`secret('NAME')`: the namespace hierarchy in the database first, then the environment."""

from __future__ import annotations

from tercel.errors import SecretError
from tercel.secrets.env import PREFIX, EnvSecrets
from tercel.secrets.masking import SecretMasker
from tercel.secrets.store import EncryptedSecrets
from tercel.store.records import DEFAULT_TENANT


class SecretResolver:
    """Finds a secret's value and registers it with the masker, so logs never show it."""

    def __init__(
        self,
        stored: EncryptedSecrets | None = None,
        env: EnvSecrets | None = None,
        masker: SecretMasker | None = None,
    ) -> None:
        self.stored = stored
        self.env = env if env is not None else EnvSecrets()
        self.masker = masker if masker is not None else SecretMasker()

    def get(self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT) -> str:
        """The value, or SecretError naming where it was looked for."""
        value = self.stored.get(namespace, name, tenant=tenant) if self.stored else None
        if value is None:
            value = self.env.get(name)
        if value is None:
            raise SecretError(
                f"secret `{name}` not found in namespace `{namespace}` or its parents, nor "
                f"in the environment variable {PREFIX}{name.upper()} (base64-encoded)"
            )
        self.masker.add(value)
        return value
