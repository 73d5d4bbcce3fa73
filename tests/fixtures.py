"""Factories for test data."""

from __future__ import annotations

import socket
import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.auth.security import hash_password
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime

PASSWORD = "correct horse battery"


def create_user(
    runtime: Runtime, *, email: str = "owner@example.com", role: Role = Role.owner
) -> User:
    with session_scope(runtime.session_factory) as session:
        user = User(
            email=email, name=email.split("@")[0], role=role, password_hash=hash_password(PASSWORD)
        )
        session.add(user)
        session.flush()
        return user


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in and return Bearer headers."""
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def user_count(session: Session) -> int:
    return session.query(User).count()


PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"
ACCESS_TOKEN = "EAAtest-access-token-123456"
APP_SECRET = "test-app-secret"


def create_number(
    runtime: Runtime,
    *,
    phone_number_id: str = PHONE_NUMBER_ID,
    label: str = "Sales",
    display_phone_number: str = DISPLAY_NUMBER,
    app_secret: str | None = None,
    throughput_mps: int | None = None,
) -> int:
    from pydantic import SecretStr

    from surgiai.numbers.schemas import NumberCreate
    from surgiai.numbers.service import number_service

    with session_scope(runtime.session_factory) as session:
        number = number_service.create(
            session,
            runtime.settings.resolved_secret_key(),
            NumberCreate(
                label=label,
                phone_number_id=phone_number_id,
                waba_id=WABA_ID,
                display_phone_number=display_phone_number,
                access_token=SecretStr(ACCESS_TOKEN),
                app_secret=SecretStr(app_secret) if app_secret else None,
                throughput_mps=throughput_mps,
            ),
        )
        number.status = "CONNECTED"
        number.quality_rating = "GREEN"
        number_id = number.id
    # Drop the health check queued on creation; tests that want it run it themselves.
    runtime.queue.huey.flush()
    return number_id


def sign(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    import hashlib
    import hmac

    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def webhook_body(value: dict[str, object], *, field: str = "messages") -> bytes:
    """A `messages` webhook as Meta serialises it: compact, non-ASCII escaped."""
    import json

    envelope = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": field, "value": value}]}],
    }
    return json.dumps(envelope, ensure_ascii=True, separators=(",", ":")).encode()


def text_message_value(
    wamid: str,
    text: str,
    *,
    wa_id: str = "919876543210",
    name: str = "Dr. Asha Rao",
    timestamp: int | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, object]:
    import time

    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [
            {
                "from": wa_id,
                "id": wamid,
                "timestamp": str(timestamp or int(time.time())),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }


def status_value(
    wamid: str,
    status: str,
    *,
    wa_id: str = "919876543210",
    timestamp: int | None = None,
    errors: list[dict[str, object]] | None = None,
    callback: str | None = None,
) -> dict[str, object]:
    import time

    item: dict[str, object] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": wa_id,
    }
    if errors:
        item["errors"] = errors
    if callback:
        item["biz_opaque_callback_data"] = callback
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [item],
    }


GRAPH = "https://graph.facebook.com/v25.0"


def graph_error(code: int, title: str = "Error", details: str = "details") -> dict[str, object]:
    return {
        "error": {
            "message": f"(#{code}) {title}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AbCdEf",
        }
    }


def graph_accepted(wamid: str, wa_id: str = "919876543210") -> dict[str, object]:
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": wa_id, "wa_id": wa_id}],
        "messages": [{"id": wamid}],
    }


def run_scheduled(runtime: Runtime) -> int:
    """Run delayed tasks (retries) now, as if their time had come."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from surgiai.conversations.models import Message

    with session_scope(runtime.session_factory) as session:
        session.execute(update(Message).values(next_attempt_at=None))
    huey = runtime.queue.huey
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    due = huey.read_schedule(later)
    for job in due:
        huey.execute(job, timestamp=later)
    return len(due)


def gone_claimant() -> str:
    """A claimant (`worker.claimants`) whose process ran on this host and has ended."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{socket.gethostname()}:{int(ended.stdout)}:0badf00d"
