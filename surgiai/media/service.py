"""Files SurgiAI keeps: stored once per content hash under the data dir."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from surgiai.errors import NotFound, PayloadTooLarge
from surgiai.kit.time import utcnow
from surgiai.media.models import MediaFile, MediaUpload
from surgiai.media.repository import MediaRepository

# WhatsApp's own ceiling for any media (documents); inbound over it never reaches us anyway.
MAX_MEDIA_BYTES = 100 * 1024 * 1024
# WhatsApp keeps uploaded media 30 days; re-upload a day early rather than risk a dead id.
UPLOAD_REUSE = timedelta(days=29)
# The message types that carry a file.
MEDIA_MESSAGE_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
# Shown in the browser (an <img>, <audio>, <video>); anything else is only ever downloaded,
# so a file a doctor sent cannot run as a page of ours.
INLINE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "video/mp4", "video/3gpp"}
    | {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/opus"}
)
# Where Python's table has no answer or an odd one (".jpe").
_EXTENSIONS = {
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/mpeg": ".mp3",
    "image/jpeg": ".jpg",
}


def base_mime(mime_type: str) -> str:
    return mime_type.split(";", 1)[0].strip().lower()


def download_name(media: MediaFile) -> str:
    """The file's own name, or one made from its hash and type (WhatsApp names only
    documents)."""
    if media.filename:
        return media.filename
    mime = base_mime(media.mime_type)
    extension = _EXTENSIONS.get(mime) or mimetypes.guess_extension(mime) or ""
    return f"{media.sha256[:12]}{extension}"


def safe_filename(name: str | None) -> str | None:
    """A name given with a request, as a bare file name (no folders, no control characters)."""
    if not name:
        return None
    bare = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in bare if ch.isprintable()).strip()
    return cleaned or None


def shown_inline(media: MediaFile) -> bool:
    return base_mime(media.mime_type) in INLINE_TYPES


class MediaService:
    def store(
        self,
        session: Session,
        media_root: Path,
        data: bytes,
        *,
        mime_type: str,
        filename: str | None = None,
    ) -> MediaFile:
        if len(data) > MAX_MEDIA_BYTES:
            raise PayloadTooLarge("Files over 100 MB cannot be sent or kept.")
        digest = hashlib.sha256(data).hexdigest()
        relative = Path(digest[:2]) / digest
        path = media_root / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_bytes(data)
            partial.replace(path)
        files = MediaRepository(session)
        existing = files.by_content(digest, mime_type)
        if existing is not None:
            return existing
        return files.add(
            MediaFile(
                sha256=digest,
                mime_type=mime_type,
                size=len(data),
                filename=filename,
                storage_path=str(relative),
            )
        )

    def path(self, media_root: Path, media: MediaFile) -> Path:
        return media_root / media.storage_path

    def existing_path(self, media_root: Path, media: MediaFile) -> Path:
        """The stored file, or NotFound when it has gone from the disk (a restored database
        without its data dir)."""
        path = self.path(media_root, media)
        if not path.is_file():
            raise NotFound(f"The file {download_name(media)} is no longer kept on this server.")
        return path

    def get(self, session: Session, media_file_id: int) -> MediaFile:
        media = MediaRepository(session).get(media_file_id)
        if media is None:
            raise NotFound(f"No stored file with id {media_file_id}.")
        return media

    def fresh_upload(self, session: Session, media_file_id: int, number_id: int) -> str | None:
        """The WhatsApp media id of this file on this number, if still safely valid."""
        upload = MediaRepository(session).upload(media_file_id, number_id)
        if upload is None or utcnow() - upload.uploaded_at > UPLOAD_REUSE:
            return None
        return upload.wa_media_id

    def record_upload(
        self, session: Session, media_file_id: int, number_id: int, wa_media_id: str
    ) -> None:
        files = MediaRepository(session)
        upload = files.upload(media_file_id, number_id)
        if upload is None:
            files.add_upload(
                MediaUpload(
                    media_file_id=media_file_id, number_id=number_id, wa_media_id=wa_media_id
                )
            )
        else:
            upload.wa_media_id = wa_media_id
            upload.uploaded_at = utcnow()


media_service = MediaService()
