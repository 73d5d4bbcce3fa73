"""Which doctors: the one filter the Doctors list, segments, exports and (later) campaigns share,
as a validated model and as the SQL `WHERE` it means. Every field narrows; lists mean "any of"."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from surgiai.doctors import search
from surgiai.doctors.models import Doctor, DoctorTag, LifecycleStage
from surgiai.kit.schemas import MAX_ID, NOT_A_BOOL, Moment
from surgiai.kit.time import utcnow

Word = Annotated[str, Field(min_length=1, max_length=100)]
Words = Annotated[list[Word], Field(max_length=50)]
Score = Annotated[int, Field(ge=0, le=100), NOT_A_BOOL]
Days = Annotated[int, Field(ge=1, le=3650), NOT_A_BOOL]


class DoctorFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Part of the name, number, username, hospital, registration number or email.
    q: Annotated[str | None, Field(max_length=100)] = None
    specialty: Words = []
    city: Words = []
    state: Words = []
    # Doctors with any of these tags.
    tags: Words = []
    score_min: Score | None = None
    score_max: Score | None = None
    stage: Annotated[list[LifecycleStage], Field(max_length=6)] = []
    last_inbound_after: Moment | None = None
    last_inbound_before: Moment | None = None
    last_outbound_after: Moment | None = None
    last_outbound_before: Moment | None = None
    # Windows that move with the clock, for saved segments ("wrote in the last 30 days",
    # "nothing sent to them for 60 days or more"); silent includes never.
    inbound_within_days: Days | None = None
    inbound_silent_days: Days | None = None
    outbound_within_days: Days | None = None
    outbound_silent_days: Days | None = None
    consent: Literal["opted_in", "opted_out"] | None = None
    # The doctor's sticky sending number.
    number_id: Annotated[int, Field(ge=1, le=MAX_ID), NOT_A_BOOL] | None = None

    @model_validator(mode="after")
    def _ranges_in_order(self) -> DoctorFilter:
        if (
            self.score_min is not None
            and self.score_max is not None
            and self.score_min > self.score_max
        ):
            raise ValueError("score_min is above score_max")
        return self

    def is_empty(self) -> bool:
        return self == DoctorFilter()


def _any_of(column: InstrumentedAttribute[str | None], values: list[str]) -> ColumnElement[bool]:
    """Case-insensitive: "Pune" finds "pune" as typed by an import."""
    return func.lower(column).in_([value.casefold() for value in values])


def conditions(f: DoctorFilter, *, score_index: bool = True) -> list[ColumnElement[bool]]:
    """`score_index=False`: compare the score row by row (`lead_score + 0` keeps any planner off
    its index). A newest-first page stops after a few dozen rows of the primary key, where a
    score range through its index would collect and sort a third of all doctors."""
    found: list[ColumnElement[bool]] = []
    if f.q and (text_match := search.matches(f.q)) is not None:
        found.append(text_match)
    if f.specialty:
        found.append(_any_of(Doctor.specialty, f.specialty))
    if f.city:
        found.append(_any_of(Doctor.city, f.city))
    if f.state:
        found.append(_any_of(Doctor.state, f.state))
    if f.tags:
        # Doctors from the tag's index, not a probe per doctor: a rare tag over 100,000
        # doctors counts in a few milliseconds.
        found.append(Doctor.id.in_(select(DoctorTag.doctor_id).where(DoctorTag.tag.in_(f.tags))))
    score = Doctor.lead_score if score_index else Doctor.lead_score + 0
    if f.score_min is not None:
        found.append(score >= f.score_min)
    if f.score_max is not None:
        found.append(score <= f.score_max)
    if f.stage:
        found.append(Doctor.stage.in_(f.stage))
    if f.last_inbound_after is not None:
        found.append(Doctor.last_inbound_at >= f.last_inbound_after)
    if f.last_inbound_before is not None:
        found.append(
            or_(Doctor.last_inbound_at.is_(None), Doctor.last_inbound_at < f.last_inbound_before)
        )
    if f.last_outbound_after is not None:
        found.append(Doctor.last_outbound_at >= f.last_outbound_after)
    if f.last_outbound_before is not None:
        found.append(
            or_(
                Doctor.last_outbound_at.is_(None),
                Doctor.last_outbound_at < f.last_outbound_before,
            )
        )
    now = utcnow()
    for column, within, silent in (
        (Doctor.last_inbound_at, f.inbound_within_days, f.inbound_silent_days),
        (Doctor.last_outbound_at, f.outbound_within_days, f.outbound_silent_days),
    ):
        if within is not None:
            found.append(column >= now - timedelta(days=within))
        if silent is not None:
            found.append(or_(column.is_(None), column < now - timedelta(days=silent)))
    if f.consent is not None:
        found.append(Doctor.marketing_opted_out.is_(f.consent == "opted_out"))
    if f.number_id is not None:
        found.append(Doctor.sticky_number_id == f.number_id)
    return found


def where(f: DoctorFilter, *, score_index: bool = True) -> ColumnElement[bool]:
    """The filter as one SQL condition (`true()` when it filters nothing)."""
    found = conditions(f, score_index=score_index)
    return and_(*found) if found else true()


def matching(f: DoctorFilter) -> Select[Doctor]:
    return select(Doctor).where(where(f))


def count_statement(f: DoctorFilter) -> Select[int]:
    return select(func.count()).select_from(Doctor).where(where(f))
