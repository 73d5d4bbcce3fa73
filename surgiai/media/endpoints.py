from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, UploadFile, status
from fastapi.responses import FileResponse

from surgiai.auth.dependencies import require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.channels.validation import validate_upload, validate_upload_contents
from surgiai.dependencies import DbSession, SettingsDep
from surgiai.errors import PayloadTooLarge
from surgiai.kit.schemas import Id
from surgiai.media.schemas import MediaFileRead
from surgiai.media.service import download_name, media_service, safe_filename, shown_inline

router = APIRouter(prefix="/api/v1/media", tags=["media"])
Converser = Annotated[User, Depends(require(Permission.converse))]
Reader = Annotated[User, Depends(require(Permission.read))]
# The largest file WhatsApp accepts for sending (documents).
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


@router.post("", response_model=MediaFileRead, status_code=status.HTTP_201_CREATED)
def upload(
    file: UploadFile, _: Converser, session: DbSession, settings: SettingsDep
) -> MediaFileRead:
    """Keep a file to send: `{"image": {"media_file_id": <id>}}` in a message uses it."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("Files over 100 MB cannot be sent on WhatsApp.")
    mime_type = (file.content_type or "application/octet-stream").split(";")[0].strip()
    validate_upload(mime_type, len(data))
    validate_upload_contents(mime_type, data)
    media = media_service.store(
        session, settings.data_dir / "media", data, mime_type=mime_type, filename=file.filename
    )
    return MediaFileRead.model_validate(media)


@router.get(
    "/{media_file_id}",
    response_class=FileResponse,
    responses={200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}},
)
def download(
    media_file_id: Id,
    _: Reader,
    session: DbSession,
    settings: SettingsDep,
    name: Annotated[str | None, Query(max_length=255)] = None,
) -> FileResponse:
    """A kept file: images, audio and video inline (the inbox shows them), anything else as
    an attachment, named `name` when given (the name its message gave it)."""
    media = media_service.get(session, media_file_id)
    return FileResponse(
        media_service.existing_path(settings.data_dir / "media", media),
        media_type=media.mime_type,
        filename=safe_filename(name) or download_name(media),
        content_disposition_type="inline" if shown_inline(media) else "attachment",
        # A file's content never changes under its id.
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
