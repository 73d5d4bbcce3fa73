from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class TrafficCounts(BaseModel):
    inbound: int = Field(description="Messages from doctors")
    outbound: int = Field(
        description="Messages to doctors (any state but cancelled): outbound_ai + outbound_admin"
        " + automatic notices"
    )
    outbound_ai: int = Field(description="Written by an AI agent (approved drafts included)")
    outbound_admin: int = Field(description="Written by a person on the team")
    failed: int = Field(
        description="Outbound messages that failed for good (the inbox shows each one's reason)"
    )
    new_doctors: int = Field(
        description="Leads: doctors first seen that day (for one number: who talk to it)"
    )


class TrafficDay(TrafficCounts):
    day: date = Field(description="A calendar day in `timezone`")


class TrafficStats(BaseModel):
    timezone: str = Field(description="The days are calendar days in this time zone")
    number_id: int | None = Field(description="Only this number's traffic; null: every number")
    days: list[TrafficDay] = Field(description="Oldest first, one per day, days without any too")
    today: TrafficDay = Field(description="The last day of `days`, so far")
    totals: TrafficCounts = Field(description="Over every day of `days`")
