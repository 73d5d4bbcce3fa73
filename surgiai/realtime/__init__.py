"""Real-time events: fan-out to dashboards, in-process or through Redis. Events are registered
on a session's outbox (`surgiai.db.outbox.publish`) and reach the broker after the commit."""
