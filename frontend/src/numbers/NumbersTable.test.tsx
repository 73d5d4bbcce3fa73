import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { aNumber, aState } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { NumbersTable, type NumberActions } from "./NumbersTable";

const healthy = aNumber({ id: 1, label: "Sales" });
const paused = aNumber(
  { id: 2, label: "Courses", display_phone_number: "15550100002" },
  {
    paused: true,
    can_send: false,
    paused_reason: "Error 131048: Spam rate limit hit: too many messages were reported.",
    state: aState("paused", {
      explanation: "Paused: Error 131048: Spam rate limit hit: too many messages were reported.",
    }),
    quality_rating: "RED",
    messaging_tier: "TIER_250",
    sent_last_hour: 40,
    failed_last_hour: 10,
    error_rate_last_hour: 0.25,
  },
);
const unchecked = aNumber(
  { id: 3, label: "New", enabled: false },
  {
    status: "UNKNOWN",
    quality_rating: "UNKNOWN",
    messaging_tier: null,
    checked_at: null,
    state: aState("disabled"),
  },
);
// Checked a moment ago, but the check failed: one state, not "Not checked yet" beside it.
const failing = aNumber(
  { id: 4, label: "Support" },
  {
    status: "UNKNOWN",
    quality_rating: "UNKNOWN",
    checked_at: new Date().toISOString(),
    check_error: "WhatsApp could not be reached: connection refused",
    state: aState("check_failing"),
  },
);

function manage(): NonNullable<NumberActions["manage"]> {
  return { onEdit: vi.fn(), onRefresh: vi.fn(), onResume: vi.fn() };
}

function row(id: number) {
  return within(screen.getByTestId(`number-${id}`));
}

describe("NumbersTable", () => {
  it("shows each number's health in words", () => {
    renderWithProviders(
      <NumbersTable numbers={[healthy, paused, unchecked]} actions={{ onDetails: vi.fn() }} />,
    );

    expect(row(1).getByText("Sending")).toBeInTheDocument();
    expect(row(1).getByText("Quality: High")).toBeInTheDocument();
    expect(row(1).getByText("1K doctors / 24 h")).toBeInTheDocument();
    expect(row(1).getByText("none failed")).toBeInTheDocument();

    expect(row(2).getByText("Paused")).toBeInTheDocument();
    expect(row(2).getByText(/Spam rate limit hit/)).toBeInTheDocument();
    expect(row(2).getByText("Quality: Low")).toBeInTheDocument();
    expect(row(2).getByText(/10 failed · 25 %/)).toBeInTheDocument();

    expect(row(3).getByText("Disabled")).toBeInTheDocument();
    expect(row(3).getByText("Checked never")).toBeInTheDocument();
  });

  it("shows one state per number, with what to try", () => {
    renderWithProviders(<NumbersTable numbers={[failing]} actions={{ onDetails: vi.fn() }} />);

    expect(row(4).getByTestId("number-state")).toHaveTextContent("Health check failing");
    expect(row(4).queryByText(/Not checked yet/i)).not.toBeInTheDocument();
    expect(row(4).getByText(/Try:/).parentElement).toHaveTextContent(
      "Try: Press Refresh health to try now.",
    );
  });

  it("offers no controls to someone who may not manage numbers", () => {
    renderWithProviders(
      <NumbersTable numbers={[healthy, paused]} actions={{ onDetails: vi.fn() }} />,
    );

    expect(screen.queryByRole("button", { name: /Edit/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Refresh health/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Resume/ })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Courses: details" })).toBeInTheDocument();
  });

  it("lets a manager resume only a paused number", async () => {
    const actions = manage();
    renderWithProviders(
      <NumbersTable
        numbers={[healthy, paused]}
        actions={{ onDetails: vi.fn(), manage: actions }}
      />,
    );

    expect(row(1).queryByRole("button", { name: /Resume/ })).not.toBeInTheDocument();
    await userEvent.click(row(2).getByRole("button", { name: "Resume Courses" }));
    await userEvent.click(row(1).getByRole("button", { name: "Refresh health of Sales" }));

    expect(actions.onResume).toHaveBeenCalledWith(paused);
    expect(actions.onRefresh).toHaveBeenCalledWith(healthy);
  });
});
