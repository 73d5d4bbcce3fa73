/** How a campaign's state reads on screen: its status, how far it got, its quiet hours, its
 * forecast, and which actions its status allows. */
import { formatCount } from "../lib/format";
import type { CampaignResults, CampaignStatus, RecipientCounts, RecipientState } from "./types";

export const STATUS_LABELS: Record<CampaignStatus, string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  running: "Running",
  paused: "Paused",
  completed: "Completed",
  cancelled: "Cancelled",
};

export const STATUS_COLORS: Record<CampaignStatus, string> = {
  draft: "gray",
  scheduled: "indigo",
  running: "blue",
  paused: "yellow",
  completed: "green",
  cancelled: "red",
};

export const RECIPIENT_STATES: readonly RecipientState[] = [
  "pending",
  "sending",
  "sent",
  "failed",
  "skipped",
  "cancelled",
];

export const RECIPIENT_STATE_LABELS: Record<RecipientState, string> = {
  pending: "Pending",
  sending: "Sending",
  sent: "Sent",
  failed: "Failed",
  skipped: "Skipped",
  cancelled: "Cancelled",
};

export type Counts = Required<RecipientCounts>;

/** Every count, a missing one as 0 (the API sends them all; its schema calls them optional). */
export function fullCounts(counts: RecipientCounts): Counts {
  return {
    total: 0,
    pending: 0,
    sending: 0,
    sent: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    delivered: 0,
    read: 0,
    replied: 0,
    deferred: 0,
    ...counts,
  };
}

export type Progress = { done: number; total: number; percent: number };

/** Recipients the campaign is through with (sent, failed or skipped) out of all of them. */
export function progressOf(
  counts: Pick<RecipientCounts, "total" | "sent" | "failed" | "skipped">,
): Progress {
  const done = (counts.sent ?? 0) + (counts.failed ?? 0) + (counts.skipped ?? 0);
  const total = counts.total ?? 0;
  const percent = total > 0 ? Math.min(100, (done / total) * 100) : 0;
  return { done, total, percent };
}

/** "1,240 of 5,000 (25 %)"; "No recipients yet" before the audience is frozen at start. */
export function formatProgress(counts: RecipientCounts): string {
  const { done, total, percent } = progressOf(counts);
  if (total === 0) return "No recipients yet";
  const shown = percent > 0 && percent < 1 ? percent.toFixed(1) : Math.floor(percent).toString();
  return `${formatCount(done)} of ${formatCount(total)} (${shown} %)`;
}

/** "21:00" → 1260; null for anything that is not a time of day. */
export function timeToMinute(time: string): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return null;
  return hours * 60 + minutes;
}

/** 1260 → "21:00". */
export function minuteToTime(minute: number): string {
  const hours = Math.floor(minute / 60);
  return `${String(hours).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** "No sends 21:00–09:00 (Asia/Kolkata)", or null without quiet hours. */
export function describeQuietHours(
  start: number | null | undefined,
  end: number | null | undefined,
  timeZone: string,
): string | null {
  if (start == null || end == null) return null;
  return `No sends ${minuteToTime(start)}–${minuteToTime(end)} (${timeZone})`;
}

/** A forecast's length as people say it: "40 s", "12 min", "3 h 20 min", "2 days 4 h". */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  const dayWord = days === 1 ? "day" : "days";
  return rest ? `${days} ${dayWord} ${rest} h` : `${days} ${dayWord}`;
}

/** Counts by reason, largest first (ties by name), without the empty ones. */
export function byCount(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
}

/** The failures by reason (largest first), split into those a retry can help and those it
 * cannot (the API refuses to retry them: they would be skipped or fail the same way). */
export function retryChoices(
  results: Pick<CampaignResults, "failed_by_reason" | "retryable_reasons"> | undefined,
): { retryable: [string, number][]; hopeless: [string, number][] } {
  const retryable = new Set(results?.retryable_reasons ?? []);
  const failed = byCount(results?.failed_by_reason ?? {});
  return {
    retryable: failed.filter(([reason]) => retryable.has(reason)),
    hopeless: failed.filter(([reason]) => !retryable.has(reason)),
  };
}

export function sumOf(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** What each status lets the team do (the API refuses the rest with a 409). */
export const ACTIONS = {
  start: (status: CampaignStatus) => status === "draft",
  pause: (status: CampaignStatus) => status === "running" || status === "scheduled",
  resume: (status: CampaignStatus) => status === "paused",
  cancel: (status: CampaignStatus) =>
    status === "draft" || status === "scheduled" || status === "running" || status === "paused",
  retry: (status: CampaignStatus) => status !== "draft" && status !== "cancelled",
};

export function isLive(status: CampaignStatus): boolean {
  return status === "running" || status === "scheduled" || status === "paused";
}
