from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

from surgiai.auth.roles import Role
from surgiai.auth.security import MIN_PASSWORD_LENGTH
from surgiai.kit.schemas import Flag, PartialUpdate


def _normalize_email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("must be an email address")
    return value


def _clean_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(_normalize_email)]
# A WhatsApp phone as people type it ("98765 43210", "+91 98765-43210"); the service reads it
# with the workspace's default region and keeps the digits (`wa_id`). Empty or null: none.
PhoneText = Annotated[str | None, Field(max_length=40)]


def _check_password_length(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must have at least {MIN_PASSWORD_LENGTH} characters")
    return value


Password = Annotated[
    SecretStr,
    Field(max_length=256, json_schema_extra={"minLength": MIN_PASSWORD_LENGTH}),
    AfterValidator(_check_password_length),
]


class LoginRequest(BaseModel):
    email: Annotated[str, Field(max_length=320)]
    password: Annotated[SecretStr, Field(max_length=256)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    phone: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (OAuth token type, not a secret)
    user: UserRead


class UserCreate(BaseModel):
    email: Email
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    password: Password
    phone: PhoneText = None


class UserUpdate(PartialUpdate):
    clearable = frozenset({"phone"})

    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    email: Email | None = None
    role: Role | None = None
    password: Password | None = None
    phone: PhoneText = None
    is_active: Flag | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        return _clean_name(value) if value is not None else None


class PasswordResetLink(BaseModel):
    """Shown once to the owner or admin who made it: only its hash is stored."""

    # The path to give the user, with the token in its fragment (`/reset-password#token=…`),
    # which browsers never send to a server, so it stays out of access logs.
    path: str
    token: str
    expires_at: datetime


class PasswordResetStatus(BaseModel):
    """What the reset page shows before the user chooses a password."""

    email: str
    name: str
    expires_at: datetime


class PasswordResetCheck(BaseModel):
    token: Annotated[str, Field(min_length=16, max_length=128)]


class PasswordResetComplete(BaseModel):
    token: Annotated[str, Field(min_length=16, max_length=128)]
    new_password: Password


class PhonePreview(BaseModel):
    """How a phone typed in the dashboard will be saved."""

    phone: Annotated[str, Field(max_length=40)]


class PhonePreviewRead(BaseModel):
    """Either the number as it will be saved, or `problem`: what saving it would answer (422)."""

    # "919876543210", as stored.
    wa_id: str | None
    # "+91 98765 43210", as people read it.
    international: str | None
    # "IN": the number's country.
    region: str | None
    problem: str | None
    # The workspace's default region the number was read with.
    default_region: str


class AccountUpdate(PartialUpdate):
    """What users change about themselves. `phone: null` (or empty) removes it."""

    clearable = frozenset({"phone"})

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(max_length=200)] = None
    phone: PhoneText = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        return _clean_name(value) if value is not None else None


class PasswordChange(BaseModel):
    current_password: Annotated[SecretStr, Field(max_length=256)]
    new_password: Password
