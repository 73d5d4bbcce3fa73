"""Reading a PDF: the text and the tables of each page, or a reason an admin can act on.

pdfplumber reads both. Its table finder has to lay out every character of a page anyway, and
its text extraction then reuses that layout: on a 20-page catalogue the text costs 0.03 s on
top of the tables' 0.25 s, where a second parser (pypdfium2, 0.01 s for the text alone) would
also have to open the file again and would bring its own ways of failing. Text inside a table
is left out of the page's text: the table carries it, so a passage never repeats a table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pdfplumber
import structlog
from pdfminer.pdfdocument import PDFEncryptionError
from pdfplumber.page import Page
from pdfplumber.utils.exceptions import PdfminerException

log = structlog.get_logger(__name__)

PDF_MAGIC = b"%PDF-"
# Where the header may sit: readers accept junk before it within the first kilobyte.
MAGIC_WINDOW = 1024
DEFAULT_MAX_PAGES = 500

Cell = str | None
TableRows = list[list[Cell]]

NOT_A_PDF = "This file is not a PDF. Upload the document as a PDF file."
DAMAGED = (
    "The PDF is damaged or incomplete and cannot be read. Download or export it again and "
    "upload the new file."
)
ENCRYPTED = "The PDF is protected by a password. Save a copy without the password and upload that."
NO_PAGES = "The PDF has no pages."
NO_TEXT = (
    "The PDF has no text to read: its pages are only images, as in a scan. Reading scanned "
    "pages (OCR) is not supported; upload the text version of the document, such as the file "
    "it was exported from."
)


class UnreadablePdf(Exception):
    """The file cannot be read; `reason` says why in words an admin can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PdfPage:
    number: int  # 1-based
    # The page's text outside its tables, lines kept.
    text: str
    # Each table row by row; a cell's whitespace collapsed, None where the cell is empty.
    tables: list[TableRows]


@dataclass(frozen=True)
class PdfContent:
    pages: list[PdfPage]

    @property
    def page_count(self) -> int:
        return len(self.pages)


def looks_like_pdf(data: bytes) -> bool:
    return PDF_MAGIC in data[:MAGIC_WINDOW]


def too_many_pages(pages: int, max_pages: int) -> str:
    return (
        f"The PDF has {pages} pages; documents of up to {max_pages} pages can be read. "
        "Split it into smaller files and upload them one by one."
    )


def read_pdf(
    data: bytes,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    on_page: Callable[[int, int], None] | None = None,
) -> PdfContent:
    """Every page's text and tables. `on_page(done, total)` is called after each page (the
    caller may stop the reading by raising). Raises `UnreadablePdf`."""
    if not looks_like_pdf(data):
        raise UnreadablePdf(NOT_A_PDF)
    pages: list[PdfPage] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            total = len(pdf.pages)
            if total == 0:
                raise UnreadablePdf(NO_PAGES)
            if total > max_pages:
                raise UnreadablePdf(too_many_pages(total, max_pages))
            for page in pdf.pages:
                pages.append(_read_page(page))
                # Frees the page's parsed objects: a long file is held one page at a time.
                page.close()
                if on_page is not None:
                    on_page(len(pages), total)
    except UnreadablePdf:
        raise
    except PdfminerException as error:
        cause = error.args[0] if error.args else None
        if isinstance(cause, PDFEncryptionError):
            raise UnreadablePdf(ENCRYPTED) from error
        log.info("knowledge.pdf.unreadable", error=str(error)[:200])
        raise UnreadablePdf(DAMAGED) from error
    except _PARSER_ERRORS as error:
        # pdfminer lets a damaged file's own errors through unwrapped (a bad number, a
        # missing key, a short stream): to the admin they all mean the same.
        log.info(
            "knowledge.pdf.unreadable", error_type=type(error).__name__, error=str(error)[:200]
        )
        raise UnreadablePdf(DAMAGED) from error
    if not any(page.text or page.tables for page in pages):
        raise UnreadablePdf(NO_TEXT)
    return PdfContent(pages)


_PARSER_ERRORS = (
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    AssertionError,
    EOFError,
    OSError,
    RecursionError,
)


def _read_page(page: Page) -> PdfPage:
    found = page.find_tables()
    tables = [_tidy_rows(table.extract()) for table in found]
    tables = [rows for rows in tables if any(any(cell for cell in row) for row in rows)]
    outside = page
    for table in found:
        outside = outside.outside_bbox(_clip(table.bbox, page.bbox))
    text = outside.extract_text() or ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return PdfPage(
        number=page.page_number,
        text="\n".join(line for line in lines if line),
        tables=tables,
    )


def _clip(
    box: tuple[float, float, float, float], page: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """A table's box inside its page's (pdfplumber refuses boxes that overhang)."""
    return (max(box[0], page[0]), max(box[1], page[1]), min(box[2], page[2]), min(box[3], page[3]))


_SPACES = re.compile(r"\s+")


def _tidy_rows(rows: list[list[str | None]]) -> TableRows:
    tidy: TableRows = []
    for row in rows:
        cells = [_SPACES.sub(" ", cell).strip() or None if cell else None for cell in row]
        if any(cells):
            tidy.append(cells)
    return tidy
