"""Lead Scoring & Tagging: after every doctor's message, the lead score with its reasons, one
of hot/warm/cold, interest tags from the products and courses they name, the specialty and
city they state about themselves (when the profile lacks them) and the stage (new → engaged
when they write → qualified when they ask a price, to order or to register).

A side-effect agent: it never answers the doctor. Its standby keeps scoring on rules alone
(the message's words, no model's intent, no catalogue, no profile detection)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from surgiai.agents.base import Action, AgentConfig, AgentContext, MessageView, UpdateLead
from surgiai.agents.language import Intent, words
from surgiai.conversations.models import Direction
from surgiai.doctors.models import LifecycleStage
from surgiai.doctors.scoring import (
    QUALIFYING,
    Activity,
    Band,
    Expressed,
    Signal,
    score,
    signals_in,
    strongest,
)
from surgiai.kit.time import utcnow
from surgiai.knowledge.index import Knowledge
from surgiai.knowledge.matching import CITIES, word_set

LEAD_SCORING = "lead_scoring"
KNOWLEDGE = "knowledge"
BAND_TAGS = tuple(band.value for band in Band)
INTEREST_PREFIX = "interest:"
COURSE_INTEREST = "interest:courses"
INBOUND = Direction.inbound.value

# The model's intent for the burst, as a buying signal.
_INTENT_SIGNALS = {
    Intent.order: Signal.order,
    Intent.product_question: Signal.product,
    Intent.course: Signal.course,
    Intent.offer: Signal.offer,
    Intent.info_request: Signal.info,
}
# Messages that name no product or course: the catalogue is not searched.
_NOT_ABOUT_PRODUCTS = frozenset(
    {Intent.greeting, Intent.opt_out, Intent.opt_in, Intent.human_request}
)
# The stages lead scoring moves a doctor along, only forward; customer, dormant and lost are
# the team's (and the orders domain's) to set.
_ORDER = (LifecycleStage.new, LifecycleStage.engaged, LifecycleStage.qualified)

# Specialties as doctors write them. A "person" form (gynaecologist, urologist, ortho surgeon)
# describes the writer; a short form ("gynae", "ortho") only beside a self-description
# ("I am", "main … hoon"), so that "ortho implants" says nothing about the doctor.
_SPECIALTIES: tuple[tuple[str, str, str], ...] = (
    (
        "Obstetrics & Gynaecology",
        r"gyn(?:a)?ecologists?|gyn(?:a)?ecologist|obstetricians?|obgyn|ob gyn",
        r"gyn(?:a)?e(?:c)?|gyno|obs",
    ),
    ("Orthopaedics", r"orthop(?:a)?edic(?:ian)?s?|orthop(?:a)?edic surgeon", r"ortho"),
    ("General Surgery", r"general surgeon|gs surgeon", r"general surgery"),
    ("Laparoscopic Surgery", r"laparoscopic surgeon|lap surgeon", r"laparoscopic|lap"),
    ("Urology", r"urologists?", r"uro"),
    ("ENT", r"ent surgeon|ent specialist|otolaryngologist", r"ent"),
    ("Neurosurgery", r"neurosurgeons?|neuro surgeon", r"neurosurgery"),
    ("Plastic Surgery", r"plastic surgeons?|cosmetic surgeon", r"plastic surgery"),
    ("Paediatric Surgery", r"p(?:a)?ediatric surgeons?", r"p(?:a)?eds surgery"),
    ("Cardiothoracic Surgery", r"cardiothoracic surgeon|ctvs surgeon|cardiac surgeon", r"ctvs"),
    ("Surgical Oncology", r"surgical oncologists?|onco surgeon|oncosurgeon", r"onco"),
    ("Gastroenterology", r"gastroenterologists?|gi surgeon", r"gastro"),
    ("Anaesthesiology", r"an(?:a)?esthesiologists?|an(?:a)?esthetists?", r"an(?:a)?esthesia"),
    ("Ophthalmology", r"ophthalmologists?|eye surgeon", r"ophthal|eye specialist"),
    ("Dermatology", r"dermatologists?", r"derma"),
)
_SELF = (
    r"(?:i am|im|i m|iam|am a|am an|myself|main|mai|hum|my specialty is|my speciality is|"
    r"i practice|i practise|practicing|practising|by profession)"
)
_SELF_AFTER = r"(?:hoon|hu|hun|hai|surgeon|specialist|doctor|consultant|by profession)"
_SPECIALTY_PATTERNS = tuple(
    (
        name,
        re.compile(rf"\b(?:{person})\b"),
        re.compile(rf"\b{_SELF}(?: (?:a|an|dr|doctor|senior|consultant))* (?:{short})\b"),
        re.compile(rf"\b(?:{short}) {_SELF_AFTER}\b"),
    )
    for name, person, short in _SPECIALTIES
)
_CITY_BEFORE = word_set("in from at based near")
_CITY_AFTER = word_set("se me mein main based")
_SELF_WORDS = word_set(
    "i im iam main mai hum myself my our practice practise practicing practising clinic "
    "hospital hoon hu hun"
)
_CLAUSES = re.compile(r"[.!?;\n]+")


class LeadScoringConfig(AgentConfig):
    # Tags and detection off leave the score only (a workspace that tags by hand).
    interest_tags: bool = True
    detect_profile: bool = True


class LeadScoringAgent:
    name: ClassVar[str] = LEAD_SCORING
    description: ClassVar[str] = (
        "Scores and tags leads after every message: score with reasons, hot/warm/cold, "
        "interests, stated specialty and city, stage."
    )
    handles: ClassVar[frozenset[Intent]] = frozenset()

    def __init__(self, config: LeadScoringConfig | None = None) -> None:
        self.config = config or LeadScoringConfig()

    def handle(self, context: AgentContext) -> list[Action]:
        doctor = context.doctor
        expressed = _expressed(context)
        if context.intent in _INTENT_SIGNALS and _newest_inbound(context) is not None:
            expressed.append(Expressed(_INTENT_SIGNALS[context.intent], _now(context)))
        update = _update(context, expressed)
        interests: list[str] = []
        if self.config.interest_tags and context.intent not in _NOT_ABOUT_PRODUCTS:
            interests = _interests(context)
        specialty = city = None
        if self.config.detect_profile and context.text:
            if doctor.specialty is None:
                specialty = detect_specialty(context.text)
            if doctor.city is None:
                city = detect_city(context.text, stated_specialty=specialty is not None)
        return [
            UpdateLead(
                score=update.score,
                reasons=update.reasons,
                add_tags=update.add_tags
                + tuple(tag for tag in interests if tag not in doctor.tags),
                remove_tags=update.remove_tags,
                specialty=specialty,
                city=city,
                stage=update.stage,
            )
        ]


class LeadScoringBasicAgent:
    """Standby: the score and hot/warm/cold from the messages' words and counts only."""

    name: ClassVar[str] = "lead_scoring_basic"
    description: ClassVar[str] = (
        "Standby: scores from the messages' words, no tags beyond the band."
    )
    handles: ClassVar[frozenset[Intent]] = frozenset()

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig(timeout_seconds=1.0)

    def handle(self, context: AgentContext) -> list[Action]:
        return [_update(context, _expressed(context))]


