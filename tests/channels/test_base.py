from __future__ import annotations

import pytest

from surgiai.channels.base import MessageStatus, status_advances, status_rank


class TestStatusRank:
    def test_order(self) -> None:
        ranks = [status_rank(s) for s in ("sent", "delivered", "read", "played")]
        assert ranks == sorted(ranks) and len(set(ranks)) == 4

    @pytest.mark.parametrize("status", [None, "", "accepted", "queued", "deleted", "warning"])
    def test_unknown_is_zero(self, status: str | None) -> None:
        assert status_rank(status) == 0


class TestStatusAdvances:
    @pytest.mark.parametrize(
        ("current", "new"),
        [
            (None, "sent"),
            ("queued", "sent"),
            ("sent", "delivered"),
            ("sent", "read"),
            ("delivered", "read"),
            ("read", "played"),
            (None, "failed"),
            ("sent", "failed"),
            ("delivered", "failed"),
        ],
    )
    def test_moves_forward(self, current: str | None, new: str) -> None:
        assert status_advances(current, new)

    @pytest.mark.parametrize(
        ("current", "new"),
        [
            ("read", "delivered"),
            ("read", "sent"),
            ("delivered", "delivered"),
            ("played", "read"),
            ("failed", "sent"),
            ("failed", "read"),
            ("failed", "failed"),
            ("sent", "deleted"),
            (None, "warning"),
        ],
    )
    def test_never_moves_back_or_leaves_failed(self, current: str | None, new: str) -> None:
        assert not status_advances(current, new)

    def test_accepts_the_enum(self) -> None:
        assert status_advances(MessageStatus.delivered, MessageStatus.read)
