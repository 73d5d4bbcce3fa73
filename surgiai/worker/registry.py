"""How tasks are declared, and the registry they are collected into.

A domain declares its tasks in its own `tasks.py` with `@task`, `@periodic` and `@sweeper`,
which only mark the function; nothing is registered at import time. The entry points build one
`TaskRegistry` from the modules listed in `surgiai.all_tasks` and give it to the runtime, which
binds it to whichever Huey backend the process runs (SQLite embedded, Redis distributed), so the
same task code serves both.

A task function receives a `TaskContext` (its session, which the runner commits when it
returns, and the process's runtime) and its own arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from surgiai.runtime import TaskContext

P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])
TaskFunction = Callable[Concatenate["TaskContext", P], None]
SweeperFunction = Callable[["TaskContext"], int]

_SPEC_ATTRIBUTE = "__surgiai_task__"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: Callable[..., None]
    retries: int = 0
    retry_delay: int = 0
    # For periodic tasks: called with the UTC minute; True means "run now".
    schedule: Callable[[datetime], bool] | None = None


@dataclass(frozen=True)
class SweeperSpec:
    """A re-drive function: it finds rows stuck in flight and re-queues their work. It runs
    every minute on the periodic worker, in its own savepoint, and returns how many rows it
    re-drove."""

    name: str
    function: SweeperFunction


def task(name: str, *, retries: int = 0, retry_delay: int = 0) -> Callable[[F], F]:
    """Declare a task. Its function receives a `TaskContext`; the runner commits its session."""
    return _mark(lambda function: TaskSpec(name, function, retries, retry_delay))


def periodic(name: str, schedule: Callable[[datetime], bool]) -> Callable[[F], F]:
    """Declare a task the periodic worker runs whenever `schedule(minute)` says so."""
    return _mark(lambda function: TaskSpec(name, function, schedule=schedule))


def sweeper(name: str) -> Callable[[F], F]:
    return _mark(lambda function: SweeperSpec(name, function))


def _mark(spec: Callable[[Any], TaskSpec | SweeperSpec]) -> Callable[[F], F]:
    def decorator(function: F) -> F:
        setattr(function, _SPEC_ATTRIBUTE, spec(function))
        return function

    return decorator


def every_minute(_moment: datetime) -> bool:
    return True


def every_n_minutes(n: int) -> Callable[[datetime], bool]:
    def schedule(moment: datetime) -> bool:
        return moment.minute % n == 0

    return schedule


class TaskRegistry:
    """Every task and sweeper a process knows, by name."""

    def __init__(self, specs: Iterable[TaskSpec | SweeperSpec]) -> None:
        self.tasks: dict[str, TaskSpec] = {}
        self.sweepers: dict[str, SweeperSpec] = {}
        for spec in specs:
            table: Mapping[str, object] = (
                self.tasks if isinstance(spec, TaskSpec) else self.sweepers
            )
            if spec.name in table:
                raise ValueError(f"{spec.name!r} is declared twice")
            if isinstance(spec, TaskSpec):
                self.tasks[spec.name] = spec
            else:
                self.sweepers[spec.name] = spec

    @classmethod
    def from_modules(cls, *modules: ModuleType) -> TaskRegistry:
        """Everything declared (not merely imported) in `modules`."""
        specs: list[TaskSpec | SweeperSpec] = []
        for module in modules:
            for value in vars(module).values():
                spec = getattr(value, _SPEC_ATTRIBUTE, None)
                if spec is not None and getattr(value, "__module__", None) == module.__name__:
                    specs.append(spec)
        return cls(specs)

    def __contains__(self, name: str) -> bool:
        return name in self.tasks

    def spec(self, name: str) -> TaskSpec:
        try:
            return self.tasks[name]
        except KeyError:
            raise KeyError(f"unknown task {name!r}") from None