def _update(context: AgentContext, expressed: list[Expressed]) -> UpdateLead:
    """The score, its band and the stage from what the doctor wrote."""
    doctor = context.doctor
    now = _now(context)
    newest = _newest_inbound(context)
    last_inbound = max(
        (when for when in (doctor.last_inbound_at, newest) if when is not None), default=None
    )
    opted_out = doctor.marketing_opted_out
    if context.classification.source == "rule" and context.intent is Intent.opt_out:
        opted_out = True
    elif context.classification.source == "rule" and context.intent is Intent.opt_in:
        opted_out = False
    result = score(
        Activity(
            now=now,
            last_inbound_at=last_inbound,
            inbound_recent=max(doctor.inbound_recent, len(_inbound(context.burst))),
            signals=tuple(expressed),
            reads_recent=doctor.reads_recent,
            opted_out=opted_out,
        )
    )
    band = result.band.value
    stage = None
    if newest is not None and doctor.stage in _ORDER and not doctor.stage_overridden:
        reached = LifecycleStage.engaged
        if strongest(expressed) in QUALIFYING:
            reached = LifecycleStage.qualified
        if _ORDER.index(reached) > _ORDER.index(doctor.stage):
            stage = reached
    return UpdateLead(
        score=None if doctor.score_overridden else result.points,
        reasons=result.reasons,
        add_tags=() if band in doctor.tags else (band,),
        remove_tags=tuple(tag for tag in BAND_TAGS if tag != band and tag in doctor.tags),
        stage=stage,
    )


