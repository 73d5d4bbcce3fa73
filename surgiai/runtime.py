"""Everything a process needs, built once from settings: database, task queue, real-time broker."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from surgiai.config import Settings
from surgiai.db.engine import make_engine, make_session_factory
from surgiai.ratelimit import RateLimiter, make_rate_limiter
from surgiai.realtime import events as realtime_events
from surgiai.realtime.broker import Broker, make_broker
from surgiai.worker import queue as task_queue
from surgiai.worker.queue import TaskQueue
from surgiai.worker.registry import load_all_tasks


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    queue: TaskQueue
    limiter: RateLimiter
    broker: Broker
    # Set by `surgiai run` while it has worker processes: whether they all take tasks yet.
    workers_ready: Callable[[], bool] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, queue_name: str = "surgiai", broker: Broker | None = None
    ) -> Runtime:
        """`broker`: where this process's real-time events go, if not the deployment's own
        (a worker process of `surgiai run` sends them to the web process)."""
        settings.ensure_data_dir()
        # Worker threads and the webhook writer release the GIL on every database call and must
        # win it back from busy threads; at the default 5 ms switch interval each hand-back
        # stalls whoever waits for the lock they hold.
        sys.setswitchinterval(0.0005)
        load_all_tasks()
        engine = make_engine(settings.resolved_database_url)
        session_factory = make_session_factory(engine)
        if settings.redis_url:
            queue = TaskQueue.redis(settings.redis_url, session_factory, name=queue_name)
        else:
            queue = TaskQueue.sqlite(settings.data_dir / f"{queue_name}-queue.db", session_factory)
        task_queue.activate(queue)
        limiter = make_rate_limiter(settings, engine)
        broker = broker or make_broker(settings)
        realtime_events.activate_broker(broker)
        runtime = cls(settings, engine, session_factory, queue, limiter, broker)
        global _current
        _current = runtime
        return runtime

    def check_database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.broker.close()
        self.queue.close()
        self.engine.dispose()


_current: Runtime | None = None


def current_runtime() -> Runtime:
    """The runtime of this process, for tasks (which receive only a session)."""
    if _current is None:
        raise RuntimeError("no runtime has been built in this process")
    return _current
