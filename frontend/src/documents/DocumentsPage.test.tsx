import { screen, within } from "@testing-library/react";
import type { KnowledgeDocument } from "../api/client";
import { aUser } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { DocumentsTable } from "./DocumentsPage";
import { currentVersionOf, titleFromFilename } from "./queries";

function aDocument(overrides: Partial<KnowledgeDocument>): KnowledgeDocument {
  return {
    id: 1,
    title: "Catalogue 2026",
    filename: "catalogue_2026.pdf",
    size: 1000,
    version: 1,
    replaces_document_id: null,
    state: "ready",
    failure_reason: null,
    pages: 3,
    pages_done: 3,
    summary: { products: 10, courses: 2, faqs_flagged: 1 },
    uploaded_by_user_id: 1,
    created_at: new Date().toISOString(),
    processed_at: new Date().toISOString(),
    ...overrides,
  };
}

const admin = aUser({ id: 1, role: "admin" });

describe("DocumentsTable", () => {
  it("shows progress, counts and why a file failed", () => {
    renderWithProviders(
      <DocumentsTable
        documents={[
          aDocument({ id: 3, title: "Brochure", state: "processing", pages: 20, pages_done: 5 }),
          aDocument({
            id: 2,
            title: "Scan",
            state: "failed",
            failure_reason: "The PDF has no text to read.",
          }),
          aDocument({ id: 1 }),
        ]}
        canManage
        onView={() => undefined}
        onDelete={() => undefined}
      />,
      { user: admin },
    );
    const reading = within(screen.getByTestId("document-3"));
    expect(reading.getByText("Reading")).toBeInTheDocument();
    expect(reading.getByText("Page 5 of 20")).toBeInTheDocument();
    expect(
      within(screen.getByTestId("document-2")).getByTestId("failure-reason"),
    ).toHaveTextContent("The PDF has no text to read.");
    const ready = within(screen.getByTestId("document-1"));
    expect(ready.getByTestId("document-counts")).toHaveTextContent(
      "3 pages · 10 products · 2 courses",
    );
    expect(ready.getByText("1 FAQ answers to review")).toBeInTheDocument();
  });

  it("offers delete only to those who manage documents", () => {
    renderWithProviders(
      <DocumentsTable
        documents={[aDocument({})]}
        canManage={false}
        onView={() => undefined}
        onDelete={() => undefined}
      />,
      { user: aUser({ id: 2, role: "viewer" }) },
    );
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "View pages" })).toBeInTheDocument();
  });
});

describe("uploads", () => {
  it("titles a file as the server does", () => {
    expect(titleFromFilename("catalogue_2026-v2.pdf")).toBe("catalogue 2026 v2");
    expect(titleFromFilename("Price list 2026.PDF")).toBe("Price list 2026");
  });

  it("finds the ready version a title would replace, in any case", () => {
    const documents = [
      aDocument({ id: 2, state: "failed", title: "Catalogue 2026" }),
      aDocument({ id: 1, state: "ready", title: "Catalogue 2026" }),
    ];
    expect(currentVersionOf(documents, "catalogue 2026 ")?.id).toBe(1);
    expect(currentVersionOf(documents, "Brochure")).toBeUndefined();
  });
});
