"""A read PDF as the passages retrieval searches: a page's text in runs of a few sentences
(never across pages, so every passage cites one page, nor across a heading, so every passage
holds one section and starts with its heading line), and each table as text, a few rows per
passage, each row "Header: value; Header: value" so that "5 mm trocar price" finds its row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from surgiai.knowledge.pdf import PdfContent, TableRows

# Long enough to hold an answer with its context, short enough that a question's words
# weigh in it (BM25 favours short passages that match).
MIN_CHARS = 500
MAX_CHARS = 900

TEXT = "text"
TABLE = "table"

# A full stop after these is not the end of a sentence ("Rs. 250", "Cat. No. 12").
_ABBREVIATIONS = frozenset(
    {
        "rs",
        "no",
        "nos",
        "cat",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "ltd",
        "pvt",
        "approx",
        "e.g",
        "i.e",
        "etc",
        "fig",
        "vs",
        "incl",
        "excl",
        "qty",
        "ref",
        "sr",
    }
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(₹A-Z0-9])")
_DIGIT = re.compile(r"\d")
# A heading is a short line of its own ("Delivery", "Hernia Repair Masterclass"); a line of a
# paragraph wrapped by the layout is longer than this unless it ends the paragraph.
HEADING_MAX_WORDS = 8
HEADING_MAX_CHARS = 60


@dataclass(frozen=True)
class PageTable:
    page: int
    rows: TableRows


@dataclass(frozen=True)
class ChunkDraft:
    page: int
    kind: str
    text: str
    # A table passage's rows (its header first, when the table has one); cells never None.
    rows: list[list[str]] | None = None


def page_tables(content: PdfContent) -> list[PageTable]:
    """Every table, with the header of the table it continues when it starts at the top of a
    page without one (a price list running over several pages prints its header once)."""
    tables: list[PageTable] = []
    previous: PageTable | None = None
    for page in content.pages:
        for index, rows in enumerate(page.tables):
            width = len(rows[0])
            if (
                index == 0
                and previous is not None
                and previous.page == page.number - 1
                and has_header(previous.rows)
                and not has_header(rows)
                and len(previous.rows[0]) == width
            ):
                rows = [previous.rows[0], *rows]
            tables.append(PageTable(page.number, rows))
        if page.tables:
            previous = tables[-1]
    return tables


def has_header(rows: TableRows) -> bool:
    """A first row of labels: words without figures, above at least one row."""
    if len(rows) < 2:
        return False
    labels = [cell for cell in rows[0] if cell]
    return bool(labels) and not any(_DIGIT.search(cell) for cell in labels)


def chunk_document(content: PdfContent) -> list[ChunkDraft]:
    """Passages page by page: the page's text, then its tables."""
    tables_by_page: dict[int, list[TableRows]] = {}
    for table in page_tables(content):
        tables_by_page.setdefault(table.page, []).append(table.rows)
    chunks: list[ChunkDraft] = []
    for page in content.pages:
        for heading, body in sections(page.text):
            texts = passages(body) or [""]
            chunks.extend(
                ChunkDraft(page.number, TEXT, f"{heading}\n{text}".strip() if heading else text)
                for text in texts
            )
        for rows in tables_by_page.get(page.number, []):
            chunks.extend(
                ChunkDraft(page.number, TABLE, text, piece) for text, piece in table_pieces(rows)
            )
    return chunks


def sections(text: str) -> list[tuple[str, str]]:
    """A page's text cut before each heading: (its heading lines, the text under them). A
    page's policies ("Delivery", "Payment", ...) or courses become one section each, so a
    passage never mixes the end of one with the start of the next. Text before the first
    heading has the heading ""."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found: list[tuple[list[str], list[str]]] = []
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else None
        following = lines[index + 1] if index + 1 < len(lines) else None
        if _is_heading(line, previous, following):
            if found and not found[-1][1]:
                found[-1][0].append(line)  # a heading over a heading: both head the text
            else:
                found.append(([line], []))
        elif found:
            found[-1][1].append(line)
        else:
            found.append(([], [line]))
    return [("\n".join(heading), " ".join(body)) for heading, body in found]


def _is_heading(line: str, previous: str | None, following: str | None) -> bool:
    words = line.split()
    if len(words) > HEADING_MAX_WORDS or len(line) > HEADING_MAX_CHARS:
        return False
    # A sentence's end, a label ("Venue: ...") or a clause continued on the next line.
    if line.endswith((".", ",", ";", ":", "!", "?", "-")) or ":" in line:
        return False
    if not (line[0].isupper() or line[0].isdigit()) or not re.search(r"[A-Za-z]", line):
        return False
    if following is not None and not (following[0].isupper() or following[0].isdigit()):
        return False
    # The last line of a wrapped paragraph: the line above runs on into it.
    wrapped = (
        previous is not None
        and len(previous) > HEADING_MAX_CHARS
        and not previous.endswith((".", "!", "?", ":"))
    )
    return not wrapped


def sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    if not flat:
        return []
    found: list[str] = []
    for piece in _SENTENCE_END.split(flat):
        if found and _ends_with_abbreviation(found[-1]):
            found[-1] = f"{found[-1]} {piece}"
        else:
            found.append(piece)
    return found


def _ends_with_abbreviation(sentence: str) -> bool:
    last_word = sentence.rsplit(" ", 1)[-1].rstrip(".").lower()
    return last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())


def passages(text: str) -> list[str]:
    """Sentences packed into passages of MIN_CHARS to MAX_CHARS characters (a shorter last
    one), a sentence longer than MAX_CHARS cut between words."""
    packed: list[str] = []
    current = ""
    for sentence in sentences(text):
        for part in _fit(sentence):
            full = len(current) >= MIN_CHARS or len(current) + 1 + len(part) > MAX_CHARS
            if current and full:
                packed.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        packed.append(current)
    return packed


def _fit(sentence: str) -> list[str]:
    if len(sentence) <= MAX_CHARS:
        return [sentence]
    parts: list[str] = []
    current = ""
    for word in sentence.split(" "):
        if current and len(current) + 1 + len(word) > MAX_CHARS:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return [part[:MAX_CHARS] for part in parts]


def render_row(row: Sequence[str | None], header: Sequence[str | None] | None) -> str:
    if header is None:
        return " | ".join(cell for cell in row if cell)
    fields = []
    for index, cell in enumerate(row):
        if not cell:
            continue
        label = header[index] if index < len(header) else None
        fields.append(f"{label}: {cell}" if label else cell)
    return "; ".join(fields)


def table_pieces(rows: TableRows) -> list[tuple[str, list[list[str]]]]:
    """The table as passages of whole rows up to MAX_CHARS each, every one with the header."""
    header = rows[0] if has_header(rows) else None
    body = rows[1:] if header is not None else rows
    if not body:
        body = rows
        header = None
    pieces: list[tuple[str, list[list[str]]]] = []
    lines: list[str] = []
    piece_rows: list[list[str | None]] = []

    def flush() -> None:
        kept = [header, *piece_rows] if header is not None else piece_rows
        pieces.append(("\n".join(lines), [[cell or "" for cell in row] for row in kept]))

    for row in body:
        line = render_row(row, header)
        if not line:
            continue
        if lines and sum(len(text) + 1 for text in lines) + len(line) > MAX_CHARS:
            flush()
            lines, piece_rows = [], []
        lines.append(line)
        piece_rows.append(row)
    if lines:
        flush()
    return pieces
