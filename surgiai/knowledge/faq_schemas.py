from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from surgiai.kit.schemas import Flag, PartialUpdate
from surgiai.knowledge.models import FaqStatus

Question = Annotated[str, Field(min_length=1, max_length=500)]
Answer = Annotated[str, Field(min_length=1, max_length=4000)]
Phrasing = Annotated[str, Field(max_length=500)]


class FaqRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    question: str
    phrasings: list[str]
    answer: str
    citation: str | None
    status: FaqStatus
    source_document_id: int | None
    source_page: int | None
    facts: list[str]
    needs_review: bool
    review_reason: str | None
    asked_conversation_id: int | None
    asked_count: int
    decided_by_user_id: int | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


class FaqPage(BaseModel):
    items: list[FaqRead]
    next_cursor: int | None
    # Entries per status, and approved ones a new document version flagged.
    counts: dict[str, int]


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("question", "answer", "citation", check_fields=False)
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None


class FaqCreate(_Text):
    question: Question
    answer: Answer
    phrasings: Annotated[list[Phrasing], Field(max_length=50)] = []
    citation: Annotated[str | None, Field(max_length=200)] = None


class FaqUpdate(_Text, PartialUpdate):
    """Only the fields sent change; null clears the citation."""

    clearable = frozenset({"citation"})

    question: Question | None = None
    answer: Answer | None = None
    phrasings: Annotated[list[Phrasing] | None, Field(max_length=50)] = None
    citation: Annotated[str | None, Field(max_length=200)] = None
    # false: checked after a new document version flagged the entry.
    needs_review: Flag | None = None


class FaqApprove(FaqUpdate):
    # Also send the answer to the doctor whose question made SurgiAI suggest the entry.
    reply_to_asker: Flag = False


class FaqApproved(BaseModel):
    entry: FaqRead
    reply_message_id: int | None
    reply_problem: str | None
