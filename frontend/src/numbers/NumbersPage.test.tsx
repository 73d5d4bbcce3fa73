import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { aNumber, aUser, fakeFetch } from "../test/fixtures";
import { fill, renderWithProviders } from "../test/render";
import { NumbersPage } from "./NumbersPage";

const numbers = [aNumber({ id: 1, label: "Sales" })];

describe("NumbersPage by role", () => {
  it.each(["viewer", "agent"] as const)(
    "a %s sees the numbers but no way to change them",
    (role) => {
      renderWithProviders(<NumbersPage />, { user: aUser({ role }), numbers });

      expect(screen.getByRole("button", { name: "Sales: details" })).toBeInTheDocument();
      expect(screen.queryByRole("button", { name: "Add number" })).not.toBeInTheDocument();
      expect(screen.queryByRole("button", { name: "Edit Sales" })).not.toBeInTheDocument();
    },
  );

  it("an admin adds a number, and sees the server's refusal", async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      "fetch",
      fakeFetch({
        "POST /api/v1/numbers": {
          status: 409,
          body: { error: "Conflict", detail: "Phone number id 123456 is already registered." },
        },
      }).fetch,
    );
    renderWithProviders(<NumbersPage />, { user: aUser({ role: "admin" }), numbers });

    await user.click(screen.getByRole("button", { name: "Add number" }));
    const form = await screen.findByRole("form", { name: "Add number" });
    const submit = within(form).getByRole("button", { name: "Add number" });
    await user.click(submit);
    expect(form).toHaveTextContent("The Phone number ID from WhatsApp Manager");

    await fill(user, screen.getByLabelText(/^Name/), "Support");
    await fill(user, screen.getByLabelText(/^Phone number\b(?! ID)/), "15550100009");
    await fill(user, screen.getByLabelText(/^Phone number ID/), "123456");
    await fill(user, screen.getByLabelText(/^WhatsApp Business Account ID/), "654321");
    await fill(user, screen.getByLabelText(/^Access token/), "EAAG-token-value");
    await user.click(submit);

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Phone number id 123456 is already registered.",
    );
  });
});
