/** Where a row came from, as answers cite it: "Catalogue 2026 p. 3". */
import type { Schemas } from "../api/client";

export function sourceLabel(source: Schemas["SourceRead"] | null): string {
  if (!source) return "Entered by an admin";
  const title = source.title ?? "A removed document";
  return source.page ? `${title} p. ${source.page}` : title;
}

const FIELD_LABELS: Record<string, string> = {
  name: "name",
  title: "title",
  code: "code",
  pack_size: "pack",
  price: "price",
  currency: "currency",
  category: "category",
  description: "description",
  available: "availability",
  starts_on: "start date",
  ends_on: "end date",
  city: "city",
  venue: "venue",
  fee: "fee",
  cme_credits: "CME credits",
  seats: "seats",
};

export function editedLabel(fields: string[]): string {
  return `Set by an admin: ${fields.map((field) => FIELD_LABELS[field] ?? field).join(", ")}. A new version of the document will not change them.`;
}
