"""Webhook signatures are checked on the event loop: loading the app secrets must never make
the loop wait for the database (on SQLite, for the write lock another request holds)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from surgiai.channels.base import WebhookAccounts
from surgiai.channels.registry import CLOUD_KIND, provider
from surgiai.external_events.secrets import AppSecrets
from surgiai.runtime import Runtime
from tests.fixtures import APP_SECRET, create_number, sign
from tests.services import wait_until


class SlowDatabase:
    """Makes the query that loads the secrets wait until released, whoever runs it: a database
    kept busy for as long as the test needs, where a real lock would hold it for an unknown
    time (and a plain SELECT takes none on SQLite or PostgreSQL)."""

    def __init__(self) -> None:
        self.waiting = threading.Event()
        self.release = threading.Event()

    def before_cursor_execute(self, *args: object) -> None:
        statement = args[2]
        if isinstance(statement, str) and "FROM whatsapp_number" in statement:
            self.waiting.set()
            # Bounded, so that a loop stuck in here fails the test instead of hanging it.
            self.release.wait(10)


@contextmanager
def slow_database(engine: Engine) -> Iterator[SlowDatabase]:
    slow = SlowDatabase()
    event.listen(engine, "before_cursor_execute", slow.before_cursor_execute)
    try:
        yield slow
    finally:
        slow.release.set()
        event.remove(engine, "before_cursor_execute", slow.before_cursor_execute)


def test_a_reload_waits_in_a_thread_while_the_loop_keeps_serving(runtime: Runtime) -> None:
    create_number(runtime, app_secret=APP_SECRET)
    secrets = AppSecrets(runtime.settings, runtime.session_factory)
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    signature = sign(body)["X-Hub-Signature-256"]

    async def scenario(database: SlowDatabase) -> WebhookAccounts:
        verifying = asyncio.create_task(
            secrets.authenticate(provider(CLOUD_KIND).webhooks, body, signature)
        )
        # The loop runs this coroutine until the load is seen waiting for the database, and
        # the verification is still waiting with it: the loop never waited for the database.
        await wait_until(database.waiting.is_set, message="the secrets were not loaded")
        assert not verifying.done()
        database.release.set()
        return await verifying

    with slow_database(runtime.engine) as database:
        assert asyncio.run(scenario(database)) == WebhookAccounts(frozenset(), frozenset())
