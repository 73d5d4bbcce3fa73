import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Agent, AgentsOverview, CrashReport, CrashReportPage } from "../api/client";
import { aUser } from "../test/fixtures";
import { fill, renderWithProviders } from "../test/render";
import { AgentsPage } from "./AgentsPage";

function anAgent(overrides: Partial<Agent> = {}): Agent {
  return {
    name: "greeting",
    description: "Answers greetings and simple questions",
    standby: "acknowledgement",
    critical: true,
    state: "healthy",
    reason: null,
    circuit: "closed",
    disabled: false,
    runs_5m: 12,
    error_rate_5m: 0,
    p50_ms_5m: 41.2,
    p95_ms_5m: 120.6,
    runs_1h: 140,
    error_rate_1h: 0.021,
    p50_ms_1h: 40,
    p95_ms_1h: 118,
    last_error: null,
    last_error_at: null,
    ...overrides,
  };
}

function aReport(id: number, overrides: Partial<CrashReport> = {}): CrashReport {
  return {
    id,
    agent: "acknowledgement",
    message_id: 10 + id,
    conversation_id: 7,
    occurred_at: new Date(Date.now() - 3 * 60_000).toISOString(),
    error_type: "surgiai.agents.chaos.ChaosError",
    error: "SURGIAI_CHAOS: acknowledgement fails on purpose",
    stack_trace: `Traceback (most recent call last):\n  File "master.py", line 340, in _call\nChaosError: report ${id}`,
    ...overrides,
  };
}

const OVERVIEW: AgentsOverview = {
  agents: [
    anAgent(),
    anAgent({
      name: "acknowledgement",
      description: "Acknowledges any message",
      standby: null,
      state: "down",
      reason: "its circuit breaker is open",
      circuit: "open",
      error_rate_5m: 1,
      last_error: "ChaosError: fails on purpose",
      last_error_at: new Date(Date.now() - 60_000).toISOString(),
    }),
    anAgent({
      name: "human_handoff",
      description: "Hands the conversation to a person",
      standby: null,
      critical: false,
      state: "disabled",
      reason: "an admin disabled it",
      disabled: true,
      runs_5m: 0,
      error_rate_5m: null,
      p50_ms_5m: null,
      p95_ms_5m: null,
    }),
  ],
  workers: [
    {
      worker_id: "host-a:4242",
      started_at: "2026-11-25T08:00:00+00:00",
      last_beat_at: new Date().toISOString(),
      alive: true,
      threads: 8,
      embedded: true,
    },
  ],
};

type Answer = { status: number; body?: unknown };

/** Answers the agents page's requests; crash reports by page (`before_id`). */
function serve({
  overview = OVERVIEW,
  reports = [{ items: [], next_cursor: null }],
  switched = {},
}: {
  overview?: AgentsOverview;
  reports?: CrashReportPage[];
  switched?: Record<string, Answer>;
} = {}) {
  const calls: Request[] = [];
  const fetch = async (request: Request) => {
    calls.push(request);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    let answer: Answer | undefined;
    if (key === "GET /api/v1/agents") answer = { status: 200, body: overview };
    else if (key === "GET /api/v1/crash-reports") {
      // Each page is asked for with the cursor the page before it gave.
      const before = url.searchParams.get("before_id");
      const page = reports.find(
        (_, i) => String(i === 0 ? null : reports[i - 1]!.next_cursor) === String(before),
      );
      answer = { status: 200, body: page };
    } else answer = switched[key];
    if (!answer) return new Response(JSON.stringify({ detail: "Not Found" }), { status: 404 });
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { "Content-Type": "application/json" },
    });
  };
  vi.stubGlobal("fetch", fetch);
  return calls;
}

