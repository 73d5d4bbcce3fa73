from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surgiai.db.upsert import insert_ignore_conflict
from surgiai.templates.models import DELETED_STATUS, MessageTemplate, TemplateSync


class TemplateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, waba_id: str, name: str, language: str) -> MessageTemplate | None:
        return self.session.scalar(
            select(MessageTemplate).where(
                MessageTemplate.waba_id == waba_id,
                MessageTemplate.name == name,
                MessageTemplate.language == language,
            )
        )

    def find_by_template_id(self, waba_id: str, template_id: str) -> MessageTemplate | None:
        return self.session.scalar(
            select(MessageTemplate).where(
                MessageTemplate.waba_id == waba_id, MessageTemplate.template_id == template_id
            )
        )

    def list(
        self, *, waba_id: str | None, status: str | None, name_contains: str | None
    ) -> Sequence[MessageTemplate]:
        """Without `status`, every template but the deleted ones."""
        statement = select(MessageTemplate).order_by(
            MessageTemplate.name, MessageTemplate.language, MessageTemplate.waba_id
        )
        if waba_id is not None:
            statement = statement.where(MessageTemplate.waba_id == waba_id)
        if status is not None:
            statement = statement.where(MessageTemplate.status == status)
        else:
            statement = statement.where(MessageTemplate.status != DELETED_STATUS)
        if name_contains:
            statement = statement.where(
                func.lower(MessageTemplate.name).contains(name_contains.lower(), autoescape=True)
            )
        return self.session.scalars(statement).all()

    def for_waba(self, waba_id: str) -> Sequence[MessageTemplate]:
        return self.session.scalars(
            select(MessageTemplate)
            .where(MessageTemplate.waba_id == waba_id)
            .order_by(MessageTemplate.name, MessageTemplate.language)
        ).all()

    def get_or_create(self, values: dict[str, Any]) -> tuple[MessageTemplate, bool]:
        """The template of `values`' (waba_id, name, language), inserted from `values` when
        missing. Safe under concurrency: two syncs of one WABA create one row."""
        created = insert_ignore_conflict(
            self.session, MessageTemplate, values, ["waba_id", "name", "language"]
        )
        template = self.find(values["waba_id"], values["name"], values["language"])
        assert template is not None
        return template, created

    def sync_state(self, waba_id: str) -> TemplateSync:
        """The WABA's sync record, created on first use (safe under concurrency)."""
        state = self.session.get(TemplateSync, waba_id)
        if state is not None:
            return state
        insert_ignore_conflict(self.session, TemplateSync, {"waba_id": waba_id}, ["waba_id"])
        state = self.session.get(TemplateSync, waba_id)
        assert state is not None
        return state

    def sync_states(self, waba_ids: Collection[str] | None) -> Sequence[TemplateSync]:
        """The sync records of these WABAs (of every WABA with None)."""
        statement = select(TemplateSync).order_by(TemplateSync.waba_id)
        if waba_ids is not None:
            statement = statement.where(TemplateSync.waba_id.in_(waba_ids))
        return self.session.scalars(statement).all()
