"""One doctor per WhatsApp user, whichever identifiers a webhook carries.

WhatsApp names a user by phone (`wa_id`), by business-scoped user id (`user_id`, the BSUID) and,
where enabled, by parent BSUID; since 2026 a user with a username may write with no phone at all,
and a later webhook (a status, a message after the phone is shared) may carry it. So a doctor is
found by any of the three, and what a webhook adds is linked to them:

- The BSUID is the strongest: a doctor found by it is the sender whatever else differs (a phone
  WhatsApp now reports for them replaces the old one). Then the parent BSUID, then the phone.
- Two doctors turn out to be one person when one was known by phone and the other by BSUID (an
  imported number, then a username-only message, then the phone revealed): they are merged, with
  their conversations, tags, consent and history. Two doctors are never merged when they hold
  different values of one identifier (two BSUIDs, two phones): that is two people, and the
  identifier the webhook gives moves to the one it names now (a recycled phone number).
- A number change (`user_changed_number`, `user_changed_user_id`, `user_id_update`) moves the
  identity: the same doctor, their history kept, reached at the new phone or BSUID from then on.

It lives in conversations because merging two doctors merges their conversations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import structlog
from sqlalchemy import Table, delete, update
from sqlalchemy.orm import Session

from surgiai.channels.base import UserIdentity
from surgiai.conversations import events
from surgiai.conversations.models import Conversation, ConversationMode, ConversationStatus
from surgiai.conversations.repository import ConversationRepository
from surgiai.conversations.schemas import ConversationRemoved
from surgiai.db.base import Base
from surgiai.doctors.consent import consent_service
from surgiai.doctors.leads import lead_service
from surgiai.doctors.models import Doctor
from surgiai.doctors.repository import DoctorRepository

log = structlog.get_logger(__name__)

# Strongest first: the order a doctor is looked up in, and the order of authority.
IDENTIFIERS = ("user_id", "parent_user_id", "wa_id")
Identifiers = dict[str, str]


def identifiers_of(who: UserIdentity | Doctor) -> Identifiers:
    return {name: value for name in IDENTIFIERS if (value := getattr(who, name))}


def compatible(doctor: Doctor, wanted: Identifiers) -> bool:
    """Whether `doctor` may be the user `wanted` names: no identifier holds another value."""
    return all(getattr(doctor, name) in (None, value) for name, value in wanted.items())


class IdentityService:
    def resolve(self, session: Session, who: UserIdentity) -> Doctor | None:
        """The doctor `who` names, created when new, with what the webhook tells linked to
        them (the phone, a BSUID, the username and profile name). None when `who` names no one.

        Safe under concurrency: two workers meeting a new user create one doctor."""
        wanted = identifiers_of(who)
        if not wanted:
            return None
        repository = DoctorRepository(session)
        doctor = self._link(session, repository, wanted)
        if doctor is None:
            doctor = repository.create(
                {
                    **wanted,
                    "profile_name": _clip(who.profile_name, 200),
                    "username": _username(who),
                }
            )
            if doctor is None:  # another worker created them in between: link to theirs
                doctor = self._link(session, repository, wanted)
        assert doctor is not None
        self._profile(doctor, who)
        return doctor

    def find(self, session: Session, who: UserIdentity) -> Doctor | None:
        """The doctor `who` names, if known; nothing is created or linked."""
        wanted = identifiers_of(who)
        if not wanted:
            return None
        found = _by_identifier(DoctorRepository(session).matching(wanted), wanted)
        return next(iter(found.values()), None)

    def link(self, session: Session, doctor: Doctor, who: UserIdentity) -> None:
        """What a status webhook tells about the recipient of a message we sent `doctor`: the
        BSUID of a doctor we know by phone, the username. Ignored when it names someone else."""
        wanted = identifiers_of(who)
        if not compatible(doctor, wanted):
            return
        missing = {name: value for name, value in wanted.items() if getattr(doctor, name) is None}
        if missing:
            doctor = self._link_to(session, DoctorRepository(session), doctor, missing)
        self._profile(doctor, who)

    def move(
        self, session: Session, previous: UserIdentity, current: UserIdentity
    ) -> Doctor | None:
        """A user's phone or BSUID changed: the doctor known by `previous` is known by `current`
        from now on, with their history. None when we never knew them (nothing to move)."""
        doctor = self.find(session, previous)
        if doctor is None:
            return None
        wanted = identifiers_of(current)
        if current.wa_id is None and current.user_id is not None:
            # A new BSUID comes with a new phone number: the old one is someone else's now.
            wanted["wa_id"] = ""
        doctor = self._link_to(session, DoctorRepository(session), doctor, wanted, overwrite=True)
        log.info("conversations.identity.moved", doctor_id=doctor.id)
        return doctor

    # --- Linking ------------------------------------------------------------------------------

    def _link(
        self, session: Session, repository: DoctorRepository, wanted: Identifiers
    ) -> Doctor | None:
        """The existing doctor `wanted` names, with the webhook's identifiers given to them."""
        by_identifier = _by_identifier(repository.matching(wanted), wanted)
        by_bsuid = by_identifier.get("user_id")
        found = _distinct(by_identifier.values())
        if len(found) == 1 and identifiers_of(found[0]).items() >= wanted.items():
            return found[0]  # the common case: a doctor we know, nothing new
        doctor = next((d for d in found if d is by_bsuid or compatible(d, wanted)), None)
        if doctor is None:
            # No one may be them: those holding one of their identifiers give it up.
            for other in found:
                _give_up(other, wanted)
            session.flush()
            return None
        return self._link_to(session, repository, doctor, wanted, overwrite=True, found=found)

    def _link_to(
        self,
        session: Session,
        repository: DoctorRepository,
        doctor: Doctor,
        wanted: Identifiers,
        *,
        overwrite: bool = False,
        found: list[Doctor] | None = None,
    ) -> Doctor:
        """Give `doctor` the identifiers `wanted` (an empty value clears one). A doctor holding
        one of them is the same person when nothing contradicts it, and the two are merged;
        else they give it up. Returns the doctor who remains."""
        if found is None:
            present = {name: value for name, value in wanted.items() if value}
            found = _distinct(repository.matching(present)) if present else []
        target = (
            {**identifiers_of(doctor), **wanted}
            if overwrite
            else {**wanted, **identifiers_of(doctor)}
        )
        target = {name: value for name, value in target.items() if value}
        same = [other for other in found if other is not doctor and compatible(other, target)]
        for other in found:
            if other is not doctor and other not in same:
                _give_up(other, wanted)
        # The doctor on record longest stays (their id is what the team and links know).
        survivor = min([doctor, *same], key=lambda d: (d.created_at, d.id))
        for other in [doctor, *same]:
            if other is not survivor:
                self._merge(session, repository, keep=survivor, drop=other)
        # The doctors giving identifiers up (or merged away) first: each is unique.
        session.flush()
        for name in IDENTIFIERS:
            if name in wanted and (overwrite or getattr(survivor, name) is None):
                setattr(survivor, name, wanted[name] or None)
        return survivor

    @staticmethod
    def _profile(doctor: Doctor, who: UserIdentity) -> None:
        profile_name = _clip(who.profile_name, 200)
        if profile_name and doctor.profile_name != profile_name:
            doctor.profile_name = profile_name
        username = _username(who)
        if username and doctor.username != username:
            doctor.username = username

    # --- Merging ------------------------------------------------------------------------------

    def _merge(
        self, session: Session, repository: DoctorRepository, *, keep: Doctor, drop: Doctor
    ) -> None:
        """`drop` is `keep` under other identifiers: one doctor remains, with both histories.
        An opt-out or an unreachable mark of either holds for the one who remains."""
        log.info("conversations.identity.merged", doctor_id=keep.id, merged_doctor_id=drop.id)
        for name in IDENTIFIERS:
            if getattr(keep, name) is None and getattr(drop, name) is not None:
                value = getattr(drop, name)
                setattr(drop, name, None)
                session.flush()
                setattr(keep, name, value)
        keep.name = keep.name or drop.name
        keep.profile_name = keep.profile_name or drop.profile_name
        keep.username = keep.username or drop.username
        if drop.marketing_opted_out and not keep.marketing_opted_out:
            keep.marketing_opted_out = True
            keep.marketing_opted_out_at = drop.marketing_opted_out_at
        consent_service.move(session, from_doctor_id=drop.id, to_doctor_id=keep.id)
        if keep.unreachable_reason is None and drop.unreachable_reason is not None:
            keep.unreachable_reason = drop.unreachable_reason
            keep.unreachable_at = drop.unreachable_at
        keep.created_at = min(keep.created_at, drop.created_at)
        repository.add_tags(keep.id, repository.tags_of({drop.id})[drop.id])
        repository.move_events(from_doctor_id=drop.id, to_doctor_id=keep.id)
        # One person's activity, seen as two: each factor at the stronger of the two (which
        # also leaves one hot/warm/cold tag of the two records' tags).
        merged = {
            factor: max(keep.score_reasons.get(factor, 0), drop.score_reasons.get(factor, 0))
            for factor in {*keep.score_reasons, *drop.score_reasons}
        }
        lead_service.rescore_to(session, keep, merged, cause="merge")
        conversations = ConversationRepository(session)
        for conversation in conversations.for_doctor_recent_first(drop.id):
            kept = conversations.find(keep.id, conversation.number_id)
            if kept is None:
                conversation.doctor_id = keep.id
                session.flush()
                session.expire(conversation, ["doctor"])
                events.conversation_changed(conversation)
            else:
                _absorb(session, kept, conversation)
                events.conversation_changed(kept)
                removed = ConversationRemoved(id=conversation.id, merged_into=kept.id)
                events.publish_event(
                    session, ("conversation.removed", removed.id), "conversation.removed", removed
                )
        session.flush()
        repository.delete(drop)
        session.flush()


