"""`surgiai run --demo`: a built-in WhatsApp Cloud API simulator with two numbers and
simulated doctors, so a newcomer sees live traffic without a Meta account.

Everything goes through the real paths: the Graph client calls the simulator over HTTP on
loopback, and the simulator delivers signed webhooks to our own `/webhooks/whatsapp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio
import structlog
from fastapi import FastAPI
from pydantic import SecretStr

from surgiai.config import Settings
from surgiai.db.engine import session_scope
from surgiai.demo_catalogue import seed_catalogue
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.schemas import NumberCreate
from surgiai.numbers.service import number_service
from surgiai.runtime import Runtime
from surgiai.simulator import SimulatorConfig
from surgiai.simulator.app import create_simulator_app
from surgiai.simulator.core import Simulator
from surgiai.simulator.personas import PersonaSettings
from surgiai.simulator.schemas import NumberUpsert, TemplateRegistration
from surgiai.templates.service import template_service

log = structlog.get_logger(__name__)

MOUNT_PATH = "/simulator"
# Demo-only credentials for the simulated numbers; they open nothing outside this process.
DEMO_APP_SECRET = "surgiai-demo-app-secret"  # noqa: S105
DEMO_VERIFY_TOKEN = "surgiai-demo-verify-token"  # noqa: S105
DEMO_WABA_ID = "900000000000001"
DEMO_PERSONAS = 50


@dataclass(frozen=True)
class DemoNumber:
    label: str
    phone_number_id: str
    display_phone_number: str
    access_token: str


DEMO_NUMBERS = (
    DemoNumber("Sales (demo)", "100000000000001", "15550100001", "demo-token-sales-0001"),
    DemoNumber("CME courses (demo)", "100000000000002", "15550100002", "demo-token-courses-002"),
)
DEMO_TEMPLATES = (
    TemplateRegistration(
        waba_id=DEMO_WABA_ID,
        name="follow_up",
        language="en",
        category="UTILITY",
        components=[{"type": "BODY", "text": "Hello {{1}}, following up on your enquiry."}],
    ),
    TemplateRegistration(
        waba_id=DEMO_WABA_ID,
        name="course_invite",
        language="en",
        category="MARKETING",
        components=[{"type": "BODY", "text": "Dr. {{1}}, seats are open for {{2}}."}],
    ),
    # A media header: a campaign uploads the course's brochure (a PDF) once and sends it.
    TemplateRegistration(
        waba_id=DEMO_WABA_ID,
        name="course_brochure",
        language="en",
        category="MARKETING",
        components=[
            {"type": "HEADER", "format": "DOCUMENT"},
            {
                "type": "BODY",
                "text": "Dr. {{1}}, the brochure for {{2}} is attached: dates, faculty and "
                "fees. Reply to book your seat.",
            },
        ],
    ),
)


def demo_settings(settings: Settings) -> Settings:
    """Point the Graph client at the built-in simulator and fill in demo webhook secrets."""
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host  # noqa: S104
    return settings.model_copy(
        update={
            "graph_api_base": f"http://{host}:{settings.port}{MOUNT_PATH}/graph",
            "meta_app_secret": settings.meta_app_secret or SecretStr(DEMO_APP_SECRET),
            "webhook_verify_token": settings.webhook_verify_token or SecretStr(DEMO_VERIFY_TOKEN),
        }
    )


def build_simulator() -> FastAPI:
    return create_simulator_app(SimulatorConfig())


async def seed(runtime: Runtime, simulator: Simulator) -> None:
    """Register the demo numbers on both sides, their templates, and start the doctors."""
    settings = runtime.settings
    base = settings.graph_api_base.removesuffix(f"{MOUNT_PATH}/graph")
    app_secret = settings.meta_app_secret.get_secret_value() if settings.meta_app_secret else None
    verify_token = (
        settings.webhook_verify_token.get_secret_value() if settings.webhook_verify_token else None
    )
    for number in DEMO_NUMBERS:
        simulator.upsert_number(
            number.phone_number_id,
            NumberUpsert(
                waba_id=DEMO_WABA_ID,
                display_phone_number=number.display_phone_number,
                verified_name="SurgiAI Demo",
                access_token=number.access_token,
                app_secret=app_secret,
                webhook_url=f"{base}/webhooks/whatsapp",
                verify_token=verify_token,
            ),
        )
    for template in DEMO_TEMPLATES:
        simulator.templates.register(template)
    await anyio.to_thread.run_sync(_register_numbers, runtime)
    await simulator.personas.start(
        PersonaSettings(
            count=DEMO_PERSONAS,
            initiate_per_minute=0.1,
            # Some doctors use a WhatsApp username, and some of those share no phone number.
            username_share=0.3,
            hidden_phone_share=0.5,
        )
    )
    log.info("demo.ready", numbers=len(DEMO_NUMBERS), doctors=DEMO_PERSONAS)


def _register_numbers(runtime: Runtime) -> None:
    with session_scope(runtime.session_factory) as session:
        numbers = NumberRepository(session)
        for demo in DEMO_NUMBERS:
            existing: WhatsAppNumber | None = numbers.get_by_phone_number_id(demo.phone_number_id)
            if existing is not None:
                continue
            number_service.create(
                session,
                runtime.settings.resolved_secret_key(),
                NumberCreate(
                    label=demo.label,
                    phone_number_id=demo.phone_number_id,
                    waba_id=DEMO_WABA_ID,
                    display_phone_number=demo.display_phone_number,
                    access_token=SecretStr(demo.access_token),
                ),
            )
        # Every start, since the simulator registers its templates afresh: a worker reads them
        # over the Graph API, as it would from Meta.
        template_service.request_sync_for_waba(session, DEMO_WABA_ID)
        seed_catalogue(session)
