"""Does a doctor ask for a person? ("talk to a human", "call me", "can someone phone me")

Rules, not a model: a missed request costs a doctor's patience, a false one only hands a
conversation to the team, so the patterns lean towards catching. Negated requests ("don't call
me", "no need to call") do not count. The Master Agent's intent classifier reuses this as its
`human_request` rule.
"""

from __future__ import annotations

import re
import unicodedata

_PERSON = (
    r"(?:(?:a|an|some|any|your|the|real|actual|live|proper) ){0,3}"
    r"(?:human|person|people|someone|somebody|agent|representative|rep|executive|"
    r"team|staff|manager|sales ?(?:person|team|rep)|customer (?:care|service|support)|"
    r"support|operator|colleague|salesman|consultant)(?: being)?"
)
_TALK = r"(?:talk|speak|chat|connect|transfer|put|get|reach|contact)"
_CALL = r"(?:call|phone|ring|callback|call back|call me back|give me a call|give a call)"

_PATTERNS = [
    # "talk to a human", "speak with someone", "connect me to your team"
    rf"\b{_TALK}(?: me)?(?: to| with| through to)? {_PERSON}\b",
    # "I want a human", "need a real person", "human please"
    rf"\b(?:want|need|prefer|give me|get me|request)(?: to have)? {_PERSON}\b",
    r"^(?:human|agent|person|representative|operator)(?: please| pls| plz)?[.!?]*$",
    r"\b(?:human|person|agent|someone) (?:please|pls|plz)\b",
    # "call me", "can someone call me", "please phone me back", "give me a call"
    rf"\b{_CALL} (?:me|us)\b(?! (?:dr|doctor|by|sir|madam)\b)",
    r"\bgive (?:me|us) a (?:call|ring)\b",
    r"\b(?:call|phone) (?:on|at) (?:my|this) (?:number|mobile|phone)\b",
    r"\b(?:can|could|will|would) (?:you|someone|somebody|anyone) (?:call|phone|ring)\b",
    # Not a bot: "are you a bot? I want a real person" is covered above; "stop the bot"
    r"\b(?:no|not|stop|without) (?:the |a |this |)(?:bot|robot|machine|ai|automated replies)\b",
    # Common Hinglish: "call karo", "baat karni hai", "kisi se baat karao"
    r"\bcall (?:karo|kar do|kariye|kijiye|karna|karein|kare)\b",
    r"\b(?:baat|bat) (?:karni|karna|karao|karwao|karwa do|kar sakte)\b",
]
_REQUEST = re.compile("|".join(f"(?:{pattern})" for pattern in _PATTERNS))
_NEGATION = re.compile(
    r"\b(?:don't|dont|do not|doesn't|does not|no need to|never|not necessary to|needn't|"
    r"please don't|pls dont|mat)\s+(?:\w+\s+){0,2}$"
)
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return _SPACES.sub(" ", folded).strip()


def asks_for_human(text: str | None) -> bool:
    if not text:
        return False
    normalized = normalize(text)
    for match in _REQUEST.finditer(normalized):
        if not _NEGATION.search(normalized[: match.start()]):
            return True
    return False
