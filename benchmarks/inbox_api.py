"""Inbox API latency with 10,000 conversations and 500,000 messages, on SQLite and PostgreSQL.

A `surgiai api` process serves a seeded database; one client asks, one request at a time, for
what the dashboard asks for: the conversation list (first page, filtered, a later page by
cursor, a search) and threads (the latest 50 messages of a random conversation, opened by an
admin, so the first opening also marks the doctor's messages read). Figures: p50/p95/p99 in ms
per request kind; the target is p95 ≤ 50 ms for the list and the thread.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, insert, make_url, text

from benchmarks.harness import Server, base_env, free_port, python
from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.auth.security import hash_password
from surgiai.conversations.models import Conversation, Message
from surgiai.db.engine import make_engine
from surgiai.db.migrate import upgrade
from surgiai.doctors.models import Doctor, DoctorTag
from surgiai.numbers.models import ChannelKind, WhatsAppNumber

CONVERSATIONS = 10_000
MESSAGES = 500_000
REQUESTS = 300
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-123"
WORDS = [
    "stapler",
    "catheter",
    "suture",
    "mesh",
    "trocar",
    "clip",
    "retractor",
    "forceps",
    "price",
    "discount",
    "course",
    "webinar",
    "certificate",
    "delivery",
    "invoice",
    "order",
    "size",
    "titanium",
    "laparoscopic",
    "sterile",
    "kit",
    "hello",
    "thanks",
    "please",
    "available",
    "stock",
    "brochure",
    "demo",
    "doctor",
    "hospital",
]


def run() -> dict[str, Any]:
    return {backend: _run_backend(backend) for backend in ("sqlite", "postgresql")}


def _run_backend(backend: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory, _database(backend, directory) as url:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        conversation_ids = seed_inbox(engine, random.Random(7))
        seed_seconds = time.perf_counter() - started
        engine.dispose()
        port = free_port()
        env = base_env(
            SURGIAI_DATABASE_URL=url,
            SURGIAI_DATA_DIR=directory,
            SURGIAI_PORT=str(port),
            SURGIAI_SECRET_KEY="bench-secret-key-0123456789abcdef",
        )
        server = Server([python(), "-m", "surgiai", "api"], port, env, "/healthz")
        try:
            figures = _measure(server.url, conversation_ids, random.Random(11))
        finally:
            server.stop()
        figures["seed_seconds"] = round(seed_seconds, 1)
        figures["conversations"] = CONVERSATIONS
        figures["messages"] = MESSAGES
        return figures


@contextmanager
def _database(backend: str, directory: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{Path(directory) / 'surgiai.db'}"
        return
    name = f"surgiai_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_inbox(
    engine: Engine,
    rng: random.Random,
    conversation_count: int = CONVERSATIONS,
    message_count: int = MESSAGES,
) -> list[int]:
    """Rows as the product makes them, written in bulk: an owner (`admin@bench.example`), two
    numbers, one doctor per conversation. Message counts per conversation are skewed (a few
    long threads, many short ones), as in a real inbox."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {
                    "email": "admin@bench.example",
                    "name": "Bench Admin",
                    "role": Role.owner,
                    "password_hash": hash_password(PASSWORD),
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        connection.execute(
            insert(WhatsAppNumber),
            [
                {
                    "label": f"Number {index}",
                    "channel": ChannelKind.cloud,
                    "phone_number_id": f"90000000000000{index}",
                    "waba_id": "900000000000009",
                    "display_phone_number": f"1555030000{index}",
                    "access_token_encrypted": "not-used-by-this-benchmark",
                    "access_token_hint": "xxxx",
                    "default_mode": "ai",
                    "status": "CONNECTED",
                    "created_at": now,
                    "updated_at": now,
                }
                for index in (1, 2)
            ],
        )
        connection.execute(
            insert(Doctor),
            [
                {
                    "wa_id": f"91{9000000000 + index}",
                    "profile_name": f"Dr. {rng.choice(['Asha', 'Vikram', 'Meera', 'Rahul'])} "
                    f"{rng.choice(['Rao', 'Sethi', 'Iyer', 'Khan', 'Das'])} {index}",
                    "created_at": now,
                    "updated_at": now,
                }
                for index in range(conversation_count)
            ],
        )
        connection.execute(
            insert(DoctorTag),
            [
                {"doctor_id": index + 1, "tag": rng.choice(["hot-lead", "ortho", "course"])}
                for index in range(0, conversation_count, 7)
            ],
        )
        weights = [rng.paretovariate(1.2) for _ in range(conversation_count)]
        scale = message_count / sum(weights)
        counts = [max(1, int(weight * scale)) for weight in weights]
        largest = counts.index(max(counts))
        counts[largest] += message_count - sum(counts)  # exactly message_count in all
        conversations: list[dict[str, Any]] = []
        for index in range(conversation_count):
            last = now - timedelta(minutes=index * 3 + rng.random())
            conversations.append(
                {
                    "doctor_id": index + 1,
                    "number_id": 1 + index % 2,
                    "created_at": last - timedelta(days=30),
                    "last_inbound_at": last,
                    "last_message_at": last,
                    "mode": rng.choices(["ai", "draft", "human"], weights=[8, 1, 1])[0],
                    "status": "open" if rng.random() < 0.8 else "closed",
                    "unread_count": rng.choice([0, 0, 0, 1, 3]),
                }
            )
        connection.execute(insert(Conversation), conversations)
        message_id = 0
        batch: list[dict[str, Any]] = []
        for index, count in enumerate(counts):
            conversation_id = index + 1
            last = conversations[index]["last_message_at"]
            for position in range(count):
                message_id += 1
                inbound = position % 2 == 0
                batch.append(
                    {
                        "id": message_id,
                        "conversation_id": conversation_id,
                        "direction": "in" if inbound else "out",
                        "wamid": f"wamid.bench.{message_id}",
                        "type": "text",
                        "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 14))),
                        "payload": {},
                        "status": "received" if inbound else "read",
                        "created_at": last - timedelta(minutes=count - position),
                        "sender_kind": "doctor" if inbound else "ai",
                        "sender_agent": None if inbound else "smart_reply",
                        "read_at": last if inbound else None,
                        "attempts": 0,
                    }
                )
                if len(batch) == 10_000:
                    connection.execute(insert(Message), batch)
                    batch = []
            conversations[index]["last_message_id"] = message_id
        if batch:
            connection.execute(insert(Message), batch)
        connection.execute(
            text("UPDATE conversation SET last_message_id = :last WHERE id = :id"),
            [{"last": c["last_message_id"], "id": i + 1} for i, c in enumerate(conversations)],
        )
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return list(range(1, conversation_count + 1))


