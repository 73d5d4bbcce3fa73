"""Webhook delivery the way Meta does it: escaped-unicode JSON, HMAC-SHA256 signature,
verification handshake, optional batching, retries with decreasing frequency, duplicates.

Every HTTP attempt (handshakes included) is recorded as a `DeliveryAttempt` for assertions.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import httpx
import structlog

if TYPE_CHECKING:
    from surgiai.simulator.core import Simulator

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
USER_AGENT = "facebookexternalua"


def serialize_payload(payload: dict[str, Any]) -> bytes:
    """Meta's wire form: non-ASCII escaped as \\uXXXX, no whitespace."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def sign_body(app_secret: str, body: bytes) -> str:
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def messages_value(phone_number_id: str, display_phone_number: str, **lists: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
    }
    value.update(lists)
    return value


@dataclass(frozen=True)
class Target:
    """Where a number's webhooks go (captured when the event is produced)."""

    url: str
    app_secret: str | None
    verify_token: str | None


@dataclass
class Change:
    waba_id: str
    field: str
    value: dict[str, Any]
    # Management webhooks carry `entry[].time`; `messages` ones do not.
    time: int | None = None


@dataclass
class Delivery:
    delivery_id: int
    target: Target
    body: bytes
    attempts: int = 0
    duplicate: bool = False


@dataclass
class DeliveryAttempt:
    delivery_id: int
    attempt: int
    kind: str  # "event" or "verify"
    url: str
    body: str
    signature: str | None
    status_code: int | None
    error: str | None
    ok: bool
    at: float
    duration_ms: float
    duplicate: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "attempt": self.attempt,
            "kind": self.kind,
            "url": self.url,
            "body": self.body,
            "signature": self.signature,
            "status_code": self.status_code,
            "error": self.error,
            "ok": self.ok,
            "at": self.at,
            "duration_ms": self.duration_ms,
            "duplicate": self.duplicate,
        }


def build_payload(changes: list[Change]) -> dict[str, Any]:
    """One envelope for one or more changes: an entry per WABA, `messages` values merged when
    they come from the same phone number (several `statuses`/`messages` in one value)."""
    entries: list[dict[str, Any]] = []
    by_waba: dict[str, dict[str, Any]] = {}
    for change in changes:
        entry = by_waba.get(change.waba_id)
        if entry is None:
            entry = {"id": change.waba_id, "changes": []}
            by_waba[change.waba_id] = entry
            entries.append(entry)
        if change.time is not None:
            entry["time"] = max(int(entry.get("time", 0)), change.time)
        merged = entry["changes"][-1] if entry["changes"] else None
        if merged is not None and _mergeable(merged, change):
            _merge_value(merged["value"], change.value)
        else:
            entry["changes"].append({"value": _copy_value(change.value), "field": change.field})
    ordered = [
        {
            "id": entry["id"],
            **({"time": entry["time"]} if "time" in entry else {}),
            "changes": entry["changes"],
        }
        for entry in entries
    ]
    return {"object": "whatsapp_business_account", "entry": ordered}


def _copy_value(value: dict[str, Any]) -> dict[str, Any]:
    return {key: list(item) if isinstance(item, list) else item for key, item in value.items()}


def _mergeable(existing: dict[str, Any], change: Change) -> bool:
    if existing["field"] != "messages" or change.field != "messages":
        return False
    old_meta = existing["value"].get("metadata", {})
    new_meta = change.value.get("metadata", {})
    return bool(old_meta) and old_meta == new_meta


