/** Objects shaped like the API's answers, for component tests. */
import type { NumberHealth, User, WhatsAppNumber } from "../api/client";

export function aUser(overrides: Partial<User> = {}): User {
  return {
    id: 1,
    email: "owner@surgiai.local",
    name: "Olivia Owner",
    role: "owner",
    phone: null,
    is_active: true,
    created_at: "2025-01-01T10:00:00+00:00",
    last_login_at: null,
    ...overrides,
  };
}

type NumberState = NumberHealth["state"];

/** A number's state as the server words it (surgiai/numbers/service.py `state`). */
export function aState(
  code: NumberState["code"],
  overrides: Partial<NumberState> = {},
): NumberState {
  const words: Record<NumberState["code"], Omit<NumberState, "code">> = {
    sending: {
      label: "Sending",
      tone: "green",
      explanation: "Sending normally.",
      fix: null,
      sending: true,
    },
    quality_dropping: {
      label: "Quality dropping",
      tone: "yellow",
      explanation: "Sending, but doctors are blocking or reporting its messages: quality is low.",
      fix: "Send fewer promotional messages from it.",
      sending: true,
    },
    not_checked: {
      label: "Not checked yet",
      tone: "gray",
      explanation: "WhatsApp has not yet confirmed that this number can send.",
      fix: "Wait a moment, or press Refresh health.",
      sending: false,
    },
    check_failing: {
      label: "Health check failing",
      tone: "red",
      explanation: "The last health check failed: WhatsApp could not be reached.",
      fix: "Press Refresh health to try now.",
      sending: false,
    },
    token_rejected: {
      label: "Token rejected",
      tone: "red",
      explanation: "Token rejected by Meta: the access token expired or was revoked.",
      fix: "Paste a new access token in Numbers → Edit.",
      sending: false,
    },
    paused: {
      label: "Paused",
      tone: "red",
      explanation: "Paused.",
      fix: "Resume.",
      sending: false,
    },
    blocked: {
      label: "Blocked by WhatsApp",
      tone: "red",
      explanation: "WhatsApp reports the number as pending: it cannot send.",
      fix: "Finish registering the number.",
      sending: false,
    },
    disabled: {
      label: "Disabled",
      tone: "gray",
      explanation: "Turned off here: it neither sends nor is picked for new work.",
      fix: "Turn it on in Numbers → Edit.",
      sending: false,
    },
  };
  return { code, ...words[code], ...overrides };
}

export function aHealth(overrides: Partial<NumberHealth> = {}): NumberHealth {
  return {
    state: aState("sending"),
    status: "CONNECTED",
    quality_rating: "GREEN",
    messaging_tier: "TIER_1K",
    throughput_level: "STANDARD",
    throughput_mps: 80,
    paused: false,
    paused_reason: null,
    paused_at: null,
    last_error_code: null,
    last_error_reason: null,
    last_error_at: null,
    checked_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    check_error: null,
    sent_last_hour: 12,
    failed_last_hour: 0,
    error_rate_last_hour: 0,
    can_send: true,
    ...overrides,
  };
}

export function aNumber(
  overrides: Partial<WhatsAppNumber> = {},
  health: Partial<NumberHealth> = {},
): WhatsAppNumber {
  return {
    id: 1,
    label: "Sales",
    channel: "cloud",
    phone_number_id: "100000000000001",
    waba_id: "900000000000001",
    business_portfolio_id: null,
    display_phone_number: "15550100001",
    verified_name: "SurgiAI Demo",
    access_token_hint: "…0001",
    has_app_secret: false,
    enabled: true,
    default_mode: "ai",
    created_at: "2025-01-01T10:00:00+00:00",
    ...overrides,
    health: aHealth(health),
  };
}

/** A `fetch` that answers each request from `routes` ("METHOD /path" → status and body). */
export function fakeFetch(routes: Record<string, { status: number; body?: unknown }>) {
  const calls: Request[] = [];
  const fetch = async (request: Request) => {
    calls.push(request);
    const key = `${request.method} ${new URL(request.url).pathname}`;
    const answer = routes[key];
    if (!answer) return new Response(JSON.stringify({ detail: "Not Found" }), { status: 404 });
    const body = answer.body === undefined ? null : JSON.stringify(answer.body);
    return new Response(body, {
      status: answer.status,
      headers: { "Content-Type": "application/json" },
    });
  };
  return { fetch, calls };
}
