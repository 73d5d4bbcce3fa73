"""What a doctor's question is about: the product or course (by code, or by name with typos and
sizes), the attribute asked (price, pack, date, fee …), a quantity for arithmetic, and whether
it is a policy question. Doctors write English, Hinglish and typos: "lt5100 kitne ka",
"trocr 12 mm daam", "hernia masterclass kab hai".

A product is named only when every content word of the question is explained by it: a word
left over ("laparoscopic *stapler*" when only a skin stapler is listed) means the doctor asked
about something else, and the answer is a hand-off, never the nearest product."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from surgiai.knowledge.facts import code_key
from surgiai.knowledge.snapshot import CourseFact, ProductFact

# Tuned on the development questions: "trocr"/"trocar" scores 91, "neddle"/"needle" 83, while
# "stapler"/"stapling" (another product) scores 80.
NAME_TYPO_RATIO = 82.0
ATTRIBUTE_TYPO_RATIO = 80.0
MIN_TYPO_LENGTH = 4

UNITS = ("mm", "cm", "ml", "fr", "ch", "g", "inch", "w")


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Attribute(StrEnum):
    price = "price"
    pack = "pack"
    code = "code"
    availability = "availability"
    date = "date"
    fee = "fee"
    credits = "credits"
    venue = "venue"
    seats = "seats"


# Phrases first (they decide between "kitne ka" = price and "kitne piece" = pack).
_ATTRIBUTE_PATTERNS: tuple[tuple[Attribute, re.Pattern[str]], ...] = tuple(
    (attribute, re.compile(pattern))
    for attribute, pattern in (
        (
            Attribute.pack,
            r"\bpack(?:ing|s)? ?size\b|\bpacking\b|\bhow many (?:in|per|pieces|pcs|units|come)"
            r"|\bkitne (?:piece|pieces|pcs|pc|units?|nos|aate)|\b(?:box|pack) (?:me|mein|main)"
            r"|\bpieces? per\b|\bper (?:box|pack)\b|\bpack\b",
        ),
        (
            Attribute.price,
            r"\b(?:prices?|pricing|rates?|costs?|mrp|daam|dam|keemat|kimat|kitne ka|kitne ki"
            r"|kitna|how much|total)\b",
        ),
        (Attribute.code, r"\b(?:code|cat no|catalogue (?:no|number)|item no|ref no)\b"),
        (
            Attribute.availability,
            r"\b(?:in stock|stock|available|availability|avail|milega|milegi|do you have"
            r"|do you (?:sell|supply|keep|make|deal in)|milte|milti|rakhte)\b",
        ),
        (Attribute.date, r"\b(?:when|kab|dates?|schedule|timings?)\b"),
        (Attribute.fee, r"\b(?:fees?|registration)\b"),
        (Attribute.credits, r"\b(?:cme (?:points?|credits?|hours?)|credits?|points?)\b"),
        (Attribute.venue, r"\b(?:where|kahan|kaha|venue|location|address|jagah)\b"),
        (Attribute.seats, r"\b(?:seats?|batch size)\b"),
    )
)
# One-word attribute names, for typos ("prise", "availabel").
_ATTRIBUTE_WORDS = {
    "price": Attribute.price,
    "rate": Attribute.price,
    "cost": Attribute.price,
    "available": Attribute.availability,
    "availability": Attribute.availability,
    "venue": Attribute.venue,
    "seats": Attribute.seats,
    "registration": Attribute.fee,
    "credits": Attribute.credits,
}

# Words that say nothing about which product: English and Hinglish function words, greetings,
# the words attributes and quantities are asked with.
STOPWORDS = word_set(
    """
    a an the of for to in on at by with from and or is are was be it this that these those
    me my i we you your our us he she they them please pls plz kindly sir madam mam maam dr
    doctor doc hi hello hey ok okay thanks thank thx ji bhai bhaiya what whats which how much
    many any some can could would will shall should do does did have has had get got give
    tell send share need want know about regarding details detail info information here there
    price prices pricing rate rates cost costs mrp daam dam keemat kimat kitne kitna kitni ka ki
    ke ko se me mein main hai hain h kya kyaa batao bataye btao bolo chahiye wala wali wale
    aur ya toh to bhi per pack packs packing size box boxes piece pieces pcs pc nos unit units
    code cat no number item ref stock available availability avail milega milegi when kab date
    dates schedule timing timings fee fees registration cme point points credit credits hour
    hours where kahan kaha venue location address jagah seat seats batch total hoga aate aata
    come comes product products item items order buy purchase quote quotation latest current
    is it its la do dena de sell sells selling supply supplies keep deal make milte milti
    rakhte
    """
)
# Words that make a question about a course: removed from the content words, and they limit the
# match to courses.
COURSE_WORDS = word_set(
    "course courses workshop workshops masterclass program programme training session cme"
)
# Policy words: delivery, payment, returns, warranty, tax.
POLICY_WORDS = word_set(
    """
    deliver delivery deliveries delivered shipping ship shipped shipment courier dispatch
    dispatched charge charges charged cod cash payment payments pay paying upi neft rtgs card
    cards emi gst invoice bill tax refund refunds return returns returned replace replacement
    damaged damage broken defective warranty guarantee cancel cancellation cancelled discount
    discounts credit days din time free minimum
    """
)
# Destinations in delivery questions, not product words.
CITIES = word_set(
    """
    mumbai delhi pune bengaluru bangalore chennai hyderabad kolkata ahmedabad surat jaipur
    lucknow kanpur nagpur indore bhopal patna vadodara ludhiana agra nashik ranchi raipur
    coimbatore kochi cochin trivandrum thiruvananthapuram guwahati chandigarh mysore mysuru
    vizag visakhapatnam madurai varanasi amritsar dehradun noida gurgaon gurugram goa jodhpur
    udaipur aurangabad rajkot jabalpur meerut allahabad prayagraj bhubaneswar cuttack siliguri
    """
)
_QUANTITY = re.compile(r"\b(\d{1,4}) ?(?:packs?|boxes|box|units?|pcs|pieces?|nos|cartons?|sets?)\b")
_TOTAL_QUANTITY = re.compile(r"\b(\d{1,4}) (?!(?:" + "|".join(UNITS) + r")\b)[a-z]")
_CODE_LIKE = re.compile(r"\b[A-Za-z]{1,4}[-/]?\d{3,}\b")
_TOKEN = re.compile(r"\d+(?:\.\d+)?-0|\d+(?:\.\d+)?|[a-z]+")
_SIZE = re.compile(r"(\d+(?:\.\d+)?) (" + "|".join(UNITS) + r")\b")


def normalise(text: str) -> str:
    """Lower case, one spelling of sizes ("5mm", "5-mm" → "5 mm") and suture gauges
    ("2/0" → "2-0"), punctuation gone."""
    text = text.lower().replace("₹", " rs ")
    text = re.sub(r"\b(\d)\s*[-/]\s*0\b", r"\1-0", text)
    text = re.sub(r"(\d)\s*x\s*(\d)", r"\1 x \2", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*-?\s*(" + "|".join(UNITS) + r")\b", r"\1 \2", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    return " ".join(re.sub(r"[^a-z0-9.\- ]", " ", text).split())


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def sizes(text: str) -> frozenset[tuple[str, str]]:
    return frozenset(_SIZE.findall(normalise(text)))


@dataclass(frozen=True)
class Entity:
    """A product or a course as matching sees it."""

    product: ProductFact | None
    course: CourseFact | None
    name: str
    words: tuple[str, ...]
    sizes: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Recognition:
    # The best candidates: one when sure, several when the question fits several equally.
    entities: tuple[Entity, ...]
    by_code: bool
    # A product code asked about that no product has.
    unknown_code: str | None
    # Content words of the question that the best candidates do not explain.
    unexplained: tuple[str, ...]
    confidence: float
    attributes: frozenset[Attribute]
    quantity: int | None
    is_policy: bool
    about_course: bool


class Matcher:
    """Indexes the products and courses once; `recognise` is then pure string work."""

    def __init__(self, products: tuple[ProductFact, ...], courses: tuple[CourseFact, ...]):
        self.entities: list[Entity] = [
            Entity(p, None, p.name, _name_words(p.name), sizes(p.name)) for p in products
        ] + [
            Entity(
                None,
                c,
                c.title,
                _name_words(" ".join(filter(None, (c.title, c.city)))),
                frozenset(),
            )
            for c in courses
        ]
        self.codes: dict[str, ProductFact] = {}
        aliases: Counter[str] = Counter()
        alias_product: dict[str, ProductFact] = {}
        for product in products:
            if not product.code:
                continue
            self.codes[code_key(product.code)] = product
            # "OL/CS-3520" is also asked as "CS 3520": every tail that still has letters.
            parts = re.split(r"[-/ ]", product.code)
            for start in range(1, len(parts)):
                tail = code_key("".join(parts[start:]))
                if re.search(r"[A-Z]", tail) and re.search(r"\d", tail):
                    aliases[tail] += 1
                    alias_product[tail] = product
        for alias, count in aliases.items():
            if count == 1 and alias not in self.codes:
                self.codes[alias] = alias_product[alias]
        self.code_prefixes = {re.sub(r"\d.*", "", key) for key in self.codes}
        counts = Counter(word for entity in self.entities for word in set(entity.words))
        total = max(len(self.entities), 1)
        self.idf = {word: math.log(1 + total / count) for word, count in counts.items()}
        self.vocabulary = frozenset(counts)

    def recognise(self, question: str) -> Recognition:
        text = normalise(question)
        words = _TOKEN.findall(text)
        attributes = detect_attributes(text)
        quantity = _quantity(text)
        is_policy = any(word in POLICY_WORDS for word in words)
        about_course = any(word in COURSE_WORDS for word in words)
        coded, consumed, unknown_code = self._codes(question)
        if coded:
            return Recognition(
                tuple(coded), True, None, (), 1.0, attributes, quantity, is_policy, False
            )
        content = [
            word
            for index, word in enumerate(words)
            if index not in consumed
            and word not in STOPWORDS
            and word not in COURSE_WORDS
            and word not in POLICY_WORDS
            and word not in CITIES
            and not (quantity is not None and word == str(quantity))
            and not _is_attribute_typo(word)
            and word != "x"
        ]
        # A city names a course only when the question is about courses.
        if about_course:
            content += [word for word in words if word in CITIES]
        if unknown_code is not None:
            return Recognition(
                (),
                False,
                unknown_code,
                tuple(content),
                0.0,
                attributes,
                quantity,
                is_policy,
                about_course,
            )
        asked_sizes = sizes(text)
        candidates = [
            entity
            for entity in self.entities
            if (entity.course is not None or not about_course)
            and (not asked_sizes or (entity.product is not None and asked_sizes <= entity.sizes))
        ]
        best: list[tuple[Entity, frozenset[str], float]] = []
        best_weight = 0.0
        for entity in candidates:
            explained, weight, coverage = self._explain(content, entity)
            if not explained or not any(_is_name_word(word) for word in explained):
                continue
            # Equal weight is a tie ("trocar price" fits every trocar), whatever the coverage.
            if round(weight, 6) > round(best_weight, 6):
                best, best_weight = [(entity, explained, coverage)], weight
            elif round(weight, 6) == round(best_weight, 6):
                best.append((entity, explained, coverage))
        if not best:
            return Recognition(
                (),
                False,
                None,
                tuple(content),
                0.0,
                attributes,
                quantity,
                is_policy,
                about_course,
            )
        explained = best[0][1]
        unexplained = tuple(word for word in content if word not in explained)
        # Sure when the question names most of the product; a single typo'd word is weaker.
        confidence = 0.5 + 0.5 * best[0][2]
        return Recognition(
            tuple(entity for entity, _, _ in best),
            False,
            None,
            unexplained,
            confidence,
            attributes,
            quantity,
            is_policy,
            about_course,
        )

    def _codes(self, question: str) -> tuple[list[Entity], set[int], str | None]:
        """Products named by code ("LT-5100", "lt5100", "LT 5100"), the token positions that
        spelled them, and a code-like word that is no product's code."""
        words = _TOKEN.findall(normalise(question))
        found: list[Entity] = []
        consumed: set[int] = set()
        for length in (3, 2, 1):
            for start in range(len(words) - length + 1):
                span = set(range(start, start + length))
                if span & consumed:
                    continue
                key = code_key("".join(words[start : start + length]))
                product = self.codes.get(key)
                if product is not None and re.search(r"\d", key) and re.search(r"[A-Z]", key):
                    entity = next(e for e in self.entities if e.product is product)
                    if entity not in found:
                        found.append(entity)
                    consumed |= span
        unknown = None
        if not found:
            for match in _CODE_LIKE.finditer(question):
                letters = re.sub(r"[^A-Za-z]", "", match.group()).upper()
                written_as_code = any(c in match.group() for c in "-/") or letters.isupper()
                if written_as_code or letters in self.code_prefixes:
                    unknown = match.group()
                    break
            spaced = re.search(r"\b([A-Za-z]{2,4}) (\d{3,})\b", question)
            if unknown is None and spaced and spaced.group(1).upper() in self.code_prefixes:
                unknown = spaced.group()
        return found, consumed, unknown

    def _explain(self, content: list[str], entity: Entity) -> tuple[frozenset[str], float, float]:
        """The content words this entity explains, their weight, and how much of the
        entity's name the question covers."""
        explained: set[str] = set()
        # Each word of the name answers one word of the question: "15 x 15" is not "7.5 x 15".
        unmatched = list(entity.words)
        weight = 0.0
        skip = False
        for index, word in enumerate(content):
            if skip:
                skip = False
                continue
            joined = word + content[index + 1] if index + 1 < len(content) else None
            name_word = next((w for w in unmatched if _same_word(word, w)), None)
            if name_word is None and joined is not None:
                # "electro surgical" for "electrosurgical".
                name_word = next((w for w in unmatched if _same_word(joined, w)), None)
                if name_word is not None:
                    explained.add(content[index + 1])
                    skip = True
            if name_word is not None:
                explained.add(word)
                unmatched.remove(name_word)
                weight += self.idf.get(name_word, 0.0)
        total = sum(self.idf.get(word, 0.0) for word in entity.words) or 1.0
        return frozenset(explained), weight, weight / total


