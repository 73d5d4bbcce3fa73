/** One campaign, live: its progress and counts by state over the WebSocket; pause, resume,
 * cancel and retry the failed by reason; its results, its recipients and their CSV. */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useId, useState } from "react";
import { Link, useParams } from "react-router";
import { errorDetail } from "../api/client";
import { useCurrentUser } from "../auth/session";
import { ErrorState, LoadingState, PageHeader } from "../components/states";
import { useTableMinWidth } from "../components/narrow";
import { formatCount, formatDateTime, formatPhone } from "../lib/format";
import { useNumbers } from "../numbers/queries";
import { NotFoundPage } from "../shell/NotFoundPage";
import { canRunCampaigns, ProgressBar, StatusBadge } from "./CampaignParts";
import {
  ACTIONS,
  RECIPIENT_STATES,
  RECIPIENT_STATE_LABELS,
  describeQuietHours,
  fullCounts,
  retryChoices,
  type Counts,
} from "./progress";
import {
  exportUrl,
  useCampaign,
  useCampaignAction,
  useCampaignResults,
  useOneAtATime,
  useRecipients,
  useRetryFailed,
  type CampaignAction,
} from "./queries";
import { Figure, ReasonList } from "./ReviewStep";
import type { Campaign, CampaignResults, RecipientState, ResultRow } from "./types";
import classes from "../components/tables.module.css";

export function CampaignDetailPage() {
  const { campaignId } = useParams();
  const id = Number(campaignId);
  if (!Number.isSafeInteger(id) || id <= 0) return <NotFoundPage />;
  return <CampaignDetail id={id} />;
}

function CampaignDetail({ id }: { id: number }) {
  const campaign = useCampaign(id);
  if (campaign.isPending) return <LoadingState label="Loading the campaign…" />;
  if (campaign.isError)
    return (
      <ErrorState
        title="Could not load the campaign"
        error={campaign.error}
        onRetry={() => void campaign.refetch()}
      />
    );
  return <CampaignView campaign={campaign.data} />;
}

function CampaignView({ campaign }: { campaign: Campaign }) {
  const user = useCurrentUser();
  const results = useCampaignResults(campaign.id);
  const quiet = describeQuietHours(
    campaign.quiet_start_minute,
    campaign.quiet_end_minute,
    campaign.time_zone,
  );
  const counts = fullCounts(campaign.counts);
  return (
    <>
      <PageHeader
        title={campaign.name}
        description={
          <Group gap="xs" component="span">
            <StatusBadge status={campaign.status} testId="campaign-status" />
            <span>
              {campaign.segment_name ?? "No segment"} ·{" "}
              {campaign.kind === "template" ? "Template" : "Free text"}
              {campaign.variants.length > 1
                ? ` · A/B ${campaign.variants.map((v) => `${v.key} ${v.share ?? 100} %`).join(" / ")}`
                : ""}
            </span>
          </Group>
        }
        actions={
          <Group gap="xs">
            <Button component={Link} to="/campaigns" variant="default">
              All campaigns
            </Button>
            <Button component="a" href={exportUrl(campaign.id)} download variant="default">
              Download CSV
            </Button>
          </Group>
        }
      />
      <Stack gap="lg">
        {campaign.paused_reason && campaign.status === "paused" && (
          <Alert color="yellow" title="Paused">
            {campaign.paused_reason}
          </Alert>
        )}
        <Paper withBorder p="md" radius="md">
          <Stack gap="sm">
            <ProgressBar counts={counts} size="lg" label={`Progress of ${campaign.name}`} />
            <SimpleGrid cols={{ base: 2, xs: 3, md: 6 }} data-testid="campaign-counts">
              <Figure label="Total" value={formatCount(counts.total)} />
              <Figure
                label="Pending"
                value={formatCount(counts.pending)}
                hint={counts.deferred ? `${formatCount(counts.deferred)} held back` : undefined}
              />
              <Figure label="Sending" value={formatCount(counts.sending)} />
              <Figure
                label="Sent"
                value={formatCount(counts.sent)}
                hint={`${formatCount(counts.delivered)} delivered · ${formatCount(counts.read)} read · ${formatCount(counts.replied)} replied`}
              />
              <Figure label="Failed" value={formatCount(counts.failed)} />
              <Figure
                label="Skipped"
                value={formatCount(counts.skipped)}
                hint={counts.cancelled ? `${formatCount(counts.cancelled)} cancelled` : undefined}
              />
            </SimpleGrid>
            <Group gap="lg" wrap="wrap">
              <Text size="sm">Created {formatDateTime(campaign.created_at)}</Text>
              {campaign.scheduled_at && (
                <Text size="sm">Scheduled {formatDateTime(campaign.scheduled_at)}</Text>
              )}
              {campaign.started_at && (
                <Text size="sm">Started {formatDateTime(campaign.started_at)}</Text>
              )}
              {campaign.finished_at ? (
                <Text size="sm">Finished {formatDateTime(campaign.finished_at)}</Text>
              ) : (
                campaign.forecast_finish_at && (
                  <Text size="sm">
                    Forecast finish {formatDateTime(campaign.forecast_finish_at)}
                  </Text>
                )
              )}
              {quiet && <Text size="sm">{quiet}</Text>}
            </Group>
            {canRunCampaigns(user) && <Actions campaign={campaign} results={results.data} />}
          </Stack>
        </Paper>
        <Results results={results} live={counts} />
        <Recipients campaign={campaign} />
      </Stack>
    </>
  );
}

