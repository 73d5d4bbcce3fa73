"""Simulated doctors: they read what they receive, tap buttons, reply with realistic questions
about surgical products, prices, CME courses and orders, and start conversations now and then.

Persona recipients get no automatic `read` status: the persona decides whether and when to read.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, model_validator

from surgiai.errors import SurgiAIError
from surgiai.simulator.scheduler import cancel_soon
from surgiai.simulator.schemas import InboundRequest
from surgiai.simulator.validation import fold_case

if TYPE_CHECKING:
    from surgiai.simulator.core import Simulator
    from surgiai.simulator.state import OutboundMessage

log = structlog.get_logger(__name__)

Probability = Annotated[float, Field(ge=0, le=1)]

QUESTION_BANK = (
    "¿Cuál es el precio del kit de sutura absorbible 3-0?",
    "Do you have the 45 mm linear stapler reloads in stock?",
    "¿Cuándo empieza el próximo curso de laparoscopía avanzada con créditos CME?",
    "Necesito cotización para 20 trocares de 12 mm, ¿hay descuento por volumen?",
    "What is the delivery time for an order of hernia mesh to Monterrey?",
    "¿El curso de cirugía robótica incluye práctica en simulador?",
    "Can you send me the instructions for use of the bipolar vessel sealer?",
    "¿Mi pedido 4821 ya fue enviado? Lo necesito para el quirófano del lunes.",
    "Is the CME webinar on surgical site infections accredited for 2 credits?",
    "¿Qué diferencia hay entre la malla de polipropileno y la de PTFE?",
    "I'd like to reorder the same hemostatic agents as last month.",
    "¿Aceptan pago con tarjeta corporativa del hospital?",
    "Do you offer hands-on training on the ultrasonic scalpel for residents?",
    "¿Tienen grapadora circular de 28 mm disponible esta semana?",
    "Hola, ¿me pueden compartir el catálogo de instrumental de artroscopía?",
    "How much is registration for the cardiothoracic CME course in March?",
    "Dr. Müller aquí — ¿precio del sellador vascular con envío a Guadalajara?",
    "Can I get an invoice with my hospital's tax details for order 5530?",
)
NAMES = (
    "Dra. Lucía Fernández",
    "Dr. Andrés Müller",
    "Dr. Raj Patel",
    "Dra. Camila Rojas",
    "Dr. Tomás Ibáñez",
    "Dra. Sofía Herrera",
    "Dr. Kenji Watanabe",
    "Dra. Valentina Castro",
    "Dr. Martín Ortega",
    "Dra. Emily Carter",
)


class PersonaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Annotated[int, Field(ge=1, le=1000)] = 5
    # Number the personas write to; default: any registered number, chosen at random.
    phone_number_id: str | None = None
    read_probability: Probability = 0.9
    reply_probability: Probability = 0.4
    tap_probability: Probability = 0.7
    # Conversations each persona starts per simulated minute (a Poisson process).
    initiate_per_minute: Annotated[float, Field(ge=0)] = 0.2
    think_seconds_min: Annotated[float, Field(ge=0)] = 2.0
    think_seconds_max: Annotated[float, Field(ge=0)] = 20.0
    wa_id_prefix: Annotated[str, Field(pattern=r"^[0-9]{1,6}$")] = "52155"

    @model_validator(mode="after")
    def _ordered_think_time(self) -> PersonaSettings:
        if self.think_seconds_max < self.think_seconds_min:
            raise ValueError("think_seconds_max must be >= think_seconds_min")
        return self


@dataclass
class Persona:
    wa_id: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"wa_id": self.wa_id, "name": self.name}


def tappable_options(message: OutboundMessage) -> list[tuple[str, dict[str, Any]]]:
    """What a user could tap in `message`, as inbound (type, type object) pairs."""
    request = message.request
    if message.type == "interactive":
        interactive = request.get("interactive") or {}
        action = interactive.get("action") or {}
        if interactive.get("type") == "button":
            return [
                ("interactive", {"type": "button_reply", "button_reply": dict(button["reply"])})
                for button in action.get("buttons", [])
            ]
        if interactive.get("type") == "list":
            rows = [row for section in action.get("sections", []) for row in section["rows"]]
            return [
                (
                    "interactive",
                    {
                        "type": "list_reply",
                        "list_reply": {
                            key: row[key] for key in ("id", "title", "description") if key in row
                        },
                    },
                )
                for row in rows
            ]
    if message.type == "template" and message.template is not None:
        titles = message.template.quick_replies()
        payloads: dict[int, str] = {}
        for component in (request.get("template") or {}).get("components", []):
            if (
                fold_case(component.get("type")) == "button"
                and fold_case(component.get("sub_type")) == "quick_reply"
            ):
                for parameter in component.get("parameters", []):
                    if parameter.get("type") == "payload":
                        payloads[int(component.get("index", 0))] = str(parameter["payload"])
        return [
            ("button", {"payload": payloads.get(index, title), "text": title})
            for index, title in enumerate(titles)
        ]
    return []


class PersonaManager:
    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator
        self.personas: dict[str, Persona] = {}
        self.settings: PersonaSettings | None = None
        self.stats: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def is_persona(self, wa_id: str) -> bool:
        return wa_id in self.personas

    def rename(self, old_wa_id: str, new_wa_id: str) -> None:
        """A persona changed number (caller holds the lock)."""
        persona = self.personas.pop(old_wa_id, None)
        if persona is not None:
            persona.wa_id = new_wa_id
            self.personas[new_wa_id] = persona

    async def start(self, settings: PersonaSettings) -> list[Persona]:
        await self.stop()
        rng = self._sim.rng
        personas: dict[str, Persona] = {}
        digits = 13 - len(settings.wa_id_prefix)
        while len(personas) < settings.count:
            wa_id = settings.wa_id_prefix + str(rng.randrange(10**digits)).zfill(digits)
            personas.setdefault(wa_id, Persona(wa_id, rng.choice(NAMES)))
        with self._sim.lock:
            self.personas = personas
            self.settings = settings
            self.stats = {"initiated": 0, "reads": 0, "ignored": 0, "replies": 0, "taps": 0}
        if settings.initiate_per_minute > 0:
            self._task = asyncio.get_running_loop().create_task(
                self._initiate_loop(settings), name="simulator-personas"
            )
        return list(personas.values())

    async def stop(self) -> dict[str, int]:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            if task.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return self.cancel()

    def cancel(self) -> dict[str, int]:
        """Forget the personas (sync; used by reset)."""
        if self._task is not None:
            cancel_soon(self._task)
            self._task = None
        with self._sim.lock:
            stats = dict(self.stats)
            self.personas = {}
            self.settings = None
        return stats

    def describe(self) -> dict[str, Any]:
        with self._sim.lock:
            return {
                "personas": [persona.to_dict() for persona in self.personas.values()],
                "settings": self.settings.model_dump() if self.settings else None,
                "stats": dict(self.stats),
            }

    def _think(self) -> float:
        settings = self.settings
        if settings is None:
            return 0.0
        seconds = self._sim.rng.uniform(settings.think_seconds_min, settings.think_seconds_max)
        return self._sim.config.real_delay(seconds)

    def on_sent(self, message: OutboundMessage) -> None:
        """A message reached a persona's phone: maybe read it, then maybe answer."""
        if message.wa_id not in self.personas or message.type == "reaction":
            return
        behaviour = self._sim.statuses.behaviour_for(message.wa_id)
        if not behaviour.deliver:
            return
        delay = self._think() + self._sim.config.real_delay(behaviour.delivered_delay)
        wamid = message.wamid
        self._sim.scheduler.schedule(delay, lambda: self._read(wamid))

    def _count(self, key: str) -> None:
        with self._sim.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def _read(self, wamid: str) -> None:
        settings = self.settings
        if settings is None:
            return
        if self._sim.rng.random() >= settings.read_probability:
            self._count("ignored")
            return
        if self._sim.statuses.recipient_reads(wamid):
            self._count("reads")
            self._sim.scheduler.schedule(self._think(), lambda: self._respond(wamid))

    def _respond(self, wamid: str) -> None:
        settings = self.settings
        with self._sim.lock:
            message = self._sim.state.outbound.get(wamid)
            persona = self.personas.get(message.wa_id) if message is not None else None
        if settings is None or message is None or persona is None:
            return
        rng = self._sim.rng
        options = tappable_options(message)
        if options and rng.random() < settings.tap_probability:
            kind, body = rng.choice(options)
            self._send(persona, message.phone_number_id, kind, body, context_id=wamid)
            self._count("taps")
        elif rng.random() < settings.reply_probability:
            context_id = wamid if rng.random() < 0.3 else None
            body = {"body": rng.choice(QUESTION_BANK)}
            self._send(persona, message.phone_number_id, "text", body, context_id=context_id)
            self._count("replies")

    def _send(
        self,
        persona: Persona,
        phone_number_id: str,
        kind: str,
        body: dict[str, Any],
        *,
        context_id: str | None = None,
    ) -> None:
        payload: dict[str, Any] = {
            "phone_number_id": phone_number_id,
            "from": persona.wa_id,
            "name": persona.name,
            "type": kind,
            kind: body,
        }
        if context_id is not None:
            payload["context"] = {"id": context_id}
        try:
            self._sim.inject_inbound(InboundRequest.model_validate(payload), base_url=None)
        except SurgiAIError as error:
            log.info("simulator.personas.send_skipped", reason=error.detail)

    async def _initiate_loop(self, settings: PersonaSettings) -> None:
        rng = self._sim.rng
        rate = settings.count * settings.initiate_per_minute / 60.0
        while True:
            await asyncio.sleep(max(0.001, self._sim.config.real_delay(rng.expovariate(rate))))
            with self._sim.lock:
                personas = list(self.personas.values())
                numbers = (
                    [settings.phone_number_id]
                    if settings.phone_number_id
                    else list(self._sim.state.numbers)
                )
            if not personas or not numbers:
                continue
            persona = rng.choice(personas)
            self._send(persona, rng.choice(numbers), "text", {"body": rng.choice(QUESTION_BANK)})
            self._count("initiated")
