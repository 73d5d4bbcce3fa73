/** A doctor filter as the builder edits it, and as the API takes it (empty fields left out). */
import type { DoctorFilter, LifecycleStage } from "../api/client";

export const STAGES: LifecycleStage[] = [
  "new",
  "engaged",
  "qualified",
  "customer",
  "dormant",
  "lost",
];

/** Only the fields that narrow: an unchanged field never changes the count or the query key. */
export function compact(filter: DoctorFilter): DoctorFilter {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value) && value.length === 0) continue;
    kept[key] = value;
  }
  return kept as DoctorFilter;
}

/** "2026-05-01" from a date input, as the start of that day in the user's time zone. */
export function dayToInstant(day: string): string | null {
  if (!day) return null;
  const instant = new Date(`${day}T00:00:00`);
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString();
}

export function instantToDay(instant: string | null | undefined): string {
  if (!instant) return "";
  const date = new Date(instant);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A one-line summary of a saved segment's filters, for the list. */
export function describe(filter: DoctorFilter): string {
  const parts: string[] = [];
  const list = (label: string, values: string[] | undefined) => {
    if (values && values.length) parts.push(`${label}: ${values.join(", ")}`);
  };
  list("Specialty", filter.specialty);
  list("City", filter.city);
  list("State", filter.state);
  list("Tags", filter.tags);
  list("Stage", filter.stage);
  if (filter.score_min != null || filter.score_max != null)
    parts.push(`Score ${filter.score_min ?? 0}–${filter.score_max ?? 100}`);
  if (filter.last_inbound_after)
    parts.push(`Wrote since ${instantToDay(filter.last_inbound_after)}`);
  if (filter.last_inbound_before)
    parts.push(`Silent since ${instantToDay(filter.last_inbound_before)}`);
  if (filter.consent === "opted_in") parts.push("Takes marketing");
  if (filter.consent === "opted_out") parts.push("Opted out");
  if (filter.q) parts.push(`Matching "${filter.q}"`);
  return parts.join(" · ") || "All doctors";
}
