"""Reading an admin's product list: CSV (UTF-8 with or without BOM, UTF-16, Windows-1252; comma,
semicolon, tab or pipe separated) or XLSX, into rows of cells for the same header mapping as a
document's tables (`extraction.read_product_rows`)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from surgiai.catalogue.extraction import (
    HEADER_SEARCH_ROWS,
    clean_cell,
    read_product_rows,
)
from surgiai.errors import PayloadTooLarge, SurgiAIError, Unprocessable
from surgiai.kit.spreadsheets import decode_text, xlsx_cell

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
# A spreadsheet's columns past this are not read (a product list has a handful).
MAX_COLUMNS = 50


class UnsupportedFile(SurgiAIError):
    status_code = 415


@dataclass(frozen=True)
class SheetRows:
    # (row number as the file numbers it, cells).
    rows: list[tuple[int, list[str]]]
    # "CSV (UTF-8)", "XLSX sheet 'Price list'": what the report says was read.
    source: str


def check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(too_large(MAX_IMPORT_BYTES))


def too_large(limit_bytes: int) -> str:
    return (
        f"The file is over {limit_bytes // (1024 * 1024)} MB: split it into smaller "
        "files, or remove images and other sheets."
    )


def read_table_file(filename: str | None, data: bytes) -> SheetRows:
    """The file's rows, numbered as a spreadsheet numbers them. 415 for a file that is neither
    CSV nor XLSX; 422 for one that is but holds no product table."""
    check_size(len(data))
    name = (filename or "").casefold()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFile(
            "This is an old Excel (.xls) file: save it as .xlsx or .csv and import that."
        )
    if data.startswith(b"%PDF"):
        raise UnsupportedFile(
            "This is a PDF: upload it as a document to have its product tables read, or import "
            "a CSV or XLSX file here."
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise Unprocessable("The file is named .xlsx but is not an Excel workbook.")
    if not data.strip():
        raise Unprocessable("The file is empty.")
    text, encoding = decode_text(data)
    return _read_csv(text, encoding)


def _read_csv(text: str, encoding: str) -> SheetRows:
    sample = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 5])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_IMPORT_ROWS + HEADER_SEARCH_ROWS:
                raise Unprocessable(f"The file has over {MAX_IMPORT_ROWS} rows: split it.")
            rows.append((number, [clean_cell(cell) for cell in row[:MAX_COLUMNS]]))
    except csv.Error as error:
        raise Unprocessable(f"The CSV cannot be read: {error}.") from error
    return SheetRows(rows, f"CSV ({encoding})")


def _read_xlsx(data: bytes) -> SheetRows:
    # Imported here: only imports need it. No type stubs are installed for it.
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnsupportedFile(
            "This is not an Excel workbook that can be read (a ZIP file, or a damaged .xlsx)."
        ) from error
    try:
        first: SheetRows | None = None
        for sheet in workbook.worksheets:
            rows: list[tuple[int, list[str]]] = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [clean_cell(xlsx_cell(value)) for value in values[:MAX_COLUMNS]]
                if not any(cells):
                    continue  # formatted but empty rows, up to a million of them
                if len(rows) >= MAX_IMPORT_ROWS + HEADER_SEARCH_ROWS:
                    raise Unprocessable(f"The sheet has over {MAX_IMPORT_ROWS} rows: split it.")
                rows.append((number, cells))
            found = SheetRows(rows, f"XLSX sheet {sheet.title!r}")
            if first is None:
                first = found
            if _has_product_header(rows):
                return found
        return first or SheetRows([], "XLSX")
    finally:
        workbook.close()


def _has_product_header(rows: list[tuple[int, list[str]]]) -> bool:
    head = [cells for _, cells in rows[:HEADER_SEARCH_ROWS]]
    return read_product_rows([*head, []]).header_row is not None
