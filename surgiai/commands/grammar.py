"""Admin commands, sent as text from a registered admin phone or the dashboard (and, later,
spoken: the voice command feature reuses this grammar).

A small explicit grammar over normalized tokens, not pattern matching on the raw text: a
command is a whole message in this grammar or nothing, so a doctor's "please pause the
delivery" or "status of my order" is never a command. Whether the sender may command at all
is the caller's check (a doctor who types "pause agent" is just a doctor).

    command     := ["/"] ["surgiai"] ["please"] body
    body        := status | help | confirm | cancel | switch
    status      := "status" | "health" | "how are things"
    help        := "help" | "commands"
    confirm     := "yes" | "y" | "confirm" | "ok" | "okay"
    cancel      := "no" | "n" | "cancel"
    switch      := pause-verb target | resume-verb target
    pause-verb  := "pause" | "stop" | "disable" | "turn off" | "switch off"
    resume-verb := "resume" | "start" | "enable" | "turn on" | "switch on" | "unpause"
    target      := ["the"] kind name | ["the"] name kind
    kind        := "agent" | "campaign"
    name        := one or more words

Matching ignores case and punctuation around words. Agent names are compared as `agent_key`s
(case-insensitive; spaces, hyphens and underscores alike), so "pause agent Smart Reply" targets
`smart_reply`. Campaign names keep the admin's spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

CommandAction = Literal["status", "help", "pause", "resume", "confirm", "cancel"]
TargetKind = Literal["agent", "campaign"]

USAGE = (
    "Commands: STATUS · PAUSE AGENT <name> · RESUME AGENT <name> · PAUSE CAMPAIGN <name> · "
    "RESUME CAMPAIGN <name> · HELP. Pausing asks you to reply YES or NO first."
)


@dataclass(frozen=True)
class Command:
    """A parsed admin command.

    `irreversible` marks the commands to confirm before acting, and is derived from the
    action, never passed in: every `pause` (of an agent or a campaign) is, because its effect
    on the messages handled meanwhile cannot be undone by resuming (a paused agent's
    conversations are answered by its standby, a paused campaign's sends miss their moment).
    `resume`, `status`, `help`, `confirm` and `cancel` act at once.

    `known` is False only when the caller passed `known_agents` and the agent is not among
    them; the command is still returned, with the target as typed (as an `agent_key`), so the
    reply can say which name was not found. Campaign targets are not checked here.

    `confirm` and `cancel` answer the last `irreversible` command; the caller keeps that
    pending command and ignores a bare "yes" or "ok" when nothing is pending.
    """

    action: CommandAction
    target_kind: TargetKind | None = None
    target: str | None = None
    known: bool = True
    irreversible: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "irreversible", self.action == "pause")


def agent_key(name: str) -> str:
    """How agent names compare: "Smart Reply", "smart-reply" and "SMART_REPLY" are all
    "smart_reply"."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s_-]+", "_", folded).strip("_")


@dataclass(frozen=True)
class _Token:
    word: str  # casefolded, for matching the grammar
    raw: str  # as typed, for campaign names


_PUNCTUATION = ".,;:!?\"'`()[]{}<>@*\u2018\u2019\u201c\u201d"
_PREFIX = "surgiai"
_POLITE = {"please", "pls", "plz", "kindly"}

_STATUS: set[tuple[str, ...]] = {("status",), ("health",), ("how", "are", "things")}
_HELP: set[tuple[str, ...]] = {("help",), ("commands",)}
_CONFIRM: set[tuple[str, ...]] = {("yes",), ("y",), ("confirm",), ("ok",), ("okay",)}
_CANCEL: set[tuple[str, ...]] = {("no",), ("n",), ("cancel",)}
_PAUSE_VERBS: tuple[tuple[str, ...], ...] = (
    ("pause",),
    ("stop",),
    ("disable",),
    ("turn", "off"),
    ("switch", "off"),
)
_RESUME_VERBS: tuple[tuple[str, ...], ...] = (
    ("resume",),
    ("start",),
    ("enable",),
    ("turn", "on"),
    ("switch", "on"),
    ("unpause",),
)
_KINDS: dict[str, TargetKind] = {"agent": "agent", "campaign": "campaign"}


def _tokenize(text: str) -> list[_Token]:
    stripped = unicodedata.normalize("NFKC", text).strip()
    if stripped.startswith("/"):
        stripped = stripped[1:]
    tokens = []
    for piece in stripped.split():
        raw = piece.strip(_PUNCTUATION)
        if raw:
            tokens.append(_Token(raw.casefold(), raw))
    if tokens and tokens[0].word == _PREFIX:
        tokens = tokens[1:]
    if tokens and tokens[0].word in _POLITE:
        tokens = tokens[1:]
    return tokens


def _strip_verb(
    words: tuple[str, ...], verbs: tuple[tuple[str, ...], ...]
) -> tuple[str, ...] | None:
    """The words after the verb phrase, if `words` starts with one of `verbs`."""
    for verb in verbs:
        if words[: len(verb)] == verb:
            return words[len(verb) :]
    return None


def _target(tokens: Sequence[_Token]) -> tuple[TargetKind, Sequence[_Token]] | None:
    """`target := ["the"] kind name | ["the"] name kind`: the kind and the name's tokens."""
    if tokens and tokens[0].word == "the":
        tokens = tokens[1:]
    if len(tokens) < 2:
        return None
    first, last = tokens[0].word, tokens[-1].word
    if first in _KINDS and last not in _KINDS:
        return _KINDS[first], tokens[1:]
    if last in _KINDS and first not in _KINDS:
        return _KINDS[last], tokens[:-1]
    return None


def parse_command(text: str, *, known_agents: Collection[str] = ()) -> Command | None:
    """The command `text` spells, or None when it is not one (ordinary text)."""
    tokens = _tokenize(text)
    words = tuple(token.word for token in tokens)
    if not words:
        return None
    if words in _STATUS:
        return Command("status")
    if words in _HELP:
        return Command("help")
    if words in _CONFIRM:
        return Command("confirm")
    if words in _CANCEL:
        return Command("cancel")

    action: CommandAction
    rest = _strip_verb(words, _PAUSE_VERBS)
    if rest is not None:
        action = "pause"
    else:
        rest = _strip_verb(words, _RESUME_VERBS)
        if rest is None:
            return None
        action = "resume"
    target = _target(tokens[len(words) - len(rest) :])
    if target is None:
        return None
    kind, name_tokens = target
    if kind == "campaign":
        return Command(action, "campaign", " ".join(token.raw for token in name_tokens))

    key = agent_key(" ".join(token.word for token in name_tokens))
    if not known_agents:
        return Command(action, "agent", key)
    by_key = {agent_key(agent): agent for agent in known_agents}
    return Command(action, "agent", by_key.get(key, key), known=key in by_key)


def describe(command: Command) -> str:
    """One line for the admin: the confirmation prompt for an irreversible command, what
    will happen for the others, or what is wrong with the target."""
    if command.action == "status":
        return "Show the status of every agent."
    if command.action == "help":
        return "Show the list of commands."
    if command.action == "confirm":
        return "Confirm the pending command."
    if command.action == "cancel":
        return "Cancel the pending command."
    if command.target_kind is None or command.target is None:
        raise ValueError(f"a {command.action} command needs a target")
    if not command.known:
        return f"There is no {command.target_kind} named {command.target}."
    subject = f"{command.action.capitalize()} {command.target_kind} {command.target}"
    if command.irreversible:
        return f"{subject}? Reply YES to confirm or NO to cancel."
    return f"{subject}."
