/** Pieces every campaign page shows: the status badge and the progress bar. */
import { Badge, Group, Progress, Stack, Text } from "@mantine/core";
import type { User } from "../api/client";
import { can } from "../auth/permissions";
import { STATUS_COLORS, STATUS_LABELS, formatProgress, fullCounts, progressOf } from "./progress";
import type { CampaignStatus, RecipientCounts } from "./types";

/** Reading is for everyone; creating, starting and stopping campaigns is for admins and owners. */
export function canRunCampaigns(user: Pick<User, "role">): boolean {
  return can(user, "send_campaigns");
}

export function StatusBadge({ status, testId }: { status: CampaignStatus; testId?: string }) {
  return (
    <Badge color={STATUS_COLORS[status]} variant="light" data-testid={testId}>
      {STATUS_LABELS[status]}
    </Badge>
  );
}

/** Sent, failed and skipped, stacked, out of every recipient. */
export function ProgressBar({
  counts,
  label,
  size = "md",
}: {
  counts: RecipientCounts;
  label: string;
  size?: "sm" | "md" | "lg";
}) {
  const { total } = progressOf(counts);
  const { sent, failed, skipped } = fullCounts(counts);
  const share = (count: number) => (total > 0 ? (count / total) * 100 : 0);
  return (
    <Stack gap={4}>
      <Progress.Root size={size} aria-label={label}>
        <Progress.Section value={share(sent)} color="green" aria-label="Sent" />
        <Progress.Section value={share(failed)} color="red" aria-label="Failed" />
        <Progress.Section value={share(skipped)} color="gray" aria-label="Skipped" />
      </Progress.Root>
      <Group gap="xs" justify="space-between" wrap="wrap">
        <Text size="xs" c="dimmed" data-testid="progress-text">
          {formatProgress(counts)}
        </Text>
      </Group>
    </Stack>
  );
}
