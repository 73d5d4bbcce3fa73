"""Encryption at rest for credentials (access tokens, app secrets), keyed from SECRET_KEY."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"surgiai", info=b"credentials-v1"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as error:
            raise ValueError(
                "stored credentials cannot be decrypted: SURGIAI_SECRET_KEY has changed"
            ) from error


def hint(secret: str) -> str:
    """What the API shows of a secret: its last four characters."""
    return "…" + secret[-4:] if len(secret) > 8 else "…"
