from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

from surgiai.auth.roles import Role
from surgiai.auth.security import MIN_PASSWORD_LENGTH
from surgiai.kit.schemas import PartialUpdate


def _normalize_email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("must be an email address")
    return value


def _normalize_phone(value: str | None) -> str | None:
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    if not 8 <= len(digits) <= 15:
        raise ValueError("must be a phone number with country code (8 to 15 digits)")
    return digits


def _international_phone(value: str | None) -> str | None:
    """A WhatsApp phone as its owner writes it (`+91 98765 43210`), kept as digits."""
    if value is None or not value.strip():
        return None
    if not re.fullmatch(r"\+?[\d\s\-().]+", value.strip()):
        raise ValueError("must be a phone number: digits, spaces, dashes and a leading +")
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("0") or not 8 <= len(digits) <= 15:
        raise ValueError(
            "must be in international format: the country code, then the number "
            "(8 to 15 digits, like +91 98765 43210)"
        )
    return digits


def _clean_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(_normalize_email)]
Phone = Annotated[str | None, AfterValidator(_normalize_phone)]


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
    phone: Phone = None


class UserUpdate(PartialUpdate):
    clearable = frozenset({"phone"})

    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    role: Role | None = None
    password: Password | None = None
    phone: Phone = None
    is_active: bool | None = None


class AccountUpdate(PartialUpdate):
    """What users change about themselves. `phone: null` (or empty) removes it."""

    clearable = frozenset({"phone"})

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(max_length=200)] = None
    phone: Annotated[str | None, Field(max_length=40), AfterValidator(_international_phone)] = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        return _clean_name(value) if value is not None else None


class PasswordChange(BaseModel):
    current_password: Annotated[SecretStr, Field(max_length=256)]
    new_password: Password
