import { notifications } from "@mantine/notifications";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Course, ImportReport, Product } from "../api/client";
import { aUser, fakeFetch } from "../test/fixtures";
import { fill, renderWithProviders } from "../test/render";
import { CataloguePage } from "./CataloguePage";
import { ImportReportView } from "./ImportDialog";
import { productChanges } from "./ProductForm";

afterEach(() => notifications.clean());

function aProduct(overrides: Partial<Product> = {}): Product {
  return {
    id: 1,
    name: "Vicryl 2-0",
    code: "LT-5100",
    pack_size: "Box of 12",
    price: "125000.00",
    currency: "INR",
    category: "Sutures",
    description: null,
    available: true,
    source: { document_id: 4, title: "Catalogue 2026", page: 3 },
    edited_fields: [],
    created_at: "2026-01-01T10:00:00+00:00",
    updated_at: "2026-01-01T10:00:00+00:00",
    ...overrides,
  };
}

function aCourse(overrides: Partial<Course> = {}): Course {
  return {
    id: 7,
    title: "Hernia Masterclass",
    starts_on: "2027-01-12",
    ends_on: "2027-01-13",
    city: "New Delhi",
    venue: "AIIMS, New Delhi",
    fee: "15000.00",
    currency: "INR",
    cme_credits: "8.0",
    seats: 30,
    status: "extracted",
    source: null,
    edited_fields: [],
    created_at: "2026-01-01T10:00:00+00:00",
    updated_at: "2026-01-01T10:00:00+00:00",
    ...overrides,
  };
}

function serve(routes: Parameters<typeof fakeFetch>[0] = {}) {
  const fake = fakeFetch({
    "GET /api/v1/products": {
      status: 200,
      body: {
        items: [
          aProduct(),
          aProduct({
            id: 2,
            name: "Prolene",
            code: null,
            price: null,
            source: null,
            edited_fields: ["price"],
          }),
        ],
        next_cursor: null,
      },
    },
    "GET /api/v1/courses": { status: 200, body: { items: [aCourse()], next_cursor: null } },
    ...routes,
  });
  vi.stubGlobal("fetch", fake.fetch);
  return fake.calls;
}

describe("CataloguePage", () => {
  it("lists products with rupees in Indian grouping, their source and admins' edits", async () => {
    serve();
    renderWithProviders(<CataloguePage />, { user: aUser({ role: "admin" }) });

    const table = await screen.findByRole("table", { name: "Products" });
    const vicryl = within(screen.getByText("Vicryl 2-0").closest("tr")!);
    expect(vicryl.getByText("₹ 1,25,000")).toBeInTheDocument();
    expect(vicryl.getByText("Catalogue 2026 p. 3")).toBeInTheDocument();
    expect(vicryl.queryByText("edited by admin")).not.toBeInTheDocument();
    const prolene = within(screen.getByText("Prolene").closest("tr")!);
    expect(prolene.getByText("edited by admin")).toBeInTheDocument();
    expect(prolene.getByText("Entered by an admin")).toBeInTheDocument();
    expect(within(table).getByRole("button", { name: "Edit Vicryl 2-0" })).toBeInTheDocument();
  });

  it("shows a viewer the catalogue without the buttons that change it", async () => {
    serve();
    renderWithProviders(<CataloguePage />, { user: aUser({ role: "viewer" }) });

    await screen.findByRole("table", { name: "Products" });
    expect(screen.queryByRole("button", { name: "Add product" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Edit/ })).not.toBeInTheDocument();
  });

  it("confirms an extracted course", async () => {
    const calls = serve({
      "PATCH /api/v1/courses/7": { status: 200, body: aCourse({ status: "confirmed" }) },
    });
    const user = userEvent.setup();
    renderWithProviders(<CataloguePage />, { user: aUser({ role: "admin" }) });

    await user.click(screen.getByRole("tab", { name: "Courses" }));
    const row = within((await screen.findByText("Hernia Masterclass")).closest("tr")!);
    expect(row.getByText("12–13 Jan 2027")).toBeInTheDocument();
    expect(row.getByText("Awaiting confirmation")).toBeInTheDocument();
    await user.click(row.getByRole("button", { name: "Confirm Hernia Masterclass" }));

    const patch = calls.find((call) => call.method === "PATCH")!;
    expect(await patch.json()).toEqual({ status: "confirmed" });
  });

  it("sends only the fields an admin changed", async () => {
    const calls = serve({
      "PATCH /api/v1/products/1": { status: 200, body: aProduct({ price: "2600.00" }) },
    });
    const user = userEvent.setup();
    renderWithProviders(<CataloguePage />, { user: aUser({ role: "admin" }) });

    await user.click(await screen.findByRole("button", { name: "Edit Vicryl 2-0" }));
    const form = await screen.findByRole("form", { name: "Edit product" });
    const price = within(form).getByLabelText(/Price/);
    await user.clear(price);
    await fill(user, price, "2,600");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    await screen.findByText("Product saved");
    const patch = calls.find((call) => call.method === "PATCH")!;
    expect(await patch.json()).toEqual({ price: "2600" });
    expect(productChanges(aProduct(), { ...valuesOf(aProduct()), code: "lt-5100" })).toEqual({});
  });
});

function valuesOf(product: Product) {
  return {
    name: product.name,
    code: product.code ?? "",
    pack_size: product.pack_size ?? "",
    price: product.price ?? "",
    category: product.category ?? "",
    description: product.description ?? "",
    available: product.available,
  };
}

describe("ImportReportView", () => {
  it("lists each rejected row with its reason", () => {
    const report: ImportReport = {
      rows: 5,
      added: 3,
      updated: 1,
      unchanged: 0,
      rejected: [{ row: 6, reason: "no product name" }],
    };
    renderWithProviders(<ImportReportView report={report} />);
    expect(screen.getByText("3 added")).toBeInTheDocument();
    const rejected = screen.getByRole("table", { name: "Rejected rows" });
    expect(within(rejected).getByText("no product name")).toBeInTheDocument();
    expect(within(rejected).getByText("6")).toBeInTheDocument();
  });
});