def _measure(base: str, conversation_ids: list[int], rng: random.Random) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/login", json={"email": "admin@bench.example", "password": PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        second_page = client.get("/api/v1/conversations", params={"limit": 50}).json()
        cursor = second_page["next_cursor"]
        filters: list[dict[str, str | int]] = [
            {"mode": "human"},
            {"unread": "true"},
            {"tag": "hot-lead"},
            {"number_id": 2, "status": "open"},
        ]

        kinds: dict[str, Callable[[], httpx.Response]] = {
            "list_first_page": lambda: client.get("/api/v1/conversations"),
            "list_filtered": lambda: client.get(
                "/api/v1/conversations",
                params=rng.choice(filters),
            ),
            "list_next_page": lambda: client.get(
                "/api/v1/conversations", params={"cursor": cursor}
            ),
            "thread": lambda: client.get(
                f"/api/v1/conversations/{rng.choice(conversation_ids)}/messages"
            ),
            "search": lambda: client.get(
                "/api/v1/conversations", params={"q": rng.choice(["titan", "Vikram", "catheter"])}
            ),
        }
        figures: dict[str, Any] = {}
        for name, call in kinds.items():
            for _ in range(20):  # warm caches and connection pools
                call()
            latencies = []
            for _ in range(REQUESTS if name != "search" else REQUESTS // 3):
                started = time.perf_counter()
                response = call()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
            figures[name] = _percentiles(latencies)
        return figures


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 1),
        "requests": len(ordered),
    }
