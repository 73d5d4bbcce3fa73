"""Webhook signatures are checked on the event loop: loading the app secrets must never make
the loop wait for the database (on SQLite, for the write lock another request holds)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text

from surgiai.channels.registry import CLOUD_KIND, provider
from surgiai.external_events.secrets import AppSecrets
from surgiai.runtime import Runtime
from tests.fixtures import APP_SECRET, create_number, sign


def test_a_reload_waits_in_a_thread_while_the_loop_keeps_serving(runtime: Runtime) -> None:
    create_number(runtime, app_secret=APP_SECRET)
    secrets = AppSecrets(runtime.settings, runtime.session_factory)
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    signature = sign(body)["X-Hub-Signature-256"]
    holding = threading.Event()
    release = threading.Event()

    def hold_the_database() -> None:
        # A request mid-transaction: on SQLite it holds the write lock until it commits.
        with runtime.session_factory() as session:
            session.execute(text("UPDATE whatsapp_number SET label = label"))
            holding.set()
            release.wait(5)
            session.commit()

    holder = threading.Thread(target=hold_the_database)
    holder.start()
    assert holding.wait(5)

    async def scenario() -> tuple[bool, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        verifying = asyncio.create_task(
            secrets.verify(provider(CLOUD_KIND).webhooks, body, signature)
        )
        await asyncio.sleep(0.3)
        ticks_while_waiting = ticks
        release.set()
        verified = await verifying
        ticking.cancel()
        return verified, ticks_while_waiting

    verified, ticks_while_waiting = asyncio.run(scenario())
    holder.join(5)
    assert verified
    # The loop went on running other work while the secrets waited for the database.
    assert ticks_while_waiting >= 10
