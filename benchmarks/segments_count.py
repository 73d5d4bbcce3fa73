"""Segment counts over 100,000 doctors, on SQLite and PostgreSQL.

Doctors are seeded in bulk with the spread of a real lead list (a dozen specialties, forty
cities, scores skewed low, a third never active, a few percent opted out, tags on some), then
each filter a segment typically holds is counted through `DoctorFilter`'s own SQL, as the
segments API counts it. Figures: p50/p95/max ms per filter; the target is ≤ 50 ms each.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from benchmarks.inbox_api import _database
from surgiai.db.engine import make_engine
from surgiai.db.migrate import upgrade
from surgiai.doctors.filters import DoctorFilter, count_statement
from surgiai.doctors.models import Doctor, DoctorTag, LifecycleStage
from surgiai.numbers.models import ChannelKind, WhatsAppNumber

DOCTORS = 100_000
ROUNDS = 30
SPECIALTIES = [
    "General Surgery",
    "Gynaecology",
    "Orthopaedics",
    "Urology",
    "ENT",
    "Laparoscopic Surgery",
    "Obstetrics",
    "Paediatric Surgery",
    "Neurosurgery",
    "Cardiothoracic Surgery",
    "Plastic Surgery",
    "Oncosurgery",
]
CITIES = [f"City {index}" for index in range(38)] + ["Pune", "Mumbai"]
STATES = [f"State {index}" for index in range(14)] + ["Maharashtra"]
TAGS = ["hot", "warm", "cold", "stapler", "mesh", "course:lap-hernia", "webinar", "trocar"]
NOW = datetime(2026, 6, 1, tzinfo=UTC)

FILTERS: dict[str, DoctorFilter] = {
    "everyone": DoctorFilter(),
    "specialty": DoctorFilter(specialty=["Gynaecology", "Obstetrics"]),
    "city": DoctorFilter(city=["Pune"]),
    "specialty_city_opted_in": DoctorFilter(
        specialty=["General Surgery"], city=["Pune", "Mumbai"], consent="opted_in"
    ),
    "state_score": DoctorFilter(state=["Maharashtra"], score_min=60),
    "hot_tag": DoctorFilter(tags=["hot"]),
    "tag_and_specialty": DoctorFilter(tags=["stapler", "mesh"], specialty=["General Surgery"]),
    "score_range_stage": DoctorFilter(score_min=40, score_max=80, stage=[LifecycleStage.engaged]),
    "active_last_30_days": DoctorFilter(last_inbound_after=NOW - timedelta(days=30)),
    "dormant_90_days_opted_in": DoctorFilter(
        last_inbound_before=NOW - timedelta(days=90), consent="opted_in"
    ),
    "opted_out": DoctorFilter(consent="opted_out"),
    "number": DoctorFilter(number_id=2),
    "search": DoctorFilter(q="sharma"),
}


def run() -> dict[str, Any]:
    return {backend: _run_backend(backend) for backend in ("sqlite", "postgresql")}


def _run_backend(backend: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory, _database(backend, directory) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            started = time.perf_counter()
            seed_doctors(engine, random.Random(17))
            seed_seconds = time.perf_counter() - started
            figures = _measure(engine)
        finally:
            engine.dispose()
        figures["seed_seconds"] = round(seed_seconds, 1)
        figures["doctors"] = DOCTORS
        return figures


def seed_doctors(engine: Engine, rng: random.Random, count: int = DOCTORS) -> None:
    surnames = ["Sharma", "Rao", "Iyer", "Patel", "Gupta", "Reddy", "Khan", "Nair", "Das", "Joshi"]
    with Session(engine) as session:
        for label, pnid in (("Sales", "1001"), ("Courses", "1002")):
            session.add(
                WhatsAppNumber(
                    label=label,
                    channel=ChannelKind.cloud,
                    phone_number_id=pnid,
                    waba_id="2001",
                    display_phone_number=f"1555000{pnid}",
                    access_token_encrypted="x",
                    access_token_hint="x",
                )
            )
        session.flush()
        doctors: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        for index in range(1, count + 1):
            active = rng.random() < 0.66
            last_in = NOW - timedelta(days=rng.expovariate(1 / 60)) if active else None
            doctors.append(
                {
                    "id": index,
                    "wa_id": f"91{9000000000 + index}",
                    "name": f"Dr. {rng.choice(surnames)} {index}",
                    "specialty": rng.choice(SPECIALTIES) if rng.random() < 0.8 else None,
                    "city": rng.choice(CITIES) if rng.random() < 0.85 else None,
                    "state": rng.choice(STATES) if rng.random() < 0.7 else None,
                    "lead_score": min(100, int(rng.expovariate(1 / 25))),
                    "stage": rng.choice(list(LifecycleStage)),
                    "marketing_opted_out": rng.random() < 0.04,
                    "sticky_number_id": rng.choice([1, 2]) if active else None,
                    "last_inbound_at": last_in,
                    "last_outbound_at": last_in + timedelta(minutes=2) if last_in else None,
                    "score_reasons": {},
                    "custom_fields": {},
                    "score_overridden": False,
                    "stage_overridden": False,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            if rng.random() < 0.3:
                for tag in rng.sample(TAGS, rng.randint(1, 3)):
                    tags.append({"doctor_id": index, "tag": tag})
        for start in range(0, len(doctors), 5_000):
            session.execute(insert(Doctor), doctors[start : start + 5_000])
        for start in range(0, len(tags), 10_000):
            session.execute(insert(DoctorTag), tags[start : start + 10_000])
        session.commit()
    with engine.connect() as connection:  # fresh statistics, as a live database has
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def _measure(engine: Engine) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with Session(engine) as session:
        for name, doctor_filter in FILTERS.items():
            statement = count_statement(doctor_filter)
            session.scalar(statement)  # warm the cache, as a live database is
            timings = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                found = session.scalar(statement)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            figures[name] = {
                "count": found,
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
                "max_ms": round(timings[-1], 2),
            }
    figures["worst_p95_ms"] = max(f["p95_ms"] for f in figures.values())
    return figures
