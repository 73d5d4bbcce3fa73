/** How an agent's health reads to a person: colours, labels, and what switching it off does. */
import type { Agent } from "../api/client";
import { formatCount, formatPercent } from "../lib/format";

export const STATE_LABELS: Record<Agent["state"], string> = {
  healthy: "Healthy",
  degraded: "Degraded",
  down: "Down",
  disabled: "Disabled",
};

export const STATE_COLORS: Record<Agent["state"], string> = {
  healthy: "teal",
  degraded: "yellow",
  down: "red",
  disabled: "gray",
};

export const CIRCUIT_LABELS: Record<Agent["circuit"], string> = {
  closed: "Closed",
  open: "Open: its standby answers at once",
  half_open: "Half-open: trying it again",
};

export function ms(value: number | null): string {
  if (value === null) return "—";
  return value < 1 ? "< 1 ms" : `${formatCount(Math.round(value))} ms`;
}

export function errorRate(value: number | null): string {
  return value === null ? "idle" : formatPercent(value);
}

/** A sentence from the API's lower-case reason ("its circuit breaker is open …"). */
export function sentence(reason: string): string {
  const text = reason.charAt(0).toUpperCase() + reason.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** What happens to doctors' messages while `agent` is disabled, said before anyone does it. */
export function whileDisabled(agent: Agent, agents: readonly Agent[]): string {
  if (agent.standby) {
    return `Its standby, ${agent.standby}, answers instead until you enable it again.`;
  }
  const primary = agents.find((other) => other.standby === agent.name);
  if (primary) {
    return `It stands in for ${primary.name} when that agent fails. While it is disabled, a person takes over those conversations.`;
  }
  if (agent.critical) {
    return "A person takes over the conversations it would answer until you enable it again.";
  }
  return "It does not run until you enable it again, and nothing takes its place.";
}