const ACTION_LABELS: Record<CampaignAction, string> = {
  start: "Start",
  pause: "Pause",
  resume: "Resume pending",
  cancel: "Cancel campaign",
};

function Actions({ campaign, results }: { campaign: Campaign; results?: CampaignResults }) {
  const start = useCampaignAction("start");
  const pause = useCampaignAction("pause");
  const resume = useCampaignAction("resume");
  const cancel = useCampaignAction("cancel");
  const retry = useRetryFailed();
  const oneAtATime = useOneAtATime();
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [retrying, setRetrying] = useState(false);
  const [reasons, setReasons] = useState<string[]>([]);
  const [requeued, setRequeued] = useState<number | null>(null);
  const mutations = { start, pause, resume, cancel };
  const busy = Object.values(mutations).some((mutation) => mutation.isPending) || retry.isPending;
  const { retryable, hopeless } = retryChoices(results);
  const hopelessId = useId();

  const run = (action: CampaignAction) =>
    oneAtATime(async () => {
      try {
        await mutations[action].mutateAsync(campaign.id);
        if (action === "cancel") setConfirmCancel(false);
      } catch (error) {
        notifications.show({
          color: "red",
          title: `Could not ${ACTION_LABELS[action].toLowerCase()}`,
          message: errorDetail(error),
        });
      }
    });

  const retryFailed = () =>
    oneAtATime(async () => {
      try {
        const result = await retry.mutateAsync({ id: campaign.id, reasons });
        setRequeued(result.requeued);
        setRetrying(false);
        setReasons([]);
      } catch (error) {
        notifications.show({ color: "red", title: "Could not retry", message: errorDetail(error) });
      }
    });

  const button = (action: CampaignAction, props: { color?: string; variant?: string } = {}) =>
    ACTIONS[action](campaign.status) && (
      <Button
        key={action}
        loading={mutations[action].isPending}
        disabled={busy}
        onClick={() => (action === "cancel" ? setConfirmCancel(true) : void run(action))}
        {...props}
      >
        {ACTION_LABELS[action]}
      </Button>
    );

  return (
    <Stack gap="xs">
      <Group gap="sm" wrap="wrap">
        {button("start")}
        {button("pause", { variant: "light", color: "yellow" })}
        {button("resume")}
        {ACTIONS.retry(campaign.status) && retryable.length + hopeless.length > 0 && (
          <Button
            variant="light"
            disabled={busy || retryable.length === 0}
            aria-describedby={retryable.length === 0 ? hopelessId : undefined}
            onClick={() => {
              setReasons(retryable.map(([reason]) => reason));
              setRetrying(true);
            }}
          >
            Retry failed…
          </Button>
        )}
        {button("cancel", { variant: "subtle", color: "red" })}
      </Group>
      {ACTIONS.retry(campaign.status) && retryable.length === 0 && hopeless.length > 0 && (
        <Text size="xs" c="dimmed" id={hopelessId}>
          A retry cannot help those who failed: {hopeless.map(describeFailure).join(", ")}.
        </Text>
      )}
      {requeued !== null && (
        <Text size="sm" role="status">
          {requeued === 1
            ? "1 recipient requeued."
            : `${formatCount(requeued)} recipients requeued.`}
        </Text>
      )}
      <Modal
        opened={confirmCancel}
        onClose={() => setConfirmCancel(false)}
        title="Cancel this campaign?"
      >
        <Stack gap="md">
          <Text size="sm">
            Nobody still pending will get it. What was sent stays sent; a cancelled campaign cannot
            be resumed.
          </Text>
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => setConfirmCancel(false)}
              disabled={cancel.isPending}
            >
              Keep it
            </Button>
            <Button color="red" loading={cancel.isPending} onClick={() => void run("cancel")}>
              Cancel campaign
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={retrying} onClose={() => setRetrying(false)} title="Retry failed recipients">
        <Stack gap="md">
          <Checkbox.Group label="Failed because" value={reasons} onChange={setReasons}>
            <Stack gap="xs" mt="xs">
              {retryable.map(([reason, count]) => (
                <Checkbox key={reason} value={reason} label={describeFailure([reason, count])} />
              ))}
            </Stack>
          </Checkbox.Group>
          {hopeless.length > 0 && (
            <Stack gap={4}>
              {hopeless.map((failure) => (
                <Text key={failure[0]} size="sm">
                  {describeFailure(failure)}: a retry cannot help.
                </Text>
              ))}
            </Stack>
          )}
          <Text size="xs" c="dimmed">
            Each chosen recipient is sent again exactly once; the others stay failed.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRetrying(false)} disabled={retry.isPending}>
              Close
            </Button>
            <Button
              loading={retry.isPending}
              disabled={reasons.length === 0}
              onClick={() => void retryFailed()}
            >
              Retry{" "}
              {formatCount(
                retryable
                  .filter(([reason]) => reasons.includes(reason))
                  .reduce((sum, [, count]) => sum + count, 0),
              )}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

