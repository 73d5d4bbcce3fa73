/** How long a doctor has waited for our answer, ticking while it is on screen. */
import { Badge } from "@mantine/core";
import { useEffect, useState } from "react";

const TICK_MS = 15_000;

/** Whole minutes since `since` (UTC from the API, with or without its offset). */
export function waitedMinutes(since: string, now: number): number {
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(since) ? since : `${since}Z`);
  return Math.max(0, Math.floor((now - at) / 60_000));
}

/** "waiting 12 min": minutes under two hours, then hours and minutes, then days. */
export function formatWaiting(since: string, now: number): string {
  const minutes = waitedMinutes(since, now);
  if (minutes < 1) return "waiting <1 min";
  if (minutes < 120) return `waiting ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `waiting ${hours} h ${minutes % 60} min`;
  return `waiting ${Math.floor(hours / 24)} days`;
}

export function WaitingTimer({ since }: { since: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);
  const text = formatWaiting(since, now);
  const minutes = waitedMinutes(since, now);
  return (
    <Badge
      size="xs"
      variant="light"
      color={minutes >= 30 ? "red" : minutes >= 10 ? "orange" : "gray"}
      tt="none"
      title="The doctor is waiting for our answer"
    >
      {text}
    </Badge>
  );
}
