import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { aUser, fakeFetch } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { UsersTable } from "./UsersPage";

const owner = aUser({ id: 1, role: "owner", name: "Olivia Owner" });
const admin = aUser({ id: 2, role: "admin", name: "Adam Admin", email: "adam@example.com" });
const agent = aUser({ id: 3, role: "agent", name: "Agnes Agent", email: "agnes@example.com" });

function rowOf(name: string) {
  return within(screen.getByText(name).closest("tr")!);
}

describe("UsersTable", () => {
  it("lets an admin change agents but not owners", () => {
    renderWithProviders(<UsersTable actor={admin} users={[owner, admin, agent]} />, {
      user: admin,
    });

    expect(rowOf("Olivia Owner").queryByLabelText(/Role of/)).not.toBeInTheDocument();
    expect(
      rowOf("Olivia Owner").queryByRole("button", { name: /Deactivate/ }),
    ).not.toBeInTheDocument();
    expect(rowOf("Agnes Agent").getByLabelText("Role of Agnes Agent")).toHaveValue("Agent");
    expect(
      rowOf("Agnes Agent").getByRole("button", { name: "Deactivate Agnes Agent" }),
    ).toBeEnabled();
  });

  it("does not let anyone deactivate themselves", () => {
    renderWithProviders(<UsersTable actor={owner} users={[owner, agent]} />, { user: owner });

    expect(
      rowOf("Olivia Owner").getByRole("button", { name: "Deactivate Olivia Owner" }),
    ).toBeDisabled();
    expect(rowOf("Olivia Owner").getByText("you")).toBeInTheDocument();
  });
});

describe("editing a user", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("asks before changing a role, then saves only what changed", async () => {
    const user = userEvent.setup();
    const fake = fakeFetch({
      "PATCH /api/v1/users/3": {
        status: 200,
        body: { ...agent, name: "Dr Agnes Rao", role: "viewer" },
      },
    });
    vi.stubGlobal("fetch", fake.fetch);
    renderWithProviders(<UsersTable actor={admin} users={[admin, agent]} />, { user: admin });

    await user.click(rowOf("Agnes Agent").getByRole("button", { name: "Edit Agnes Agent" }));
    const form = await screen.findByRole("form", { name: "Edit Agnes Agent" });
    await user.clear(within(form).getByLabelText(/^Name/));
    await user.type(within(form).getByLabelText(/^Name/), "Dr Agnes Rao");
    await user.click(within(form).getByRole("combobox", { name: /^Role/ }));
    await user.click(await screen.findByRole("option", { name: /^Viewer: /, hidden: true }));
    await user.click(within(form).getByRole("button", { name: "Save changes" }));

    expect(within(form).getByRole("alertdialog")).toHaveTextContent(
      "Agnes Agent will be Viewer instead of Agent",
    );
    expect(fake.calls).toHaveLength(0);
    await user.click(within(form).getByRole("button", { name: "Yes, make Agnes Agent Viewer" }));
    await waitFor(() => expect(fake.calls).toHaveLength(1));
    expect(await fake.calls[0]!.json()).toEqual({ name: "Dr Agnes Rao", role: "viewer" });
  });

  it("makes a one-time reset link and shows it once", async () => {
    const user = userEvent.setup();
    const fake = fakeFetch({
      "POST /api/v1/users/3/password-reset": {
        status: 201,
        body: {
          path: "/reset-password#token=abc123abc123abc123",
          token: "abc123abc123abc123",
          expires_at: "2026-12-08T10:00:00+00:00",
        },
      },
    });
    vi.stubGlobal("fetch", fake.fetch);
    renderWithProviders(<UsersTable actor={admin} users={[admin, agent]} />, { user: admin });

    await user.click(
      rowOf("Agnes Agent").getByRole("button", { name: "Reset password of Agnes Agent" }),
    );
    await user.click(await screen.findByRole("button", { name: "Make reset link" }));

    expect(await screen.findByLabelText("One-time reset link")).toHaveValue(
      `${window.location.origin}/reset-password#token=abc123abc123abc123`,
    );
  });
});
