"""Products and courses read from tables and text, whatever the layout and the wording."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from surgiai.catalogue.extraction import (
    ExtractedCourse,
    classify_product_header,
    courses_from_table,
    courses_from_text,
    normalise_code,
    parse_date_range,
    parse_money,
    products_from_table,
)


def summary(rows: list[list[str | None]]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [
        (p.name, p.code, p.pack_size, None if p.price is None else str(p.price))
        for p in products_from_table(rows, page=3)
    ]


class TestProductTables:
    def test_header_on_the_first_row(self) -> None:
        rows: list[list[str | None]] = [
            ["Product", "Code", "Pack", "Price"],
            ["Vicryl 2-0", "lt-5100", "Box of 12", "₹ 1,25,000"],
            ["Prolene 3-0", " LT-5101 ", "12 pcs", "Rs. 2,450/-"],
        ]
        assert summary(rows) == [
            ("Vicryl 2-0", "LT-5100", "Box of 12", "125000.00"),
            ("Prolene 3-0", "LT-5101", "12 pcs", "2450.00"),
        ]
        assert products_from_table(rows, 3)[0].page == 3
        assert products_from_table(rows, 3)[0].currency == "INR"

    def test_a_title_row_a_serial_column_and_other_wording(self) -> None:
        rows: list[list[str | None]] = [
            ["ACME Surgical — Price List 2026", None, None, None, None],
            ["S. No.", "Cat. No.", "Particulars", "Qty/Box", "MRP (₹)"],
            ["1", "ST-60", "Linear Stapler\n60 mm", "1", "INR 24,500.00"],
            ["2", "ST-80", "Linear Stapler 80 mm", "1", "26500"],
        ]
        assert summary(rows) == [
            ("Linear Stapler 60 mm", "ST-60", "1", "24500.00"),
            ("Linear Stapler 80 mm", "ST-80", "1", "26500.00"),
        ]

    def test_prices_first_and_a_category_column_with_merged_cells(self) -> None:
        rows: list[list[str | None]] = [
            ["Rate (₹)", "Range", "REF No.", "Item", "Units per pack"],
            ["2,450", "Sutures", "V-20", "Vicryl 2-0", "12"],
            ["1,950", None, "V-30", "Vicryl 3-0", "12"],
            ["9,000", "Mesh", "M-1515", "Polypropylene Mesh 15x15", "1"],
        ]
        products = products_from_table(rows, 1)
        assert [(p.code, p.category, p.price) for p in products] == [
            ("V-20", "Sutures", Decimal("2450.00")),
            ("V-30", "Sutures", Decimal("1950.00")),
            ("M-1515", "Mesh", Decimal("9000.00")),
        ]

    def test_category_headings_repeated_headers_and_totals(self) -> None:
        rows: list[list[str | None]] = [
            ["Description", "SKU", "Packing", "Unit Price (INR)"],
            ["LAPAROSCOPY", None, None, None],
            ["Trocar 5 mm", "TR-5", "Box of 6", "3,200"],
            ["Description", "SKU", "Packing", "Unit Price (INR)"],  # continued on the next page
            ["Trocar 10 mm", "TR-10", "Box of 6", "3,600"],
            ["HERNIA", "", "", ""],
            ["Tacker", "TK-1", "1", "18,000"],
            ["Total", "", "", "24,800"],
            ["Note: prices exclude GST", None, None, None],
        ]
        products = products_from_table(rows, 2)
        assert [(p.name, p.category) for p in products] == [
            ("Trocar 5 mm", "LAPAROSCOPY"),
            ("Trocar 10 mm", "LAPAROSCOPY"),
            ("Tacker", "HERNIA"),
        ]

    def test_a_price_in_another_currency_and_a_size_column(self) -> None:
        rows: list[list[str | None]] = [
            ["Product Name", "Size", "Item Code", "Price/Box (USD)"],
            ["Vicryl", "2-0", "W9120", "120.50"],
            ["Vicryl", "3-0", "W9121", "$ 118"],
        ]
        products = products_from_table(rows, 1)
        assert [(p.name, p.currency, p.price) for p in products] == [
            ("Vicryl 2-0", "USD", Decimal("120.50")),
            ("Vicryl 3-0", "USD", Decimal("118.00")),
        ]

    def test_a_header_wrapped_onto_two_rows(self) -> None:
        rows: list[list[str | None]] = [
            ["Product", "Cat.", "Pack", "MRP"],
            [None, "No.", "Size", "(₹)"],
            ["Harmonic Shears 36 cm", "HAR36", "1", "85,000"],
            ["Product", "Cat.", "Pack", "MRP"],
            [None, "No.", "Size", "(₹)"],
            ["Harmonic Shears 23 cm", "HAR23", "1", "82,000"],
        ]
        assert summary(rows) == [
            ("Harmonic Shears 36 cm", "HAR36", "1", "85000.00"),
            ("Harmonic Shears 23 cm", "HAR23", "1", "82000.00"),
        ]

    def test_a_first_product_without_digits_is_no_header(self) -> None:
        rows: list[list[str | None]] = [
            ["Product", "Code", "Price"],
            ["Scissors", "SC", "On request"],
            ["Forceps", "FC-1", "900"],
        ]
        assert [p.name for p in products_from_table(rows, 1)] == ["Scissors", "Forceps"]

    def test_a_stock_column_says_what_is_out_of_stock(self) -> None:
        products = products_from_table(
            [
                ["Product", "Code", "Price", "Stock"],
                ["Disposable Trocar 5 mm", "TR-5", "2,450", "Out of stock"],
                ["Disposable Trocar 10 mm", "TR-10", "2,890", "In Stock"],
                ["Veress Needle", "VN-1", "1,875", "call us"],
            ],
            page=2,
        )
        assert [product.available for product in products] == [False, True, None]

    def test_ambiguous_prices_are_not_guessed(self) -> None:
        rows: list[list[str | None]] = [
            ["Product", "Price"],
            ["Laparoscopy tower", "1.2 lakh"],
            ["Harmonic generator", "On request"],
            ["Camera head", "2.450,00"],
        ]
        assert [p.price for p in products_from_table(rows, 1)] == [None, None, None]

    def test_a_table_that_lists_no_products(self) -> None:
        assert products_from_table([["Day", "Session", "Faculty"], ["1", "Intro", "Dr A"]], 1) == []
        assert products_from_table([], 1) == []
        assert products_from_table([["Course", "Dates", "Venue", "Fee"]], 1) == []

    @pytest.mark.parametrize(
        ("header", "meaning"),
        [
            ("Cat. No.", "code"),
            ("Catalogue No", "code"),
            ("REF No.", "code"),
            ("S. No.", None),
            ("HSN Code", None),
            ("Price/Box", "price"),
            ("Qty/Box", "pack_size"),
            ("Product Type", "category"),
            ("Particulars", "name"),
            ("Stock", "available"),
            ("Availability", "available"),
        ],
    )
    def test_header_meanings(self, header: str, meaning: str | None) -> None:
        assert classify_product_header(header) == meaning


class TestValues:
    @pytest.mark.parametrize(
        ("text", "amount"),
        [
            ("₹ 1,25,000", "125000.00"),
            ("Rs. 2,450/-", "2450.00"),
            ("INR 2450.00", "2450.00"),
            ("2,450", "2450.00"),
            ("1,234,567.5", "1234567.50"),
            ("1.2 lakh", None),
            ("2.450,00", None),
            ("-100", None),
            ("", None),
        ],
    )
    def test_money(self, text: str, amount: str | None) -> None:
        parsed = parse_money(text).amount
        assert (None if parsed is None else str(parsed)) == amount

    def test_codes_are_folded(self) -> None:
        assert normalise_code("  lt-5100 ") == "LT-5100"
        assert normalise_code("—") is None

    @pytest.mark.parametrize(
        ("text", "first", "last"),
        [
            ("12-13 Jan 2027", date(2027, 1, 12), date(2027, 1, 13)),
            ("12\u201313 Jan 2027", date(2027, 1, 12), date(2027, 1, 13)),
            ("12th & 13th January 2027", date(2027, 1, 12), date(2027, 1, 13)),
            ("12/01/2027", date(2027, 1, 12), date(2027, 1, 12)),
            ("2027-01-12", date(2027, 1, 12), date(2027, 1, 12)),
            ("30 Jan \u2013 1 Feb 2027", date(2027, 1, 30), date(2027, 2, 1)),
            ("January 12-13, 2027", date(2027, 1, 12), date(2027, 1, 13)),
            ("Sat, 12 Jan 2027 to Sun, 13 Jan 2027", date(2027, 1, 12), date(2027, 1, 13)),
            ("12 Jan", None, None),
        ],
    )
    def test_dates(self, text: str, first: date | None, last: date | None) -> None:
        assert parse_date_range(text) == (first, last)


class TestCourses:
    def test_from_a_table(self) -> None:
        rows: list[list[str | None]] = [
            ["CME Calendar 2027", None, None, None, None, None],
            ["Programme", "Date(s)", "Venue", "Registration Fee", "CME Points", "Seats"],
            [
                "Hernia Masterclass",
                "12th & 13th March 2027",
                "KEM Hospital, Mumbai",
                "₹ 12,000",
                "6",
                "25",
            ],
            ["Basic Laparoscopy", "2027-04-05", "AIIMS, New Delhi", "Free", "4", "Limited"],
        ]
        assert courses_from_table(rows, 7) == [
            ExtractedCourse(
                title="Hernia Masterclass",
                starts_on=date(2027, 3, 12),
                ends_on=date(2027, 3, 13),
                city="Mumbai",
                venue="KEM Hospital, Mumbai",
                fee=Decimal("12000.00"),
                currency="INR",
                cme_credits=Decimal("6.0"),
                seats=25,
                page=7,
            ),
            ExtractedCourse(
                title="Basic Laparoscopy",
                starts_on=date(2027, 4, 5),
                ends_on=date(2027, 4, 5),
                city="New Delhi",
                venue="AIIMS, New Delhi",
                fee=Decimal("0.00"),
                currency="INR",
                cme_credits=Decimal("4.0"),
                seats=None,
                page=7,
            ),
        ]

    def test_a_table_with_start_and_end_columns_and_a_city(self) -> None:
        rows: list[list[str | None]] = [
            ["Course Title", "City", "Start Date", "End Date", "Credit Hours"],
            ["Endo-suturing", "Pune", "12/01/2027", "14/01/2027", "8.5"],
        ]
        (course,) = courses_from_table(rows, 1)
        assert (course.city, course.starts_on, course.ends_on, course.cme_credits) == (
            "Pune",
            date(2027, 1, 12),
            date(2027, 1, 14),
            Decimal("8.5"),
        )

    def test_a_product_table_is_no_course_table(self) -> None:
        assert courses_from_table([["Product", "Code", "Price"], ["Vicryl", "V1", "10"]], 1) == []

    def test_from_brochure_text(self) -> None:
        text = """ACME Surgical Academy
