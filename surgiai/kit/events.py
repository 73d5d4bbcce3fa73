"""A real-time event: what a dashboard is told (`type`, `data`), and its JSON on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    # The JSON it was read from (`from_json`): relayed events are sent on as they came.
    received_as: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        if self.received_as is not None:
            return self.received_as
        # Naive datetimes are UTC here, as everywhere in SurgiAI, so every datetime carries an
        # offset. Raises TypeError for a value JSON cannot carry.
        return orjson.dumps(
            {"type": self.type, "data": self.data},
            default=_json_default,
            option=orjson.OPT_NAIVE_UTC,
        ).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """The inverse of `to_json`. Raises ValueError for anything that is not an event."""
        value = orjson.loads(text)
        if not (
            isinstance(value, dict)
            and isinstance(value.get("type"), str)
            and isinstance(value.get("data"), dict)
        ):
            raise ValueError("not an event: expected {type: str, data: object}")
        return cls(value["type"], value["data"], text if isinstance(text, str) else text.decode())


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # prices stay exact: never through a float
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
