import { screen } from "@testing-library/react";
import { aNumber, aState, aUser, fakeFetch } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { OverviewPage } from "./OverviewPage";

describe("OverviewPage", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("sums up the numbers and says why one is paused", () => {
    const numbers = [
      aNumber(
        { id: 1, label: "Sales" },
        { sent_last_hour: 30, failed_last_hour: 3, error_rate_last_hour: 0.1 },
      ),
      aNumber(
        { id: 2, label: "Courses" },
        {
          paused: true,
          can_send: false,
          paused_reason: "Error 368: policy violation.",
          state: aState("paused", { explanation: "Paused: Error 368: policy violation." }),
        },
      ),
    ];
    renderWithProviders(<OverviewPage />, { user: aUser({ role: "viewer" }), numbers });

    expect(screen.getByText("1 of 2")).toBeInTheDocument();
    expect(screen.getByRole("article", { name: "Courses health" })).toHaveTextContent(
      "Paused: Error 368: policy violation.",
    );
    expect(screen.getByRole("article", { name: "Sales health" })).toHaveTextContent(
      "3 failed (10 %)",
    );
  });

  it("does not count a number whose health check fails as sending", () => {
    const numbers = [
      aNumber({ id: 1, label: "Sales" }),
      aNumber(
        { id: 2, label: "Courses" },
        {
          can_send: true,
          check_error: "Error 190: Error validating access token",
          state: aState("token_rejected"),
        },
      ),
    ];
    renderWithProviders(<OverviewPage />, { user: aUser({ role: "viewer" }), numbers });

    expect(screen.getByText("1 of 2")).toBeInTheDocument();
    expect(screen.getByRole("article", { name: "Courses health" })).toHaveTextContent(
      "Try: Paste a new access token in Numbers → Edit.",
    );
  });

  it("tells an admin with no numbers to add one", () => {
    renderWithProviders(<OverviewPage />, { user: aUser({ role: "admin" }), numbers: [] });
    expect(screen.getByText("No WhatsApp numbers yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Add a number" })).toHaveAttribute(
      "href",
      "/numbers?add=1",
    );
  });

  it("tells a viewer with no numbers who can add one", () => {
    renderWithProviders(<OverviewPage />, { user: aUser({ role: "viewer" }), numbers: [] });
    expect(screen.getByText(/An owner or admin has to connect/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Add a number" })).not.toBeInTheDocument();
  });

  it("shows the team how many AI drafts wait for approval, with a way there", async () => {
    const drafts = { items: [{ id: 1 }, { id: 2 }, { id: 3 }], next_cursor: null };
    vi.stubGlobal(
      "fetch",
      fakeFetch({ "GET /api/v1/drafts": { status: 200, body: drafts } }).fetch,
    );
    renderWithProviders(<OverviewPage />, {
      user: aUser({ role: "agent" }),
      numbers: [aNumber({ id: 1, label: "Sales" })],
    });
    const card = await screen.findByRole("link", { name: /Waiting for approval\s*3\b/ });
    expect(card).toHaveAttribute("href", "/approvals");
    expect(card).toHaveTextContent("Review them in Approvals");
  });

  it("shows a viewer no approvals they could not decide", () => {
    renderWithProviders(<OverviewPage />, {
      user: aUser({ role: "viewer" }),
      numbers: [aNumber({ id: 1, label: "Sales" })],
    });
    expect(screen.queryByText("Waiting for approval")).not.toBeInTheDocument();
  });
});
