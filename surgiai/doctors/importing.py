"""Reading a list of doctors typed by hand: CSV (UTF-8 with or without BOM, UTF-16, Windows-1252;
comma, semicolon, tab or pipe separated) or XLSX, its columns mapped to profile fields by their
header, its rows read into one record per mobile number. Pure: no database here; applying the
records to doctors is `import_service`."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from surgiai.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from surgiai.kit.phone import NotAMobileNumber, parse_mobile
from surgiai.kit.spreadsheets import decode_text, xlsx_cell

MAX_IMPORT_BYTES = 20 * 1024 * 1024
# Past this, a sheet is certainly not a list of doctors typed by hand (columns or rows).
MAX_COLUMNS = 100
MAX_ROWS = 500_000
PREVIEW_ROWS = 20
# The report keeps this many rejected rows; a file with more is mostly not a list of doctors.
MAX_REJECTED = 5_000

# Profile fields a column can fill, in the order the dashboard shows them.
FIELDS: tuple[str, ...] = (
    "name",
    "mobile",
    "specialty",
    "city",
    "state",
    "hospital",
    "registration_number",
    "email",
    "preferred_language",
    "tags",
    "consent",
)
PROFILE_FIELDS: tuple[str, ...] = (
    "name",
    "specialty",
    "city",
    "state",
    "hospital",
    "registration_number",
    "email",
    "preferred_language",
)
MAX_LENGTH: dict[str, int] = {
    "name": 200,
    "specialty": 100,
    "city": 100,
    "state": 100,
    "hospital": 200,
    "registration_number": 64,
    "email": 254,
    "preferred_language": 16,
}
MAX_TAG_LENGTH = 64
MAX_CUSTOM_VALUE_LENGTH = 500

# Header wordings, compared lower-cased with punctuation and spaces dropped.
_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "doctorname", "drname", "doctor", "fullname", "doctorsname"),
    "mobile": (
        "mobile",
        "mobileno",
        "mobilenumber",
        "phone",
        "phoneno",
        "phonenumber",
        "whatsapp",
        "whatsappno",
        "whatsappnumber",
        "contact",
        "contactno",
        "contactnumber",
        "cell",
        "number",
    ),
    "specialty": ("specialty", "speciality", "specialization", "specialisation", "department"),
    "city": ("city", "town", "district"),
    "state": ("state", "province"),
    "hospital": ("hospital", "clinic", "hospitalclinic", "hospitalname", "clinicname"),
    "registration_number": (
        "registration",
        "registrationno",
        "registrationnumber",
        "regno",
        "regnumber",
        "mci",
        "mcino",
        "mcinumber",
        "mciregno",
        "nmc",
        "nmcno",
        "nmcnumber",
        "nmcregno",
    ),
    "email": ("email", "emailid", "emailaddress", "mail"),
    "language": ("language", "preferredlanguage", "lang"),
    "tags": ("tags", "tag", "labels", "label"),
    "consent": (
        "consent",
        "optout",
        "optedout",
        "dnd",
        "unsubscribed",
        "marketing",
        "marketingconsent",
    ),
}
_HEADER_FIELD = {
    wording: ("preferred_language" if name == "language" else name)
    for name, wordings in _HEADERS.items()
    for wording in wordings
}
# A consent cell that says the doctor does not want marketing, whatever the column's name.
_OPTED_OUT_WORDS = frozenset({"optedout", "optout", "dnd", "unsubscribed", "unsubscribe", "stop"})
# In a column named for the opt-out itself ("DND", "Opted out"), a yes means opted out; in a
# "Consent" or "Marketing" column, a no does.
_YES_WORDS = frozenset({"yes", "y", "true", "1", "x"})
_NO_WORDS = frozenset({"no", "n", "false", "0"})
_OPT_OUT_HEADERS = frozenset({"optout", "optedout", "dnd", "unsubscribed"})
# Columns of our own export that SurgiAI computes: importing an export does not copy them into
# custom fields (scores and stages are set by lead scoring and admins, not by files).
_COMPUTED_HEADERS = frozenset({"score", "stage", "lastinbound", "lastoutbound"})
# Our own export's guard against formula injection, taken off again on the way in.
_ESCAPED_FORMULA = re.compile(r"^'[=+\-@\t\r]")
_TAG_SEPARATORS = re.compile(r"[,;|]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


NO_MOBILE_COLUMN = (
    "No column holds the mobile number: name it Mobile, Phone or WhatsApp, or map it."
)


class UnsupportedFile(UnsupportedMediaType):
    @property
    def public_name(self) -> str:
        return "UnsupportedMediaType"


@dataclass(frozen=True)
class Table:
    # "CSV (UTF-8)", "XLSX sheet 'Doctors'": what was read.
    source: str
    headers: list[str]
    # Data rows with their number as a spreadsheet numbers them; blank rows are left out.
    rows: list[tuple[int, list[str]]]


@dataclass
class DoctorRecord:
    """What a file says about one doctor (one mobile number), its rows merged."""

    wa_id: str
    first_row: int
    profile: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, str] = field(default_factory=dict)
    # The consent cell as written, when it says the doctor opted out.
    opted_out: str | None = None
    # How many of the file's rows were merged into this record.
    rows: int = 1


@dataclass(frozen=True)
class Rejection:
    row: int
    reason: str


@dataclass(frozen=True)
class PreviewRow:
    row: int
    values: dict[str, str]
    problem: str | None


def file_mime_type(data: bytes) -> str:
    """How an import's file is stored: an XLSX workbook or CSV text."""
    if data.startswith(b"PK\x03\x04"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "text/csv"


def check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(too_large(MAX_IMPORT_BYTES))


def too_large(limit_bytes: int) -> str:
    return f"The file is over {limit_bytes // (1024 * 1024)} MB: split it into smaller files."


# --- Reading the file --------------------------------------------------------------------------


def read_table(filename: str | None, data: bytes, *, max_rows: int | None = None) -> Table:
    """The file's header and rows. 413 over the size limit, 415 for a file that is neither CSV
    nor XLSX, 422 for an empty one. `max_rows` stops early (a preview)."""
    check_size(len(data))
    name = (filename or "").casefold()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFile(
            "This is an old Excel (.xls) file: save it as .xlsx or .csv and import that."
        )
    if data.startswith(b"%PDF"):
        raise UnsupportedFile("This is a PDF: import a CSV or XLSX file.")
    if name.endswith((".xlsx", ".xlsm")):
        raise UnsupportedFile("The file is named .xlsx but is not an Excel workbook.")
    text, encoding = decode_text(data)
    if not text.strip():
        raise Unprocessable("The file is empty.")
    return _read_csv(text, encoding, max_rows)


def _clean(cell: str) -> str:
    cell = cell.strip()
    return cell[1:] if _ESCAPED_FORMULA.match(cell) else cell


def _read_csv(text: str, encoding: str, max_rows: int | None) -> Table:
    sample = "\n".join(text[:20_000].splitlines()[:20])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return _table(f"CSV ({encoding})", enumerate(reader, start=1), max_rows)
    except csv.Error as error:
        raise Unprocessable(f"The CSV cannot be read: {error}.") from error


def _table(source: str, numbered: Iterable[tuple[int, list[str]]], max_rows: int | None) -> Table:
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, raw in numbered:
        cells = [_clean(cell) for cell in raw[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if headers is None:
            headers = _unique_headers(cells)
            continue
        if max_rows is not None and len(rows) >= max_rows:
            break
        if len(rows) >= MAX_ROWS:
            raise Unprocessable(f"The file has over {MAX_ROWS:,} rows: split it.")
        rows.append((number, cells))
    if headers is None:
        raise Unprocessable("The file is empty.")
    return Table(source, headers, rows)


def _unique_headers(cells: list[str]) -> list[str]:
    """Blank headers get their column's letter; a repeated header its column number."""
    headers: list[str] = []
    for index, cell in enumerate(cells):
        header = cell or f"Column {_column_letter(index)}"
        if header in headers:
            header = f"{header} ({index + 1})"
        headers.append(header)
    return headers


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _read_xlsx(data: bytes, max_rows: int | None) -> Table:
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
        sheet = workbook.worksheets[0]
        numbered = (
            (number, [xlsx_cell(value) for value in values[:MAX_COLUMNS]])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _table(f"XLSX sheet {sheet.title!r}", numbered, max_rows)
    finally:
        workbook.close()


# --- Mapping columns to fields -----------------------------------------------------------------


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def detect_mapping(headers: list[str]) -> dict[str, str]:
    """field → column header, by what each header means; the first column wins a field."""
    mapping: dict[str, str] = {}
    for header in headers:
        found = _HEADER_FIELD.get(_header_key(header))
        if found is not None and found not in mapping:
            mapping[found] = header
    return mapping


def check_mapping(
    mapping: Mapping[str, str], headers: list[str], *, require_mobile: bool = True
) -> dict[str, str]:
    """The admin's mapping, refused (422) when it names an unknown field or column, maps one
    column twice, or (`require_mobile`) has no mobile number column."""
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise Unprocessable(f"Unknown field {unknown[0]!r}: map columns to {', '.join(FIELDS)}.")
    for name, header in mapping.items():
        if header not in headers:
            raise Unprocessable(f"The file has no column {header!r} (for {name}).")
    columns = list(mapping.values())
    repeated = next((header for header in columns if columns.count(header) > 1), None)
    if repeated is not None:
        raise Unprocessable(f"The column {repeated!r} is mapped to two fields.")
    if require_mobile and "mobile" not in mapping:
        raise Unprocessable(NO_MOBILE_COLUMN)
    return dict(mapping)


# --- Reading rows ------------------------------------------------------------------------------


def _opted_out(cell: str, header: str) -> bool:
    key = _header_key(cell)
    if key in _OPTED_OUT_WORDS:
        return True
    if _header_key(header) in _OPT_OUT_HEADERS:
        return key in _YES_WORDS
    return key in _NO_WORDS


def _tags(cell: str) -> list[str]:
    found: list[str] = []
    for part in _TAG_SEPARATORS.split(cell):
        tag = " ".join(part.split()).casefold()
        if tag and tag not in found:
            found.append(tag)
    return found


class RowReader:
    """Reads rows of one table with one mapping into records."""

    def __init__(self, headers: list[str], mapping: Mapping[str, str], default_region: str):
        self.default_region = default_region
        column_of = {header: index for index, header in enumerate(headers)}
        self.mobile = column_of[mapping["mobile"]]
        self.profile = [
            (name, column_of[mapping[name]]) for name in PROFILE_FIELDS if name in mapping
        ]
        self.tags = column_of[mapping["tags"]] if "tags" in mapping else None
        self.consent = (
            (column_of[mapping["consent"]], mapping["consent"]) if "consent" in mapping else None
        )
        mapped = set(mapping.values())
        self.custom = [
            (header, column_of[header])
            for header in headers
            if header not in mapped and _header_key(header) not in _COMPUTED_HEADERS
        ]

    def read(self, number: int, cells: list[str]) -> DoctorRecord:
        """One row as a record. Raises ValueError with the reason a person can act on."""

        def cell(index: int) -> str:
            return cells[index] if index < len(cells) else ""

        try:
            phone = parse_mobile(cell(self.mobile), self.default_region)
        except NotAMobileNumber as error:
            raise ValueError(f"mobile: {error}") from None
        record = DoctorRecord(wa_id=phone.wa_id, first_row=number)
        for name, index in self.profile:
            value = cell(index)
            if not value:
                continue
            if len(value) > MAX_LENGTH[name]:
                raise ValueError(f"{name} is over {MAX_LENGTH[name]} characters")
            if name == "email" and not _EMAIL.match(value):
                raise ValueError(f"email {value!r} is not an email address")
            record.profile[name] = value
        if self.tags is not None:
            record.tags = _tags(cell(self.tags))
            long = next((tag for tag in record.tags if len(tag) > MAX_TAG_LENGTH), None)
            if long is not None:
                raise ValueError(f"tag {long[:20]!r}… is over {MAX_TAG_LENGTH} characters")
        if self.consent is not None:
            index, header = self.consent
            consent = cell(index)
            if consent and _opted_out(consent, header):
                record.opted_out = consent
        for header, index in self.custom:
            value = cell(index)
            if value:
                record.custom_fields[header] = value[:MAX_CUSTOM_VALUE_LENGTH]
        return record


def _merge(into: DoctorRecord, later: DoctorRecord) -> None:
    """Later non-empty cells fill the earlier record's empty ones."""
    for name, value in later.profile.items():
        into.profile.setdefault(name, value)
    for tag in later.tags:
        if tag not in into.tags:
            into.tags.append(tag)
    for header, value in later.custom_fields.items():
        into.custom_fields.setdefault(header, value)
    if into.opted_out is None:
        into.opted_out = later.opted_out
    into.rows += 1


@dataclass
class ReadResult:
    records: list[DoctorRecord]
    rejected: list[Rejection]


def read_records(table: Table, mapping: Mapping[str, str], default_region: str) -> ReadResult:
    """One record per mobile number, in the order first seen; rows with no possible mobile
    number (or another field that cannot be kept) rejected with their row number."""
    reader = RowReader(table.headers, mapping, default_region)
    by_wa_id: dict[str, DoctorRecord] = {}
    rejected: list[Rejection] = []
    for number, cells in table.rows:
        try:
            record = reader.read(number, cells)
        except ValueError as error:
            rejected.append(Rejection(number, str(error)))
            continue
        earlier = by_wa_id.get(record.wa_id)
        if earlier is None:
            by_wa_id[record.wa_id] = record
        else:
            _merge(earlier, record)
    return ReadResult(list(by_wa_id.values()), rejected)


def preview(table: Table, mapping: Mapping[str, str], default_region: str) -> list[PreviewRow]:
    """The first rows as they would be read: the mapped fields' cells and each row's problem
    (a number seen on an earlier row is merged into it, which is said too)."""
    reader = RowReader(table.headers, mapping, default_region) if "mobile" in mapping else None
    seen: dict[str, int] = {}
    shown: list[PreviewRow] = []
    column_of = {header: index for index, header in enumerate(table.headers)}
    for number, cells in table.rows[:PREVIEW_ROWS]:
        values = {
            name: cells[column_of[header]] if column_of[header] < len(cells) else ""
            for name, header in mapping.items()
        }
        problem: str | None = None
        if reader is None:
            shown.append(PreviewRow(number, values, NO_MOBILE_COLUMN))
            continue
        try:
            record = reader.read(number, cells)
        except ValueError as error:
            problem = str(error)
        else:
            values["mobile"] = "+" + record.wa_id
            if record.wa_id in seen:
                problem = f"same number as row {seen[record.wa_id]}: merged into it"
            else:
                seen[record.wa_id] = number
        shown.append(PreviewRow(number, values, problem))
    return shown


# --- What a record changes ---------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentDoctor:
    """What an existing doctor holds of what an import may set."""

    id: int
    profile: dict[str, str | None]
    tags: frozenset[str]
    custom_fields: dict[str, object]
    opted_out: bool
    # Searched but not imported: what the doctor's WhatsApp profile says.
    username: str | None = None
    profile_name: str | None = None


@dataclass(frozen=True)
class Changes:
    profile: dict[str, str]
    new_tags: list[str]
    # The whole merged dict, or None when no custom field changes.
    custom_fields: dict[str, object] | None
    # True when the file opts the doctor out of marketing.
    opt_out: bool

    def fields(self) -> list[str]:
        """The names of what changes, for the doctor's timeline."""
        names = list(self.profile)
        if self.new_tags:
            names.append("tags")
        if self.custom_fields is not None:
            names.append("custom_fields")
        if self.opt_out:
            names.append("marketing_opted_out")
        return names


def changes_for(current: CurrentDoctor, record: DoctorRecord) -> Changes:
    """Only the fields the file sets, and only where they differ: importing the same file
    again changes nothing. Tags are added, never removed; an import never opts a doctor back
    in (only the doctor or an admin may)."""
    profile = {
        name: value for name, value in record.profile.items() if current.profile.get(name) != value
    }
    new_tags = [tag for tag in record.tags if tag not in current.tags]
    custom: dict[str, object] | None = None
    if any(current.custom_fields.get(k) != v for k, v in record.custom_fields.items()):
        custom = {**current.custom_fields, **record.custom_fields}
    opt_out = record.opted_out is not None and not current.opted_out
    return Changes(profile, new_tags, custom, opt_out)
