"""The app secrets a WhatsApp webhook may be signed with, cached briefly so verifying a
delivery costs no database query."""

from __future__ import annotations

import threading
import time

import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker

from surgiai.channels.base import InboundWebhooks
from surgiai.config import Settings
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import number_service

CACHE_SECONDS = 30.0
# A signature that matches no cached secret may come from a number added since the last load;
# reload then, but not more often than this, so forged requests cannot hammer the database.
MIN_RELOAD_SECONDS = 1.0


class AppSecrets:
    """Verified on the event loop, which must never wait for the database: on SQLite a
    transaction that has written holds the write lock, and a request thread holding it may
    itself be waiting for the loop. Loads run in a worker thread; concurrent ones share the
    first."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self._loaded_at = float("-inf")

    async def verify(self, webhooks: InboundWebhooks, body: bytes, signature: str) -> bool:
        """Whether `signature` signs `body` under any secret we hold, as `webhooks` checks."""
        if webhooks.signature_valid(body, signature, await self._get(max_age=CACHE_SECONDS)):
            return True
        secrets = await self._get(max_age=MIN_RELOAD_SECONDS)
        return webhooks.signature_valid(body, signature, secrets)

    async def _get(self, *, max_age: float) -> tuple[str, ...]:
        if time.monotonic() - self._loaded_at <= max_age:
            return self._secrets
        return await anyio.to_thread.run_sync(self._reload, max_age)

    def _reload(self, max_age: float) -> tuple[str, ...]:
        with self._lock:
            if time.monotonic() - self._loaded_at > max_age:
                self._secrets = self._load()
                self._loaded_at = time.monotonic()
            return self._secrets

    def _load(self) -> tuple[str, ...]:
        secrets: list[str] = []
        if self._settings.meta_app_secret is not None:
            secrets.append(self._settings.meta_app_secret.get_secret_value())
        key = self._settings.resolved_secret_key()
        with self._session_factory() as session:
            for number in NumberRepository(session).with_app_secret():
                secret = number_service.app_secret(number, key)
                if secret and secret not in secrets:
                    secrets.append(secret)
            session.rollback()
        return tuple(secrets)