def _merge_value(value: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, item in extra.items():
        if not isinstance(item, list):
            continue
        current = value.setdefault(key, [])
        for element in item:
            if key == "contacts" and element in current:
                continue
            current.append(element)


@dataclass
class _Batch:
    target: Target
    changes: list[Change] = field(default_factory=list)


class DeliveryFailed(Exception):
    """No HTTP answer: the reason as an attempt records it ("timeout", or the error)."""


class _Http(Protocol):
    """How deliveries and handshakes reach the callback. Both raise `DeliveryFailed` when no
    HTTP answer comes; no redirect is followed."""

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int: ...

    async def get(self, url: str, params: dict[str, str], timeout: float) -> tuple[int, str]: ...

    async def close(self) -> None: ...


class _NetworkHttp:
    """Over the network with aiohttp, which spends a tenth of httpx's CPU on a request (a
    doctor's message means four deliveries: the message and three receipts). No proxy is taken
    from the environment."""

    def __init__(self) -> None:
        self._session = aiohttp.ClientSession(trust_env=False)

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        try:
            async with self._session.post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                await response.read()  # read to the end, so the connection is kept for reuse
                return response.status
        except TimeoutError:
            raise DeliveryFailed("timeout") from None
        except aiohttp.ClientError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None

    async def get(self, url: str, params: dict[str, str], timeout: float) -> tuple[int, str]:
        try:
            async with self._session.get(
                url,
                params=params,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                return response.status, await response.text(errors="replace")
        except TimeoutError:
            raise DeliveryFailed("timeout") from None
        except aiohttp.ClientError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None

    async def close(self) -> None:
        await self._session.close()


class _InProcessHttp:
    """Deliveries to an app in this process through an httpx transport (tests)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._client = httpx.AsyncClient(
            transport=transport, trust_env=False, follow_redirects=False
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        try:
            response = await self._client.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            raise DeliveryFailed("timeout") from None
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
        return response.status_code

    async def get(self, url: str, params: dict[str, str], timeout: float) -> tuple[int, str]:
        try:
            response = await self._client.get(url, params=params, timeout=timeout)
        except httpx.TimeoutException:
            raise DeliveryFailed("timeout") from None
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
        return response.status_code, response.text

    async def close(self) -> None:
        await self._client.aclose()


class WebhookDispatcher:
    def __init__(self, simulator: Simulator, transport: httpx.AsyncBaseTransport | None) -> None:
        self._sim = simulator
        self._transport = transport
        self._client: _Http | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._verify_locks: dict[str, asyncio.Lock] = {}
        self._ids = itertools.count(1)
        self._batches: dict[Target, _Batch] = {}
        self.verified: set[str] = set()
        self.attempts: deque[DeliveryAttempt] = deque(maxlen=simulator.config.max_recorded_attempts)
        self.dropped: list[int] = []

    async def start(self) -> None:
        # A client left open on an earlier event loop (no stop) is dropped, not closed: its
        # connections belong to that loop.
        self._client = (
            _NetworkHttp() if self._transport is None else _InProcessHttp(self._transport)
        )
        self._semaphore = asyncio.Semaphore(self._sim.config.delivery_concurrency)
        self._verify_locks = {}

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def reset(self) -> None:
        with self._sim.lock:
            self._batches.clear()
            self.verified.clear()
            self.attempts.clear()
            self.dropped.clear()

    def forget_verification(self, url: str) -> None:
        with self._sim.lock:
            self.verified.discard(url)

    def publish(self, target: Target, change: Change, *, duplicate: bool = False) -> None:
        """Queue one change for `target`, batched when the config asks for it."""
        config = self._sim.config
        if config.batch_max_size <= 1 or duplicate:
            self._deliver_later([change], target, delay=0.0, duplicate=duplicate)
            return
        with self._sim.lock:
            batch = self._batches.get(target)
            first = batch is None
            if batch is None:
                batch = _Batch(target)
                self._batches[target] = batch
            batch.changes.append(change)
            full = len(batch.changes) >= config.batch_max_size
        if full:
            self._flush(target)
        elif first:
            self._sim.scheduler.schedule(
                config.real_delay(config.batch_window_seconds), lambda: self._flush(target)
            )

    def _flush(self, target: Target) -> None:
        with self._sim.lock:
            batch = self._batches.pop(target, None)
        if batch is not None and batch.changes:
            self._deliver_later(batch.changes, target, delay=0.0, duplicate=False)

    def _deliver_later(
        self, changes: list[Change], target: Target, *, delay: float, duplicate: bool
    ) -> None:
        body = serialize_payload(build_payload(changes))
        delivery = Delivery(next(self._ids), target, body, duplicate=duplicate)
        self._sim.scheduler.schedule(
            self._sim.config.real_delay(delay), lambda: self._attempt(delivery)
        )

    async def _attempt(self, delivery: Delivery) -> None:
        config = self._sim.config
        delivery.attempts += 1
        semaphore = self._semaphore
        if semaphore is None:
            raise RuntimeError("the webhook dispatcher is not started")
        async with semaphore:
            ok = await self._ensure_verified(delivery.target)
            if ok:
                ok = await self._post(delivery)
            else:
                self._record(
                    delivery, "event", None, None, "callback verification failed", False, 0.0
                )
        if ok:
            if (
                not delivery.duplicate
                and self._sim.rng.random() < config.webhook_duplicate_probability
            ):
                duplicate = Delivery(
                    next(self._ids), delivery.target, delivery.body, duplicate=True
                )
                self._sim.scheduler.schedule(
                    config.real_delay(config.webhook_duplicate_delay),
                    lambda: self._attempt(duplicate),
                )
            return
        retry_index = delivery.attempts - 1
        if retry_index >= len(config.retry_schedule):
            with self._sim.lock:
                self.dropped.append(delivery.delivery_id)
            log.warning(
                "simulator.webhook.dropped",
                delivery_id=delivery.delivery_id,
                attempts=delivery.attempts,
            )
            return
        self._sim.scheduler.schedule(
            config.real_delay(config.retry_schedule[retry_index]),
            lambda: self._attempt(delivery),
        )

    async def _post(self, delivery: Delivery) -> bool:
        assert self._client is not None
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        signature: str | None = None
        if delivery.target.app_secret:
            signature = sign_body(delivery.target.app_secret, delivery.body)
            headers[SIGNATURE_HEADER] = signature
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        try:
            status_code = await self._client.post(
                delivery.target.url,
                delivery.body,
                headers,
                self._sim.config.webhook_timeout_seconds,
            )
        except DeliveryFailed as failure:
            error = str(failure)
        ok = status_code == 200
        self._record(
            delivery,
            "event",
            signature,
            status_code,
            error,
            ok,
            (time.monotonic() - started) * 1000,
        )
        if not ok:
            log.info(
                "simulator.webhook.attempt_failed",
                delivery_id=delivery.delivery_id,
                attempt=delivery.attempts,
                status_code=status_code,
                error=error,
            )
        return ok

    def _record(
        self,
        delivery: Delivery,
        kind: str,
        signature: str | None,
        status_code: int | None,
        error: str | None,
        ok: bool,
        duration_ms: float,
    ) -> None:
        attempt = DeliveryAttempt(
            delivery_id=delivery.delivery_id,
            attempt=delivery.attempts,
            kind=kind,
            url=delivery.target.url,
            body=delivery.body.decode("ascii"),
            signature=signature,
            status_code=status_code,
            error=error,
            ok=ok,
            at=self._sim.clock.now(),
            duration_ms=round(duration_ms, 3),
            duplicate=delivery.duplicate,
        )
        with self._sim.lock:
            self.attempts.append(attempt)

    async def _ensure_verified(self, target: Target) -> bool:
        if not self._sim.config.verify_callbacks or target.url in self.verified:
            return True
        lock = self._verify_locks.setdefault(target.url, asyncio.Lock())
        async with lock:
            if target.url in self.verified:
                return True
            return (await self.verify(target)).ok

    async def verify(self, target: Target) -> DeliveryAttempt:
        """Meta's subscription handshake: 200 with the challenge echoed, or failure."""
        if self._client is None:
            raise RuntimeError("the webhook dispatcher is not started")
        challenge = str(self._sim.rng.randrange(10**9, 2 * 10**9))
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": target.verify_token or "",
        }
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        text = ""
        try:
            status_code, text = await self._client.get(
                target.url, params, self._sim.config.webhook_timeout_seconds
            )
        except DeliveryFailed as failure:
            error = str(failure)
        ok = status_code == 200 and text == challenge
        if status_code == 200 and not ok:
            error = "challenge mismatch"
        attempt = DeliveryAttempt(
            delivery_id=0,
            attempt=1,
            kind="verify",
            url=str(httpx.URL(target.url, params=params)),
            body=text[:1000],
            signature=None,
            status_code=status_code,
            error=error,
            ok=ok,
            at=self._sim.clock.now(),
            duration_ms=round((time.monotonic() - started) * 1000, 3),
        )
        with self._sim.lock:
            self.attempts.append(attempt)
            if ok:
                self.verified.add(target.url)
        return attempt
