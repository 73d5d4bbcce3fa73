"""The live WebSocket's tests use the real-time tests' served app."""

from tests.realtime.conftest import live

__all__ = ["live"]
