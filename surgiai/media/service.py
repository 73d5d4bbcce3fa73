"""Files SurgiAI keeps: stored once per content hash under the data dir."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.errors import PayloadTooLarge
from surgiai.media.models import MediaFile

# WhatsApp's own ceiling for any media (documents); inbound over it never reaches us anyway.
MAX_MEDIA_BYTES = 100 * 1024 * 1024


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
        existing = session.scalar(
            select(MediaFile).where(MediaFile.sha256 == digest, MediaFile.mime_type == mime_type)
        )
        if existing is not None:
            return existing
        media = MediaFile(
            sha256=digest,
            mime_type=mime_type,
            size=len(data),
            filename=filename,
            storage_path=str(relative),
        )
        session.add(media)
        session.flush()
        return media

    def path(self, media_root: Path, media: MediaFile) -> Path:
        return media_root / media.storage_path


media_service = MediaService()
