"""What a doctor's message is about, and how the Master Agent decides it.

`classify` applies high-precision rules first, for what must not be left to statistics:
WhatsApp opt-out and opt-in keywords (a wrong guess either keeps messaging a doctor who said
STOP or silences one who did not), requests for a person
(`surgiai.conversations.human_request`), and bare greetings. Everything else goes to the
naive Bayes model of `surgiai.agents.classifier`, whose low-confidence guesses become `other`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from surgiai.agents.classifier import IntentModel, default_model
from surgiai.agents.language import Intent, words
from surgiai.conversations.human_request import asks_for_human


@dataclass(frozen=True)
class Classification:
    intent: Intent
    # 1.0 for a rule; the model's top probability otherwise, also when that probability was
    # too low and the intent fell back to `other`.
    confidence: float
    source: Literal["rule", "model"]
    # The model's probability for every intent it knows; empty when a rule decided.
    scores: dict[Intent, float] = field(default_factory=dict)


# Below this top probability the model's guess is not acted on: the message becomes `other`,
# which gets a neutral acknowledgement, instead of a specialist's wrong answer. On 5-fold
# cross-validation of the training data, raising the bar from 0.40 to 0.45 removes 10 wrong
# routes for 7 right ones lost, and from 0.45 to 0.50 only 6 for 8: 0.45 is the last step that
# removes more misroutes than it loses correct routes (about a quarter of all misroutes go).
CONFIDENCE_THRESHOLD = 0.45

_CLAUSE_BREAK = re.compile(r"[.!?,;:\n]+")

# --- Rules ---------------------------------------------------------------------------------------

# Opt-out and opt-in phrasing must match a whole clause (text between punctuation), so "stop
# sending me messages" counts but "stop sending me the wrong size" or "when does the course
# stop" do not. Clauses are matched on `words()` joined by single spaces.
_POLITE = r"(?:(?:please|pls|plz|kindly|just|sir|ok|okay|now|bas) )*"
_TRAILING = r"(?: (?:please|pls|plz|now|anymore|any more|again|thanks|thank you|sir|madam|ji|ab))*"
_MESSAGES = (
    r"(?:messages|message|msgs|msg|texts|text|sms|whatsapps|whatsapp messages|notifications|"
    r"promotions|promotional messages|promotional msgs|promos|ads|offers|marketing|"
    r"marketing messages|spam|updates|broadcasts)"
)
_DETERMINERS = r"(?:(?:these|this|your|the|all|any|such|more|further|of|daily) )*"
_LISTS = r"(?:list|lists|broadcast|broadcasts|broadcast list|group|database|mailing list|contacts)"
_HINDI_DO = r"(?:karo|kro|kar do|kardo|kariye|kijiye|karein|kare)"
# The same in Devanagari: "बंद करो", "मैसेज मत भेजो", "शुरू कीजिए".
_HINDI_DO_DEVANAGARI = r"(?:करो|कर दो|करें|करिए|कीजिए|कीजिये)"
_MESSAGES_DEVANAGARI = r"(?:मैसेज|मेसेज|संदेश|एसएमएस)"

_OPT_OUT_CLAUSES = [
    # WhatsApp's convention: a message that is just the keyword, in any case. CANCEL, END and
    # QUIT, keywords elsewhere, are left out: in a sales chat "cancel" is about an order.
    r"stop|stop all|stopall|unsubscribe|unsub|opt out|optout",
    # Common misspellings of the keyword, typed in a hurry.
    r"unsubcribe|unsubscibe|unsuscribe|unsubscrib|unsubscriber|stopp|stoppp",
    r"stop (?:messaging|texting|spamming|whatsapping|contacting|bothering)(?: me)?",
    # "stop sending" needs its object: "stop sending the wrong size" is a complaint.
    rf"stop (?:sending|messaging|texting)(?: me)? {_DETERMINERS}{_MESSAGES}",
    r"stop sending me",
    rf"stop {_DETERMINERS}{_MESSAGES}",
    r"(?:dont|do not|never) (?:message|msg|text|whatsapp|contact|spam)(?: me)?",
    rf"(?:dont|do not|never) send (?:me )?{_DETERMINERS}{_MESSAGES}",
    rf"no more {_MESSAGES}",
    rf"unsubscribe (?:me|my number)(?: from {_DETERMINERS}(?:{_LISTS}|{_MESSAGES}|everything))?",
    r"(?:i )?(?:want|would like|wish) to (?:unsubscribe|opt out)",
    rf"(?:remove|delete) (?:me|my number|my contact)(?: from {_DETERMINERS}{_LISTS})?",
    rf"take (?:me|my number) off {_DETERMINERS}{_LISTS}",
    rf"opt me out(?: of {_DETERMINERS}(?:{_LISTS}|{_MESSAGES}))?",
    rf"i (?:dont|do not) want {_DETERMINERS}{_MESSAGES}",
    # Hinglish: "band karo", "msg bhejna band karo", "message mat bhejo".
    rf"(?:{_DETERMINERS}{_MESSAGES} )?(?:bhejna )?(?:band|bandh|bnd) {_HINDI_DO}",
    rf"{_MESSAGES} (?:band|bandh|bnd)",
    rf"(?:{_MESSAGES_DEVANAGARI} )?(?:भेजना )?(?:बंद|बन्द) {_HINDI_DO_DEVANAGARI}",
    rf"(?:मुझे )?{_MESSAGES_DEVANAGARI} (?:मत|न) (?:भेजो|भेजिए|भेजें|भेजना)",
    # "mat bhejo" alone may be about a parcel; with "message" it is about messages. Alone, it
    # is left to the model, whose opt-out guess asks the doctor to confirm with STOP.
    rf"(?:mujhe )?{_MESSAGES} mat (?:bhejo|bhejiye|bhejna|karo|kijiye)",
    rf"(?:mujhe )?mat (?:bhejo|bhejiye|bhejna) {_DETERMINERS}{_MESSAGES}",
]
_OPT_IN_CLAUSES = [
    r"start|unstop|subscribe|resubscribe|re subscribe|opt in|optin|start again|subscribe again",
    r"subscribe (?:me|my number)(?: again)?",
    rf"(?:resume|restart|continue|start) (?:sending )?(?:me )?{_DETERMINERS}{_MESSAGES}(?: again)?",
    rf"start (?:sending|messaging|texting)(?: me)?(?: {_DETERMINERS}{_MESSAGES})?(?: again)?",
    rf"send me {_DETERMINERS}{_MESSAGES} again",
    rf"(?:add me back|opt me back in|opt me in)(?: to {_DETERMINERS}{_LISTS})?",
    rf"(?:i )?(?:want|would like) to (?:resubscribe|subscribe again|opt in|receive "
    rf"{_DETERMINERS}{_MESSAGES} again)",
    rf"(?:{_MESSAGES} )?(?:chalu|shuru|start) {_HINDI_DO}",
    rf"(?:{_MESSAGES_DEVANAGARI} )?(?:फिर से )?(?:शुरू|चालू) {_HINDI_DO_DEVANAGARI}",
]


def _clause_pattern(alternatives: list[str]) -> re.Pattern[str]:
    body = "|".join(f"(?:{alternative})" for alternative in alternatives)
    return re.compile(f"{_POLITE}(?:{body}){_TRAILING}")


_OPT_OUT = _clause_pattern(_OPT_OUT_CLAUSES)
_OPT_IN = _clause_pattern(_OPT_IN_CLAUSES)

# A bare greeting: greeting phrases and forms of address, nothing else ("hello doctor?",
# "good morning sir", "hiii team"). "hi, price of trocar?" has more, so the model decides.
_GREETING_PHRASE = (
    r"(?:h+i+|h+e+l+o+w?|he+y+|hl+o+|hy|hiya|yo|namaste|namaskar|namaskaram|vanakkam|greetings|"
    r"good (?:morning|afternoon|evening|day)|gud (?:morning|mrng|evening)|gm|morning|evening|"
    r"how are you|how r u|how are u|kaise ho|kaise hain aap|sat sri akal|salaam|"
    r"assalamualaikum|ram ram|नमस्ते|नमस्कार)"
)
_ADDRESS = (
    r"(?:sir|sirji|madam|mam|maam|doctor|doc|dr|ji|there|team|all|everyone|surgiai|dear|"
    r"friend|friends|bhai|guys)"
)
_GREETING = re.compile(
    rf"(?:{_ADDRESS} )*{_GREETING_PHRASE}(?: (?:{_GREETING_PHRASE}|{_ADDRESS}))*"
)

# No keyword rule is longer: longer clauses are not even tried, which keeps long messages fast.
_MAX_RULE_WORDS = 12
# Fewer letters and digits than this is not a message to classify ("k", "?", "👍").
_MIN_CONTENT_CHARACTERS = 2
# The confidence given to such content-free messages: nothing supports any intent.
_NO_CONTENT_CONFIDENCE = 0.0


def _short_clauses(text: str) -> list[str]:
    """The clauses of `text` short enough for a keyword rule, as space-joined `words`."""
    clauses = []
    for clause in _CLAUSE_BREAK.split(text):
        clause_words = words(clause)
        if 0 < len(clause_words) <= _MAX_RULE_WORDS:
            clauses.append(" ".join(clause_words))
    return clauses


def _rule(text: str, text_words: list[str]) -> Intent | None:
    clauses = _short_clauses(text)
    if any(_OPT_OUT.fullmatch(clause) for clause in clauses):
        return Intent.opt_out
    if any(_OPT_IN.fullmatch(clause) for clause in clauses):
        return Intent.opt_in
    if asks_for_human(text):
        return Intent.human_request
    if len(text_words) <= _MAX_RULE_WORDS and _GREETING.fullmatch(" ".join(text_words)):
        return Intent.greeting
    return None


def classify(text: str, *, model: IntentModel | None = None) -> Classification:
    """Rules first, then `model` (the shipped one by default); a model guess below
    `CONFIDENCE_THRESHOLD` becomes `other` with that confidence."""
    text_words = words(text)
    if sum(len(word) for word in text_words) < _MIN_CONTENT_CHARACTERS:
        return Classification(Intent.other, _NO_CONTENT_CONFIDENCE, "rule")
    intent = _rule(text, text_words)
    if intent is not None:
        return Classification(intent, 1.0, "rule")
    if model is None:
        model = default_model()
    scores = model.predict(text)
    best = max(scores, key=scores.__getitem__)
    confidence = scores[best]
    if confidence < CONFIDENCE_THRESHOLD:
        best = Intent.other
    return Classification(best, confidence, "model", scores)