def _absorb(session: Session, kept: Conversation, merged: Conversation) -> None:
    """Everything of `merged` (messages, notes, drafts, agents' work) becomes `kept`'s."""
    for table, column in _references_to(Conversation):
        session.execute(update(table).where(column == merged.id).values({column.name: kept.id}))
    kept.last_inbound_at = _latest(kept.last_inbound_at, merged.last_inbound_at)
    kept.last_message_at = _latest(kept.last_message_at, merged.last_message_at)
    kept.last_message_id = max(kept.last_message_id or 0, merged.last_message_id or 0) or None
    kept.unread_count = kept.unread_count + merged.unread_count
    waits = [at for at in (kept.awaiting_since, merged.awaiting_since) if at is not None]
    kept.awaiting_since = min(waits) if waits else None
    if merged.status is ConversationStatus.open:
        kept.status = ConversationStatus.open
    if merged.mode is ConversationMode.human and kept.mode is not ConversationMode.human:
        # A person had taken the doctor over: they keep them.
        kept.mode, kept.assigned_user_id = merged.mode, merged.assigned_user_id
        kept.mode_changed_at = merged.mode_changed_at
    session.expunge(merged)
    session.execute(delete(Conversation).where(Conversation.id == merged.id))


def _references_to(model: type[Base]) -> Iterable[tuple[Table, Any]]:
    """Every column of any table that points at `model`'s rows (domains added later included)."""
    target = cast(Table, model.__table__)
    for table in Base.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table is target:
                yield table, foreign_key.parent


def _give_up(doctor: Doctor, wanted: Identifiers) -> None:
    for name, value in wanted.items():
        if value and getattr(doctor, name) == value:
            log.info("conversations.identity.released", doctor_id=doctor.id, identifier=name)
            setattr(doctor, name, None)


def _by_identifier(doctors: Iterable[Doctor], wanted: Identifiers) -> dict[str, Doctor]:
    """Which doctor holds each identifier, strongest identifier first."""
    return {
        name: doctor
        for name, value in wanted.items()
        for doctor in doctors
        if getattr(doctor, name) == value
    }


def _username(who: UserIdentity) -> str | None:
    return _clip(who.username.lstrip("@") if who.username else None, 64)


def _distinct(doctors: Iterable[Doctor | None]) -> list[Doctor]:
    found: list[Doctor] = []
    for doctor in doctors:
        if doctor is not None and doctor not in found:
            found.append(doctor)
    return found


def _latest(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def _clip(text: str | None, length: int) -> str | None:
    return text[:length] if text else None


identity_service = IdentityService()
