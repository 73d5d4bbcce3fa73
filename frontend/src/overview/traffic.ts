/** What the traffic trend calls each figure, wherever it shows it: the chart's legend and
 * tooltip, the stats and the table for screen readers. Kept apart from the chart so that using
 * the names does not load the chart library. */
export const SERIES = {
  inbound: "From doctors",
  outbound: "To doctors",
  outbound_ai: "By AI",
  outbound_admin: "By your team",
  failed: "Failed",
  new_doctors: "New doctors",
} as const;

export const PERIODS = [7, 14, 30] as const;
export type Period = (typeof PERIODS)[number];
