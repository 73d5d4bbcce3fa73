/** How a number's health reads: words and colours for WhatsApp's status codes. */
import type { NumberHealth } from "../api/client";

export type Tone = "green" | "yellow" | "red" | "gray";

const STATUS: Record<string, { label: string; tone: Tone }> = {
  CONNECTED: { label: "Connected", tone: "green" },
  PENDING: { label: "Pending", tone: "yellow" },
  UNVERIFIED: { label: "Unverified", tone: "yellow" },
  MIGRATED: { label: "Migrated", tone: "yellow" },
  FLAGGED: { label: "Flagged", tone: "yellow" },
  RESTRICTED: { label: "Restricted", tone: "red" },
  DISCONNECTED: { label: "Disconnected", tone: "red" },
  BANNED: { label: "Banned", tone: "red" },
  DELETED: { label: "Deleted", tone: "red" },
  UNKNOWN: { label: "Not reported", tone: "gray" },
};

const QUALITY: Record<string, { label: string; tone: Tone }> = {
  GREEN: { label: "High", tone: "green" },
  YELLOW: { label: "Medium", tone: "yellow" },
  RED: { label: "Low", tone: "red" },
};

function titleCase(code: string): string {
  const words = code.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function statusOf(code: string): { label: string; tone: Tone } {
  return STATUS[code] ?? { label: titleCase(code), tone: "gray" };
}

export function qualityOf(code: string): { label: string; tone: Tone } {
  return QUALITY[code] ?? { label: "Unknown", tone: "gray" };
}

/** `TIER_1K` → "1K doctors / 24 h": unique doctors reached outside a window per rolling day. */
export function tierLabel(tier: string | null): string {
  if (!tier) return "Unknown";
  const match = /^TIER_(.+)$/.exec(tier);
  if (!match?.[1]) return titleCase(tier);
  return match[1] === "UNLIMITED" ? "Unlimited" : `${match[1]} doctors / 24 h`;
}

export function throughputLabel(
  health: Pick<NumberHealth, "throughput_level" | "throughput_mps">,
): string {
  return `${health.throughput_mps} msg/s (${titleCase(health.throughput_level)})`;
}

/** The number's one state, as the server computes it for every page (`health.state`): what is
 * going on, and what to try. */
export function verdict(health: NumberHealth): { text: string; fix: string | null; tone: Tone } {
  const { state } = health;
  return { text: state.explanation, fix: state.fix, tone: state.tone };
}

/** Whether the number's row should say more than its badge: it is not sending as it should. */
export function needsAttention(health: NumberHealth): boolean {
  return health.state.code !== "sending";
}

export type ConversationMode = "ai" | "draft" | "human";

/** How new conversations on a number are answered, in the admins' words. */
export const MODE_LABELS: Record<ConversationMode, string> = {
  ai: "AI answers on its own",
  draft: "AI drafts, an admin approves",
  human: "People answer, AI stays silent",
};
