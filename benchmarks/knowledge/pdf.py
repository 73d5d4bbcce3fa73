"""The sample catalogues as PDFs (fpdf2): a cover page, the product table over several pages,
the courses (a table, or a block of lines each), then the policies, two to a page: the layout
`samples.SampleCatalogue` describes."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from benchmarks.knowledge.samples import SampleCatalogue, course_dates, price_text

COLUMN_WIDTHS = {"code": 30, "name": 80, "pack_size": 35, "price": 30, "available": 25}
# Five of these fill the page's width: a brochure's course table has five or six columns.
COURSE_WIDTHS = {"title": 58, "dates": 44, "location": 48, "fee": 22, "credits": 18, "seats": 14}


def write_pdf(catalogue: SampleCatalogue, path: Path) -> Path:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(catalogue.title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 14, catalogue.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 8, catalogue.company, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, catalogue.intro)
    for _, rows in catalogue.product_pages():
        pdf.add_page()
        _heading(pdf, "Products")
        pdf.set_font("Helvetica", "B", 10)
        for column in catalogue.columns:
            pdf.cell(COLUMN_WIDTHS[column], 8, catalogue.headers[column], border=1)
        pdf.ln()
        pdf.set_font("Helvetica", "", 10)
        for product in rows:
            for column in catalogue.columns:
                pdf.cell(COLUMN_WIDTHS[column], 8, catalogue.cell(product, column), border=1)
            pdf.ln()
    pdf.add_page()
    _heading(pdf, "CME courses")
    if catalogue.course_headers:
        _course_table(pdf, catalogue, catalogue.course_headers)
    else:
        _course_blocks(pdf, catalogue)
    for _, sections in catalogue.policy_pages():
        pdf.add_page()
        for heading, text in sections:
            _heading(pdf, heading)
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 7, text)
            pdf.ln(4)
    pdf.output(str(path))
    return path


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")


def _course_blocks(pdf: FPDF, catalogue: SampleCatalogue) -> None:
    for course in catalogue.courses:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 8, course.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for line in (
            f"Dates: {course_dates(course)}",
            f"Venue: {course.venue}, {course.city}",
            f"Registration fee: {catalogue.price_prefix}{price_text(course.fee)}",
            f"CME credits: {course.cme_credits}    Seats: {course.seats}",
        ):
            pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)


def _course_table(pdf: FPDF, catalogue: SampleCatalogue, headers: dict[str, str]) -> None:
    pdf.set_font("Helvetica", "B", 9)
    for column, header in headers.items():
        pdf.cell(COURSE_WIDTHS[column], 8, header, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for course in catalogue.courses:
        for column in headers:
            pdf.cell(COURSE_WIDTHS[column], 8, catalogue.course_cell(course, column), border=1)
        pdf.ln()
