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
  UNKNOWN: { label: "Not checked yet", tone: "gray" },
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

/** The one line that says whether this number works, and if not, why. */
export function verdict(health: NumberHealth, enabled: boolean): { text: string; tone: Tone } {
  if (!enabled)
    return { text: "Disabled: it neither sends nor is picked for new work.", tone: "gray" };
  if (health.paused) {
    return { text: `Paused: ${health.paused_reason ?? "no reason was recorded."}`, tone: "red" };
  }
  if (!health.can_send)
    return { text: `Cannot send: ${statusOf(health.status).label}.`, tone: "red" };
  if (health.status === "UNKNOWN")
    return { text: "Waiting for its first health check.", tone: "gray" };
  if (health.check_error)
    return { text: `Last health check failed: ${health.check_error}`, tone: "yellow" };
  if (health.quality_rating === "RED" || health.quality_rating === "YELLOW") {
    return {
      text: "Sending, but doctors are reporting or blocking: quality is dropping.",
      tone: "yellow",
    };
  }
  return { text: "Sending normally.", tone: "green" };
}

export type ConversationMode = "ai" | "draft" | "human";

/** How new conversations on a number are answered, in the admins' words. */
export const MODE_LABELS: Record<ConversationMode, string> = {
  ai: "AI answers on its own",
  draft: "AI drafts, an admin approves",
  human: "People answer, AI stays silent",
};
