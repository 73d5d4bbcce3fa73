from dataclasses import replace

import pytest

from benchmarks.knowledge import evaluation, samples
from benchmarks.knowledge.snapshot import build_snapshot, process
from surgiai.knowledge.answers import Answerer, AnswerKind, answer_from_approved
from surgiai.knowledge.facts import TIMES, unsupported_facts

# The sample catalogue's PDF read, chunked and extracted as an uploaded document is.
SNAPSHOT = build_snapshot(process(samples.SURGICARE))


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(SNAPSHOT)


class TestCatalogue:
    def test_price_with_name_code_pack_and_source(self, answerer: Answerer) -> None:
        answer = answerer.answer("price of 5mm trocar?")
        assert answer.kind is AnswerKind.catalogue
        assert answer.text == (
            "*Disposable Trocar 5 mm* (LT-5100)\n"
            "Price: ₹2,450 (Box of 6)\n"
            "_Source: SurgiCare Catalogue 2026, p. 2_"
        )
        assert answer.citations == ("SurgiCare Catalogue 2026, p. 2",)
        assert "₹2,450" in answer.facts

    def test_hinglish_course_date(self, answerer: Answerer) -> None:
        answer = answerer.answer("hernia masterclass kab hai")
        assert answer.text is not None
        assert "*Hernia Repair Masterclass*\nDate: 24 Oct 2026" in answer.text

    def test_several_products_fit_asks_which_without_prices(self, answerer: Answerer) -> None:
        answer = answerer.answer("harmonic scalpel rate?")
        assert answer.kind is AnswerKind.clarify
        assert answer.text is not None
        assert "Harmonic Scalpel Shears 23 cm" in answer.text
        assert "₹" not in answer.text

    def test_a_venue_naming_its_city_is_not_followed_by_it_again(self, answerer: Answerer) -> None:
        answer = answerer.answer("hernia masterclass kahan hai")
        assert answer.text is not None
        assert "Venue: Hotel Lalit Convention Hall, New Delhi\n" in answer.text


class TestMultiHop:
    def test_total_shows_its_arithmetic(self, answerer: Answerer) -> None:
        answer = answerer.answer("total for 3 packs of LT-5100")
        assert answer.text is not None
        assert f"3 {TIMES} ₹2,450 = ₹7,350" in answer.text

    def test_shipping_free_above_the_policy_amount(self, answerer: Answerer) -> None:
        answer = answerer.answer("shipping on 12 boxes of LT-5100 to Pune")
        assert answer.text is not None
        assert f"12 {TIMES} ₹2,450 = ₹29,400" in answer.text
        assert "ships free" in answer.text
        assert "SurgiCare Catalogue 2026, p. 5" in answer.citations

    def test_shipping_charge_below_it(self, answerer: Answerer) -> None:
        answer = answerer.answer("delivery charge for 2 box of silk 2-0?")
        assert answer.text is not None
        assert "₹2,300 + ₹250 = ₹2,550" in answer.text


class TestPolicies:
    def test_an_approved_faq_first(self, answerer: Answerer) -> None:
        answer = answerer.answer("cash on delivery milega?")
        assert answer.kind is AnswerKind.faq
        assert answer.faq_id == 1
        assert answer.citations == ("FAQ #1",)

    def test_then_the_relevant_sentences_of_a_passage(self, answerer: Answerer) -> None:
        answer = answerer.answer("warranty on reusable instruments")
        assert answer.kind is AnswerKind.document
        assert answer.text is not None
        assert "2 years" in answer.text
        # The sentence asked about, not the whole policy page.
        assert "Cancellations" not in answer.text
        assert answer.suggestion is not None
        assert answer.suggestion_citation == "SurgiCare Catalogue 2026, p. 7"

    def test_sentences_that_answer_every_part_of_the_question(self, answerer: Answerer) -> None:
        answer = answerer.answer("do you deliver to pune?")
        assert answer.text is not None
        assert "We deliver across India" in answer.text
        assert "Metro cities (Mumbai, Delhi, Pune" in answer.text
        # The section's heading is not part of the reply.
        assert not answer.text.startswith("Delivery")


class TestRefusals:
    @pytest.mark.parametrize(
        "question",
        [
            "what is the dose of tranexamic acid",
            "which mesh for my patient",
            "kya ye patient ke liye safe hai",
            "side effects of polypropylene mesh?",
        ],
    )
    def test_clinical(self, answerer: Answerer, question: str) -> None:
        answer = answerer.answer(question)
        assert answer.kind is AnswerKind.clinical
        assert answer.text is None

    @pytest.mark.parametrize(
        "question",
        [
            "price of LT-5999",
            "laparoscopic stapler price",
            "price of 7mm trocar",
            "who is your CEO",
        ],
    )
    def test_unknown_never_names_another_product(self, answerer: Answerer, question: str) -> None:
        answer = answerer.answer(question)
        assert answer.kind is AnswerKind.unknown
        assert answer.text is None

    def test_an_unknown_question_drafts_a_suggestion_from_the_documents(self) -> None:
        without_faqs = Answerer(replace(SNAPSHOT, faqs=()))
        answer = without_faqs.answer("course cancellation refund?")
        assert answer.kind is AnswerKind.document
        assert answer.suggestion_citation == "SurgiCare Catalogue 2026, p. 7"

    def test_a_product_without_a_price_is_handed_off(self) -> None:
        products = tuple(replace(p, price=None) for p in SNAPSHOT.products)
        answer = Answerer(replace(SNAPSHOT, products=products)).answer("LT-5100 price")
        assert answer.kind is AnswerKind.unknown


class TestStandby:
    def test_code_name_and_faq_from_approved_rows_only(self) -> None:
        by_code = answer_from_approved(SNAPSHOT, "lt5100 rate")
        assert {"LT-5100", "₹2,450"} <= set(by_code.facts)
        by_name = answer_from_approved(SNAPSHOT, "Veress Needle 120 mm pack")
        assert by_name.text is not None and "Box of 10" in by_name.text
        faq = answer_from_approved(SNAPSHOT, "COD available")
        assert faq.kind is AnswerKind.faq

    def test_no_documents_and_no_guess(self) -> None:
        assert answer_from_approved(SNAPSHOT, "warranty on instruments").kind is (
            AnswerKind.unknown
        )
        assert answer_from_approved(SNAPSHOT, "7mm trocar price").kind is AnswerKind.unknown
        assert answer_from_approved(SNAPSHOT, "dose of heparin").kind is AnswerKind.clinical


def test_every_reply_passes_the_facts_check(answerer: Answerer) -> None:
    for question in evaluation.load("dev"):
        answer = answerer.answer(question.text)
        if answer.text is not None:
            assert unsupported_facts(answer.text, answer.sources_text) == []
