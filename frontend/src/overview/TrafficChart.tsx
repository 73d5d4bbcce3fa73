/** The traffic trend drawn with Recharts: loaded on its own, after the rest of the overview. */
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  Tooltip,
  XAxis,
  YAxis,
  type LegendPayload,
} from "recharts";
import type { TrafficDay } from "../api/client";
import { formatCount, formatDay } from "../lib/format";
import { SERIES } from "./traffic";

const AXIS_TICK = { fontSize: 12, fill: "var(--mantine-color-dimmed)" };
const AXIS_LABEL = { fontSize: 12, fill: "var(--mantine-color-dimmed)" };
// The legend and the tooltip list the series in this order, not alphabetically.
const ORDER: readonly string[] = [
  SERIES.inbound,
  SERIES.outbound,
  SERIES.failed,
  SERIES.new_doctors,
];
const byOrder = (item: { name?: unknown; value?: unknown }) =>
  ORDER.indexOf(String(item.name ?? item.value));

/** A line per message series on the left axis, new doctors as bars on the right one. Not
 * animated: it is redrawn every minute, and a chart that replays its entrance each time is
 * one nobody can read. */
export default function TrafficChart({ days }: { days: TrafficDay[] }) {
  const rows = days.map((day) => ({ ...day, label: formatDay(day.day) }));
  const line = { yAxisId: "messages", strokeWidth: 2, dot: false, isAnimationActive: false };
  return (
    <ComposedChart
      responsive
      data={rows}
      style={{ width: "100%", height: 260 }}
      margin={{ top: 8, right: 4, bottom: 0, left: 4 }}
    >
      <CartesianGrid vertical={false} stroke="var(--mantine-color-gray-3)" strokeDasharray="3 3" />
      <XAxis dataKey="label" tick={AXIS_TICK} tickLine={false} minTickGap={12} />
      <YAxis
        yAxisId="messages"
        allowDecimals={false}
        tick={AXIS_TICK}
        tickLine={false}
        axisLine={false}
        tickFormatter={formatCount}
        label={{ value: "Messages", angle: -90, position: "insideLeft", style: AXIS_LABEL }}
      />
      <YAxis
        yAxisId="doctors"
        orientation="right"
        allowDecimals={false}
        tick={AXIS_TICK}
        tickLine={false}
        axisLine={false}
        tickFormatter={formatCount}
        label={{ value: SERIES.new_doctors, angle: 90, position: "insideRight", style: AXIS_LABEL }}
      />
      <Tooltip
        itemSorter={byOrder}
        formatter={(value) => (typeof value === "number" ? formatCount(value) : value)}
        labelFormatter={(_label, payload) => {
          const day = payload?.[0]?.payload as TrafficDay | undefined;
          return day ? formatDay(day.day, { long: true }) : "";
        }}
      />
      <Legend wrapperStyle={{ fontSize: 13 }} itemSorter={(item: LegendPayload) => byOrder(item)} />
      <Bar
        yAxisId="doctors"
        dataKey="new_doctors"
        name={SERIES.new_doctors}
        fill="var(--mantine-color-yellow-4)"
        maxBarSize={18}
        radius={[3, 3, 0, 0]}
        isAnimationActive={false}
      />
      <Line
        {...line}
        dataKey="inbound"
        name={SERIES.inbound}
        stroke="var(--mantine-color-teal-7)"
      />
      <Line
        {...line}
        dataKey="outbound"
        name={SERIES.outbound}
        stroke="var(--mantine-color-blue-6)"
      />
      <Line
        {...line}
        dataKey="failed"
        name={SERIES.failed}
        stroke="var(--mantine-color-red-7)"
        strokeDasharray="5 3"
      />
    </ComposedChart>
  );
}
