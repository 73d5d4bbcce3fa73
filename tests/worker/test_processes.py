"""`surgiai run` with its worker processes, as a real process tree: doctors are answered by the
workers, dashboards see their changes live, a dead worker is replaced and nothing is lost, and
workers never outlive the web process."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from surgiai.agents.repository import DONE
from surgiai.conversations.models import Message
from surgiai.db.engine import make_engine
from surgiai.demo import DEMO_NUMBERS
from tests import services
from tests.realtime.conftest import open_socket, receive, receive_until
from tests.services import Service, StartService, base_env, running, wait_for

PNID = DEMO_NUMBERS[0].phone_number_id


def children(pid: int) -> set[int]:
    """Live child processes of `pid`."""
    return {child for child in services.children(pid) if running(child)}


@pytest.fixture
def demo(start_service: StartService, tmp_path: Path, sqlite_template: Path) -> tuple[Service, str]:
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'surgiai.db'}")
    (tmp_path / "surgiai.db").write_bytes(sqlite_template.read_bytes())
    env["SURGIAI_ADMIN_PASSWORD"] = "demo password"
    env["SURGIAI_WORKER_PROCESSES"] = "2"
    service = start_service("run", env, ["--demo"])
    token = httpx.post(
        service.url + "/api/v1/auth/login",
        json={"email": "owner@surgiai.local", "password": "demo password"},
    ).json()["access_token"]
    return service, token


def write(service: Service, doctor: str, text: str) -> str:
    response = httpx.post(
        service.url + "/simulator/control/inbound",
        json={"phone_number_id": PNID, "from": doctor, "type": "text", "text": {"body": text}},
    )
    response.raise_for_status()
    return str(response.json()["wamid"])


def agent_states(engine: Engine, wamids: list[str]) -> list[str | None]:
    """How far the Master Agent is with each inbound message, read from the database."""
    query = select(Message.wamid, Message.agent_state).where(Message.wamid.in_(wamids))
    with Session(engine) as session:
        states = {wamid: state for wamid, state in session.execute(query)}
    return [states.get(wamid) for wamid in wamids]


def replies(service: Service, token: str, doctor: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{service.url}/api/v1/messages?wa_id={doctor}&direction=out",
        headers={"Authorization": f"Bearer {token}"},
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestWorkerProcesses:
    def test_workers_answer_doctors_and_the_dashboard_sees_their_changes_live(
        self, demo: tuple[Service, str]
    ) -> None:
        service, token = demo
        assert len(children(service.process.pid)) == 2
        ready = httpx.get(service.url + "/readyz").json()
        assert ready["checks"]["workers"] == "ok"
        workers = httpx.get(
            service.url + "/api/v1/agents", headers={"Authorization": f"Bearer {token}"}
        ).json()["workers"]
        assert sorted(w["worker_id"].rsplit(":", 2)[1] for w in workers) == sorted(
            str(pid) for pid in children(service.process.pid)
        )
        assert all(w["alive"] and w["embedded"] for w in workers)

        socket = open_socket(service.url.replace("http", "ws") + "/api/v1/ws", token)
        with socket:
            # The web process subscribed this dashboard before `hello`, telling every worker
            # over its link that one listens; the ring for the message below comes after that
            # on the same link. (A dashboard refetches after `hello` what happened before.)
            assert receive(socket)["type"] == "hello"
            wamid = write(service, "919800000001", "What is the price of the 5 mm trocar?")
            # Built and published by a worker process, relayed by the web process (the demo's
            # simulated doctors write meanwhile: only this doctor's events count): the reply,
            # then its tick.
            reply_ids: set[int] = set()

            def reply_ticked(m: dict[str, Any]) -> bool:
                data = m.get("data") or {}
                if (
                    m.get("type") == "message.created"
                    and data.get("wa_id") == "919800000001"
                    and data.get("direction") == "out"
                ):
                    reply_ids.add(data["id"])
                return m.get("type") == "messages.status_changed" and any(
                    change["id"] in reply_ids for change in data["messages"]
                )

            events = receive_until(socket, reply_ticked, timeout=30)
        inbound = [
            e
            for e in events
            if e.get("type") == "message.created" and e["data"].get("wamid") == wamid
        ]
        assert inbound, events
        [reply] = wait_for(lambda: replies(service, token, "919800000001"))
        assert reply["context_wamid"] == wamid

    def test_a_killed_worker_is_replaced_and_every_doctor_is_answered_once(
        self, demo: tuple[Service, str], tmp_path: Path
    ) -> None:
        service, token = demo
        before = children(service.process.pid)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        doctors = [f"91980000010{index}" for index in range(5)]
        wamids = [
            write(service, doctor, "Do you have titanium ligation clips in stock?")
            for doctor in doctors
        ]

        def replaced() -> set[int] | None:
            now = children(service.process.pid)
            return now if now - before and len(now) == 2 else None

        assert victim not in wait_for(replaced, message="the killed worker was not replaced")
        # A message's reply and its `done` mark are committed together, and no worker claims a
        # message that is done (a sweeper only hands on claims left `processing`): once all
        # are done, the replies there are now are all there will ever be.
        engine = make_engine(f"sqlite:///{tmp_path / 'surgiai.db'}")
        try:
            wait_for(
                lambda: agent_states(engine, wamids) == [DONE] * len(wamids),
                message="not every doctor's message was answered",
            )
        finally:
            engine.dispose()
        assert [len(replies(service, token, doctor)) for doctor in doctors] == [1] * len(doctors)

    def test_workers_stop_when_the_web_process_is_killed(self, demo: tuple[Service, str]) -> None:
        service, _ = demo
        workers = children(service.process.pid)
        assert workers
        service.process.send_signal(signal.SIGKILL)
        service.process.wait()
        wait_for(lambda: not any(running(pid) for pid in workers), timeout=30)
