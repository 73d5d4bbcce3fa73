import pytest

from benchmarks.knowledge import samples
from benchmarks.knowledge.snapshot import build_snapshot, process
from surgiai.knowledge.matching import Attribute, Matcher, normalise

# The sample catalogue's PDF read, chunked and extracted as an uploaded document is.
SNAPSHOT = build_snapshot(process(samples.SURGICARE))


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(SNAPSHOT.products, SNAPSHOT.courses)


def names(matcher: Matcher, question: str) -> list[str]:
    found = matcher.recognise(question)
    return [] if found.unexplained else [entity.name for entity in found.entities]


class TestProducts:
    @pytest.mark.parametrize("question", ["LT-5100 price", "lt5100 rate", "LT 5100", "lt-5100?"])
    def test_codes_however_written(self, matcher: Matcher, question: str) -> None:
        found = matcher.recognise(question)
        assert found.by_code
        assert [e.name for e in found.entities] == ["Disposable Trocar 5 mm"]

    @pytest.mark.parametrize(
        ("question", "name"),
        [
            ("harmonic scaplel shears 36 cm", "Harmonic Scalpel Shears 36 cm"),
            ("trocr 12 mm", "Disposable Trocar 12 mm"),
            ("veress neddle", "Veress Needle 120 mm"),
            ("electro surgical pencil", "Electrosurgical Pencil"),
            ("polyglactin 3-0", "Absorbable Suture Polyglactin 3-0"),
        ],
    )
    def test_names_with_typos(self, matcher: Matcher, question: str, name: str) -> None:
        assert names(matcher, question) == [name]

    @pytest.mark.parametrize("size", ["5mm", "5 mm", "5-mm", "5 MM"])
    def test_sizes_written_any_way(self, matcher: Matcher, size: str) -> None:
        assert names(matcher, f"{size} trocar") == ["Disposable Trocar 5 mm"]

    def test_the_size_must_agree(self, matcher: Matcher) -> None:
        assert names(matcher, "7mm trocar") == []
        assert "Disposable Trocar 10 mm" not in names(matcher, "5mm trocar")

    def test_dimensions_pick_the_right_mesh(self, matcher: Matcher) -> None:
        assert names(matcher, "polypropylene mesh 15x15") == ["Polypropylene Mesh 15 x 15 cm"]

    def test_several_fit_equally(self, matcher: Matcher) -> None:
        assert names(matcher, "trocar price") == [
            "Disposable Trocar 5 mm",
            "Disposable Trocar 10 mm",
            "Disposable Trocar 12 mm",
        ]

    def test_a_word_no_product_explains_is_left_over(self, matcher: Matcher) -> None:
        found = matcher.recognise("laparoscopic stapler price")
        assert "laparoscopic" in found.unexplained or "stapler" in found.unexplained

    def test_an_unknown_code(self, matcher: Matcher) -> None:
        assert matcher.recognise("price of LT-5999").unknown_code == "LT-5999"
        assert matcher.recognise("XY-200 rate?").unknown_code == "XY-200"


class TestCourses:
    def test_course_words_and_city(self, matcher: Matcher) -> None:
        assert names(matcher, "Pune wala workshop") == ["Advanced Laparoscopic Suturing Workshop"]
        assert names(matcher, "hernia course") == ["Hernia Repair Masterclass"]


class TestAttributes:
    @pytest.mark.parametrize(
        ("question", "attribute"),
        [
            ("LT-5100 price", Attribute.price),
            ("LT-5100 kitne ka hai", Attribute.price),
            ("LT-5100 kya rate hai", Attribute.price),
            ("LT-5100 daam", Attribute.price),
            ("LT-5100 MRP", Attribute.price),
            ("LT-5100 prise", Attribute.price),
            ("LT-5100 pack size", Attribute.pack),
            ("how many in a box of LT-5100", Attribute.pack),
            ("LT-5100 kitne piece aate hai", Attribute.pack),
            ("code for maryland dissector", Attribute.code),
            ("LT-5100 in stock?", Attribute.availability),
            ("LT-5100 available hai?", Attribute.availability),
            ("hernia masterclass kab hai", Attribute.date),
            ("hernia masterclass fees", Attribute.fee),
            ("hernia masterclass CME points", Attribute.credits),
            ("hernia masterclass kahan hai", Attribute.venue),
            ("hernia masterclass seats", Attribute.seats),
        ],
    )
    def test_english_hinglish_typos(
        self, matcher: Matcher, question: str, attribute: Attribute
    ) -> None:
        assert attribute in matcher.recognise(question).attributes

    def test_pieces_are_the_pack_not_the_price(self, matcher: Matcher) -> None:
        assert Attribute.price not in matcher.recognise("LT-5100 kitne piece").attributes

    def test_quantity(self, matcher: Matcher) -> None:
        assert matcher.recognise("total for 3 packs of LT-5100").quantity == 3
        assert matcher.recognise("2 linear cutter 60 mm ka total").quantity == 2
        assert matcher.recognise("linear cutter 60 mm price").quantity is None


def test_normalise() -> None:
    assert normalise("5mm Trocar, 2/0 suture 15x15cm ₹2,450") == (
        "5 mm trocar 2-0 suture 15 x 15 cm rs 2 450"
    )
