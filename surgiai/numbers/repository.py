from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from surgiai.numbers.models import WhatsAppNumber


class NumberRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, number_id: int) -> WhatsAppNumber | None:
        return self.session.get(WhatsAppNumber, number_id)

    def get_by_phone_number_id(self, phone_number_id: str) -> WhatsAppNumber | None:
        return self.session.scalar(_BY_PHONE_NUMBER_ID, {"phone_number_id": phone_number_id})

    def list(self) -> Sequence[WhatsAppNumber]:
        return self.session.scalars(select(WhatsAppNumber).order_by(WhatsAppNumber.id)).all()

    def list_for_waba(self, waba_id: str) -> Sequence[WhatsAppNumber]:
        return self.session.scalars(
            select(WhatsAppNumber).where(WhatsAppNumber.waba_id == waba_id)
        ).all()

    def enabled_with_app_secret(self) -> Sequence[WhatsAppNumber]:
        """Enabled numbers that carry an app secret of their own (for webhook signatures)."""
        return self.session.scalars(
            select(WhatsAppNumber).where(
                WhatsAppNumber.app_secret_encrypted.is_not(None),
                WhatsAppNumber.enabled.is_(True),
            )
        ).all()

    def add(self, number: WhatsAppNumber) -> WhatsAppNumber:
        self.session.add(number)
        self.session.flush()
        return number

    def delete(self, number: WhatsAppNumber) -> None:
        self.session.delete(number)
        self.session.flush()


# Built once: looked up for every webhook delivery.
_BY_PHONE_NUMBER_ID = select(WhatsAppNumber).where(
    WhatsAppNumber.phone_number_id == bindparam("phone_number_id")
)
