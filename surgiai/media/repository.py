from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.media.models import MediaFile, MediaUpload


class MediaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, media_file_id: int) -> MediaFile | None:
        return self.session.get(MediaFile, media_file_id)

    def by_content(self, sha256: str, mime_type: str) -> MediaFile | None:
        return self.session.scalar(
            select(MediaFile).where(MediaFile.sha256 == sha256, MediaFile.mime_type == mime_type)
        )

    def add(self, media: MediaFile) -> MediaFile:
        self.session.add(media)
        self.session.flush()
        return media

    def upload(self, media_file_id: int, number_id: int) -> MediaUpload | None:
        """The file's upload to this number's channel, if any."""
        return self.session.scalar(
            select(MediaUpload).where(
                MediaUpload.media_file_id == media_file_id, MediaUpload.number_id == number_id
            )
        )

    def add_upload(self, upload: MediaUpload) -> None:
        self.session.add(upload)
