"""Lead scoring per event, in process: the Lead Scoring agent (its score, band, stage, interest
tags from the demo's catalogue, specialty and city detection) on a doctor's message with a
history of 20 messages, and its rules-only standby. Target: ≤ 2 ms per event (p95)."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from surgiai.agents.base import Action, AgentContext, DoctorView, MessageView
from surgiai.agents.intents import classify
from surgiai.agents.lead_scoring.agent import KNOWLEDGE, LeadScoringAgent, LeadScoringBasicAgent
from surgiai.all_tasks import task_registry
from surgiai.config import Settings
from surgiai.db.engine import session_scope
from surgiai.db.migrate import upgrade
from surgiai.demo_catalogue import seed_catalogue
from surgiai.knowledge.answers import Answerer
from surgiai.knowledge.index import Knowledge, load_snapshot
from surgiai.knowledge.snapshot import KnowledgeSnapshot
from surgiai.runtime import Runtime

EVENTS = 2_000
QUESTIONS = (
    "Hello",
    "What is the price of the 5 mm trocar?",
    "I am a gynaecologist in Pune, do you have titanium clips?",
    "I want to order 10 boxes of SG-TR05",
    "hernia masterclass kab hai, registration fee kitni hai",
    "ortho surgeon, Lucknow. catalogue bhejo",
)


def run() -> dict[str, Any]:
    snapshot = _demo_snapshot()
    knowledge = Knowledge(snapshot, Answerer(snapshot))
    contexts = [_context(QUESTIONS[i % len(QUESTIONS)], knowledge) for i in range(EVENTS)]
    figures: dict[str, Any] = {"events": EVENTS}
    for label, agent in (("primary", LeadScoringAgent()), ("standby", LeadScoringBasicAgent())):
        timings = []
        for context in contexts:
            started = time.perf_counter()
            actions: list[Action] = agent.handle(context)
            timings.append(time.perf_counter() - started)
            assert actions
        timings.sort()
        figures[f"{label}_ms_p50"] = round(statistics.median(timings) * 1000, 3)
        figures[f"{label}_ms_p95"] = round(timings[int(len(timings) * 0.95)] * 1000, 3)
    figures["target_ms"] = 2.0
    return figures


def _context(text: str, knowledge: Knowledge) -> AgentContext:
    now = datetime.now(UTC)
    history = tuple(
        MessageView(
            index,
            "in" if index % 2 else "out",
            "text",
            QUESTIONS[index % len(QUESTIONS)],
            "doctor" if index % 2 else "ai",
            now - timedelta(days=20 - index),
        )
        for index in range(20)
    )
    return AgentContext(
        conversation_id=1,
        number_id=1,
        mode="ai",
        assigned_user_id=None,
        doctor=DoctorView(
            1, "919876543210", None, "Asha Rao", False, ("warm",), 45, inbound_recent=8
        ),
        burst=(MessageView(100, "in", "text", text, "doctor", now),),
        history=history,
        window_open=True,
        classification=classify(text),
        extras={KNOWLEDGE: knowledge},
    )


def _demo_snapshot() -> KnowledgeSnapshot:
    """The demo's catalogue, as the agents see it."""
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            data_dir=Path(directory), secret_key=SecretStr("bench-secret-key-0123456789")
        )
        runtime = Runtime(settings, task_registry())
        upgrade(runtime.engine)
        try:
            with session_scope(runtime.session_factory) as session:
                seed_catalogue(session)
            with session_scope(runtime.session_factory) as session:
                return load_snapshot(session)
        finally:
            runtime.close()
