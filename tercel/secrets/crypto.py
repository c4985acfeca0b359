"""AES-GCM encryption of secret values with the key from the configuration."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tercel.errors import SecretError

NONCE_BYTES = 12


def parse_key(text: str | bytes) -> bytes:
    """A 256-bit key from configuration: base64 of 32 bytes, or 32 raw bytes/characters.

    Anything else is refused, so that a typo never silently weakens the encryption.
    """
    raw = text if isinstance(text, bytes) else text.strip().encode()
    if len(raw) == 32:
        return raw
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) == 32:
        return decoded
    raise SecretError(
        "the secret encryption key must be 32 bytes, given as base64 (e.g. the output of "
        "`python -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())'`)"
    )


class SecretCipher:
    """Encrypts with AES-256-GCM: a random nonce per value, prepended to the ciphertext.

    The associated data binds a ciphertext to where it is stored (tenant, namespace, name),
    so a row copied under another name does not decrypt.
    """

    def __init__(self, key: str | bytes) -> None:
        self._aead = AESGCM(parse_key(key))

    def encrypt(self, plaintext: str, context: str) -> bytes:
        """nonce + ciphertext + tag."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def decrypt(self, blob: bytes, context: str) -> str:
        """The plaintext; SecretError if the key is wrong or the blob was tampered with."""
        try:
            plain = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise SecretError(
                "a stored secret cannot be decrypted: the encryption key changed or the "
                "row was altered"
            ) from None
        return plain.decode()
