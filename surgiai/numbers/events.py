"""`number.updated` for every committed change to a number (health, pause, quality, edits),
whichever code path made it: the dashboard's number cards stay live."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from surgiai.numbers.models import WhatsAppNumber
from surgiai.realtime.events import Event, publish_after_commit


@event.listens_for(Session, "after_flush")
def _numbers_changed(session: Session, flush_context: Any) -> None:
    # After the flush the rows have their ids; `new` and `dirty` still list what it wrote.
    for row in (*session.new, *session.dirty):
        if isinstance(row, WhatsAppNumber) and (row in session.new or session.is_modified(row)):
            _publish(session, row)


def _publish(session: Session, number: WhatsAppNumber) -> None:
    from surgiai.numbers.service import number_service

    def build() -> Event:
        view = number_service.read(session, [number])[0]
        return Event("number.updated", view.model_dump(mode="json"))

    publish_after_commit(session, ("number.updated", number.id), build)
