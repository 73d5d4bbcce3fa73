import { screen, within } from "@testing-library/react";
import { aUser } from "../test/fixtures";
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
