"""How webhooks name a WhatsApp user (CLOUD_API.md §3.6): business-scoped user IDs (BSUIDs),
usernames and phone numbers, in today's shape (`bsuid`) or the early-2026 one (`legacy`).

Everything here is pure: the user directory (`users.py`) decides who a user is, these functions
decide which of their identifiers a given webhook or response shows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

IdentityShape = Literal["bsuid", "legacy"]

# Two-letter country code, a dot, up to 128 letters or digits; parent BSUIDs put `ENT.` between.
USER_ID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9]{1,128}$")
PARENT_USER_ID = re.compile(r"^[A-Z]{2}\.ENT\.[A-Za-z0-9]{1,128}$")

# Dialling prefix -> ISO country code, for the BSUID prefix (and a number's `country_code`).
DIALLING_PREFIXES = {
    "1": "US",
    "33": "FR",
    "34": "ES",
    "44": "GB",
    "49": "DE",
    "52": "MX",
    "55": "BR",
    "61": "AU",
    "65": "SG",
    "91": "IN",
    "92": "PK",
    "94": "LK",
    "880": "BD",
    "966": "SA",
    "971": "AE",
    "977": "NP",
}
# CLDR's "unknown region": a prefix the table does not know still makes a well-formed BSUID.
UNKNOWN_COUNTRY = "ZZ"


def is_bsuid(value: str) -> bool:
    return bool(USER_ID.match(value) or PARENT_USER_ID.match(value))


def dialling_prefix(phone_digits: str) -> str | None:
    for length in (3, 2, 1):
        if phone_digits[:length] in DIALLING_PREFIXES:
            return phone_digits[:length]
    return None


def country_of(phone_digits: str) -> str:
    prefix = dialling_prefix(phone_digits)
    return DIALLING_PREFIXES[prefix] if prefix is not None else UNKNOWN_COUNTRY


def _digits(*parts: str, length: int) -> str:
    """A `length`-digit number (no leading zero) derived from `parts`."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    span = 9 * 10 ** (length - 1)
    return str(10 ** (length - 1) + int.from_bytes(digest[:12], "big") % span)


def derive_user_id(salt: str, portfolio_id: str, wa_id: str, epoch: int) -> str:
    """The user's BSUID in one business portfolio: stable for a phone and its holder (`epoch`
    counts earlier holders, so a recycled number gets a new one)."""
    return f"{country_of(wa_id)}.{_digits(salt, portfolio_id, wa_id, str(epoch), length=16)}"


def derive_parent_user_id(salt: str, wa_id: str, epoch: int) -> str:
    """The parent BSUID: one for every portfolio of the simulator's (single) parent business."""
    digits = _digits(salt, "parent", wa_id, str(epoch), length=20)
    return f"{country_of(wa_id)}.ENT.{digits}"


@dataclass(frozen=True)
class Identity:
    """A user as one business portfolio sees them at one moment."""

    # None only for a well-formed BSUID that no simulated user has.
    wa_id: str | None
    user_id: str | None
    # Set only while parent BSUIDs are on.
    parent_user_id: str | None
    username: str | None = None
    phone_shared: bool = True


def unknown_identity(bsuid: str) -> Identity:
    """A well-formed BSUID that no simulated user has."""
    if PARENT_USER_ID.match(bsuid):
        return Identity(wa_id=None, user_id=None, parent_user_id=bsuid, phone_shared=False)
    return Identity(wa_id=None, user_id=bsuid, parent_user_id=None, phone_shared=False)


def _names(
    identity: Identity,
    *,
    phone: bool,
    keys: tuple[str, str, str] = ("wa_id", "user_id", "parent_user_id"),
) -> dict[str, Any]:
    """The user's phone (if `phone`), BSUID and parent BSUID (if on), under `keys`."""
    phone_key, user_key, parent_key = keys
    names: dict[str, Any] = {phone_key: identity.wa_id} if phone else {}
    names[user_key] = identity.user_id
    if identity.parent_user_id is not None:
        names[parent_key] = identity.parent_user_id
    return names


def inbound_contact(identity: Identity, name: str, shape: IdentityShape) -> dict[str, Any]:
    """One item of `value.contacts` on an inbound message."""
    profile: dict[str, Any] = {"name": name}
    if shape == "legacy":
        return {"profile": profile, "wa_id": identity.wa_id}
    if identity.username is not None:
        profile["username"] = identity.username
    return {"profile": profile, **_names(identity, phone=identity.phone_shared)}


