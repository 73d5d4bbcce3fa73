/** The wizard's last step: what the planner says starting now would do. */
import {
  Alert,
  Badge,
  Group,
  List,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { ErrorState, LoadingState } from "../components/states";
import { formatCount, formatDateTime } from "../lib/format";
import { WhatsAppText } from "../lib/whatsapp";
import { byCount, describeQuietHours, formatDuration, sumOf } from "./progress";
import type { CampaignCreate, CampaignPlan } from "./types";
import classes from "../components/tables.module.css";

export function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Paper withBorder p="sm" radius="md">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg" aria-label={label}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

export function ReasonList({
  title,
  counts,
  empty,
}: {
  title: string;
  counts: Record<string, number>;
  empty: string;
}) {
  const rows = byCount(counts);
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        {title}
      </Title>
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          {empty}
        </Text>
      ) : (
        <List size="sm" aria-label={title}>
          {rows.map(([reason, count]) => (
            <List.Item key={reason}>
              {reason}: <strong>{formatCount(count)}</strong>
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}

export function ReviewStep({
  body,
  plan,
  timeZone,
}: {
  body: CampaignCreate;
  plan: {
    data?: CampaignPlan;
    isPending: boolean;
    isError: boolean;
    error: unknown;
    refetch: () => unknown;
  };
  timeZone: string;
}) {
  if (plan.isPending) return <LoadingState label="Planning the campaign…" />;
  if (plan.isError || !plan.data)
    return (
      <ErrorState
        title="Could not plan the campaign"
        error={plan.error}
        onRetry={() => void plan.refetch()}
      />
    );
  const result = plan.data;
  const quiet = describeQuietHours(body.quiet_start_minute, body.quiet_end_minute, timeZone);
  return (
    <Stack gap="md" data-testid="campaign-plan">
      {result.problems.length > 0 && (
        <Alert color="red" title="It cannot start yet" role="alert">
          <List size="sm">
            {result.problems.map((problem) => (
              <List.Item key={problem}>{problem}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Figure label="Recipients" value={formatCount(result.recipients)} />
        <Figure label="Skipped" value={formatCount(sumOf(result.skipped))} />
        <Figure
          label="Deferred beyond the tier"
          value={formatCount(result.deferred)}
          hint={
            result.tier_budget === null
              ? "Unlimited tier"
              : `${formatCount(result.tier_budget)} doctors left in the next 24 h`
          }
        />
        <Figure
          label="Forecast finish"
          value={formatDateTime(result.forecast_finish_at)}
          hint={`About ${formatDuration(result.forecast_seconds)}`}
        />
      </SimpleGrid>
      {result.deferred > 0 && (
        <Alert color="yellow" title="The messaging tier does not cover everyone today">
          {formatCount(result.deferred)} doctors are beyond the tier's budget for the next 24 hours:
          they are sent the day after.
        </Alert>
      )}
      {(quiet || result.quiet_hours_pause) && (
        <Alert color="blue" title="Quiet hours">
          {quiet ?? "Quiet hours apply."}
          {result.quiet_hours_pause
            ? " The campaign will pause for the quiet hours and resume after them; the forecast counts the pause."
            : " The campaign should finish before they begin."}
        </Alert>
      )}
      <ReasonList title="Skipped by reason" counts={result.skipped} empty="Nobody is skipped." />
      <Stack gap={4}>
        <Title order={3} size="h5">
          Numbers
        </Title>
        <Table.ScrollContainer minWidth={0} className={classes.frame}>
          <Table className={classes.cards} aria-label="Numbers in the plan" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Number</Table.Th>
                <Table.Th scope="col">Quality · tier</Table.Th>
                <Table.Th scope="col" ta="right">
                  Rate
                </Table.Th>
                <Table.Th scope="col" ta="right">
                  Recipients
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.numbers.map((number) => (
                <Table.Tr key={number.number_id}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {number.label}
                    </Text>
                    {number.excluded_reason && (
                      <Text size="xs" c="red">
                        Not used: {number.excluded_reason}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td data-label="Quality">
                    <Group gap={4}>
                      <Badge variant="light" color={qualityColor(number.quality_rating)}>
                        {number.quality_rating}
                      </Badge>
                      <Text size="xs">{number.messaging_tier ?? "tier unknown"}</Text>
                    </Group>
                  </Table.Td>
                  <Table.Td ta="right" data-label="Rate">
                    <Text size="sm">{number.rate_per_second.toLocaleString()} msg/s</Text>
                  </Table.Td>
                  <Table.Td ta="right" data-label="Recipients">
                    <Text size="sm">{formatCount(number.recipients)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
      {result.samples.length > 0 && (
        <Stack gap={4}>
          <Title order={3} size="h5">
            What doctors will read
          </Title>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            {result.samples.map((sample) => (
              <Paper
                key={`${sample.doctor_id}-${sample.variant}`}
                withBorder
                p="sm"
                radius="md"
                data-testid="plan-sample"
              >
                <Group justify="space-between" gap="xs" mb={4}>
                  <Text size="sm" fw={600}>
                    {sample.doctor_name}
                  </Text>
                  {body.variants.length > 1 && (
                    <Badge variant="outline">Variant {sample.variant}</Badge>
                  )}
                </Group>
                {sample.skip_reason ? (
                  <Text size="sm" c="dimmed">
                    Skipped: {sample.skip_reason}
                  </Text>
                ) : (
                  <Paper bg="green.0" p="xs" radius="sm">
                    <Text size="sm" component="div" style={{ whiteSpace: "pre-wrap" }}>
                      <WhatsAppText text={sample.text} />
                    </Text>
                  </Paper>
                )}
              </Paper>
            ))}
          </SimpleGrid>
        </Stack>
      )}
    </Stack>
  );
}

function qualityColor(rating: string): string {
  const upper = rating.toUpperCase();
  if (upper === "GREEN") return "green";
  if (upper === "YELLOW") return "yellow";
  if (upper === "UNKNOWN") return "gray";
  return "red";
}