CME Programme 2027

Advanced Laparoscopic Suturing Workshop
A two-day hands-on course for practising surgeons, on live tissue.
Dates: 12\u201313 Jan 2027
Venue: AIIMS, New Delhi
Fee: ₹ 15,000
CME credits: 8
Seats: 30

Hysteroscopy for Gynaecologists
Dates: 12th & 13th February 2027 | Venue: Fortis Hospital, Mumbai | Fee: Rs. 8,000/-
CME points: 6
Organised by: ACME Surgical
"""
        first, second = courses_from_text(text, 4)
        assert first == ExtractedCourse(
            title="Advanced Laparoscopic Suturing Workshop",
            starts_on=date(2027, 1, 12),
            ends_on=date(2027, 1, 13),
            city="New Delhi",
            venue="AIIMS, New Delhi",
            fee=Decimal("15000.00"),
            currency="INR",
            cme_credits=Decimal("8.0"),
            seats=30,
            page=4,
        )
        assert (second.title, second.starts_on, second.city, second.fee, second.cme_credits) == (
            "Hysteroscopy for Gynaecologists",
            date(2027, 2, 12),
            "Mumbai",
            Decimal("8000.00"),
            Decimal("6.0"),
        )

    def test_details_that_share_a_line(self) -> None:
        [course] = courses_from_text(
            "Basic Laparoscopic Skills\nDates: 14-16 March 2027 Venue: Ruby Hall, Pune\n"
            "Fee: Rs. 25,000\nCME credits: 12 Seats: 30",
            page=4,
        )
        assert (course.starts_on, course.ends_on) == (date(2027, 3, 14), date(2027, 3, 16))
        assert (course.venue, course.fee, course.cme_credits, course.seats) == (
            "Ruby Hall, Pune",
            Decimal("25000.00"),
            Decimal("12.0"),
            30,
        )

    def test_a_row_whose_words_look_like_a_header_is_still_a_course(self) -> None:
        courses = courses_from_table(
            [
                ["Course", "Dates", "Venue", "Fee", "CME Credits"],
                ["Basic Laparoscopic Skills", "14 Feb 2027", "Ruby Hall, Pune", "Rs. 9,000", "6"],
                [
                    "Laparoscopic Hysterectomy Workshop",
                    "14 Feb 2027 to 15 Feb 2027",
                    "AMRI Skills Centre, Kolkata",
                    "Rs. 15,000",
                    "10",
                ],
            ],
            page=5,
        )
        assert [course.title for course in courses] == [
            "Basic Laparoscopic Skills",
            "Laparoscopic Hysterectomy Workshop",
        ]
        assert courses[1].ends_on == date(2027, 2, 15)

    def test_a_course_label_names_the_course(self) -> None:
        text = "Course: Hernia Repair Masterclass\nDate: 2027-03-01\nCity: Chennai\n"
        (course,) = courses_from_text(text, 1)
        assert (course.title, course.starts_on, course.city) == (
            "Hernia Repair Masterclass",
            date(2027, 3, 1),
            "Chennai",
        )

    def test_text_without_course_details(self) -> None:
        assert courses_from_text("Our sutures are made in India.\nCall us: 98200 00000", 1) == []
