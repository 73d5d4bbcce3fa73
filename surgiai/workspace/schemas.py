from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from surgiai.kit.phone import region_is_known
from surgiai.kit.schemas import JSON_NUMBER, Flag, PartialUpdate
from surgiai.kit.time import zone
from surgiai.kit.timezones import canonical
from surgiai.workspace.models import AnswerPolicy

BURST_SECONDS_MAX = 60.0
# WhatsApp's language codes: `en`, `en_US`, `pt_BR`, `es_419`.
LANGUAGE_CODE = r"^[a-z]{2,3}(_[A-Za-z0-9]{2,4})?$"


def _clean_business_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    if any(unicodedata.category(character).startswith("C") for character in value):
        raise ValueError("must be plain text (no control characters)")
    return value


BusinessName = Annotated[str, Field(max_length=100), AfterValidator(_clean_business_name)]


def _known_timezone(value: str) -> str:
    """Stored by its current name ("Asia/Calcutta" is kept as "Asia/Kolkata")."""
    zone(value)
    return canonical(value)


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_known_timezone)]


def _known_region(value: str) -> str:
    value = value.strip().upper()
    if not region_is_known(value):
        raise ValueError("must be a country's two-letter code with phone numbers, like IN")
    return value


RegionCode = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_known_region)]


class WorkspaceSettingsRead(BaseModel):
    business_name: str
    ai_replies_enabled: bool
    burst_seconds: float
    whatsapp_alerts_enabled: bool
    alert_template: str | None
    alert_template_language: str
    timezone: str
    default_region: str
    answer_policy: AnswerPolicy
    # False when the server's SURGIAI_AGENTS_ENABLED switches every agent off, whatever
    # `ai_replies_enabled` says (only the server's operator can change that).
    agents_enabled_on_server: bool
    # None until an admin first saves: the server's environment provides every value.
    updated_at: datetime | None
    updated_by_user_id: int | None
    updated_by_name: str | None


class WorkspaceSettingsUpdate(PartialUpdate):
    """Only the fields sent change; a null or empty `alert_template` stops templated alerts."""

    model_config = ConfigDict(extra="forbid")

    business_name: BusinessName | None = None
    ai_replies_enabled: Flag | None = None
    burst_seconds: Annotated[float, Field(ge=0, le=BURST_SECONDS_MAX), JSON_NUMBER] | None = None
    whatsapp_alerts_enabled: Flag | None = None
    alert_template: Annotated[str | None, Field(max_length=512)] = None
    alert_template_language: Annotated[str | None, Field(pattern=LANGUAGE_CODE)] = None
    timezone: TimeZoneName | None = None
    default_region: RegionCode | None = None
    answer_policy: AnswerPolicy | None = None

    clearable = frozenset({"alert_template"})

    @field_validator("alert_template")
    @classmethod
    def _strip_template(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class TimeZoneRead(BaseModel):
    """A time zone to choose, with what people may type to find it."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    city: str
    country: str | None
    utc_offset: str
    abbreviation: str | None
    aliases: list[str]
    keywords: list[str]
