import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { fakeFetch, aUser } from "../test/fixtures";
import { fill, renderWithProviders } from "../test/render";
import { LoginPage } from "./LoginPage";

function renderLogin() {
  return renderWithProviders(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={<p>Overview page</p>} />
    </Routes>,
    { user: null, route: "/login" },
  );
}

describe("LoginPage", () => {
  it("asks for what is missing before calling the server", async () => {
    const user = userEvent.setup();
    const { fetch, calls } = fakeFetch({});
    vi.stubGlobal("fetch", fetch);
    renderLogin();

    await user.click(screen.getByRole("button", { name: "Log in" }));

    expect(screen.getByText("Enter your email address.")).toBeInTheDocument();
    expect(screen.getByText("Enter your password.")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it("shows the server's reason when the login is refused", async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      "fetch",
      fakeFetch({
        "POST /api/v1/auth/login": {
          status: 401,
          body: { error: "NotAuthenticated", detail: "Wrong email or password." },
        },
      }).fetch,
    );
    renderLogin();

    await fill(user, screen.getByLabelText(/Email/), "owner@surgiai.local");
    await fill(user, screen.getByLabelText(/Password/), "not it");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
  });

  it("says when too many attempts failed", async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      "fetch",
      fakeFetch({
        "POST /api/v1/auth/login": {
          status: 429,
          body: { error: "TooManyRequests", detail: "Too many failed logins. Try again later." },
        },
      }).fetch,
    );
    renderLogin();

    await fill(user, screen.getByLabelText(/Email/), "owner@surgiai.local");
    await fill(user, screen.getByLabelText(/Password/), "guess again");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Too many failed logins");
  });

  it("signs in and goes to the dashboard", async () => {
    const user = userEvent.setup();
    const { fetch, calls } = fakeFetch({
      "POST /api/v1/auth/login": {
        status: 200,
        body: { access_token: "t", token_type: "bearer", user: aUser() },
      },
    });
    vi.stubGlobal("fetch", fetch);
    renderLogin();

    await fill(user, screen.getByLabelText(/Email/), " owner@surgiai.local ");
    await fill(user, screen.getByLabelText(/Password/), "demo password");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByText("Overview page")).toBeInTheDocument();
    expect(await calls[0]?.json()).toEqual({
      email: "owner@surgiai.local",
      password: "demo password",
    });
  });
});
