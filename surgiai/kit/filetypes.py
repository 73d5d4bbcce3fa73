"""What a file's bytes say it is (magic numbers), for the types WhatsApp accepts.

A declared `Content-Type` is only the uploader's word: HTML declared as `image/png` must not be
kept and served back as an image. `contradicts` says whether the bytes plainly are something
else than the declared type.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

# Microsoft's compound file (doc, xls, ppt before 2007).
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
# Office Open XML packages: the folder their main part lives in.
_OOXML_FOLDERS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "ppt/",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _is_jpeg(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8\xff")


def _is_png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _is_iso_media(data: bytes) -> bool:
    """MP4, M4A, 3GP: an ISO base media file opens with its `ftyp` box."""
    return data[4:8] == b"ftyp"


def _is_adts(data: bytes) -> bool:
    return len(data) > 1 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0


def _is_aac(data: bytes) -> bool:
    return _is_adts(data) or data.startswith(b"ADIF") or _is_iso_media(data)


def _is_amr(data: bytes) -> bool:
    return data.startswith((b"#!AMR\n", b"#!AMR-WB\n"))


def _is_mpeg_audio(data: bytes) -> bool:
    frame_sync = len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0
    return data.startswith(b"ID3") or frame_sync


def _is_ogg(data: bytes) -> bool:
    return data.startswith(b"OggS")


def _is_pdf(data: bytes) -> bool:
    # Readers accept the header anywhere in the first kilobyte.
    return b"%PDF-" in data[:1024]


def _is_ole2(data: bytes) -> bool:
    return data.startswith(_OLE2)


def _ooxml(folder: str) -> Callable[[bytes], bool]:
    def check(data: bytes) -> bool:
        if not data.startswith(_ZIP):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = package.namelist()
        except (zipfile.BadZipFile, ValueError):
            return False
        return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)

    return check


_BINARY_CHECKS: tuple[Callable[[bytes], bool], ...] = (
    _is_jpeg,
    _is_png,
    _is_webp,
    _is_iso_media,
    _is_amr,
    _is_ogg,
    _is_pdf,
    _is_ole2,
    lambda data: data.startswith(_ZIP),
)


def _is_plain_text(data: bytes) -> bool:
    """No magic number exists for text: it is text if it is no known binary format and has no
    NUL bytes (UTF-16, which has them, opens with its byte order mark)."""
    if data.startswith(_UTF16_BOMS):
        return True
    return b"\x00" not in data[:65536] and not any(check(data) for check in _BINARY_CHECKS)


_CHECKS: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": _is_jpeg,
    "image/png": _is_png,
    "image/webp": _is_webp,
    "audio/aac": _is_aac,
    "audio/amr": _is_amr,
    "audio/mpeg": _is_mpeg_audio,
    "audio/mp4": _is_iso_media,
    "audio/ogg": _is_ogg,
    "video/mp4": _is_iso_media,
    "video/3gpp": _is_iso_media,
    "application/pdf": _is_pdf,
    "application/msword": _is_ole2,
    "application/vnd.ms-excel": _is_ole2,
    "application/vnd.ms-powerpoint": _is_ole2,
    "text/plain": _is_plain_text,
    **{mime: _ooxml(folder) for mime, folder in _OOXML_FOLDERS.items()},
}

CHECKED_TYPES = frozenset(_CHECKS)


def contradicts(mime_type: str, data: bytes) -> bool:
    """Whether `data` is plainly not a `mime_type` file. Types without a check pass."""
    check = _CHECKS.get(mime_type.split(";", 1)[0].strip().lower())
    return check is not None and not check(data)
