"""Real-time events: publish after commit, fan out in-process or through Redis, WebSocket."""
