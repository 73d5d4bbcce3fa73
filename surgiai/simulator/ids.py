"""Identifiers shaped like Meta's: wamids, numeric Graph ids, fbtrace ids."""

from __future__ import annotations

import base64
import random
import string

_TRACE_ALPHABET = string.ascii_letters + string.digits + "-_"


def new_wamid(rng: random.Random, wa_id: str) -> str:
    """`wamid.` + base64 of a protobuf-like blob holding the user's number and a random id."""
    digits = wa_id.encode("ascii", "replace")[:40]
    message_id = "".join(rng.choice("0123456789ABCDEF") for _ in range(20)).encode("ascii")
    raw = (
        b"\x1c\x18"
        + bytes([len(digits)])
        + digits
        + b"\x15\x02\x00\x11\x18\x14"
        + message_id
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode("ascii")


def new_graph_id(rng: random.Random) -> str:
    return str(rng.randrange(10**15, 10**16))


def new_fbtrace_id(rng: random.Random) -> str:
    return "".join(rng.choice(_TRACE_ALPHABET) for _ in range(23))


def digits_only(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())
