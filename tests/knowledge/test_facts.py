from surgiai.knowledge.facts import TIMES, stated_facts, unsupported_facts

SOURCES = (
    "Disposable Trocar 5 mm | LT-5100 | Box of 6 | Rs. 2,450 | SurgiCare Catalogue 2026, p. 2\n"
    "Hernia Repair Masterclass | 2027-01-12 | New Delhi | 9500 | GST at 12% is added"
)


class TestSupportedFacts:
    def test_prices_compare_by_value_whatever_the_writing(self) -> None:
        for price in ("₹2,450", "₹ 2,450", "Rs.2450", "Rs 2,450.00", "INR 2450", "2450"):
            assert unsupported_facts(f"Price: {price}", SOURCES) == []

    def test_dates_compare_by_day(self) -> None:
        for day in ("12 Jan 2027", "12/01/2027", "2027-01-12", "January 12, 2027", "12th Jan 2027"):
            assert unsupported_facts(f"Starts {day}", SOURCES) == []

    def test_codes_percentages_and_the_citation(self) -> None:
        text = (
            "*Disposable Trocar 5 mm* (LT-5100)\nGST 12 %\n_Source: SurgiCare Catalogue 2026, p. 2_"
        )
        assert unsupported_facts(text, SOURCES) == []

    def test_arithmetic_shown_with_its_operands(self) -> None:
        sources = SOURCES + "\nQuantity asked: 3"
        assert unsupported_facts(f"3 {TIMES} ₹2,450 = ₹7,350", sources) == []
        chained = f"3 {TIMES} ₹2,450 = ₹7,350\n₹7,350 + ₹2,450 = ₹9,800"
        assert unsupported_facts(chained, sources) == []


class TestInventedFacts:
    def test_an_invented_price(self) -> None:
        assert unsupported_facts("Price: ₹2,540 (Box of 6)", SOURCES) == ["₹2,540"]

    def test_an_invented_date(self) -> None:
        assert unsupported_facts("Date: 13 Jan 2027", SOURCES) == ["13 Jan 2027"]

    def test_an_invented_code(self) -> None:
        assert unsupported_facts("Code: LT-5101", SOURCES) == ["LT-5101"]

    def test_a_result_without_its_operands_or_with_wrong_arithmetic(self) -> None:
        sources = SOURCES + "\nQuantity asked: 3"
        assert unsupported_facts("Total: ₹7,350", sources) == ["₹7,350"]
        assert unsupported_facts(f"3 {TIMES} ₹2,450 = ₹7,450", sources) == ["₹7,450"]

    def test_an_operand_not_in_the_sources(self) -> None:
        assert unsupported_facts(f"4 {TIMES} ₹2,450 = ₹9,800", SOURCES) == ["4"]


def test_stated_facts_as_written() -> None:
    assert stated_facts("*Trocar* (LT-5100) ₹2,450 on 12 Sep 2026, 12%") == (
        "LT-5100",
        "₹2,450",
        "12 Sep 2026",
        "12%",
    )
