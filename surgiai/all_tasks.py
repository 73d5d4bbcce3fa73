"""Every task, periodic task and sweeper of every domain, registered in one place.

Only the entry points import this module (`surgiai.app`'s callers in `surgiai.cli`, the contract
dump, the tests, the benchmarks): they build the runtime with it. A domain declares its tasks in
its own `tasks.py`; a new one is added here.
"""

from __future__ import annotations

from surgiai.agents import tasks as agent_tasks
from surgiai.audit import tasks as audit_tasks
from surgiai.auth import tasks as auth_tasks
from surgiai.campaigns import tasks as campaign_tasks
from surgiai.conversations import tasks as conversation_tasks
from surgiai.doctors import tasks as doctor_tasks
from surgiai.external_events import tasks as external_event_tasks
from surgiai.knowledge import tasks as knowledge_tasks
from surgiai.monitoring import tasks as monitoring_tasks
from surgiai.numbers import tasks as number_tasks
from surgiai.templates import tasks as template_tasks
from surgiai.worker import sweeper
from surgiai.worker.registry import TaskRegistry

TASK_MODULES = (
    agent_tasks,
    audit_tasks,
    auth_tasks,
    campaign_tasks,
    conversation_tasks,
    doctor_tasks,
    external_event_tasks,
    knowledge_tasks,
    monitoring_tasks,
    number_tasks,
    template_tasks,
    sweeper,
)


def task_registry() -> TaskRegistry:
    return TaskRegistry.from_modules(*TASK_MODULES)
