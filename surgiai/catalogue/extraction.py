"""Products and CME courses read from the tables and text of the company's documents, whatever
the column order and header wording: headers are mapped by meaning ("Cat. No.", "REF No." and
"SKU" are all the product code; "MRP", "Rate (₹)" and "Price/Box" all the price).

Pure functions over cells and text: no database. The CSV/XLSX import reads its rows with the
same mapping (`read_product_rows`), and reports the rows it rejects with their reasons.

What is not unambiguous is not guessed: "1.2 lakh" is no price, "12/01" no date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DEFAULT_CURRENCY = "INR"
NAME_MAX = 200
CODE_MAX = 64
PACK_MAX = 100
CATEGORY_MAX = 100
DESCRIPTION_MAX = 2000
TITLE_MAX = 200
CITY_MAX = 100
VENUE_MAX = 200
# Numeric(14, 2): below 10^12.
MONEY_MAX = Decimal("999999999999.99")
CREDITS_MAX = Decimal("9999.9")
SEATS_MAX = 100_000
# How far down a table its header may be (a title row or two above it).
HEADER_SEARCH_ROWS = 6


@dataclass(frozen=True)
class ExtractedProduct:
    name: str
    code: str | None
    pack_size: str | None
    price: Decimal | None
    currency: str  # "INR" unless the table says otherwise
    category: str | None
    page: int
    description: str | None = None
    # From a Stock / Availability column; None when the table has none.
    available: bool | None = None


@dataclass(frozen=True)
class ExtractedCourse:
    title: str
    starts_on: date | None
    ends_on: date | None
    city: str | None
    venue: str | None
    fee: Decimal | None
    currency: str
    cme_credits: Decimal | None
    seats: int | None
    page: int


# --- Cells -------------------------------------------------------------------------------------


def clean_cell(value: object) -> str:
    """A cell as one line: multi-line cells joined ("Poly-\\npropylene" → "Poly-propylene"),
    spaces collapsed."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [line.strip() for line in text.split("\n")]
    joined = ""
    for line in lines:
        if not line:
            continue
        if not joined:
            joined = line
        elif joined.endswith("-") and not joined.endswith(" -"):
            joined += line
        else:
            joined += " " + line
    return re.sub(r"\s+", " ", joined).strip()


