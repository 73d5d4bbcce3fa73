"""Operations on numbers that depend on their conversations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from surgiai.conversations.repository import ConversationRepository
from surgiai.errors import Conflict
from surgiai.numbers.service import number_service


def delete_number(session: Session, number_id: int) -> None:
    """Delete a number nobody has talked to yet; one with conversations is kept for their
    history (an admin disables it instead)."""
    number = number_service.get(session, number_id)
    if ConversationRepository(session).exists_for_number(number.id):
        raise Conflict(
            "This number has conversations; disable it instead so their history is kept."
        )
    number_service.delete(session, number.id)
