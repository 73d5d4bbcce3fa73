"""Simulated doctors: they read what they receive, tap buttons, reply with realistic questions
about surgical products, prices, CME courses and orders, and start conversations now and then.

Persona recipients get no automatic `read` status: the persona decides whether and when to read.
Some personas may have a username, and some of those hide their phone number (`PersonaSettings`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import phonenumbers
import structlog
from phonenumbers import PhoneNumberType
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

# What Indian surgeons and gynaecologists write, in English and Hinglish, typos included: about
# the demo catalogue's products, CME courses and FAQs (surgiai/demo_data/), so that the demo's
# Smart Reply answers most of them, and a few it has to hand to a person.
QUESTION_BANK = (
    "5mm trocar ka price kya hai?",
    "10mm disposable trocar rate pls",
    "12mm trocar price? 20 box chahiye, discount milega?",
    "Laparoscopic suturing CME course Pune mein kab hai?",
    "pls send hernia mesh 15x15 rate",
    "30x30 polypropylene mesh stock mein hai?",
    "composite ventral mesh price kya hai",
    "FOGSI lap hysterectomy workshop Mumbai fee kitni hai?",
    "hysteroscopy workshop Delhi dates?",
    "TEP TAPP hernia course Bengaluru mein seats available hai?",
    "linear stapler 45mm reload blue ka rate",
    "circular stapler 28mm price pls",
    "skin stapler 35W kitne ka hai",
    "bipolar vessel sealer rate kya hai",
    "harmonic scalpel shears price pls",
    "barbed suture 3-0 ka rate? 2 box chahiye",
    "polyglactin suture 2-0 rate",
    "veress needle 120mm available?",
    "uterine manipulator ka rate",
    "hysteroscopy sheath 5mm rate kya hai",
    "titanium ligation clips price",
    "absorbable tacker price pls",
    "can u share the IFU for bipolar vessel sealer",
    "polypropylene vs composite mesh, which one u recommend for incisional hernia?",
    "order 4821 dispatch hua kya?",
    "delivery kitne din mein hoga? Jaipur",
    "is delivery free above 10000?",
    "Hospital ke corporate card se payment ho jayega?",
    "do you accept UPI",
    "Need GST invoice with hospital details for order 5530",
    "reusable instruments warranty kitne saal ki hai",
    "damaged item received, return kar sakte hai?",
)


@dataclass(frozen=True)
class DemoDoctor:
    name: str
    # What their WhatsApp handles tend to carry (`dr.ananya.ortho`).
    specialty: str
    # Where their phone number is from (ISO 3166 region): most are in India.
    region: str = "IN"


# Surgeons and gynaecologists from across India, and a few who practise abroad.
DOCTORS = (
    DemoDoctor("Dr. Ananya Iyer", "ortho"),
    DemoDoctor("Dr. Rakesh Gupta", "surgeon"),
    DemoDoctor("Dr. Priya Sharma", "gynae"),
    DemoDoctor("Dr. Vikram Reddy", "laparo"),
    DemoDoctor("Dr. Meera Nair", "obgyn"),
    DemoDoctor("Dr. Arjun Mehta", "surgery"),
    DemoDoctor("Dr. Kavita Deshpande", "gynae"),
    DemoDoctor("Dr. Sanjay Kulkarni", "uro"),
    DemoDoctor("Dr. Farah Siddiqui", "obgyn"),
    DemoDoctor("Dr. Harpreet Singh", "ortho"),
    DemoDoctor("Dr. Subhash Banerjee", "surgeon"),
    DemoDoctor("Dr. Lakshmi Venkatesh", "obgyn"),
    DemoDoctor("Dr. Imran Qureshi", "laparo"),
    DemoDoctor("Dr. Nandini Bora", "gynae"),
    DemoDoctor("Dr. Rohit Chauhan", "ortho"),
    DemoDoctor("Dr. Sneha Patil", "obgyn"),
    DemoDoctor("Dr. Abhishek Mishra", "uro"),
    DemoDoctor("Dr. Jyoti Mahapatra", "gynae"),
    DemoDoctor("Dr. Thomas Kurian", "surgery"),
    DemoDoctor("Dr. Pooja Agarwal", "obgyn"),
    DemoDoctor("Dr. Karthik Subramanian", "laparo"),
    DemoDoctor("Dr. Gurpreet Kaur", "gynae"),
    DemoDoctor("Dr. Manoj Yadav", "surgeon"),
    DemoDoctor("Dr. Ritu Saxena", "obgyn"),
    DemoDoctor("Dr. Aamir Wani", "ortho"),
    DemoDoctor("Dr. Deepak Joshi", "uro"),
    DemoDoctor("Dr. Swati Hegde", "laparo"),
    DemoDoctor("Dr. Vivek Shetty", "surgeon"),
    DemoDoctor("Dr. Nikhil Menon", "ortho", "AE"),
    DemoDoctor("Dr. Shabnam Khan", "obgyn", "AE"),
    DemoDoctor("Dr. Rajesh Patel", "surgery", "GB"),
    DemoDoctor("Dr. Anjali Thapa", "gynae", "NP"),
    DemoDoctor("Dr. Bikash Shrestha", "laparo", "NP"),
)

# Mobile numbers as WhatsApp gives them (country code, no plus): a prefix, then random digits.
# India: 91 and ten digits from 6-9; UAE: 971 5x; UK: 44 7x; Nepal: 977 98x.
MOBILE_PLANS: dict[str, tuple[tuple[str, ...], int]] = {
    "IN": (("916", "917", "918", "919"), 12),
    "AE": (("97150", "97152", "97154", "97155", "97156", "97158"), 12),
    "GB": (("4475", "4477", "4478", "4479"), 12),
    "NP": (("97798",), 13),
}
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def is_mobile(wa_id: str, region: str) -> bool:
    """A number that exists as a mobile in `region`, as libphonenumber knows the allocations."""
    number = phonenumbers.parse(f"+{wa_id}")
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.region_code_for_number(number) == region
        and phonenumbers.number_type(number) in _MOBILE_TYPES
    )


def mobile_number(rng: random.Random, region: str) -> str:
    """A random mobile number of `region` (drawn again until one that is allocated)."""
    prefixes, length = MOBILE_PLANS[region]
    while True:
        prefix = rng.choice(prefixes)
        digits = length - len(prefix)
        wa_id = prefix + str(rng.randrange(10**digits)).zfill(digits)
        if is_mobile(wa_id, region):
            return wa_id


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
    # None: every doctor gets a real mobile number of their country (most Indian, a few from
    # the UAE, the UK and Nepal). A prefix: Indian doctors only, numbered `prefix` + random
    # digits up to `wa_id_length` (tests choose their numbers so).
    wa_id_prefix: Annotated[str | None, Field(pattern=r"^[0-9]{1,6}$")] = None
    wa_id_length: Annotated[int, Field(ge=7, le=15)] = 12
    # Share of personas with a WhatsApp username, and the share of those whose phone number
    # webhooks do not show (they reach the business by BSUID and username only).
    username_share: Probability = 0.0
    hidden_phone_share: Probability = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> PersonaSettings:
        if self.think_seconds_max < self.think_seconds_min:
            raise ValueError("think_seconds_max must be >= think_seconds_min")
        if self.wa_id_prefix is not None and len(self.wa_id_prefix) >= self.wa_id_length:
            raise ValueError("wa_id_prefix must be shorter than wa_id_length")
        return self


@dataclass
class Persona:
    wa_id: str
    name: str
    username: str | None = None
    phone_shared: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "wa_id": self.wa_id,
            "name": self.name,
            "username": self.username,
            "phone_shared": self.phone_shared,
        }


def username_for(rng: random.Random, name: str, specialty: str, taken: set[str]) -> str:
    """A handle like a doctor would pick (`dr.ananya.ortho`), unique among `taken`."""
    first, last = name.removeprefix("Dr. ").lower().split()
    base = rng.choice(
        (
            f"dr.{first}.{specialty}",
            f"dr{first}{last}",
            f"{first}.{last}.md",
            f"dr_{last}_{specialty}",
            f"{first}_{specialty}",
        )
    )
    handle = base
    while handle in taken:
        handle = f"{base}{rng.randrange(10, 100)}"
    taken.add(handle)
    return handle


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
        usernames: set[str] = set()
        prefix = settings.wa_id_prefix
        doctors = DOCTORS if prefix is None else [d for d in DOCTORS if d.region == "IN"]
        while len(personas) < settings.count:
            doctor = rng.choice(doctors)
            if prefix is None:
                wa_id = mobile_number(rng, doctor.region)
            else:
                digits = settings.wa_id_length - len(prefix)
                wa_id = prefix + str(rng.randrange(10**digits)).zfill(digits)
            if wa_id in personas:
                continue
            persona = Persona(wa_id, doctor.name)
            # Drawn only when asked for, so runs without usernames keep their random sequence.
            if settings.username_share and rng.random() < settings.username_share:
                persona.username = username_for(rng, doctor.name, doctor.specialty, usernames)
                hidden = settings.hidden_phone_share and rng.random() < settings.hidden_phone_share
                persona.phone_shared = not hidden
            personas[wa_id] = persona
        with self._sim.lock:
            for persona in personas.values():
                user = self._sim.users.ensure(persona.wa_id)
                user.name = persona.name
                user.username = persona.username
                user.phone_shared = persona.phone_shared
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
