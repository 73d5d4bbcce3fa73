/** Whether the dashboard is receiving live updates. */
import { Badge, Tooltip } from "@mantine/core";
import { FALLBACK_POLL_MS, useConnectionState } from "../realtime/connection";

const POLL_SECONDS = FALLBACK_POLL_MS / 1000;

export function ConnectionIndicator() {
  const state = useConnectionState();
  const live = state === "live";
  const label = live ? "Live" : state === "connecting" ? "Connecting…" : "Not live";
  const help = live
    ? "Changes appear as they happen."
    : `Live updates are unavailable; pages refresh every ${POLL_SECONDS} s and reconnect automatically.`;
  return (
    <Tooltip label={help} multiline w={260}>
      <Badge
        role="status"
        aria-label={`Live updates: ${label}. ${help}`}
        color={live ? "teal" : "gray"}
        variant={live ? "light" : "outline"}
        tabIndex={0}
      >
        {label}
      </Badge>
    </Tooltip>
  );
}