describe("AgentsPage", () => {
  it("shows each agent's state and why, its standby, circuit, errors and latency", async () => {
    serve();
    renderWithProviders(<AgentsPage />, { user: aUser({ role: "viewer" }) });

    const greeting = await screen.findByRole("article", { name: "greeting agent" });
    expect(greeting).toHaveTextContent("Healthy");
    expect(greeting).toHaveTextContent("Standbyacknowledgement");
    expect(greeting).toHaveTextContent("CircuitClosed");
    expect(greeting).toHaveTextContent("Errors (5 min · 1 h)0 % · 2.1 %");
    expect(greeting).toHaveTextContent("Latency p50 · p95 (5 min)41 ms · 121 ms");

    const down = screen.getByRole("article", { name: "acknowledgement agent" });
    expect(down).toHaveTextContent("Down");
    expect(down).toHaveTextContent("Its circuit breaker is open.");
    expect(down).toHaveTextContent("Open: its standby answers at once");
    expect(down).toHaveTextContent("Last error 1 minute ago: ChaosError: fails on purpose");

    const idle = screen.getByRole("article", { name: "human_handoff agent" });
    expect(idle).toHaveTextContent("Disabled");
    expect(idle).toHaveTextContent("Errors (5 min · 1 h)idle · 2.1 %");
    expect(idle).toHaveTextContent("Latency p50 · p95 (5 min)— · —");

    const workers = screen.getByRole("table", { name: "Workers" });
    expect(workers).toHaveTextContent("host-a:4242");
    expect(workers).toHaveTextContent("Alive");
    expect(workers).toHaveTextContent("Inside the API");
  });

  it.each(["viewer", "agent"] as const)("a %s sees no switches, and why", async (role) => {
    serve();
    renderWithProviders(<AgentsPage />, { user: aUser({ role }) });

    await screen.findByRole("article", { name: "greeting agent" });
    expect(screen.getByText("Only owners and admins can disable or enable agents.")).toBeVisible();
    expect(screen.queryByRole("button", { name: /^(Disable|Enable) / })).not.toBeInTheDocument();
  });

  it("an admin disables an agent after confirming, with a reason for the audit log", async () => {
    const user = userEvent.setup();
    const calls = serve({
      switched: {
        "POST /api/v1/agents/greeting/disable": {
          status: 200,
          body: {
            name: "greeting",
            disabled: true,
            changed_at: new Date().toISOString(),
            changed_by_user_id: 1,
            reason: "Wrong language",
          },
        },
      },
    });
    renderWithProviders(<AgentsPage />, { user: aUser({ role: "admin" }) });

    await user.click(await screen.findByRole("button", { name: "Disable greeting" }));
    const dialog = await screen.findByRole("dialog", { name: "Disable greeting?" });
    expect(dialog).toHaveTextContent(
      "Its standby, acknowledgement, answers instead until you enable it again.",
    );
    await fill(
      user,
      within(dialog).getByRole("textbox", { name: "Reason (optional)" }),
      "Wrong language",
    );
    const agentsBefore = calls.filter((call) => call.url.endsWith("/api/v1/agents")).length;
    await user.click(within(dialog).getByRole("button", { name: "Disable greeting" }));

    await waitFor(() => expect(dialog).not.toBeInTheDocument());
    const post = calls.find((call) => call.method === "POST")!;
    expect(new URL(post.url).pathname).toBe("/api/v1/agents/greeting/disable");
    expect(await post.json()).toEqual({ reason: "Wrong language" });
    // The page asks for the health again rather than guess what the switch changed.
    expect(calls.filter((call) => call.url.endsWith("/api/v1/agents")).length).toBe(
      agentsBefore + 1,
    );
    expect(await screen.findByText("greeting is disabled.")).toBeInTheDocument();
  });

  it("an owner enables a disabled agent; cancelling changes nothing", async () => {
    const user = userEvent.setup();
    const calls = serve({
      switched: {
        "POST /api/v1/agents/human_handoff/enable": {
          status: 200,
          body: {
            name: "human_handoff",
            disabled: false,
            changed_at: new Date().toISOString(),
            changed_by_user_id: 1,
            reason: null,
          },
        },
      },
    });
    renderWithProviders(<AgentsPage />, { user: aUser({ role: "owner" }) });

    await user.click(await screen.findByRole("button", { name: "Enable human_handoff" }));
    let dialog = await screen.findByRole("dialog", { name: "Enable human_handoff?" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(dialog).not.toBeInTheDocument());
    expect(calls.some((call) => call.method === "POST")).toBe(false);

    await user.click(screen.getByRole("button", { name: "Enable human_handoff" }));
    dialog = await screen.findByRole("dialog", { name: "Enable human_handoff?" });
    await user.click(within(dialog).getByRole("button", { name: "Enable human_handoff" }));
    await waitFor(() => expect(dialog).not.toBeInTheDocument());
    expect(calls.filter((call) => call.method === "POST").map((call) => call.url)).toEqual([
      `${window.location.origin}/api/v1/agents/human_handoff/enable`,
    ]);
  });

  it("shows the server's refusal in the dialog", async () => {
    const user = userEvent.setup();
    serve({
      switched: {
        "POST /api/v1/agents/greeting/disable": {
          status: 403,
          body: { error: "Forbidden", detail: "Your role (agent) may not do this." },
        },
      },
    });
    renderWithProviders(<AgentsPage />, { user: aUser({ role: "admin" }) });

    await user.click(await screen.findByRole("button", { name: "Disable greeting" }));
    const dialog = await screen.findByRole("dialog", { name: "Disable greeting?" });
    await user.click(within(dialog).getByRole("button", { name: "Disable greeting" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent(
      "Your role (agent) may not do this.",
    );
  });

  it("lists crash reports with their stack trace one click away, and loads older ones", async () => {
    const user = userEvent.setup();
    const calls = serve({
      reports: [
        { items: [aReport(3), aReport(2, { conversation_id: null })], next_cursor: 2 },
        { items: [aReport(1, { agent: "opt_out_basic" })], next_cursor: null },
      ],
    });
    renderWithProviders(<AgentsPage />, { user: aUser({ role: "viewer" }) });

    const list = await screen.findByRole("region", { name: "Crash reports" });
    const [first] = await within(list).findAllByRole("button", {
      name: /^acknowledgement/,
      expanded: false,
    });
    await user.click(first!);
    expect(first).toHaveAttribute("aria-expanded", "true");
    expect(list).toHaveTextContent("3 minutes ago");
    const trace = await within(list).findByRole("figure", { name: "Stack trace" });
    expect(trace).toHaveTextContent("ChaosError: report 3");
    await waitFor(() => expect(trace).toBeVisible());
    expect(within(list).getByRole("link", { name: "Open the conversation" })).toHaveAttribute(
      "href",
      "/inbox/7",
    );

    await user.click(within(list).getByRole("button", { name: "Load older reports" }));
    expect(await within(list).findByRole("button", { name: /^opt_out_basic/ })).toBeInTheDocument();
    const older = calls.find((call) => new URL(call.url).searchParams.get("before_id"));
    expect(new URL(older!.url).searchParams.get("before_id")).toBe("2");
    expect(within(list).queryByRole("button", { name: "Load older reports" })).toBeNull();
  });

  it("says what a crash report is when there is none", async () => {
    serve();
    renderWithProviders(<AgentsPage />, { user: aUser({ role: "viewer" }) });
    expect(await screen.findByText("No crash reports")).toBeInTheDocument();
    expect(screen.getByText(/When an agent and its standby both fail/)).toBeInTheDocument();
  });
});
