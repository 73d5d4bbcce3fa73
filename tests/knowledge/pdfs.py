"""PDFs built in the tests (fpdf2), good and broken: catalogues with product tables in two
layouts, a course brochure, policies, and every way a file can be unusable. The evaluation set
reuses them, so they read like the company's real documents."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import TableBordersLayout

# DejaVu ships with Debian and has the rupee sign; the core PDF fonts do not.
UNICODE_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
UNICODE_BOLD_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class SampleProduct:
    name: str
    code: str
    pack_size: str
    price: Decimal
    category: str


@dataclass(frozen=True)
class SampleCourse:
    title: str
    dates: str
    city: str
    venue: str
    fee: Decimal
    cme_credits: str
    seats: int


PRODUCTS: tuple[SampleProduct, ...] = (
    SampleProduct("Disposable Trocar 5 mm", "TR-0500", "Box of 6", Decimal("2450"), "Laparoscopy"),
    SampleProduct("Disposable Trocar 10 mm", "TR-1000", "Box of 6", Decimal("2890"), "Laparoscopy"),
    SampleProduct("Disposable Trocar 12 mm", "TR-1200", "Box of 6", Decimal("3150"), "Laparoscopy"),
    SampleProduct("Veress Needle 120 mm", "VN-120", "Box of 10", Decimal("1875"), "Laparoscopy"),
    SampleProduct("Ligating Clip Medium-Large", "LC-300", "Pack of 36", Decimal("5600"), "Clips"),
    SampleProduct("Ligating Clip Large", "LC-400", "Pack of 36", Decimal("6240"), "Clips"),
    SampleProduct("Skin Stapler 35W", "SS-35W", "Box of 6", Decimal("4320"), "Staplers"),
    SampleProduct("Linear Cutter 60 mm", "LCU-60", "Each", Decimal("18500"), "Staplers"),
    SampleProduct("Polyglactin Suture 2-0", "PG-20", "Box of 12", Decimal("3360"), "Sutures"),
    SampleProduct("Polypropylene Mesh 15x15 cm", "PM-1515", "Each", Decimal("2150"), "Hernia"),
)

COURSES: tuple[SampleCourse, ...] = (
    SampleCourse(
        "Basic Laparoscopic Skills",
        "14-16 March 2026",
        "Pune",
        "Ruby Hall Clinic Skills Lab",
        Decimal("25000"),
        "12",
        30,
    ),
    SampleCourse(
        "Advanced Hernia Repair",
        "9-10 May 2026",
        "Mumbai",
        "Lilavati Hospital Auditorium",
        Decimal("18000"),
        "8",
        24,
    ),
    SampleCourse(
        "Stapling in GI Surgery",
        "4 July 2026",
        "Delhi",
        "AIIMS Convention Centre",
        Decimal("9500"),
        "4",
        40,
    ),
)

POLICY_TEXT = (
    "Delivery: orders are dispatched within 2 working days and reach metro cities in 3 to 5 "
    "days. Shipping is free on orders above Rs. 10,000; below that a flat charge of Rs. 250 "
    "applies. Payment: we accept NEFT, UPI and cheques; hospitals may pay within 30 days of "
    "the invoice. Returns: unopened boxes may be returned within 15 days of delivery. "
    "Warranty: reusable instruments carry a 12 month warranty against manufacturing defects."
)


def rupees(amount: Decimal) -> str:
    """₹ with Indian digit grouping, as catalogues print it: ₹ 1,25,000."""
    whole = str(int(amount))
    if len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        whole = ",".join(groups) + "," + tail
    return f"₹ {whole}"


def _document() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", UNICODE_FONT)
    pdf.add_font("DejaVu", "B", UNICODE_BOLD_FONT)
    pdf.set_font("DejaVu", size=11)
    return pdf


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(
    pdf: FPDF,
    rows: Sequence[Sequence[str]],
    *,
    layout: TableBordersLayout = TableBordersLayout.ALL,
    col_widths: Sequence[int] | None = None,
) -> None:
    with pdf.table(
        borders_layout=layout,
        line_height=7,
        first_row_as_headings=True,
        col_widths=tuple(col_widths) if col_widths else None,
    ) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.ln(4)


def _bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def text_pdf(pages: Sequence[str], *, heading: str | None = None) -> bytes:
    """One page per text, each a run of paragraphs (separated by blank lines)."""
    pdf = _document()
    for number, text in enumerate(pages, start=1):
        pdf.add_page()
        if heading is not None and number == 1:
            _heading(pdf, heading)
        for paragraph in text.split("\n\n"):
            _paragraph(pdf, paragraph)
    return _bytes(pdf)


def product_rows_grid(products: Sequence[SampleProduct]) -> list[list[str]]:
    """Layout A: name first, price last, "Price (₹)" in the header."""
    header = ["Product", "Code", "Pack Size", "Price (₹)"]
    return [header] + [[p.name, p.code, p.pack_size, f"{p.price:,}"] for p in products]


def product_rows_catalogue_number_first(
    products: Sequence[SampleProduct],
) -> list[list[str]]:
    """Layout B: the code first, other header words, the price with its rupee sign."""
    header = ["Cat. No.", "Description", "Category", "MRP", "Qty/Box"]
    return [header] + [[p.code, p.name, p.category, rupees(p.price), p.pack_size] for p in products]


def catalogue_pdf(
    products: Sequence[SampleProduct] = PRODUCTS,
    *,
    title: str = "SurgiCare Product Catalogue 2026",
    layout: str = "grid",
    extra_text_pages: int = 0,
) -> bytes:
    """A catalogue: an introduction, the products table (layout "grid" or "number_first"),
    the policies, and `extra_text_pages` pages of product descriptions."""
    pdf = _document()
    pdf.add_page()
    _heading(pdf, title)
    _paragraph(
        pdf,
        "SurgiCare supplies laparoscopic instruments, clips, staplers and sutures to hospitals "
        "and surgeons across India. Prices below are per pack and include GST.",
    )
    pdf.add_page()
    _heading(pdf, "Price list")
    if layout == "grid":
        _table(pdf, product_rows_grid(products))
    else:
        _table(pdf, product_rows_catalogue_number_first(products))
    pdf.add_page()
    _heading(pdf, "Terms of supply")
    for paragraph in POLICY_TEXT.split(". "):
        _paragraph(pdf, paragraph.rstrip(".") + ".")
    for index in range(extra_text_pages):
        pdf.add_page()
        product = products[index % len(products)]
        _heading(pdf, product.name)
        _paragraph(
            pdf,
            f"The {product.name} (code {product.code}) is supplied sterile, {product.pack_size}. "
            "It is designed for single use and comes with an instruction leaflet. Store in a "
            "cool, dry place away from direct sunlight. Each unit is individually packed and "
            "labelled with its lot number and expiry date for traceability. "
            "Contact your SurgiCare representative for bulk pricing on orders of more than "
            "twenty boxes.",
        )
    return _bytes(pdf)


def course_brochure_pdf(courses: Sequence[SampleCourse] = COURSES) -> bytes:
    """A CME brochure: the courses as a table and each described in text."""
    pdf = _document()
    pdf.add_page()
    _heading(pdf, "SurgiCare Academy: CME Courses 2026")
    rows = [["Course", "Dates", "City", "Venue", "Fee", "Credits", "Seats"]]
    rows += [
        [c.title, c.dates, c.city, c.venue, rupees(c.fee), c.cme_credits, str(c.seats)]
        for c in courses
    ]
    pdf.set_font("DejaVu", size=9)
    _table(pdf, rows, col_widths=(46, 30, 18, 42, 20, 18, 12))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    for course in courses:
        _paragraph(
            pdf,
            f"{course.title}: {course.dates} at {course.venue}, {course.city}. "
            f"Fee {rupees(course.fee)}, {course.cme_credits} CME credits, {course.seats} seats.",
        )
    return _bytes(pdf)


def encrypted_pdf() -> bytes:
    """Opens only with its password."""
    pdf = _document()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.add_page()
    _paragraph(pdf, "Confidential price list.")
    return _bytes(pdf)


def image_only_pdf(pages: int = 1, *, text_first: str | None = None) -> bytes:
    """A scan: each page only an embedded picture, no text layer (after one page of
    `text_first`, if given)."""
    from PIL import Image

    picture = Image.new("RGB", (400, 300), (235, 235, 235))
    for x in range(40, 360):
        picture.putpixel((x, 150), (20, 20, 20))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    pdf = _document()
    if text_first is not None:
        pdf.add_page()
        _paragraph(pdf, text_first)
    for _ in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(buffer.getvalue()), x=10, y=10, w=180)
    return _bytes(pdf)


def truncated_pdf() -> bytes:
    """The first part of a good file, as a broken upload leaves it."""
    data = catalogue_pdf()
    return data[: len(data) // 3]


def garbage_pdf() -> bytes:
    """A PDF header followed by nothing a reader can use."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8


def no_pages_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def not_a_pdf() -> bytes:
    """A Word-like file (a zip) someone renamed to .pdf."""
    return b"PK\x03\x04" + b"\x00" * 200 + b"word/document.xml"


def oversized_pdf(limit_bytes: int) -> bytes:
    """Starts like a PDF, one byte over `limit_bytes`."""
    header = b"%PDF-1.7\n"
    return header + b"0" * (limit_bytes + 1 - len(header))
