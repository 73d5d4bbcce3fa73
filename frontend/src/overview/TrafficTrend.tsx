/** Messages and new doctors per day: today's figures, a chart of the period (drawn by a library
 * loaded only once the figures are here) and the same figures as a table for screen readers. */
import {
  Button,
  Group,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import { lazy, Suspense, useId, useState } from "react";
import { Link } from "react-router";
import type { TrafficDay, TrafficStats, WhatsAppNumber } from "../api/client";
import { EmptyState, ErrorState, LoadingState } from "../components/states";
import { formatCount, formatDay, formatPercent } from "../lib/format";
import { useTraffic } from "./queries";
import { PERIODS, SERIES, type Period } from "./traffic";

const TrafficChart = lazy(() => import("./TrafficChart"));

const CHART_HEIGHT = 260;
const ALL_NUMBERS = "all";

function TodayStat({ label, value, hint }: { label: string; value: number; hint?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} lh={1.3}>
        {formatCount(value)}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </div>
  );
}

function Today({ today }: { today: TrafficDay }) {
  const automatic = today.outbound - today.outbound_ai - today.outbound_admin;
  const split = [
    `${formatCount(today.outbound_ai)} by AI`,
    `${formatCount(today.outbound_admin)} by your team`,
    ...(automatic > 0 ? [`${formatCount(automatic)} automatic`] : []),
  ].join(" · ");
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md" verticalSpacing="sm">
      <TodayStat label="From doctors today" value={today.inbound} />
      <TodayStat label="To doctors today" value={today.outbound} hint={split} />
      <TodayStat
        label="Failed today"
        value={today.failed}
        hint={
          today.outbound ? `${formatPercent(today.failed / today.outbound)} of sent` : undefined
        }
      />
      <TodayStat label="New doctors today" value={today.new_doctors} />
    </SimpleGrid>
  );
}

/** The period in words, for the summary and the table's caption. */
function periodText(stats: TrafficStats): string {
  const first = stats.days[0];
  const last = stats.days[stats.days.length - 1];
  if (!first || !last) return "";
  return `${formatDay(first.day)} to ${formatDay(last.day)} (${stats.timezone} days)`;
}

function count(value: number, one: string, many: string): string {
  return `${formatCount(value)} ${value === 1 ? one : many}`;
}

function summaryText(stats: TrafficStats): string {
  const { totals } = stats;
  return (
    `${periodText(stats)}: ${count(totals.inbound, "message", "messages")} from doctors, ` +
    `${formatCount(totals.outbound)} to doctors (${formatCount(totals.failed)} failed), ` +
    `${count(totals.new_doctors, "new doctor", "new doctors")}.`
  );
}

const COLUMNS = [
  "inbound",
  "outbound",
  "outbound_ai",
  "outbound_admin",
  "failed",
  "new_doctors",
] as const satisfies readonly (keyof typeof SERIES)[];

function FiguresTable({ stats }: { stats: TrafficStats }) {
  return (
    <Table>
      <caption>Messages and new doctors per day, {periodText(stats)}</caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Day</Table.Th>
          {COLUMNS.map((column) => (
            <Table.Th key={column} scope="col">
              {SERIES[column]}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {stats.days.map((day) => (
          <Table.Tr key={day.day}>
            <Table.Th scope="row">{formatDay(day.day, { long: true })}</Table.Th>
            {COLUMNS.map((column) => (
              <Table.Td key={column}>{formatCount(day[column])}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function isQuiet(stats: TrafficStats): boolean {
  const { totals } = stats;
  return totals.inbound + totals.outbound + totals.new_doctors === 0;
}

export function TrafficTrend({ numbers }: { numbers: WhatsAppNumber[] }) {
  const [period, setPeriod] = useState<Period>(14);
  const [numberId, setNumberId] = useState<number | null>(null);
  const traffic = useTraffic(period, numberId);
  const headingId = useId();
  const summaryId = useId();

  let body;
  if (traffic.isPending) body = <LoadingState label="Loading traffic…" />;
  else if (traffic.isError) {
    body = (
      <ErrorState
        title="Couldn't load the traffic"
        error={traffic.error}
        onRetry={() => void traffic.refetch()}
      />
    );
  } else {
    const stats = traffic.data;
    body = (
      <Stack gap="md">
        <Today today={stats.today} />
        {isQuiet(stats) ? (
          <EmptyState
            title={`No messages in the last ${stats.days.length} days`}
            action={
              <Button component={Link} to="/inbox" variant="light">
                Open the inbox
              </Button>
            }
          >
            Messages from doctors{numberId === null ? "" : " on this number"}, the replies they get
            and new doctors are drawn here day by day. Share your WhatsApp number with doctors, or
            write to one from the inbox.
          </EmptyState>
        ) : (
          <>
            <Text size="sm" c="dimmed" id={summaryId}>
              {summaryText(stats)}
            </Text>
            <figure
              aria-labelledby={headingId}
              aria-describedby={summaryId}
              style={{ margin: 0, minHeight: CHART_HEIGHT }}
            >
              <Suspense fallback={<Skeleton height={CHART_HEIGHT} aria-hidden />}>
                <TrafficChart days={stats.days} />
              </Suspense>
            </figure>
            <VisuallyHidden>
              <FiguresTable stats={stats} />
            </VisuallyHidden>
          </>
        )}
      </Stack>
    );
  }

  return (
    <section aria-labelledby={headingId}>
      <Group justify="space-between" align="flex-end" mb="sm" gap="sm">
        <div>
          <Title order={2} size="h3" id={headingId}>
            Traffic and leads
          </Title>
          <Text size="xs" c="dimmed">
            Per calendar day{traffic.data ? ` in ${traffic.data.timezone}` : ""}
          </Text>
        </div>
        <Group gap="sm" align="flex-end">
          {numbers.length > 1 && (
            <Select
              label="Number"
              size="xs"
              w={180}
              allowDeselect={false}
              value={numberId === null ? ALL_NUMBERS : String(numberId)}
              onChange={(value) =>
                setNumberId(value && value !== ALL_NUMBERS ? Number(value) : null)
              }
              data={[
                { value: ALL_NUMBERS, label: "All numbers" },
                ...numbers.map((number) => ({ value: String(number.id), label: number.label })),
              ]}
            />
          )}
          <SegmentedControl
            size="xs"
            aria-label="Period"
            value={String(period)}
            onChange={(value) => setPeriod(Number(value) as Period)}
            data={PERIODS.map((days) => ({ value: String(days), label: `${days} days` }))}
          />
        </Group>
      </Group>
      <Paper withBorder radius="md" p="md">
        {body}
      </Paper>
    </section>
  );
}
