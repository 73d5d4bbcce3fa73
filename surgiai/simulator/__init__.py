"""A faithful WhatsApp Cloud API simulator, all in memory (CLOUD_API.md, "Simulator must
emulate").

`create_simulator_app(config)` returns a FastAPI app meant to be mounted at `/simulator` (or run
standalone: `surgiai simulator --port 8081`). Its simulator is `app.state.simulator`;
when mounted, the host's lifespan must `await simulator.start()` / `await simulator.stop()`.

Graph API (any `vX.Y`), Bearer token of the number:
    POST   /graph/{v}/{phone_number_id}/messages        sends, read receipts, typing indicator
    POST   /graph/{v}/{phone_number_id}/media           multipart upload -> {"id"}
    GET    /graph/{v}/{media_id}                        media URL (5 min) on this host
    DELETE /graph/{v}/{media_id}
    GET    /graph/{v}/{phone_number_id}?fields=a,b      requested fields + id
    GET    /graph/{v}/{waba_id}/phone_numbers
    GET|POST|DELETE /graph/{v}/{waba_id}/message_templates   (GET takes summary=)
    GET    /whatsapp_business/attachments/?mid=&ext=&hash=   media bytes (Bearer required)

Control plane (`X-Control-Token` when `control_token` is set):
    POST /control/numbers/{id}, GET /control/numbers, POST /control/numbers/{id}/verify-webhook,
    POST /control/numbers/{id}/throughput-upgrade, POST|GET /control/templates,
    POST /control/templates/{id}/status, POST /control/inbound, POST /control/statuses,
    PUT /control/statuses/behaviour, POST /control/management, GET /control/received?wa_id=,
    POST /control/recipients/{wa_id}, GET /control/recipients, POST|GET|DELETE /control/faults,
    GET /control/deliveries, POST /control/windows, POST /control/clock/advance,
    GET|PATCH /control/config, POST /control/drain, POST /control/reset,
    POST|GET|DELETE /control/personas, GET|PUT /control/users/{wa_id},
    POST /control/users/{wa_id}/change-number, POST /control/users/{wa_id}/identity-changed

Users are named in today's shape (BSUIDs, usernames, phone only when shared) unless
`identity_shape` is "legacy" (CLOUD_API.md §3.6).
"""

from surgiai.simulator.app import create_simulator_app
from surgiai.simulator.clock import Clock, ManualClock, SystemClock
from surgiai.simulator.config import (
    MessagingLimitBehaviour,
    MessagingTier,
    SimulatorConfig,
    StatusBehaviour,
    ThroughputLevel,
    WindowEnforcement,
)
from surgiai.simulator.core import Simulator
from surgiai.simulator.webhooks import serialize_payload, sign_body

__all__ = [
    "Clock",
    "ManualClock",
    "MessagingLimitBehaviour",
    "MessagingTier",
    "Simulator",
    "SimulatorConfig",
    "StatusBehaviour",
    "SystemClock",
    "ThroughputLevel",
    "WindowEnforcement",
    "create_simulator_app",
    "serialize_payload",
    "sign_body",
]
