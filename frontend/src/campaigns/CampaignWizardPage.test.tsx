import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import type { Template } from "../api/client";
import { aUser, fakeFetch } from "../test/fixtures";
import { fill, renderWithProviders } from "../test/render";
import { CampaignWizardPage } from "./CampaignWizardPage";
import type { CampaignPlan } from "./types";

const template: Template = {
  id: 3,
  waba_id: "900000000000001",
  template_id: "1",
  name: "course_invite",
  language: "en",
  status: "APPROVED",
  sendable: true,
  category: "MARKETING",
  parameter_format: "POSITIONAL",
  quality: null,
  rejected_reason: null,
  components: [],
  header_format: null,
  header_text: null,
  body_text: "Dr. {{1}}, seats are open for {{2}}.",
  footer_text: null,
  button_texts: [],
  variables: { body: ["1", "2"] },
  synced_at: "2026-12-01T10:00:00+00:00",
  updated_at: "2026-12-01T10:00:00+00:00",
};

const plan: CampaignPlan = {
  recipients: 118,
  skipped: { "Opted out of marketing": 2 },
  numbers: [
    {
      number_id: 1,
      label: "Sales (demo)",
      quality_rating: "GREEN",
      messaging_tier: "TIER_1K",
      rate_per_second: 80,
      recipients: 118,
    },
  ],
  deferred: 0,
  tier_budget: 1000,
  forecast_seconds: 1.5,
  forecast_finish_at: "2026-12-07T10:00:02+00:00",
  quiet_hours_pause: false,
  samples: [
    {
      doctor_id: 9,
      doctor_name: "Dr. Anjali Rao",
      variant: "A",
      number_id: 1,
      text: "Dr. Anjali Rao, seats are open for *Hernia repair*.",
    },
  ],
  problems: [],
};

const saved = { id: 41, name: "Hernia CME" };

function serve(routes: Parameters<typeof fakeFetch>[0] = {}) {
  const fake = fakeFetch({
    "GET /api/v1/segments": {
      status: 200,
      body: [
        {
          id: 2,
          name: "Pune surgeons",
          filters: {},
          count: 120,
          created_by_user_id: 1,
          created_at: "2026-12-01T10:00:00+00:00",
          updated_at: "2026-12-01T10:00:00+00:00",
        },
      ],
    },
    "GET /api/v1/templates": { status: 200, body: { items: [template], syncs: [] } },
    "GET /api/v1/settings": { status: 200, body: { timezone: "Asia/Kolkata" } },
    "POST /api/v1/campaigns/plan": { status: 200, body: plan },
    "POST /api/v1/campaigns": { status: 201, body: saved },
    "POST /api/v1/campaigns/41/start": { status: 200, body: saved },
    ...routes,
  });
  vi.stubGlobal("fetch", fake.fetch);
  renderWithProviders(
    <Routes>
      <Route path="/campaigns/new" element={<CampaignWizardPage />} />
      <Route path="/campaigns/:id" element={<p>Campaign page</p>} />
    </Routes>,
    { user: aUser({ role: "admin" }), route: "/campaigns/new" },
  );
  return fake;
}

afterEach(() => vi.unstubAllGlobals());

async function choose(user: ReturnType<typeof userEvent.setup>, label: string, option: string) {
  const box = screen.getByRole("combobox", { name: label });
  await user.click(box);
  // Each choice of the page keeps its own list: pick from the one this box opened.
  const list = await waitFor(() => {
    const found = document.getElementById(box.getAttribute("aria-controls") ?? "");
    expect(found).not.toBeNull();
    return found!;
  });
  await user.click(within(list).getByRole("option", { name: option, hidden: true }));
}

async function throughToReview(user: ReturnType<typeof userEvent.setup>) {
  await fill(user, screen.getByRole("textbox", { name: "Campaign name" }), "Hernia CME");
  await choose(user, "Segment", "Pune surgeons");
  expect(await screen.findByText("120 doctors in this segment now")).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Next" }));

  await choose(user, "Template", "course_invite (en) · marketing");
  expect(screen.getByText("fill Body {{2}}.")).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
  await choose(user, "Body {{2}}: filled with", "The same text for everyone");
  await fill(user, screen.getByRole("textbox", { name: "Body {{2}}: text" }), "Hernia repair");
  expect(screen.getByLabelText("Message preview")).toHaveTextContent(
    "Dr. [Name], seats are open for Hernia repair.",
  );
  await user.click(screen.getByRole("button", { name: "Next" }));
  await user.click(screen.getByRole("button", { name: "Next" }));
}

// Four steps of choices through Mantine's comboboxes: seconds in jsdom, more on a busy machine.
const WALK_THROUGH_MS = 20_000;

describe("the campaign wizard", () => {
  it(
    "plans the campaign, shows what doctors will read, then starts it",
    async () => {
      const fake = serve();
      const user = userEvent.setup();
      await throughToReview(user);

      const review = await screen.findByTestId("campaign-plan");
      expect(within(review).getByLabelText("Recipients")).toHaveTextContent("118");
      expect(within(review).getByText("Opted out of marketing:")).toBeInTheDocument();
      expect(within(review).getByText("Hernia repair").tagName).toBe("STRONG");
      await user.dblClick(screen.getByRole("button", { name: "Start" }));

      expect(await screen.findByText("Campaign page")).toBeInTheDocument();
      // A double click saves and starts once.
      const posts = fake.calls.filter(
        (call) => call.method === "POST" && !call.url.endsWith("/plan"),
      );
      expect(posts.map((call) => new URL(call.url).pathname)).toEqual([
        "/api/v1/campaigns",
        "/api/v1/campaigns/41/start",
      ]);
      expect(await posts[0]!.json()).toEqual({
        name: "Hernia CME",
        kind: "template",
        segment_id: 2,
        variants: [
          {
            key: "A",
            share: 100,
            template_name: "course_invite",
            language: "en",
            parameters: {
              body: { "1": { field: "name", fallback: "Doctor" }, "2": { value: "Hernia repair" } },
            },
          },
        ],
        header_media_file_id: null,
        scheduled_at: null,
        quiet_start_minute: null,
        quiet_end_minute: null,
      });
    },
    WALK_THROUGH_MS,
  );

  it(
    "shows what blocks starting, and a refusal's detail",
    async () => {
      serve({
        "POST /api/v1/campaigns/plan": {
          status: 200,
          body: { ...plan, problems: ["No number can send: every number is paused."] },
        },
        "POST /api/v1/campaigns": {
          status: 422,
          body: { error: "ValidationError", detail: "segment_id: no such segment" },
        },
      });
      const user = userEvent.setup();
      await throughToReview(user);

      expect(
        await screen.findByText("No number can send: every number is paused."),
      ).toBeInTheDocument();
      expect(screen.getByRole("button", { name: "Start" })).toBeDisabled();
      await user.click(screen.getByRole("button", { name: "Save draft" }));
      await waitFor(() =>
        expect(screen.getByText("segment_id: no such segment")).toBeInTheDocument(),
      );
    },
    WALK_THROUGH_MS,
  );
});
