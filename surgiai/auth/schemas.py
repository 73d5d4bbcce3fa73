from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

from surgiai.auth.roles import Role
from surgiai.auth.security import MIN_PASSWORD_LENGTH


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


Email = Annotated[str, Field(max_length=320), AfterValidator(_normalize_email)]
Phone = Annotated[str | None, AfterValidator(_normalize_phone)]
Password = Annotated[SecretStr, Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)]


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


class UserUpdate(BaseModel):
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    role: Role | None = None
    password: Password | None = None
    phone: Phone = None
    is_active: bool | None = None
