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

export function instantToDay(instant: string | null | undefined): string {
  if (!instant) return "";
  const date = new Date(instant);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A one-line summary of a saved segment's filters, for the list. */
export function describe(
  filter: DoctorFilter,
  numberLabel: (id: number) => string = (id) => `number #${id}`,
): string {
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
  if (filter.last_outbound_after)
    parts.push(`We wrote since ${instantToDay(filter.last_outbound_after)}`);
  if (filter.last_outbound_before)
    parts.push(`Nothing sent since ${instantToDay(filter.last_outbound_before)}`);
  const days = (n: number) => (n === 1 ? "1 day" : `${n} days`);
  if (filter.inbound_within_days)
    parts.push(`Wrote in the last ${days(filter.inbound_within_days)}`);
  if (filter.inbound_silent_days) parts.push(`Silent ${days(filter.inbound_silent_days)}+`);
  if (filter.outbound_within_days)
    parts.push(`We wrote in the last ${days(filter.outbound_within_days)}`);
  if (filter.outbound_silent_days) parts.push(`Nothing sent ${days(filter.outbound_silent_days)}+`);
  if (filter.number_id != null) parts.push(`Via ${numberLabel(filter.number_id)}`);
  if (filter.consent === "opted_in") parts.push("Takes marketing");
  if (filter.consent === "opted_out") parts.push("Opted out");
  if (filter.q) parts.push(`Matching "${filter.q}"`);
  return parts.join(" · ") || "All doctors";
}