def _truncate(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def normalise_code(value: object) -> str | None:
    """A product code as stored: stripped, upper case, inner spaces collapsed; None if empty or
    too long to be a code."""
    text = clean_cell(value).strip(" .,;:").upper()
    if not text or text in {"-", "—", "\u2013", "N/A", "NA", "NIL"}:
        return None
    if len(text) > CODE_MAX:
        return None
    return text


def normalise_name(value: str) -> str:
    """What two spellings of one product name share: "Vicryl 2-0 (Box)" ~ "vicryl 2 0 box"."""
    return " ".join(re.findall(r"[a-z0-9]+", value.casefold()))


# --- Money and numbers -------------------------------------------------------------------------

_CURRENCY_MARKERS: tuple[tuple[str, str], ...] = (
    (r"₹", "INR"),
    (r"\binr\b", "INR"),
    (r"\brs\b\.?", "INR"),
    (r"\brupees?\b", "INR"),
    (r"\busd\b", "USD"),
    (r"us\$", "USD"),
    (r"\$", "USD"),
    (r"\beur\b", "EUR"),
    (r"€", "EUR"),
    (r"\bgbp\b", "GBP"),
    (r"£", "GBP"),
)
_FREE_WORDS = frozenset({"free", "no fee", "nil", "complimentary", "free of cost", "no charge"})
_INDIAN = re.compile(r"^\d{1,2}(?:,\d{2})*,\d{3}(?:\.\d+)?$")
_WESTERN = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^\d+(?:\.\d+)?$")


def detect_currency(text: str) -> str | None:
    lowered = text.casefold()
    for pattern, currency in _CURRENCY_MARKERS:
        if re.search(pattern, lowered):
            return currency
    return None


@dataclass(frozen=True)
class Money:
    amount: Decimal | None
    currency: str | None
    # True when the cell held something that is not an amount we can read unambiguously.
    unreadable: bool = False
    negative: bool = False


def parse_money(value: object, *, free_is_zero: bool = False) -> Money:
    """ "₹ 1,25,000", "Rs. 2,450/-", "INR 2450.00", "2,450" → an amount; "1.2 lakh",
    "2.450,00", "on request" → None (unreadable: not guessed)."""
    text = clean_cell(value)
    if not text or text in {"-", "—", "\u2013", "--"}:
        return Money(None, None)
    lowered = text.casefold()
    if free_is_zero and lowered.strip(" .!") in _FREE_WORDS:
        return Money(Decimal("0.00"), None)
    currency = detect_currency(text)
    stripped = lowered
    for pattern, _ in _CURRENCY_MARKERS:
        stripped = re.sub(pattern, " ", stripped)
    stripped = re.sub(r"/-\s*$", "", stripped.strip())
    stripped = re.sub(r"\(\s*\)", "", stripped)
    stripped = stripped.replace(" ", "").strip(":")
    negative = stripped.startswith("-") or (stripped.startswith("(") and stripped.endswith(")"))
    stripped = stripped.strip("-()")
    if stripped.endswith(".-"):
        stripped = stripped[:-2]
    if not (_PLAIN.match(stripped) or _INDIAN.match(stripped) or _WESTERN.match(stripped)):
        return Money(None, currency, unreadable=True)
    try:
        amount = Decimal(stripped.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        return Money(None, currency, unreadable=True)
    if negative:
        return Money(None, currency, unreadable=True, negative=True)
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount > MONEY_MAX:
        return Money(None, currency, unreadable=True)
    return Money(amount, currency)


def parse_decimal(value: object, *, maximum: Decimal, places: str = "0.1") -> Decimal | None:
    """The first number in the cell ("8", "8.5 hours", "Credits: 6"); None when there is none
    or more than one different number ("6 or 8")."""
    text = clean_cell(value)
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    if not numbers or len(set(numbers)) > 1:
        return None
    amount = Decimal(numbers[0]).quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return amount if amount <= maximum else None


def parse_int(value: object, *, maximum: int = SEATS_MAX) -> int | None:
    text = clean_cell(value)
    numbers = re.findall(r"\d+", text.replace(",", ""))
    if len(numbers) != 1:
        return None
    number = int(numbers[0])
    return number if number <= maximum else None


# --- Dates -------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")


def _make_date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date_range(value: object) -> tuple[date | None, date | None]:
    """The first and last day of a course, as Indian brochures write them: "12-13 Jan 2027",
    "12th & 13th January 2027", "30 Jan - 1 Feb 2027", "January 12-13, 2027", "12/01/2027"
    (day first), "2027-01-12". No year, no date: (None, None)."""
    text = clean_cell(value)
    if not text:
        return None, None
    dates: list[date] = []
    for match in _ISO_DATE.finditer(text):
        found = _make_date(int(match[1]), int(match[2]), int(match[3]))
        if found:
            dates.append(found)
    rest = _ISO_DATE.sub(" ", text)
    for match in _NUMERIC_DATE.finditer(rest):
        found = _make_date(int(match[3]), int(match[2]), int(match[1]))
        if found:
            dates.append(found)
    rest = _NUMERIC_DATE.sub(" ", rest)
    dates.extend(_textual_dates(rest))
    if not dates:
        return None, None
    return min(dates), max(dates)


def _textual_dates(text: str) -> list[date]:
    lowered = text.casefold()
    lowered = re.sub(r"(\d+)\s*(st|nd|rd|th)\b", r"\1", lowered)
    tokens: list[tuple[str, int]] = []
    for match in re.finditer(r"[a-z]+|\d+", lowered):
        word = match[0]
        if word.isdigit():
            number = int(word)
            if len(word) == 4:
                tokens.append(("year", number))
            elif 1 <= number <= 31 and len(word) <= 2:
                tokens.append(("day", number))
        elif word in _MONTHS:
            tokens.append(("month", _MONTHS[word]))
    if not any(kind == "month" for kind, _ in tokens):
        return []
    first_day = next((i for i, (kind, _) in enumerate(tokens) if kind == "day"), None)
    first_month = next(i for i, (kind, _) in enumerate(tokens) if kind == "month")
    day_first = first_day is not None and first_day < first_month
    # (day, month) pairs still waiting for their year.
    waiting: list[tuple[int, int]] = []
    found: list[date] = []
    pending_days: list[int] = []
    month: int | None = None
    for kind, number in tokens:
        if kind == "day":
            if day_first:
                pending_days.append(number)
            elif month is not None:
                waiting.append((number, month))
        elif kind == "month":
            if day_first:
                waiting.extend((day, number) for day in pending_days)
                pending_days = []
            month = number
        else:
            for day, in_month in waiting:
                made = _make_date(number, in_month, day)
                if made:
                    found.append(made)
            waiting = []
    return found


# --- Header mapping ----------------------------------------------------------------------------


def _header_tokens(text: str) -> list[str]:
    lowered = text.casefold().replace("₹", " inr ").replace("#", " no ")
    return re.findall(r"[a-z0-9]+", lowered)


_SERIAL_WORDS = frozenset({"s", "sr", "sl", "no", "num", "number", "serial", "sno", "srno", "slno"})
_SKIP_WORDS = frozenset({"hsn", "gst", "tax", "vat", "discount", "remarks", "remark", "image"})
_CODE_PREFIXES = frozenset(
    {"cat", "catalogue", "catalog", "part", "article", "item", "product", "model", "ref", "order"}
)
_NUMBER_WORDS = frozenset({"no", "num", "number", "nos"})


def classify_product_header(text: str) -> str | None:
    """The field a product table's column header names: name, description, code, pack_size,
    price, category, variant (a size, appended to the name), available, or None."""
    tokens = _header_tokens(text)
    if not tokens:
        return None
    words = set(tokens)
    if words <= _SERIAL_WORDS:
        return None
    if words & _SKIP_WORDS:
        return None
    if words & {"stock", "availability", "available", "status"}:
        return "available"
    if words & {"price", "mrp", "rate", "cost", "amount", "inr", "rs", "usd", "eur", "value"}:
        return "price"
    if words & {"code", "sku", "ref", "reference", "model"} or (
        tokens[0] in _CODE_PREFIXES and words & _NUMBER_WORDS
    ):
        return "code"
    if words & {"pack", "packing", "packaging", "qty", "quantity", "units", "unit", "box", "pcs"}:
        return "pack_size"
    if words & {"uom", "packed", "packs"}:
        return "pack_size"
    if words & {"category", "categories", "range", "type", "group", "segment", "family"}:
        return "category"
    if words & {"speciality", "specialty", "division", "department", "section"}:
        return "category"
    if words & {"size", "sizes", "dimension", "dimensions", "length", "gauge", "diameter"}:
        return "variant"
    if words & {"description", "desc", "details", "specification", "specifications", "features"}:
        return "description"
    if words & {"product", "products", "name", "item", "items", "particulars", "article"}:
        return "name"
    if words & {"instrument", "instruments", "implant", "implants", "device", "brand"}:
        return "name"
    return None


def classify_course_header(text: str) -> str | None:
    """The field a course table's column header names: title, dates, starts_on, ends_on, city,
    venue, fee, cme_credits, seats, or None."""
    tokens = _header_tokens(text)
    if not tokens:
        return None
    words = set(tokens)
    if words <= _SERIAL_WORDS:
        return None
    if words & {"last", "deadline", "closing", "contact", "phone", "email", "faculty"}:
        return None
    if words & {"date", "dates", "when", "schedule", "day", "days", "from", "to", "start", "end"}:
        if words & {"start", "from", "begins", "commencing"}:
            return "starts_on"
        if words & {"end", "to", "till", "until"}:
            return "ends_on"
        return "dates"
    if words & {"fee", "fees", "registration", "cost", "price", "amount", "charges", "inr", "rs"}:
        return "fee"
    if words & {"credit", "credits", "points", "hours", "hrs"} or tokens == ["cme"]:
        return "cme_credits"
    if words & {"seats", "seat", "capacity", "intake", "participants", "delegates", "batch"}:
        return "seats"
    if words & {"city", "town"}:
        return "city"
    if words & {"venue", "location", "place", "hospital", "institute", "centre", "center"}:
        return "venue"
    if words & {"address"}:
        return "venue"
    if words & {"course", "courses", "programme", "program", "workshop", "title", "event"}:
        return "title"
    if words & {"topic", "training", "module", "conference", "name", "masterclass"}:
        return "title"
    return None


_COURSE_TITLE_WORDS = frozenset(
    {"course", "courses", "programme", "program", "workshop", "training", "conference", "event"}
)


def _map_header(
    cells: Sequence[str], classify: Callable[[str], str | None]
) -> dict[str, list[int]]:
    mapping: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        meaning = classify(cell) if cell else None
        if meaning is not None:
            mapping.setdefault(meaning, []).append(index)
    return mapping


def _is_product_header(mapping: dict[str, list[int]]) -> bool:
    has_name = "name" in mapping or "description" in mapping
    has_detail = bool({"code", "price", "pack_size"} & mapping.keys())
    return has_name and has_detail


def _accepts_product_header(mapping: dict[str, list[int]], cells: Sequence[str]) -> bool:
    """A product table's header, and not a course table's ("Course | Dates | Fee")."""
    return _is_product_header(mapping) and not _is_course_header(
        _map_header(cells, classify_course_header), cells
    )


def _is_course_header(mapping: dict[str, list[int]], cells: Sequence[str]) -> bool:
    if "title" not in mapping:
        return False
    if {"dates", "starts_on", "cme_credits", "seats"} & mapping.keys():
        return True
    title_words = {word for index in mapping["title"] for word in _header_tokens(cells[index])}
    return bool(title_words & _COURSE_TITLE_WORDS) and bool(
        {"venue", "city", "fee"} & mapping.keys()
    )


@dataclass(frozen=True)
class _Header:
    # 0-based index of the header's last row: data starts after it.
    last_index: int
    cells: list[str]
    mapping: dict[str, list[int]]
    # The header's rows as they read, to skip when a table repeats them on its next page.
    rows: tuple[tuple[str, ...], ...]


def _find_header(
    cleaned: list[list[str]],
    classify: Callable[[str], str | None],
    accepts: Callable[[dict[str, list[int]], Sequence[str]], bool],
) -> _Header | None:
    """The table's header among its first rows, after any title rows. A header that wraps onto
    a second row ("Cat." over "No.", "MRP" over "(₹)") is read as one."""
    for index, row in enumerate(cleaned[:HEADER_SEARCH_ROWS]):
        mapping = _map_header(row, classify)
        found = _Header(index, row, mapping, (tuple(row),)) if accepts(mapping, row) else None
        below = cleaned[index + 1] if index + 1 < len(cleaned) else None
        if (
            len(mapping) >= 2  # a header already, maybe a partial one; not a title
            and below
            and any(below)
            and not any(re.search(r"\d", cell) or len(cell) > 20 for cell in below)
        ):
            width = max(len(row), len(below))
            merged = [
                " ".join(part for part in (_at(row, i), _at(below, i)) if part)
                for i in range(width)
            ]
            merged_mapping = _map_header(merged, classify)
            if accepts(merged_mapping, merged) and (
                found is None or len(merged_mapping) > len(mapping)
            ):
                return _Header(index + 1, merged, merged_mapping, (tuple(row), tuple(below)))
        if found is not None:
            return found
    return None


def _at(row: Sequence[str], index: int) -> str:
    return row[index] if index < len(row) else ""


# --- Rows --------------------------------------------------------------------------------------

_NOTE = re.compile(
    r"^(?:(?:grand\s+|sub\s*-?\s*)?total\b|notes?\b|n\.\s?b\b|\*|terms\b|e\s?&\s?o\.?\s?e|"
    r"prices?\s+(?:are|is|subject|exclusive|inclusive)|all\s+prices|gst\b|taxes\b|"
    r"continued\b|contd\b|page\s+\d)",
    re.IGNORECASE,
)


def is_note(text: str) -> bool:
    return bool(_NOTE.match(text.strip()))


def _cell(row: Sequence[str], indexes: list[int] | None) -> str:
    if not indexes:
        return ""
    values = [row[i] for i in indexes if i < len(row) and row[i]]
    return " ".join(values)


def _first_cell(row: Sequence[str], indexes: list[int] | None) -> str:
    if not indexes:
        return ""
    for i in indexes:
        if i < len(row) and row[i]:
            return row[i]
    return ""


@dataclass
class ProductRow:
    """One data row of a product table, read: the product, or why it is not one."""

    # 1-based, counted over every row given (the header included).
    row_number: int
    product: ExtractedProduct | None
    # Reasons an import rejects the row; extraction from a document keeps what it could read.
    problems: list[str] = field(default_factory=list)


@dataclass
class ProductReading:
    # 1-based row number of the header; None: not a product table.
    header_row: int | None
    columns: dict[str, list[int]]
    rows: list[ProductRow]


def _price_columns(mapping: dict[str, list[int]], header: Sequence[str]) -> list[int]:
    columns = mapping.get("price", [])
    # An MRP column is the price when there are several (MRP, dealer price…).
    mrp = [i for i in columns if "mrp" in _header_tokens(header[i])]
    return mrp or columns[:1]


def read_product_rows(rows: Sequence[Sequence[object]], page: int = 0) -> ProductReading:
    """Every row of a product table, read with its header's mapping. Rows that are headings,
    repeated headers, notes or totals are left out; the others come with their product or
    their problems."""
    cleaned = [[clean_cell(cell) for cell in row] for row in rows]
    found = _find_header(cleaned, classify_product_header, _accepts_product_header)
    if found is None:
        return ProductReading(None, {}, [])
    header_index, header, mapping = found.last_index, found.cells, dict(found.mapping)
    if "name" not in mapping:
        # Only a description column: it names the product.
        mapping["name"] = mapping.pop("description")
    price_columns = _price_columns(mapping, header)
    column_currency = None
    for i in price_columns:
        column_currency = detect_currency(header[i]) or column_currency
    mapped = {i for indexes in mapping.values() for i in indexes}
    category: str | None = None
    read: list[ProductRow] = []
    for index in range(header_index + 1, len(cleaned)):
        row = cleaned[index]
        filled = [cell for cell in row if cell]
        if not filled:
            continue
        if tuple(row) in found.rows or _is_product_header(
            _map_header(row, classify_product_header)
        ):
            continue  # the header again: a table continued on the next page
        if is_note(filled[0]):
            continue
        name = _cell(row, mapping.get("name"))
        mapped_filled = [row[i] for i in mapped if i < len(row) and row[i]]
        if len(filled) == 1 and len(mapped_filled) <= 1:
            text = filled[0]
            previous = read[-1].product if read else None
            if (
                previous is not None
                and name == text
                and (text[0].islower() or text[0] in "(-&+,")
                and read[-1].row_number == index
            ):
                # A name's second line, split off into a row of its own.
                joined = _truncate(f"{previous.name} {text}", NAME_MAX) or previous.name
                read[-1].product = replace(previous, name=joined)
                continue
            if len(text) <= 80 and re.search(r"[A-Za-z]", text):
                category = text.rstrip(":").strip()
                category = re.sub(r"^(?:category|range)\s*[:\-\u2013]\s*", "", category, flags=re.I)
            continue
        row_category = _first_cell(row, mapping.get("category"))
        if row_category:
            category = row_category
        read.append(
            _product_row(row, index + 1, page, mapping, price_columns, column_currency, category)
        )
    return ProductReading(header_index + 1, mapping, read)


def _product_row(
    row: Sequence[str],
    row_number: int,
    page: int,
    mapping: dict[str, list[int]],
    price_columns: list[int],
    column_currency: str | None,
    category: str | None,
) -> ProductRow:
    problems: list[str] = []
    name = _cell(row, mapping.get("name"))
    variant = _cell(row, mapping.get("variant"))
    if name and variant and variant.casefold() not in name.casefold():
        name = f"{name} {variant}"
    description = _cell(row, mapping.get("description")) or None
    if not name or not re.search(r"[^\W\d_]", name):
        problems.append("no product name")
    raw_code = _first_cell(row, mapping.get("code"))
    code = normalise_code(raw_code)
    if raw_code and code is None and clean_cell(raw_code).strip(" .,;:-—\u2013"):
        problems.append(f"code {raw_code!r} is longer than {CODE_MAX} characters")
    raw_price = _first_cell(row, price_columns)
    money = parse_money(raw_price)
    if money.negative:
        problems.append(f"price {raw_price!r} is negative")
    elif money.unreadable:
        problems.append(f"price {raw_price!r} is not an amount")
    pack = _cell(row, mapping.get("pack_size")) or None
    currency = money.currency or column_currency or DEFAULT_CURRENCY
    if not name or "no product name" in problems:
        return ProductRow(row_number, None, problems)
    product = ExtractedProduct(
        name=_truncate(name, NAME_MAX) or name,
        code=code,
        pack_size=_truncate(pack, PACK_MAX),
        price=money.amount,
        currency=currency,
        category=_truncate(category, CATEGORY_MAX),
        page=page,
        description=_truncate(description, DESCRIPTION_MAX),
        available=parse_availability(_first_cell(row, mapping.get("available"))),
    )
    return ProductRow(row_number, product, problems)


_IN_STOCK = re.compile(r"^(?:in[ -]?stock|available|yes|y|ready(?: stock)?|✓|✔)$", re.I)
_OUT_OF_STOCK = re.compile(
    r"^(?:out[ -]?of[ -]?stock|not available|unavailable|no|n|discontinued|sold out|on order|"
    r"back[ -]?order(?:ed)?|x|✗|✘)$",
    re.I,
)


def parse_availability(value: str) -> bool | None:
    """ "In stock" / "Out of stock" and their kin; None for anything else (a date, a count)."""
    text = " ".join(value.split()).strip(" .")
    if _IN_STOCK.match(text):
        return True
    if _OUT_OF_STOCK.match(text):
        return False
    return None


def products_from_table(rows: Sequence[Sequence[str | None]], page: int) -> list[ExtractedProduct]:
    """The products of one table of a document; [] when it is not a product table. A price
    that cannot be read unambiguously is left out (None), not guessed."""
    reading = read_product_rows(rows, page)
    return [row.product for row in reading.rows if row.product is not None]


# --- Courses -----------------------------------------------------------------------------------


def _city_from_venue(venue: str | None) -> str | None:
    if not venue or "," not in venue:
        return None
    last = venue.rsplit(",", 1)[1].strip(" .")
    last = re.sub(r"\s*[-\u2013]?\s*\d{6}$", "", last)  # a PIN code
    if last and len(last) <= 40 and re.fullmatch(r"[A-Za-z .'-]+", last):
        return last
    return None


def _course(
    *,
    title: str,
    dates: str = "",
    starts: str = "",
    ends: str = "",
    city: str = "",
    venue: str = "",
    fee: str = "",
    credits: str = "",
    seats: str = "",
    page: int,
    currency_hint: str | None = None,
) -> ExtractedCourse | None:
    title = clean_cell(title).strip(" -\u2013•*:")
    if not title or not re.search(r"[A-Za-z]", title) or is_note(title):
        return None
    starts_on, ends_on = parse_date_range(dates) if dates else (None, None)
    if starts:
        starts_on = parse_date_range(starts)[0] or starts_on
    if ends:
        ends_on = parse_date_range(ends)[1] or ends_on
    if starts_on and not ends_on:
        ends_on = starts_on
    if ends_on and starts_on and ends_on < starts_on:
        ends_on = starts_on
    money = parse_money(fee, free_is_zero=True)
    venue_text = clean_cell(venue) or None
    city_text = clean_cell(city) or _city_from_venue(venue_text)
    return ExtractedCourse(
        title=_truncate(title, TITLE_MAX) or title,
        starts_on=starts_on,
        ends_on=ends_on,
        city=_truncate(city_text, CITY_MAX),
        venue=_truncate(venue_text, VENUE_MAX),
        fee=money.amount,
        currency=money.currency or currency_hint or DEFAULT_CURRENCY,
        cme_credits=parse_decimal(credits, maximum=CREDITS_MAX),
        seats=parse_int(seats),
        page=page,
    )


def courses_from_table(rows: Sequence[Sequence[str | None]], page: int) -> list[ExtractedCourse]:
    """The courses of one table (title/course/programme, date(s), city/venue, fee, CME credits,
    seats, in any order and wording); [] when it is not a course table."""
    cleaned = [[clean_cell(cell) for cell in row] for row in rows]
    found = _find_header(cleaned, classify_course_header, _is_course_header)
    if found is None:
        return []
    header_index, header, mapping = found.last_index, found.cells, found.mapping
    fee_currency = None
    for i in mapping.get("fee", []):
        fee_currency = detect_currency(header[i]) or fee_currency
    courses: list[ExtractedCourse] = []
    for row in cleaned[header_index + 1 :]:
        filled = [cell for cell in row if cell]
        if len(filled) <= 1:
            continue  # empty, or a heading
        # A header again (a table continued on the next page); a row with a date or a fee in it
        # is a course whatever its words ("Workshop", "Centre").
        if tuple(row) in found.rows or (
            not any(ch.isdigit() for cell in row for ch in cell)
            and _is_course_header(_map_header(row, classify_course_header), row)
        ):
            continue
        if is_note(filled[0]):
            continue
        course = _course(
            title=_cell(row, mapping.get("title")),
            dates=_cell(row, mapping.get("dates")),
            starts=_first_cell(row, mapping.get("starts_on")),
            ends=_first_cell(row, mapping.get("ends_on")),
            city=_first_cell(row, mapping.get("city")),
            venue=_cell(row, mapping.get("venue")),
            fee=_first_cell(row, mapping.get("fee")),
            credits=_first_cell(row, mapping.get("cme_credits")),
            seats=_first_cell(row, mapping.get("seats")),
            page=page,
            currency_hint=fee_currency,
        )
        if course is not None:
            courses.append(course)
    return courses


_LABEL_LINE = re.compile(
    r"^\s*(?P<label>[A-Za-z][A-Za-z .()/&']{0,40}?)\s*[:\uff1a]\s*(?P<value>.*)$"
)
_DASH_LABEL_LINE = re.compile(
    r"^\s*(?P<label>[A-Za-z][A-Za-z .()/&']{0,30}?)\s+[-\u2013—]\s+(?P<value>.+)$"
)


def _text_label(label: str) -> str | None:
    words = set(_header_tokens(label))
    if not words:
        return None
    if words & {"title", "course", "programme", "program", "workshop"} and not words & {
        "fee",
        "fees",
        "date",
        "dates",
        "venue",
        "director",
        "coordinator",
        "credits",
    }:
        return "title"
    meaning = classify_course_header(label)
    if meaning == "title":
        return None
    if meaning is None and words & {"cme", "mci", "nmc", "smc"}:
        return "cme_credits"
    return meaning


def _split_segments(line: str) -> list[str]:
    """A line's labelled parts: split at "|", "•" and tabs, and before a second label on the
    same line ("CME credits: 12 Seats: 30", as a PDF's text often joins them)."""
    parts = [part for part in re.split(r"\s+\|\s+|\s+•\s+|\t+", line) if part.strip()]
    return [piece for part in parts for piece in _split_labels(part)]


def _split_labels(segment: str) -> list[str]:
    for colon in re.finditer(r"[:\uff1a]", segment):
        prefix = segment[: colon.start()]
        if ":" not in prefix and "\uff1a" not in prefix:
            continue  # the segment's own label
        spans = [word.span() for word in re.finditer(r"\S+", prefix)]
        # The words just before this colon that make a label ("Seats", "CME credits"), with
        # something before them (the first label's value).
        for size in (3, 2, 1):
            if len(spans) <= size:
                continue
            start = spans[-size][0]
            label = prefix[start:].strip()
            if re.fullmatch(r"[A-Za-z][A-Za-z .()/&']*", label) and _text_label(label):
                return [prefix[:start].strip(), *_split_labels(segment[start:])]
    return [segment]


def _looks_like_title(line: str) -> bool:
    text = line.strip(" -\u2013•*")
    if not text or len(text) > 150 or not re.search(r"[A-Za-z]", text):
        return False
    if text.endswith((".", ",", ";")) and len(text.split()) > 6:
        return False  # a sentence of the description
    label = _LABEL_LINE.match(text)
    if label and set(_header_tokens(label["label"])) & _NOT_TITLE_LABELS:
        return False
    return len(text.split()) <= 18 and not is_note(text)


_NOT_TITLE_LABELS = frozenset(
    {
        "organised",
        "organized",
        "by",
        "contact",
        "faculty",
        "email",
        "phone",
        "mobile",
        "director",
        "coordinator",
        "register",
        "website",
        "www",
        "for",
        "details",
        "note",
    }
)


def courses_from_text(text: str, page: int) -> list[ExtractedCourse]:
    """The courses a brochure's text announces: a title line followed by lines such as
    "Dates: 12-13 Jan 2027", "Venue: AIIMS, New Delhi", "Fee: ₹ 15,000", "CME credits: 8",
    "Seats: 30" (a "Course:" or "Title:" line names it too). Several courses on a page are
    told apart by their title lines, or by their details starting again."""
    courses: list[ExtractedCourse] = []
    # Lines that are no detail, since the last detail: the next course's title is among them.
    candidates: list[str] = []
    fields: dict[str, str] = {}
    title: str | None = None

    def close() -> None:
        nonlocal fields, title
        if title and fields.keys() & _COURSE_DETAILS:
            course = _course(
                title=title,
                dates=fields.get("dates", ""),
                starts=fields.get("starts_on", ""),
                ends=fields.get("ends_on", ""),
                city=fields.get("city", ""),
                venue=fields.get("venue", ""),
                fee=fields.get("fee", ""),
                credits=fields.get("cme_credits", ""),
                seats=fields.get("seats", ""),
                page=page,
            )
            if course is not None:
                courses.append(course)
        fields = {}
        title = None

    for raw_line in text.replace("\r", "\n").split("\n"):
        line = raw_line.strip()
        labelled: list[tuple[str, str]] = []
        for segment in _split_segments(line):
            match = _LABEL_LINE.match(segment)
            meaning = _text_label(match["label"]) if match else None
            if meaning is None:
                # "Venue - AIIMS": a dash stands for the colon, never after a title.
                match = _DASH_LABEL_LINE.match(segment)
                meaning = _text_label(match["label"]) if match else None
                meaning = None if meaning == "title" else meaning
            if match and meaning:
                labelled.append((meaning, match["value"].strip()))
        if not labelled:
            candidates.append(line)
            continue
        for meaning, value in labelled:
            if meaning == "title":
                close()
                title = value
                fields["title"] = value
            else:
                # The same detail again: the next course, its title among the lines between.
                if not fields or meaning in fields:
                    close()
                    title = _pick_title(candidates)
                fields[meaning] = value
            candidates = []
    close()
    return courses


_COURSE_DETAILS = frozenset({"dates", "starts_on", "venue", "city", "fee", "cme_credits"})


def _pick_title(candidates: list[str]) -> str | None:
    """The course's title among the lines above its details: the nearest that reads like a
    title rather than a sentence."""
    for line in reversed(candidates):
        if line and _looks_like_title(line):
            return line.strip(" -\u2013•*")
    return None
