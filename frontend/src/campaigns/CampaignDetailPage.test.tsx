import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { aUser, fakeFetch } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { CampaignDetailPage } from "./CampaignDetailPage";
import { storeProgress } from "./queries";
import type { Campaign, CampaignResults, RecipientCounts } from "./types";

function counts(overrides: Partial<RecipientCounts> = {}): RecipientCounts {
  return {
    total: 200,
    pending: 140,
    sending: 0,
    sent: 50,
    failed: 3,
    skipped: 7,
    cancelled: 0,
    delivered: 40,
    read: 20,
    replied: 2,
    deferred: 0,
    ...overrides,
  };
}

function aCampaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    id: 5,
    name: "Laparoscopy CME, Pune",
    status: "running",
    kind: "template",
    segment_id: 2,
    segment_name: "Pune surgeons",
    variants: [{ key: "A", share: 100, template_name: "cme_invite", language: "en" }],
    header_media_file_id: null,
    scheduled_at: null,
    quiet_start_minute: 1260,
    quiet_end_minute: 540,
    time_zone: "Asia/Kolkata",
    created_by_user_id: 1,
    created_at: "2026-12-07T09:00:00+00:00",
    started_at: "2026-12-07T09:01:00+00:00",
    finished_at: null,
    paused_reason: null,
    forecast_finish_at: "2026-12-07T09:20:00+00:00",
    counts: counts(),
    ...overrides,
  };
}

function results(overrides: Partial<CampaignResults> = {}): CampaignResults {
  return {
    counts: counts(),
    by_variant: [{ key: "A", sent: 50, delivered: 40, read: 20, replied: 2, failed: 3 }],
    by_number: [{ key: "Sales (demo)", sent: 50, delivered: 40, read: 20, replied: 2, failed: 3 }],
    failed_by_reason: {
      "Not reachable on WhatsApp": 12,
      "Temporary WhatsApp error": 2,
      "Rate limited": 1,
    },
    retryable_reasons: ["Temporary WhatsApp error", "Rate limited"],
    skipped_by_reason: { "Opted out of marketing": 7 },
    opted_out_after: 1,
    cost: [{ category: "MARKETING", country: "IN", messages: 50, amount: 0.55 }],
    currency: "USD",
    estimated_cost: 0.55,
    ...overrides,
  };
}

function serve(routes: Parameters<typeof fakeFetch>[0] = {}) {
  const fake = fakeFetch({
    "GET /api/v1/campaigns/5": { status: 200, body: aCampaign() },
    "GET /api/v1/campaigns/5/results": { status: 200, body: results() },
    "GET /api/v1/campaigns/5/recipients": { status: 200, body: { items: [], next_cursor: null } },
    "GET /api/v1/numbers": { status: 200, body: [] },
    ...routes,
  });
  return fake;
}

function renderPage(fetch: (request: Request) => Promise<Response>) {
  vi.stubGlobal("fetch", fetch);
  return renderWithProviders(
    <Routes>
      <Route path="/campaigns/:campaignId" element={<CampaignDetailPage />} />
    </Routes>,
    { user: aUser({ role: "admin" }), route: "/campaigns/5" },
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("a campaign's page", () => {
  it("shows its progress, and follows it live", async () => {
    const { queryClient } = renderPage(serve().fetch);
    expect(await screen.findByText("60 of 200 (30 %)")).toBeInTheDocument();
    expect(screen.getByText("No sends 21:00–09:00 (Asia/Kolkata)")).toBeInTheDocument();
    expect(await screen.findByText(/^Estimated cost: .*0\.55$/)).toBeInTheDocument();

    storeProgress(queryClient, {
      id: 5,
      status: "completed",
      counts: counts({ pending: 0, sent: 190 }),
      paused_reason: null,
    });
    expect(await screen.findByText("200 of 200 (100 %)")).toBeInTheDocument();
    expect(screen.getByText("Completed")).toBeInTheDocument();
  });

  it("sends one pause however often it is clicked", async () => {
    const fake = serve({
      "POST /api/v1/campaigns/5/pause": { status: 200, body: aCampaign({ status: "paused" }) },
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const fetch = async (request: Request) => {
      if (request.url.endsWith("/pause")) await held;
      return fake.fetch(request);
    };
    renderPage(fetch);
    const user = userEvent.setup();
    const pause = await screen.findByRole("button", { name: "Pause" });
    await user.dblClick(pause);
    await user.click(pause);
    release();
    expect(await screen.findByRole("button", { name: "Resume pending" })).toBeInTheDocument();
    expect(fake.calls.filter((request) => request.url.endsWith("/pause"))).toHaveLength(1);
  });

  it("retries the failed by the reasons chosen, and says how many were requeued", async () => {
    const fake = serve({
      "POST /api/v1/campaigns/5/retry-failed": { status: 200, body: { requeued: 2 } },
    });
    renderPage(fake.fetch);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Retry failed…" }));
    const dialog = await screen.findByRole("dialog", { name: "Retry failed recipients" });
    // Only the reasons a retry can help are offered; the others are told, with no checkbox.
    expect(
      within(dialog)
        .getAllByRole("checkbox")
        .map((box) => box.getAttribute("value")),
    ).toEqual(["Temporary WhatsApp error", "Rate limited"]);
    expect(
      within(dialog).getByText("Not reachable on WhatsApp (12): a retry cannot help."),
    ).toBeInTheDocument();
    await user.click(within(dialog).getByRole("checkbox", { name: "Rate limited (1)" }));
    await user.click(within(dialog).getByRole("button", { name: "Retry 2" }));
    expect(await screen.findByText("2 recipients requeued.")).toBeInTheDocument();
    const [retry] = fake.calls.filter((request) => request.url.endsWith("/retry-failed"));
    expect(await retry!.json()).toEqual({ reasons: ["Temporary WhatsApp error"] });
  });

  it("offers no retry when a retry can help none of the failed, and says why", async () => {
    const fake = serve({
      "GET /api/v1/campaigns/5/results": {
        status: 200,
        body: results({
          failed_by_reason: { "Not reachable on WhatsApp": 12, "Opted out of marketing": 1 },
          retryable_reasons: [],
        }),
      },
    });
    renderPage(fake.fetch);
    const retry = await screen.findByRole("button", { name: "Retry failed…" });
    await waitFor(() => expect(retry).toBeDisabled());
    expect(retry).toHaveAccessibleDescription(
      "A retry cannot help those who failed: Not reachable on WhatsApp (12), Opted out of marketing (1).",
    );
  });

  it("says why an action was refused", async () => {
    const fake = serve({
      "POST /api/v1/campaigns/5/pause": {
        status: 409,
        body: { error: "Conflict", detail: "The campaign has finished." },
      },
    });
    renderPage(fake.fetch);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Pause" }));
    await waitFor(() => expect(screen.getByText("The campaign has finished.")).toBeInTheDocument());
  });
});
