import { screen } from "@testing-library/react";
import { aUser, fakeFetch } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { BusinessName } from "./BusinessName";

describe("BusinessName", () => {
  const title = document.title;
  afterEach(() => {
    document.title = title;
  });

  it("shows the product's name until the settings arrive, then the business's", async () => {
    vi.stubGlobal(
      "fetch",
      fakeFetch({
        "GET /api/v1/settings": { status: 200, body: { business_name: "Rao Surgicals" } },
      }).fetch,
    );
    renderWithProviders(<BusinessName />, { user: aUser() });

    expect(screen.getByText("SurgiAI")).toBeInTheDocument();
    expect(await screen.findByText("Rao Surgicals")).toBeInTheDocument();
    expect(document.title).toBe("Rao Surgicals · SurgiAI");
  });
});
