"""Who may sign a WhatsApp webhook, and for which numbers, cached so that authenticating a
delivery costs no database query.

Meta signs every delivery with the app secret of the app subscribed to the number's business
account (CLOUD_API.md §3.2). The global secret (`SURGIAI_META_APP_SECRET`) is our own app's: it
speaks for any number. A number's own `app_secret` is another app's, so it speaks only for the
numbers that carry it: a delivery it signs must name only those numbers (and, for management
events naming no number, only their business accounts). A disabled number's secret speaks for
nobody.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import anyio.to_thread
import structlog
from sqlalchemy.orm import Session, sessionmaker

from surgiai.channels.base import InboundWebhooks, WebhookAccounts
from surgiai.config import Settings
from surgiai.errors import InvalidSignature
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import number_service

log = structlog.get_logger(__name__)

CACHE_SECONDS = 30.0
# A signature that matches no cached secret, or a secret that does not cover the numbers named,
# may come from a change since the last load; reload then, but not more often than this, so
# forged requests cannot hammer the database. Changes made in this process (the numbers API)
# are seen at once (`number_service.revision`).
MIN_RELOAD_SECONDS = 1.0
# Typical deliveries (a few KB) are hashed at once: a thread hop would cost more.
HASH_IN_THREAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Signer:
    """One app secret and whom it speaks for; `sender_ids` None: any number (the global one)."""

    secret: str
    sender_ids: frozenset[str] | None = None
    account_ids: frozenset[str] = frozenset()

    def covers(self, named: WebhookAccounts) -> bool:
        if self.sender_ids is None:
            return True
        names_someone = bool(named.sender_ids or named.account_ids)
        return (
            names_someone
            and named.sender_ids <= self.sender_ids
            and named.account_ids <= self.account_ids
        )


class AppSecrets:
    """Verified on the event loop, which must never wait for the database: on SQLite a
    transaction that has written holds the write lock, and a request thread holding it may
    itself be waiting for the loop. Loads run in a worker thread; concurrent ones share the
    first."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._signers: dict[str, Signer] = {}
        self._loaded_at = float("-inf")
        self._revision = -1

    async def authenticate(
        self, webhooks: InboundWebhooks, body: bytes, signature: str
    ) -> WebhookAccounts:
        """Whom `body` speaks for, once its `signature` is shown to come from a secret allowed
        to speak for all of them. Raises `InvalidSignature` (403), or `UnreadableWebhook` (400)
        for a correctly signed body that is not a webhook."""
        name = webhooks.signature_header
        signer = await self._signer(webhooks, body, signature, await self._get(CACHE_SECONDS))
        if signer is None:
            signers = await self._get(MIN_RELOAD_SECONDS)
            signer = await self._signer(webhooks, body, signature, signers)
        if signer is None:
            log.warning("webhooks.signature.invalid", bytes=len(body))
            raise InvalidSignature(f"The {name} signature does not match the body.")
        named = webhooks.check_envelope(body)
        if signer.covers(named):
            return named
        signer = await self._signer(webhooks, body, signature, await self._get(MIN_RELOAD_SECONDS))
        if signer is not None and signer.covers(named):
            return named
        log.warning("webhooks.signature.wrong_number", bytes=len(body))
        raise InvalidSignature(
            f"The {name} signature is by the app secret of a number this delivery is not for."
        )

    @staticmethod
    async def _signer(
        webhooks: InboundWebhooks, body: bytes, signature: str, signers: dict[str, Signer]
    ) -> Signer | None:
        # Every secret is compared (in constant time), whichever matches; secrets are distinct
        # keys, so at most one does. A large body is hashed in a thread (hashlib lets go of the
        # GIL): a few milliseconds each, they would otherwise add up on the event loop.
        secrets = list(signers)
        if len(body) > HASH_IN_THREAD_BYTES:
            matched = await anyio.to_thread.run_sync(
                webhooks.signing_secrets, body, signature, secrets
            )
        else:
            matched = webhooks.signing_secrets(body, signature, secrets)
        return signers[matched[0]] if matched else None

    async def _get(self, max_age: float) -> dict[str, Signer]:
        if self._fresh(max_age):
            return self._signers
        return await anyio.to_thread.run_sync(self._reload, max_age)

    def _fresh(self, max_age: float) -> bool:
        return (
            self._revision == number_service.revision
            and time.monotonic() - self._loaded_at <= max_age
        )

    def _reload(self, max_age: float) -> dict[str, Signer]:
        with self._lock:
            if not self._fresh(max_age):
                # Read before loading: a change committed meanwhile makes the next check reload.
                revision = number_service.revision
                self._signers = self._load()
                self._loaded_at = time.monotonic()
                self._revision = revision
            return self._signers

    def _load(self) -> dict[str, Signer]:
        key = self._settings.resolved_secret_key()
        sender_ids: defaultdict[str, set[str]] = defaultdict(set)
        account_ids: defaultdict[str, set[str]] = defaultdict(set)
        with self._session_factory() as session:
            for number in NumberRepository(session).enabled_with_app_secret():
                secret = number_service.app_secret(number, key)
                if secret:
                    sender_ids[secret].add(number.phone_number_id)
                    account_ids[secret].add(number.waba_id)
            session.rollback()
        signers = {
            secret: Signer(secret, frozenset(senders), frozenset(account_ids[secret]))
            for secret, senders in sender_ids.items()
        }
        if self._settings.meta_app_secret is not None:
            secret = self._settings.meta_app_secret.get_secret_value()
            if secret:
                signers[secret] = Signer(secret)
        return signers
