from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, UploadFile, status

from surgiai.auth.dependencies import CurrentUser, KnowledgeManager
from surgiai.dependencies import DbSession, SettingsDep, upload_route
from surgiai.kit.schemas import Id
from surgiai.knowledge.documents import document_service, too_large
from surgiai.knowledge.schemas import (
    DocumentChunkRead,
    DocumentChunks,
    DocumentPage,
    DocumentRead,
)

router = APIRouter(
    prefix="/api/v1/documents",
    tags=["documents"],
    route_class=upload_route(lambda settings: settings.document_max_bytes, too_large),
)
# Documents decide what SurgiAI tells doctors: those who manage its settings manage them.


@router.post("", response_model=DocumentRead, status_code=status.HTTP_202_ACCEPTED)
def upload_document(
    file: UploadFile,
    user: KnowledgeManager,
    session: DbSession,
    settings: SettingsDep,
    title: Annotated[
        str | None,
        Form(max_length=200, description="Defaults to the file name without its extension"),
    ] = None,
    replaces_document_id: Annotated[
        Id | None,
        Form(
            description="The document this upload is the new version of. Without it, a ready "
            "document of the same title (any case) is replaced."
        ),
    ] = None,
) -> DocumentRead:
    """Upload a PDF (catalogue, brochure, policy). It is read in the background: poll the
    document (`state`, `pages_done` of `pages`) until it is `ready` or `failed` (with
    `failure_reason`). Refused at once: an empty file (400), a file over the size limit (413),
    a file that is not a PDF whatever its name (415), a replacement for a document that is
    not ready (409)."""
    data = file.file.read(settings.document_max_bytes + 1)
    document = document_service.upload(
        session,
        settings,
        data=data,
        filename=file.filename or "document.pdf",
        title=title,
        replaces_document_id=replaces_document_id,
        user=user,
    )
    return DocumentRead.model_validate(document)


@router.get("", response_model=DocumentPage)
def list_documents(
    _: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[
        Id | None, Query(description="Cursor: next_cursor of the last page")
    ] = None,
) -> DocumentPage:
    """Newest first, every state, with progress while processing."""
    documents = document_service.page(session, limit=limit, before_id=before_id)
    items = [DocumentRead.model_validate(document) for document in documents]
    next_cursor = items[-1].id if len(items) == limit else None
    return DocumentPage(items=items, next_cursor=next_cursor)


@router.get("/{document_id}", response_model=DocumentRead)
def get_document(document_id: Id, _: CurrentUser, session: DbSession) -> DocumentRead:
    return DocumentRead.model_validate(document_service.get(session, document_id))


@router.get("/{document_id}/chunks", response_model=DocumentChunks)
def get_document_chunks(
    document_id: Id,
    _: CurrentUser,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=100_000, description="The page, from 1")] = 1,
) -> DocumentChunks:
    """The passages and tables read from one page, as retrieval sees them."""
    chunks, pages = document_service.chunks(session, document_id, page)
    return DocumentChunks(
        page=page,
        pages_with_chunks=pages,
        items=[DocumentChunkRead.model_validate(chunk) for chunk in chunks],
    )


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: Id, user: KnowledgeManager, session: DbSession) -> None:
    """Remove the document and its passages (also while it is being read). Products and
    courses found in it stay in the catalogue, without their source."""
    document_service.delete(session, document_id, user)
