/** Campaigns: every broadcast, newest first, with its status and how far it got, live. */
import { Anchor, Button, Group, Select, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { useTableMinWidth } from "../components/narrow";
import { formatDateTime } from "../lib/format";
import { canRunCampaigns, ProgressBar, StatusBadge } from "./CampaignParts";
import { STATUS_LABELS } from "./progress";
import { useCampaigns } from "./queries";
import type { CampaignStatus } from "./types";
import classes from "../components/tables.module.css";

const STATUS_OPTIONS = [
  { value: "", label: "Every status" },
  ...(Object.keys(STATUS_LABELS) as CampaignStatus[]).map((status) => ({
    value: status,
    label: STATUS_LABELS[status],
  })),
];

export function CampaignsPage() {
  const user = useCurrentUser();
  const [status, setStatus] = useState<CampaignStatus | null>(null);
  const campaigns = useCampaigns(status);
  const minWidth = useTableMinWidth(900);
  const items = campaigns.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <>
      <PageHeader
        title="Campaigns"
        description="Broadcasts to a segment: an approved template (or free text inside the 24 h window), spread over your numbers as fast as WhatsApp allows, with progress live."
        actions={
          canRunCampaigns(user) && (
            <Button component={Link} to="/campaigns/new">
              New campaign
            </Button>
          )
        }
      />
      <Stack gap="sm">
        <Group>
          <Select
            label="Status"
            data={STATUS_OPTIONS}
            value={status ?? ""}
            onChange={(value) => setStatus(value ? (value as CampaignStatus) : null)}
            allowDeselect={false}
            w={200}
          />
        </Group>
        {campaigns.isPending ? (
          <LoadingState label="Loading campaigns…" />
        ) : campaigns.isError ? (
          <ErrorState
            title="Could not load campaigns"
            error={campaigns.error}
            onRetry={() => void campaigns.refetch()}
          />
        ) : items.length === 0 ? (
          <EmptyState
            title={
              status ? `No ${STATUS_LABELS[status].toLowerCase()} campaigns` : "No campaigns yet"
            }
            action={
              canRunCampaigns(user) && !status ? (
                <Button component={Link} to="/campaigns/new" variant="light">
                  Create one
                </Button>
              ) : undefined
            }
          >
            A campaign sends one message to every doctor of a saved segment.
          </EmptyState>
        ) : (
          <Table.ScrollContainer minWidth={minWidth} className={classes.frame}>
            <Table verticalSpacing="sm" className={classes.cards} aria-label="Campaigns">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Campaign</Table.Th>
                  <Table.Th scope="col">Status</Table.Th>
                  <Table.Th scope="col">Segment</Table.Th>
                  <Table.Th scope="col" w={240}>
                    Progress
                  </Table.Th>
                  <Table.Th scope="col">Created / started</Table.Th>
                  <Table.Th scope="col">Forecast finish</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((campaign) => (
                  <Table.Tr key={campaign.id} data-testid={`campaign-${campaign.id}`}>
                    <Table.Td>
                      <Anchor component={Link} to={`/campaigns/${campaign.id}`} fw={600} size="sm">
                        {campaign.name}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        {campaign.kind === "template" ? "Template" : "Free text"}
                        {campaign.variants.length > 1 ? ` · A/B (${campaign.variants.length})` : ""}
                      </Text>
                    </Table.Td>
                    <Table.Td className={classes.compact}>
                      <StatusBadge status={campaign.status} />
                    </Table.Td>
                    <Table.Td data-label="Segment">
                      <Text size="sm">{campaign.segment_name ?? "—"}</Text>
                    </Table.Td>
                    <Table.Td>
                      <ProgressBar
                        counts={campaign.counts}
                        size="sm"
                        label={`Progress of ${campaign.name}`}
                      />
                    </Table.Td>
                    <Table.Td data-label="Created">
                      <Text size="sm">{formatDateTime(campaign.created_at)}</Text>
                      {campaign.started_at && (
                        <Text size="xs" c="dimmed">
                          Started {formatDateTime(campaign.started_at)}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td data-label="Finish">
                      <Text size="sm">
                        {campaign.finished_at
                          ? `Finished ${formatDateTime(campaign.finished_at)}`
                          : campaign.scheduled_at && campaign.status === "scheduled"
                            ? `Starts ${formatDateTime(campaign.scheduled_at)}`
                            : formatDateTime(campaign.forecast_finish_at)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {campaigns.hasNextPage && (
          <Group justify="center">
            <Button
              variant="default"
              loading={campaigns.isFetchingNextPage}
              onClick={() => void campaigns.fetchNextPage()}
            >
              Show older campaigns
            </Button>
          </Group>
        )}
      </Stack>
    </>
  );
}
