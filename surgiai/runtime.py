"""What a process runs on, built once from settings: the database and its outbox, the task queue,
the rate limiter, the real-time broker and the channel adapters.

The runtime knows no domain. The entry points (`surgiai.app`, `surgiai.cli`, the tests) build it
with the tasks of every domain (`surgiai.all_tasks`), and hand it on explicitly: to requests
through the app's state, to tasks through their `TaskContext`. Objects a process keeps for its
whole life and shares across tasks (the Master Agent, with its circuit breakers and threads) are
`PerProcess` values held here, made on first use, not module globals.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.orm import Session

from surgiai.channels.registry import ChannelRegistry
from surgiai.config import Settings
from surgiai.db.engine import make_engine, session_scope
from surgiai.db.outbox import Job, outbox_session_factory
from surgiai.kit.aio import IoLoop
from surgiai.kit.events import Event
from surgiai.ratelimit import make_rate_limiter
from surgiai.realtime.broker import Broker, make_broker
from surgiai.worker.queue import TaskQueue
from surgiai.worker.registry import TaskRegistry, TaskSpec

T = TypeVar("T")


@dataclass(frozen=True)
class PerProcess(Generic[T]):
    """A value made once per runtime, on first use, by `make`, and shared by everything the
    process runs."""

    name: str
    make: Callable[[Runtime], T]


class Runtime:
    def __init__(
        self,
        settings: Settings,
        tasks: TaskRegistry,
        *,
        queue_name: str = "surgiai",
        broker: Broker | None = None,
    ) -> None:
        """`broker`: where this process's real-time events go, if not the deployment's own
        (a worker process of `surgiai run` sends them to the web process)."""
        settings.ensure_data_dir()
        # Worker threads and the webhook writer release the GIL on every database call and must
        # win it back from busy threads; at the default 5 ms switch interval each hand-back
        # stalls whoever waits for the lock they hold.
        sys.setswitchinterval(0.0005)
        self.settings = settings
        self.tasks = tasks
        self.engine = make_engine(settings.resolved_database_url)
        if settings.redis_url:
            self.queue = TaskQueue.redis(settings.redis_url, tasks, self.run_task, name=queue_name)
        else:
            self.queue = TaskQueue.sqlite(
                settings.data_dir / f"{queue_name}-queue.db", tasks, self.run_task
            )
        self.limiter = make_rate_limiter(settings, self.engine)
        self.broker = broker or make_broker(settings)
        self.session_factory = outbox_session_factory(self.engine, _Sink(self.queue, self.broker))
        self.io = IoLoop()
        self.channels = ChannelRegistry(http_client=self.io.http_client)
        # Set by `surgiai run` while it has worker processes: whether they all take tasks yet.
        self.workers_ready: Callable[[], bool] | None = None
        self._per_process: dict[str, object] = {}
        self._per_process_lock = threading.Lock()

    def get(self, value: PerProcess[T]) -> T:
        """This process's `value`, made now if this is its first use."""
        with self._per_process_lock:
            if value.name not in self._per_process:
                self._per_process[value.name] = value.make(self)
            return cast(T, self._per_process[value.name])

    def provide(self, value: PerProcess[T], instance: T) -> None:
        """Use `instance` as this process's `value` from now on (a test's own Master Agent)."""
        with self._per_process_lock:
            self._per_process[value.name] = instance

    def run_task(self, spec: TaskSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """One task in its own unit of work, committed when the function returns."""
        with session_scope(self.session_factory) as session:
            spec.function(TaskContext(session, self), *args, **kwargs)

    def check_database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.broker.close()
        self.io.close()
        self.queue.close()
        self.engine.dispose()


@dataclass(frozen=True)
class TaskContext:
    """What a task is given: its unit of work (the runner commits it when the task returns;
    a task may commit earlier itself, so as not to hold a transaction across a call to
    WhatsApp) and the runtime of the process running it."""

    session: Session
    runtime: Runtime

    @property
    def settings(self) -> Settings:
        return self.runtime.settings


class _Sink:
    """The runtime's outbox sink: jobs to its queue, events to its broker."""

    def __init__(self, queue: TaskQueue, broker: Broker) -> None:
        self._queue = queue
        self._broker = broker

    def check(self, job: Job) -> None:
        self._queue.check(job)

    def send(self, job: Job) -> None:
        self._queue.send_job(job)

    def wants_events(self) -> bool:
        return self._broker.may_have_listeners()

    def publish(self, event: Event) -> None:
        self._broker.publish(event)