def _inbound(messages: Iterable[MessageView]) -> list[MessageView]:
    return [message for message in messages if message.direction == INBOUND]


def _newest_inbound(context: AgentContext) -> datetime | None:
    inbound = _inbound(context.burst)
    return inbound[-1].created_at if inbound else None


def _now(context: AgentContext) -> datetime:
    """The time of the burst: scoring a message is about when it was written."""
    return context.burst[-1].created_at if context.burst else utcnow()


def _expressed(context: AgentContext) -> list[Expressed]:
    """The buying signals of the doctor's messages, in the history and this burst."""
    expressed: list[Expressed] = []
    for message in _inbound((*context.history, *context.burst)):
        if message.text:
            for signal in _signals(message.text):
                expressed.append(Expressed(signal, message.created_at))
    return expressed


@functools.lru_cache(maxsize=4096)
def _signals(text: str) -> frozenset[Signal]:
    # Each burst re-reads the history the previous burst read.
    return signals_in(words(text))


def _interests(context: AgentContext) -> list[str]:
    """ "interest:<category>" for each product the burst names, "interest:courses" for a
    course, from the catalogue snapshot of the context."""
    knowledge = context.extras.get(KNOWLEDGE)
    if not isinstance(knowledge, Knowledge) or knowledge.answerer is None:
        return []
    matcher = knowledge.answerer.matcher
    tags: list[str] = []
    for message in _inbound(context.burst):
        if not message.text:
            continue
        for entity in matcher.recognise(message.text).entities:
            if entity.course is not None:
                tags.append(COURSE_INTEREST)
            elif entity.product is not None and entity.product.category:
                tags.append(interest_tag(entity.product.category))
    return list(dict.fromkeys(tags))


def interest_tag(category: str) -> str:
    """ "Laparoscopy & Endoscopy" → "interest:laparoscopy-endoscopy"."""
    slug = "-".join(re.findall(r"[a-z0-9]+", category.lower()))
    return (INTEREST_PREFIX + slug)[:64]


def detect_specialty(text: str) -> str | None:
    """The specialty a doctor states about themselves ("I am a gynaecologist in Pune", "ortho
    surgeon, Lucknow", "main gynae hoon"); None when they state none."""
    folded = " ".join(words(text))
    for name, person, self_before, self_after in _SPECIALTY_PATTERNS:
        if person.search(folded) or self_before.search(folded) or self_after.search(folded):
            return name
    return None


def detect_city(text: str, *, stated_specialty: bool = False) -> str | None:
    """The city a doctor says they are in ("I am in Pune", "Lucknow se hoon", "practice at
    Nagpur"), or that follows their specialty ("ortho surgeon, Lucknow"); never a city a
    question is about ("do you deliver to Pune?")."""
    for clause in _CLAUSES.split(text):
        clause_words = words(clause)
        about_self = stated_specialty or bool(_SELF_WORDS & set(clause_words))
        if not about_self:
            continue
        for index, word in enumerate(clause_words):
            if word not in CITIES:
                continue
            before = clause_words[index - 1] if index else ""
            after = clause_words[index + 1] if index + 1 < len(clause_words) else ""
            if stated_specialty or before in _CITY_BEFORE or after in _CITY_AFTER:
                return word.title()
    return None
