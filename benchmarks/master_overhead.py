"""Master Agent overhead per message, in process, on SQLite (embedded mode).

2,000 doctors each with a conversation history of 20 messages write one question; the Master
Agent answers each (context, classification, routing, the Smart Reply agent answering from the
demo's catalogue, the reply queued through the send path, run bookkeeping). Overhead = the
whole `process()` minus the time the agents themselves ran and the domain services spent
carrying out their actions (queuing the reply costs what an admin's reply costs; reported
apart). Target: ≤ 5 ms per message.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from surgiai.agents.master import MasterAgent
from surgiai.agents.registry import default_registry
from surgiai.all_tasks import task_registry
from surgiai.channels.base import InboundMessage
from surgiai.config import Settings
from surgiai.conversations.models import Direction, Message, MessageState, SenderKind
from surgiai.conversations.service import message_service
from surgiai.db.engine import session_scope
from surgiai.db.migrate import upgrade
from surgiai.demo_catalogue import seed_catalogue
from surgiai.logging import configure_logging
from surgiai.numbers.schemas import NumberCreate
from surgiai.numbers.service import number_service
from surgiai.runtime import Runtime

DOCTORS = 2_000
HISTORY = 20


def run() -> dict[str, Any]:
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            data_dir=Path(directory),
            secret_key=SecretStr("bench-secret-key-0123456789"),
            graph_api_base="http://127.0.0.1:9",
        )
        runtime = Runtime(settings, task_registry())
        upgrade(runtime.engine)
        try:
            conversation_ids = _seed(runtime)
            master = MasterAgent(
                default_registry(), settings=settings, sessions=runtime.session_factory
            )
            overheads, totals, agents, actions = [], [], [], []
            for conversation_id in conversation_ids:
                started = time.perf_counter()
                with session_scope(runtime.session_factory) as session:
                    answered = master.process(session, conversation_id)
                totals.append(time.perf_counter() - started)
                if answered is None:
                    raise RuntimeError(f"conversation {conversation_id} was not answered")
                overheads.append(answered.overhead_seconds)
                actions.append(answered.actions_seconds)
                agents.append(sum(r.seconds for r in answered.decision.runs))
        finally:
            runtime.queue.huey.flush()
            runtime.close()

    def stats(values: list[float]) -> dict[str, float]:
        ordered = sorted(v * 1000 for v in values)
        return {
            "p50_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
            "mean_ms": round(statistics.fmean(ordered), 3),
        }

    return {
        "messages": DOCTORS,
        "history_per_conversation": HISTORY,
        "overhead": stats(overheads),
        "agents": stats(agents),
        "actions_applied": stats(actions),
        "whole_process_incl_commit": stats(totals),
        "target": "overhead <= 5 ms per message",
    }


def _seed(runtime: Runtime) -> list[int]:
    with session_scope(runtime.session_factory) as session:
        # The demo's price list: the Smart Reply agent answers from a real catalogue.
        seed_catalogue(session)
        number = number_service.create(
            session,
            runtime.settings.resolved_secret_key(),
            NumberCreate(
                label="Bench",
                phone_number_id="940000000000001",
                waba_id="940000000000009",
                display_phone_number="15550700001",
                access_token=SecretStr("bench-token-xyz"),
            ),
        )
        number.status = "CONNECTED"
    runtime.queue.huey.flush()
    ids = []
    now = datetime.now(UTC)
    for index in range(DOCTORS):
        with session_scope(runtime.session_factory) as session:
            number = number_service.get(session, 1)
            for position in range(HISTORY + 1):
                inbound = InboundMessage.model_validate(
                    {
                        "phone_number_id": number.phone_number_id,
                        "wamid": f"wamid.seed.{index}.{position}",
                        "from_wa_id": f"9196{index:08d}",
                        "profile_name": f"Dr. Seed {index}",
                        "timestamp": now - timedelta(minutes=HISTORY - position),
                        "type": "text",
                        "text": "What is the price of the disposable 5 mm trocar?",
                        "raw": {},
                    }
                )
                message = message_service.record_inbound(session, number, inbound)
                assert message is not None
                if position < HISTORY:
                    session.add(
                        Message(
                            conversation_id=message.conversation_id,
                            direction=Direction.outbound,
                            type="text",
                            text="Thank you, we will reply shortly.",
                            payload={"body": "Thank you, we will reply shortly."},
                            status=MessageState.read,
                            sender_kind=SenderKind.ai,
                            sender_agent="greeting",
                        )
                    )
                else:
                    message.agent_state = "pending"
                    ids.append(message.conversation_id)
        runtime.queue.huey.flush()
    return ids