def sender_fields(identity: Identity, shape: IdentityShape) -> dict[str, Any]:
    """`from`, `from_user_id` and `from_parent_user_id` of an inbound message."""
    if shape == "legacy":
        return {"from": identity.wa_id}
    keys = ("from", "from_user_id", "from_parent_user_id")
    return _names(identity, phone=identity.phone_shared, keys=keys)


def send_contact(
    identity: Identity, given: str, *, by_phone: bool, shape: IdentityShape
) -> dict[str, Any]:
    """`contacts[0]` of a send's response: what was given, and whom it reached."""
    if shape == "legacy":
        return {"input": given, "wa_id": identity.wa_id}
    contact: dict[str, Any] = {"input": given}
    if identity.wa_id is not None and (by_phone or identity.phone_shared):
        contact["wa_id"] = identity.wa_id
    if identity.user_id is not None:
        contact["user_id"] = identity.user_id
    return contact


def status_recipient(
    identity: Identity, status: str, *, sent_to_bsuid: str | None, shape: IdentityShape
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The recipient fields of a status object, and the status value's contact (None: no
    `contacts`). `sent_to_bsuid` is the BSUID the message was sent to (None: sent to the phone)."""
    if shape == "legacy":
        return {"recipient_id": identity.wa_id}, None
    by_phone = sent_to_bsuid is None
    phone_visible = identity.wa_id is not None and (by_phone or identity.phone_shared)
    fields: dict[str, Any] = {
        "recipient_id": identity.wa_id if phone_visible else sent_to_bsuid or identity.user_id
    }
    # A failed status names the user by BSUID only when the message was addressed that way.
    if status != "failed" or not by_phone:
        if identity.user_id is not None:
            fields["recipient_user_id"] = identity.user_id
        if identity.parent_user_id is not None:
            fields["recipient_parent_user_id"] = identity.parent_user_id
    if status == "failed":
        return fields, None
    contact = _names(identity, phone=phone_visible)
    if status in ("delivered", "read") and identity.username is not None:
        contact["profile"] = {"username": identity.username}
    return fields, contact


def preference_item(
    identity: Identity, item: dict[str, Any], shape: IdentityShape
) -> dict[str, Any]:
    """A `user_preferences[]` item naming the user the way the shape does."""
    rest = {
        key: value
        for key, value in item.items()
        if key not in ("wa_id", "user_id", "parent_user_id")
    }
    if shape == "legacy":
        return {"wa_id": identity.wa_id, **rest}
    return {**_names(identity, phone=identity.phone_shared), **rest}


def wire_address(identity: Identity, shape: IdentityShape) -> str:
    """What a message from the user is addressed by on the wire (and its wamid encodes)."""
    if identity.wa_id is not None and (shape == "legacy" or identity.phone_shared):
        return identity.wa_id
    return identity.user_id or identity.parent_user_id or ""


def number_change(old: Identity, new: Identity, name: str, shape: IdentityShape) -> dict[str, Any]:
    """The `system` object telling a business that a user changed number: `user_changed_number`
    when the phone may be shown, else `user_changed_user_id` (only the BSUID changed)."""
    phone_change = {
        "body": f"User {name} changed from {old.wa_id} to {new.wa_id}",
        "type": "user_changed_number",
        "wa_id": new.wa_id,
    }
    if shape == "legacy":
        return phone_change
    system: dict[str, Any] = (
        phone_change
        if new.phone_shared
        else {"body": f"User {name} changed their WhatsApp account", "type": "user_changed_user_id"}
    )
    system["user_id"] = new.user_id
    system["previous_user_id"] = old.user_id
    if new.parent_user_id is not None:
        system["parent_user_id"] = new.parent_user_id
        system["previous_parent_user_id"] = old.parent_user_id
    return system


def security_code_change(
    identity: Identity, name: str, key_hash: str, created: int, shape: IdentityShape
) -> dict[str, Any]:
    """The `identity` and `system` objects of a `customer_identity_changed` message."""
    system: dict[str, Any] = {"body": f"User {name}'s security code changed"}
    if shape == "legacy" or identity.phone_shared:
        system["customer"] = identity.wa_id
    system["type"] = "customer_identity_changed"
    return {
        "identity": {"acknowledged": True, "created_timestamp": created, "hash": key_hash},
        "system": system,
    }