def _name_words(name: str) -> tuple[str, ...]:
    return tuple(
        word
        for word in _TOKEN.findall(normalise(name))
        if word not in {"of", "and", "the", "x", "no", "on", "with", "for"}
    )


def _same_word(asked: str, name_word: str) -> bool:
    if asked == name_word:
        return True
    if asked[0].isdigit() or name_word[0].isdigit():
        return False
    if len(asked) < MIN_TYPO_LENGTH or len(name_word) < MIN_TYPO_LENGTH:
        return False
    return fuzz.ratio(asked, name_word) >= NAME_TYPO_RATIO


def _is_name_word(word: str) -> bool:
    """A word that names the thing, not just its size: a question of only "5 mm" names
    nothing."""
    return word.isalpha() and word not in UNITS and len(word) >= 3


def _is_attribute_typo(word: str) -> bool:
    return len(word) >= MIN_TYPO_LENGTH and any(
        fuzz.ratio(word, name) >= ATTRIBUTE_TYPO_RATIO for name in _ATTRIBUTE_WORDS
    )


def detect_attributes(text: str) -> frozenset[Attribute]:
    """The attributes a normalised question asks for."""
    words = _TOKEN.findall(text)
    found = {attribute for attribute, pattern in _ATTRIBUTE_PATTERNS if pattern.search(text)}
    for word in words:
        if len(word) < MIN_TYPO_LENGTH or word in STOPWORDS:
            continue
        for name, attribute in _ATTRIBUTE_WORDS.items():
            if fuzz.ratio(word, name) >= ATTRIBUTE_TYPO_RATIO:
                found.add(attribute)
    # "kitne piece" is the pack, not the price; "total" is arithmetic on the price.
    if Attribute.pack in found and not re.search(r"\b(?:price|rate|cost|mrp|daam|kitne ka)", text):
        found.discard(Attribute.price)
    return frozenset(found)


def _quantity(text: str) -> int | None:
    match = _QUANTITY.search(text)
    if match is None and re.search(r"\btotal\b", text):
        match = _TOTAL_QUANTITY.search(text)
    if match is None:
        return None
    value = int(match.group(1))
    return value if value > 0 else None
