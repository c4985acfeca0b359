"""Secrets: encrypted at rest, looked up through the namespace hierarchy, never listed with values."""

from __future__ import annotations

import base64
import os

import pytest

from tercel.errors import InvalidNameError, SecretError
from tercel.secrets import EncryptedSecrets, EnvSecrets, SecretMasker, SecretResolver
from tercel.secrets.crypto import SecretCipher, parse_key
from tercel.store.memory import MemoryStore

KEY = base64.b64encode(os.urandom(32)).decode()


def test_without_a_key_storing_a_secret_is_refused_with_a_clear_error() -> None:
    secrets = EncryptedSecrets(MemoryStore().secrets, None)
    with pytest.raises(SecretError, match="encryption key"):
        secrets.set("company", "token", "value")
    assert secrets.get("company", "token") is None


@pytest.mark.parametrize("bad", ["short", base64.b64encode(b"x" * 16).decode(), "x" * 31])
def test_keys_that_are_not_256_bits_are_refused(bad: str) -> None:
    with pytest.raises(SecretError):
        parse_key(bad)


def test_a_32_character_key_is_accepted_as_is() -> None:
    assert parse_key("k" * 32) == b"k" * 32


def test_secrets_are_inherited_from_parent_namespaces_nearest_first() -> None:
    secrets = EncryptedSecrets(MemoryStore().secrets, KEY)
    secrets.set("data", "db_password", "root-value")
    secrets.set("data.sources", "DB_PASSWORD", "child-value")
    secrets.set("data", "only_root", "r")
    assert secrets.get("data.sources.api", "db_password") == "child-value"
    assert secrets.get("data.sources", "ONLY_ROOT") == "r"
    assert secrets.get("data", "db_password") == "root-value"
    assert secrets.get("other", "db_password") is None
    assert secrets.get("data", "db_password", tenant="t2") is None


def test_listing_gives_names_only() -> None:
    secrets = EncryptedSecrets(MemoryStore().secrets, KEY)
    secrets.set("data", "b", "value-b")
    secrets.set("data.sources", "a", "value-a")
    assert secrets.names("data.sources") == ["A"]
    assert secrets.names("data.sources", inherited=True) == ["A", "B"]
    assert secrets.delete("data", "B")
    assert secrets.names("data") == []


def test_invalid_names_are_refused() -> None:
    secrets = EncryptedSecrets(MemoryStore().secrets, KEY)
    with pytest.raises(InvalidNameError):
        secrets.set("data", "bad name", "v")


def test_a_ciphertext_does_not_decrypt_under_another_name_or_key() -> None:
    cipher = SecretCipher(KEY)
    blob = cipher.encrypt("value", "main/data/A")
    assert cipher.decrypt(blob, "main/data/A") == "value"
    with pytest.raises(SecretError):
        cipher.decrypt(blob, "main/data/B")
    with pytest.raises(SecretError):
        SecretCipher(base64.b64encode(os.urandom(32)).decode()).decrypt(blob, "main/data/A")


def test_env_secrets_are_base64_and_case_insensitive() -> None:
    env = EnvSecrets(
        {
            "SECRET_API_TOKEN": base64.b64encode(b"tok").decode(),
            "SECRET_MULTI": "bXVs\ndGk=",
            "SECRET_BROKEN": "not base64!",
            "OTHER": "x",
        }
    )
    assert env.get("api_token") == "tok"
    assert env.get("multi") == "multi"
    assert env.get("broken") is None
    assert env.invalid == ["SECRET_BROKEN"]
    assert env.names() == ["API_TOKEN", "MULTI"]


def test_the_resolver_prefers_the_store_then_the_environment_and_masks_what_it_serves() -> None:
    stored = EncryptedSecrets(MemoryStore().secrets, KEY)
    stored.set("company", "token", "from-store")
    env = EnvSecrets(
        {
            "SECRET_TOKEN": base64.b64encode(b"from-env").decode(),
            "SECRET_OTHER": base64.b64encode(b"env-only").decode(),
        }
    )
    masker = SecretMasker()
    resolver = SecretResolver(stored, env, masker)
    assert resolver.get("company.team", "token") == "from-store"
    assert resolver.get("elsewhere", "token") == "from-env"
    assert resolver.get("company", "other") == "env-only"
    assert masker.mask("from-store env-only") == "****** ******"
    with pytest.raises(SecretError, match="SECRET_MISSING"):
        resolver.get("company", "missing")
