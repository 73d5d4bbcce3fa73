from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from surgiai.kit.events import Event


class TestEventJson:
    def test_datetimes_carry_their_offset_and_prices_stay_exact(self) -> None:
        event = Event(
            "order.updated",
            {
                "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                "stored_naive": datetime(2026, 1, 2, 3, 4, 5),
                "local": datetime(2026, 1, 2, 8, 34, 5, tzinfo=timezone(timedelta(hours=5.5))),
                "price": Decimal("4500.10"),
            },
        )
        assert event.to_json() == (
            '{"type":"order.updated","data":{"at":"2026-01-02T03:04:05+00:00",'
            '"stored_naive":"2026-01-02T03:04:05+00:00","local":"2026-01-02T08:34:05+05:30",'
            '"price":"4500.10"}}'
        )

    def test_from_json_reads_what_to_json_wrote_and_refuses_anything_else(self) -> None:
        event = Event("message.created", {"id": 3, "text": "₹4,500 per box"})
        assert Event.from_json(event.to_json()) == event
        for text in ("not json", "[1, 2]", '{"type": 1, "data": {}}', '{"type": "x"}'):
            with pytest.raises(ValueError):
                Event.from_json(text)

    def test_a_value_json_cannot_carry_is_refused(self) -> None:
        with pytest.raises(TypeError):
            Event("bad", {"value": object()}).to_json()
