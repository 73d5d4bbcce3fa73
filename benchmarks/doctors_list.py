"""Doctors list latency with 100,000 doctors, on SQLite and PostgreSQL.

A `surgiai api` process serves a seeded database (profiles as an import leaves them: specialty,
city, state, score, stage, consent, a tag on one in five); one client asks, one request at a
time, for what the Doctors page asks for: the first page, a filtered page (city, specialty,
stage, tag, score range, consent, alone and combined), the next page by cursor, and a search.
Figures: p50/p95/p99 in ms per kind; the target is p95 ≤ 50 ms.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, insert, text

from benchmarks.harness import Server, base_env, free_port, python
from benchmarks.inbox_api import PASSWORD, _database, _percentiles
from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.auth.security import hash_password
from surgiai.db.engine import make_engine
from surgiai.db.migrate import upgrade
from surgiai.doctors.models import Doctor, DoctorTag, LifecycleStage, search_text_of

DOCTORS = 100_000
REQUESTS = 300
SPECIALTIES = [
    "General Surgeon",
    "Gynaecologist",
    "Orthopaedic",
    "Urologist",
    "ENT",
    "Anaesthetist",
]
CITIES = {
    "Maharashtra": ["Pune", "Mumbai", "Nagpur", "Nashik"],
    "Karnataka": ["Bengaluru", "Mysuru"],
    "Tamil Nadu": ["Chennai", "Coimbatore", "Madurai"],
    "Delhi": ["New Delhi"],
    "Uttar Pradesh": ["Lucknow", "Kanpur", "Varanasi"],
    "West Bengal": ["Kolkata"],
}
NAMES = ["Asha", "Vikram", "Meera", "Rahul", "Priya", "Sanjay", "Kavita", "Arjun", "Neha"]
SURNAMES = ["Rao", "Sethi", "Iyer", "Khan", "Das", "Mehta", "Reddy", "Banerjee", "Gupta"]
TAGS = ["hot", "warm", "cold", "sutures", "mesh", "cme-2026"]


def run() -> dict[str, Any]:
    return {backend: _run_backend(backend) for backend in ("sqlite", "postgresql")}


def _run_backend(backend: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory, _database(backend, directory) as url:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        seed_doctors(engine, random.Random(7))
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
            figures = _measure(server.url, random.Random(11))
        finally:
            server.stop()
        figures["seed_seconds"] = round(seed_seconds, 1)
        figures["doctors"] = DOCTORS
        return figures


def seed_doctors(engine: Engine, rng: random.Random, count: int = DOCTORS) -> None:
    """An owner (`admin@bench.example`) and `count` doctors written in bulk."""
    now = datetime.now(UTC)
    states = list(CITIES)
    stages = list(LifecycleStage)
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
        for start in range(0, count, 10_000):
            doctors = []
            for index in range(start, min(start + 10_000, count)):
                state = rng.choice(states)
                opted_out = rng.random() < 0.05
                identity = {
                    "wa_id": f"91{9000000000 + index}",
                    "name": f"Dr {rng.choice(NAMES)} {rng.choice(SURNAMES)} {index}",
                    "hospital": f"{rng.choice(SURNAMES)} Hospital",
                }
                doctors.append(
                    {
                        **identity,
                        "search_text": search_text_of(identity),
                        "specialty": rng.choice(SPECIALTIES),
                        "city": rng.choice(CITIES[state]),
                        "state": state,
                        "lead_score": rng.randint(0, 100),
                        "score_reasons": {},
                        "custom_fields": {},
                        "stage": rng.choices(stages, weights=[40, 25, 15, 10, 8, 2])[0],
                        "marketing_opted_out": opted_out,
                        "marketing_opted_out_at": now if opted_out else None,
                        "last_inbound_at": now - timedelta(hours=rng.randint(1, 2000)),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            connection.execute(insert(Doctor), doctors)
        connection.execute(
            insert(DoctorTag),
            [
                {"doctor_id": doctor_id, "tag": rng.choice(TAGS)}
                for doctor_id in range(1, count + 1, 5)
            ],
        )
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def _measure(base: str, rng: random.Random) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/login", json={"email": "admin@bench.example", "password": PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        cursor = client.get("/api/v1/doctors", params={"limit": 50}).json()["next_cursor"]
        filters: list[dict[str, Any]] = [
            {"city": "Pune"},
            {"specialty": "Gynaecologist", "city": ["Mumbai", "Pune"]},
            {"stage": "qualified", "score_min": 70},
            {"tag": "hot"},
            {"consent": "opted_in", "state": "Karnataka", "score_min": 50, "score_max": 80},
        ]
        kinds: dict[str, Callable[[], httpx.Response]] = {
            "list_first_page": lambda: client.get("/api/v1/doctors"),
            "list_filtered": lambda: client.get("/api/v1/doctors", params=rng.choice(filters)),
            "list_next_page": lambda: client.get("/api/v1/doctors", params={"cursor": cursor}),
            "search": lambda: client.get(
                "/api/v1/doctors", params={"q": rng.choice(["meera", "Reddy", "98765"])}
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
