import { screen } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { aUser } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { AppLayout } from "./AppLayout";

function renderShell(role: "owner" | "admin" | "agent" | "viewer") {
  renderWithProviders(
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<p>Overview page</p>} />
      </Route>
    </Routes>,
    { user: aUser({ role, name: "Dana Doe" }) },
  );
}

describe("AppLayout navigation", () => {
  it.each(["owner", "admin"] as const)("shows users and roles to an %s", (role) => {
    renderShell(role);
    const nav = screen.getByRole("navigation", { name: "Main navigation" });
    expect(nav).toHaveTextContent("Users and roles");
  });

  it.each(["agent", "viewer"] as const)("hides users and roles from an %s", (role) => {
    renderShell(role);
    const nav = screen.getByRole("navigation", { name: "Main navigation" });
    expect(nav).toHaveTextContent("Overview");
    expect(nav).toHaveTextContent("Numbers");
    expect(nav).not.toHaveTextContent("Users and roles");
  });

  it("marks the current page and names the account menu", () => {
    renderShell("viewer");
    expect(screen.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("button", { name: "Account: Dana Doe" })).toBeInTheDocument();
  });
});
