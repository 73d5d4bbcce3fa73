"""The WhatsApp users the simulator knows: who they are to each business portfolio (BSUIDs),
their usernames, whether webhooks show their phone, and the identity changes Meta notifies
(a new phone number, a new security code).

A user is keyed by phone digits, like every per-user state (windows, pair rate, received log,
recipient scripts, faults, reach): a user addressed by phone or by BSUID is one user. Their
BSUIDs are derived, not stored: from a salt, the portfolio and the phone's current holder.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any, TypeVar

from surgiai.errors import Conflict, NotFound, Unprocessable
from surgiai.simulator.identity import (
    PARENT_USER_ID,
    Identity,
    derive_parent_user_id,
    derive_user_id,
    is_bsuid,
    number_change,
    security_code_change,
    sender_fields,
    wire_address,
)
from surgiai.simulator.ids import digits_only
from surgiai.simulator.schemas import IdentityChange, NumberChange, UserUpdate
from surgiai.simulator.state import PhoneNumber, SimulatedUser

if TYPE_CHECKING:
    from surgiai.simulator.core import Simulator

DEFAULT_NAME = "Doctor"
PHONE = re.compile(r"^\+?[0-9\-\s()]+$")
T = TypeVar("T")


def phone_digits(value: str, field: str = "wa_id") -> str:
    digits = digits_only(value)
    if not PHONE.match(value) or not 7 <= len(digits) <= 15:
        raise Unprocessable(f"{field} must be a phone number of 7 to 15 digits")
    return digits


class UserDirectory:
    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator
        # A user's BSUID is the same on every run, as Meta's is (the demo restarted must not
        # turn its doctors into strangers); each portfolio has its own, and a seed its own set.
        seed = simulator.config.seed
        self._salt = f"seed:{seed}" if seed is not None else "surgiai-simulator"

    # ---------------------------------------------------------------- lookups

    def ensure(self, wa_id: str) -> SimulatedUser:
        """The user holding phone `wa_id` (digits); every phone is a WhatsApp user here."""
        with self._sim.lock:
            state = self._sim.state
            user = state.users.get(wa_id)
            if user is None:
                user = SimulatedUser(wa_id, epoch=state.phone_epochs.get(wa_id, 0))
                state.users[wa_id] = user
            return user

    def user_id(self, user: SimulatedUser, portfolio_id: str) -> str:
        user_id = derive_user_id(self._salt, portfolio_id, user.wa_id, user.epoch)
        self._sim.state.bsuids[user_id] = (portfolio_id, user.wa_id)
        return user_id

    def parent_user_id(self, user: SimulatedUser) -> str | None:
        """None while parent BSUIDs are off."""
        if not self._sim.config.parent_bsuids:
            return None
        parent = derive_parent_user_id(self._salt, user.wa_id, user.epoch)
        self._sim.state.bsuids[parent] = (None, user.wa_id)
        return parent

    def identity(self, user: SimulatedUser, portfolio_id: str) -> Identity:
        with self._sim.lock:
            return Identity(
                wa_id=user.wa_id,
                user_id=self.user_id(user, portfolio_id),
                parent_user_id=self.parent_user_id(user),
                username=user.username,
                phone_shared=user.phone_shared,
            )

    def resolve(self, bsuid: str, portfolio_id: str | None) -> SimulatedUser | None:
        """The user a BSUID (of `portfolio_id`, or of any portfolio) or parent BSUID names now."""
        with self._sim.lock:
            state = self._sim.state
            if bsuid not in state.bsuids:
                # Not derived yet in this run (e.g. a BSUID kept from an earlier one).
                portfolios = [portfolio_id] if portfolio_id else list(state.portfolios)
                for user in list(state.users.values()):
                    self.parent_user_id(user)
                    for portfolio in portfolios:
                        self.user_id(user, portfolio)
            entry = state.bsuids.get(bsuid)
            if entry is None:
                return None
            owner_portfolio, wa_id = entry
            holder = state.users.get(wa_id)
            if holder is None:
                return None
            # The index keeps BSUIDs a user had before changing number: check it is still theirs.
            if PARENT_USER_ID.match(bsuid):
                current = self.parent_user_id(holder)
            elif owner_portfolio is not None and portfolio_id in (None, owner_portfolio):
                current = self.user_id(holder, owner_portfolio)
            else:
                current = None
            return holder if current == bsuid else None

    def key_for(self, value: str) -> str:
        """The internal key for a phone (any formatting) or a BSUID (its user's phone, or the
        BSUID itself when no user has it)."""
        if is_bsuid(value):
            user = self.resolve(value, None)
            return user.wa_id if user is not None else value
        return digits_only(value) or value

    # ---------------------------------------------------------------- control plane

    def record(self, user: SimulatedUser, portfolio_id: str) -> dict[str, Any]:
        identity = self.identity(user, portfolio_id)
        return {
            "wa_id": user.wa_id,
            "business_portfolio_id": portfolio_id,
            "user_id": identity.user_id,
            "parent_user_id": identity.parent_user_id,
            "username": user.username,
            "phone_shared": user.phone_shared,
            "name": user.name,
        }

    def read(self, wa_id: str, phone_number_id: str | None) -> dict[str, Any]:
        """A user's record, BSUIDs as `phone_number_id`'s portfolio (default: the first number's)
        sees them."""
        with self._sim.lock:
            user = self._user_for(wa_id)
            return self.record(user, self._portfolio_id(phone_number_id))

    def update(self, wa_id: str, update: UserUpdate, phone_number_id: str | None) -> dict[str, Any]:
        with self._sim.lock:
            user = self._user_for(wa_id)
            self.apply(user, update.model_dump(exclude_unset=True))
            return self.record(user, self._portfolio_id(phone_number_id))

    @staticmethod
    def apply(user: SimulatedUser, changes: dict[str, Any]) -> None:
        """Set `username` (None clears it), `phone_shared` and `name` where given."""
        if "username" in changes:
            user.username = changes["username"]
        if changes.get("phone_shared") is not None:
            user.phone_shared = changes["phone_shared"]
        if changes.get("name") is not None:
            user.name = changes["name"]

    def change_number(self, wa_id: str, change: NumberChange) -> dict[str, Any]:
        """Move the user and everything the simulator keeps about them to a new phone (new
        BSUIDs), and tell the numbers they talk with."""
        with self._sim.lock:
            user = self._user_for(wa_id)
            new_wa_id = phone_digits(change.new_wa_id, "new_wa_id")
            if new_wa_id == user.wa_id:
                raise Unprocessable("new_wa_id is already the user's number")
            if new_wa_id in self._sim.state.users:
                raise Conflict(f"another user has the number {new_wa_id}")
            numbers = self._numbers_to_notify(user.wa_id, change.phone_number_id)
            before = [self.identity(user, number.business_portfolio_id) for number in numbers]
            self._move(user, new_wa_id)
            shape = self._sim.config.identity_shape
            name = user.name or DEFAULT_NAME
            now = self._sim.clock.now()
            for number, old in zip(numbers, before, strict=True):
                new = self.identity(user, number.business_portfolio_id)
                message = {
                    **sender_fields(old, shape),
                    "id": self._sim.unique_wamid(wire_address(old, shape)),
                    "timestamp": str(int(now)),
                    "type": "system",
                    "system": number_change(old, new, name, shape),
                }
                self._sim.publish_inbound(number, user.wa_id, message, now)
            return self.record(user, self._portfolio_id(change.phone_number_id))

    def identity_changed(self, wa_id: str, change: IdentityChange) -> dict[str, Any]:
        """A `customer_identity_changed` system message (the user's security code changed)."""
        with self._sim.lock:
            user = self._user_for(wa_id)
            numbers = self._numbers_to_notify(user.wa_id, change.phone_number_id)
            if not numbers:
                raise Unprocessable("the user has no conversation yet: give phone_number_id")
            shape = self._sim.config.identity_shape
            now = self._sim.clock.now()
            key_hash = base64.b64encode(self._sim.rng.randbytes(8)).decode("ascii")
            messages: list[dict[str, Any]] = []
            for number in numbers:
                identity = self.identity(user, number.business_portfolio_id)
                message = {
                    **sender_fields(identity, shape),
                    "id": self._sim.unique_wamid(wire_address(identity, shape)),
                    "timestamp": str(int(now)),
                    "type": "system",
                    **security_code_change(
                        identity, user.name or DEFAULT_NAME, key_hash, int(now), shape
                    ),
                }
                self._sim.publish_inbound(number, user.wa_id, message, now)
                messages.append({"phone_number_id": number.phone_number_id, "message": message})
            return {"hash": key_hash, "messages": messages}

    # ---------------------------------------------------------------- helpers

    def _user_for(self, value: str) -> SimulatedUser:
        """The user a control path names: by a BSUID they have, or by phone (every phone is a
        WhatsApp user here, so a new one gets a record)."""
        if is_bsuid(value):
            user = self.resolve(value, None)
            if user is None:
                raise NotFound(f"no user has the BSUID {value}")
            return user
        return self.ensure(phone_digits(value))

    def _portfolio_id(self, phone_number_id: str | None) -> str:
        if phone_number_id is not None:
            number = self._sim.state.numbers.get(phone_number_id)
            if number is None:
                raise NotFound(f"unknown phone_number_id {phone_number_id}")
            return number.business_portfolio_id
        return self._sim.default_portfolio_id()

    def _numbers_to_notify(self, wa_id: str, phone_number_id: str | None) -> list[PhoneNumber]:
        state = self._sim.state
        if phone_number_id is not None:
            number = state.numbers.get(phone_number_id)
            if number is None:
                raise NotFound(f"unknown phone_number_id {phone_number_id}")
            return [number]
        talked = [m.phone_number_id for m in state.sent_by_user.get(wa_id, [])]
        talked += [m.phone_number_id for m in state.received.get(wa_id, [])]
        return [state.numbers[pnid] for pnid in dict.fromkeys(talked) if pnid in state.numbers]

    def _move(self, user: SimulatedUser, new_wa_id: str) -> None:
        state = self._sim.state
        old_wa_id = user.wa_id
        state.phone_epochs[old_wa_id] = user.epoch + 1
        del state.users[old_wa_id]
        user.wa_id = new_wa_id
        user.epoch = state.phone_epochs.get(new_wa_id, 0)
        state.users[new_wa_id] = user
        _rekey_pairs(state.windows, old_wa_id, new_wa_id)
        _rekey_pairs(state.pair_buckets, old_wa_id, new_wa_id)
        _rekey(state.recipients, old_wa_id, new_wa_id)
        _rekey(state.received, old_wa_id, new_wa_id)
        _rekey(state.sent_by_user, old_wa_id, new_wa_id)
        for outbound in state.received.get(new_wa_id, []):
            outbound.wa_id = new_wa_id
        for inbound in state.sent_by_user.get(new_wa_id, []):
            inbound.wa_id = new_wa_id
        for rule in state.faults:
            if rule.wa_id == old_wa_id:
                rule.wa_id = new_wa_id
        for portfolio in state.portfolios.values():
            portfolio.reach.rename(old_wa_id, new_wa_id)
        self._sim.personas.rename(old_wa_id, new_wa_id)


def _rekey(table: dict[str, T], old: str, new: str) -> None:
    if old in table:
        table[new] = table.pop(old)


def _rekey_pairs(table: dict[tuple[str, str], T], old: str, new: str) -> None:
    for key in [key for key in table if key[1] == old]:
        table[(key[0], new)] = table.pop(key)
