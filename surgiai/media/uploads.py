"""A stored file's media id on a WhatsApp number, for the tasks that send it."""

from __future__ import annotations

from typing import NamedTuple, Protocol

from surgiai.channels.base import ChannelAdapter
from surgiai.media.service import media_service
from surgiai.runtime import TaskContext


class Sender(Protocol):
    """The sending number, as far as an upload needs it (media sits below numbers)."""

    @property
    def id(self) -> int: ...

    @property
    def phone_number_id(self) -> str: ...


class Uploaded(NamedTuple):
    """A stored file as a number sends it: its media id there, and its name (a document is
    sent with it)."""

    media_id: str
    filename: str | None


def media_id_on(
    context: TaskContext, media_file_id: int, number: Sender, adapter: ChannelAdapter
) -> Uploaded:
    """The file's media id on this number: uploaded once, reused while fresh.

    Commits as a task does: the reads are committed before the upload and before the id is
    used, so no transaction is held across a call to WhatsApp, and the upload is recorded
    before any message carries its id."""
    session, runtime = context.session, context.runtime
    media = media_service.get(session, media_file_id)
    media_id = media_service.fresh_upload(session, media_file_id, number.id)
    if media_id is not None:
        session.commit()
        return Uploaded(media_id, media.filename)
    session.commit()
    data = media_service.path(runtime.settings.data_dir / "media", media).read_bytes()
    media_id = runtime.io.run(
        adapter.upload_media(
            number.phone_number_id, data, media.mime_type, media.filename or media.sha256[:12]
        )
    )
    media_service.record_upload(session, media.id, number.id, media_id)
    session.commit()
    return Uploaded(media_id, media.filename)
