import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { TrafficDay, TrafficStats } from "../api/client";
import { aNumber, fakeFetch } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { TrafficTrend } from "./TrafficTrend";

const ZERO = {
  inbound: 0,
  outbound: 0,
  outbound_ai: 0,
  outbound_admin: 0,
  failed: 0,
  new_doctors: 0,
};

function traffic(days: Partial<TrafficDay>[], numberId: number | null = null): TrafficStats {
  const series = days.map((counts, index) => ({
    ...ZERO,
    day: `2026-11-${String(10 + index).padStart(2, "0")}`,
    ...counts,
  }));
  const totals = { ...ZERO };
  for (const day of series) {
    for (const key of Object.keys(ZERO) as (keyof typeof ZERO)[]) totals[key] += day[key];
  }
  return { timezone: "UTC", number_id: numberId, days: series, today: series.at(-1)!, totals };
}

const BUSY = traffic([
  { inbound: 4, outbound: 3, outbound_ai: 2, outbound_admin: 1, new_doctors: 2 },
  {},
  {
    inbound: 1200,
    outbound: 1100,
    outbound_ai: 900,
    outbound_admin: 150,
    failed: 11,
    new_doctors: 7,
  },
]);

function serve(body: TrafficStats, status = 200) {
  const fake = fakeFetch({ "GET /api/v1/stats/traffic": { status, body } });
  vi.stubGlobal("fetch", fake.fetch);
  return fake.calls;
}

function queryOf(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams);
}

describe("TrafficTrend", () => {
  it("shows today's figures, a summary and every day as a table for screen readers", async () => {
    serve(BUSY);
    renderWithProviders(<TrafficTrend numbers={[aNumber()]} />);

    const section = await screen.findByRole("region", { name: "Traffic and leads" });
    expect(await within(section).findByText(/messages from doctors/)).toBeInTheDocument();
    expect(section).toHaveTextContent("From doctors today1,200");
    expect(section).toHaveTextContent("900 by AI · 150 by your team · 50 automatic");
    expect(section).toHaveTextContent("1.0 % of sent");
    expect(section).toHaveTextContent(
      "1,204 messages from doctors, 1,103 to doctors (11 failed), 9 new doctors.",
    );
    expect(within(section).getByRole("figure", { name: "Traffic and leads" })).toBeInTheDocument();

    const table = within(section).getByRole("table", { name: /Messages and new doctors per day/ });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(4);
    expect(within(rows[3]!).getByRole("rowheader")).toHaveTextContent(/November 12/);
    expect(
      within(rows[3]!)
        .getAllByRole("cell")
        .map((cell) => cell.textContent),
    ).toEqual(["1,200", "1,100", "900", "150", "11", "7"]);
    expect(
      within(table)
        .getAllByRole("columnheader")
        .map((cell) => cell.textContent),
    ).toEqual([
      "Day",
      "From doctors",
      "To doctors",
      "By AI",
      "By your team",
      "Failed",
      "New doctors",
    ]);
  });

  it("says what to do when nothing happened in the period", async () => {
    serve(traffic([{}, {}, {}]));
    renderWithProviders(<TrafficTrend numbers={[aNumber()]} />);

    expect(await screen.findByText("No messages in the last 3 days")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open the inbox" })).toHaveAttribute("href", "/inbox");
    expect(screen.queryByRole("figure")).not.toBeInTheDocument();
  });

  it("asks for another period, and for one number when there are several", async () => {
    const user = userEvent.setup();
    const calls = serve(BUSY);
    renderWithProviders(
      <TrafficTrend numbers={[aNumber({ id: 1 }), aNumber({ id: 2, label: "Courses" })]} />,
    );
    await screen.findByText(/messages from doctors/);
    expect(queryOf(calls[0]!)).toEqual({ days: "14" });

    await user.click(screen.getByRole("radio", { name: "30 days" }));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(queryOf(calls[1]!)).toEqual({ days: "30" });

    await user.click(screen.getByRole("combobox", { name: "Number" }));
    await user.click(await screen.findByRole("option", { name: "Courses", hidden: true }));
    await waitFor(() => expect(calls).toHaveLength(3));
    expect(queryOf(calls[2]!)).toEqual({ days: "30", number_id: "2" });
  });

  it("offers no number choice with a single number", async () => {
    serve(BUSY);
    renderWithProviders(<TrafficTrend numbers={[aNumber()]} />);
    await screen.findByText(/messages from doctors/);
    expect(screen.queryByRole("combobox", { name: "Number" })).not.toBeInTheDocument();
  });

  it("says when the figures could not be loaded and offers to try again", async () => {
    vi.stubGlobal(
      "fetch",
      fakeFetch({
        "GET /api/v1/stats/traffic": {
          status: 500,
          body: { error: "InternalError", detail: "Something went wrong on our side." },
        },
      }).fetch,
    );
    renderWithProviders(<TrafficTrend numbers={[aNumber()]} />);

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Couldn't load the traffic");
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