/** "Not reachable on WhatsApp (12)". */
function describeFailure([reason, count]: [string, number]): string {
  return `${reason} (${formatCount(count)})`;
}

function ResultTable({ title, rows }: { title: string; rows: ResultRow[] }) {
  const minWidth = useTableMinWidth(520);
  if (rows.length === 0) return null;
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        {title}
      </Title>
      <Table.ScrollContainer minWidth={minWidth} className={classes.frame}>
        <Table className={classes.cards} aria-label={title} verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">
                {title.replace(/^By /, "").replace(/^./, (c) => c.toUpperCase())}
              </Table.Th>
              {(["Sent", "Delivered", "Read", "Replied", "Failed"] as const).map((label) => (
                <Table.Th key={label} scope="col" ta="right">
                  {label}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.key}>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {row.key}
                  </Text>
                </Table.Td>
                {(["sent", "delivered", "read", "replied", "failed"] as const).map((key) => (
                  <Table.Td key={key} ta="right" data-label={key[0]!.toUpperCase() + key.slice(1)}>
                    {formatCount(row[key])}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

/** The breakdowns come from the results; the totals from the live counts, which events keep
 * current between two readings of the results. */
function Results({
  results,
  live,
}: {
  results: ReturnType<typeof useCampaignResults>;
  live: Counts;
}) {
  if (results.isPending) return <LoadingState label="Loading the results…" />;
  if (results.isError)
    return (
      <ErrorState
        title="Could not load the results"
        error={results.error}
        onRetry={() => void results.refetch()}
      />
    );
  const data = results.data;
  const counts = live;
  const money = new Intl.NumberFormat(undefined, {
    style: "currency",
    currency: data.currency || "USD",
  });
  return (
    <Paper withBorder p="md" radius="md" data-testid="campaign-results">
      <Stack gap="md">
        <Title order={2} size="h4">
          Results
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <Figure label="Delivered" value={formatCount(counts.delivered)} />
          <Figure label="Read" value={formatCount(counts.read)} />
          <Figure label="Replied" value={formatCount(counts.replied)} hint="Within 72 h" />
          <Figure label="Opted out after" value={formatCount(data.opted_out_after)} />
        </SimpleGrid>
        <ResultTable title="By variant" rows={data.by_variant} />
        <ResultTable title="By number" rows={data.by_number} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <ReasonList
            title="Failed by reason"
            counts={data.failed_by_reason}
            empty="Nothing failed."
          />
          <ReasonList
            title="Skipped by reason"
            counts={data.skipped_by_reason}
            empty="Nobody was skipped."
          />
        </SimpleGrid>
        <Stack gap={4}>
          <Title order={3} size="h5">
            Estimated cost: {money.format(data.estimated_cost)}
          </Title>
          {data.cost.length > 0 && (
            <Table aria-label="Estimated cost" verticalSpacing={4} className={classes.cards}>
              <Table.Tbody>
                {data.cost.map((line) => (
                  <Table.Tr key={`${line.category}-${line.country}`}>
                    <Table.Td>
                      {line.category.toLowerCase()} · {line.country}
                    </Table.Td>
                    <Table.Td ta="right">{formatCount(line.messages)} messages</Table.Td>
                    <Table.Td ta="right">{money.format(line.amount)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      </Stack>
    </Paper>
  );
}

const STATE_COLORS: Record<RecipientState, string> = {
  pending: "gray",
  sending: "blue",
  sent: "green",
  failed: "red",
  skipped: "gray",
  cancelled: "dark",
};

function Recipients({ campaign }: { campaign: Campaign }) {
  const [state, setState] = useState<RecipientState | null>(null);
  const recipients = useRecipients(campaign.id, state);
  const numbers = useNumbers();
  const minWidth = useTableMinWidth(820);
  const numberLabel = (id: number | null) =>
    id === null ? "—" : (numbers.data?.find((number) => number.id === id)?.label ?? `#${id}`);
  const rows = recipients.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-end" wrap="wrap">
          <Title order={2} size="h4">
            Recipients
          </Title>
          <Select
            label="State"
            data={[
              { value: "", label: "Every state" },
              ...RECIPIENT_STATES.map((value) => ({ value, label: RECIPIENT_STATE_LABELS[value] })),
            ]}
            value={state ?? ""}
            allowDeselect={false}
            onChange={(value) => setState(value ? (value as RecipientState) : null)}
            w={180}
          />
        </Group>
        {recipients.isPending ? (
          <LoadingState label="Loading recipients…" />
        ) : recipients.isError ? (
          <ErrorState
            title="Could not load the recipients"
            error={recipients.error}
            onRetry={() => void recipients.refetch()}
          />
        ) : rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            {campaign.status === "draft"
              ? "The recipients are chosen from the segment when the campaign starts."
              : "No recipients in this state."}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={minWidth} className={classes.frame}>
            <Table className={classes.cards} aria-label="Recipients" verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Doctor</Table.Th>
                  <Table.Th scope="col">State</Table.Th>
                  <Table.Th scope="col">Variant</Table.Th>
                  <Table.Th scope="col">Number</Table.Th>
                  <Table.Th scope="col">Reason</Table.Th>
                  <Table.Th scope="col">Sent</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((recipient) => (
                  <Table.Tr key={recipient.id}>
                    <Table.Td>
                      <Anchor
                        component={Link}
                        to={`/doctors/${recipient.doctor_id}`}
                        size="sm"
                        fw={600}
                      >
                        {recipient.doctor_name}
                      </Anchor>
                      {recipient.wa_id && (
                        <Text size="xs" c="dimmed">
                          {formatPhone(recipient.wa_id)}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td className={classes.compact}>
                      <Group gap={4} wrap="nowrap">
                        <Badge variant="light" color={STATE_COLORS[recipient.state]}>
                          {RECIPIENT_STATE_LABELS[recipient.state]}
                        </Badge>
                        {recipient.message_status && (
                          <Text size="xs" c="dimmed">
                            {recipient.message_status}
                          </Text>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td data-label="Variant">{recipient.variant}</Table.Td>
                    <Table.Td data-label="Number">{numberLabel(recipient.number_id)}</Table.Td>
                    <Table.Td data-label="Reason">
                      <Text size="sm">
                        {recipient.reason ?? "—"}
                        {recipient.error_code !== null ? ` (${recipient.error_code})` : ""}
                      </Text>
                      {recipient.not_before && recipient.state === "pending" && (
                        <Text size="xs" c="dimmed">
                          Not before {formatDateTime(recipient.not_before)}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td data-label="Sent">
                      <Text size="sm">{formatDateTime(recipient.sent_at)}</Text>
                      {recipient.replied_at && (
                        <Text size="xs" c="green">
                          Replied {formatDateTime(recipient.replied_at)}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {recipients.hasNextPage && (
          <Group justify="center">
            <Button
              variant="default"
              loading={recipients.isFetchingNextPage}
              onClick={() => void recipients.fetchNextPage()}
            >
              Show more recipients
            </Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
