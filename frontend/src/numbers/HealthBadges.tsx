/** A number's WhatsApp status, quality rating and paused state as badges. */
import { Badge, Group, Text, Tooltip } from "@mantine/core";
import type { NumberHealth } from "../api/client";
import { qualityOf, statusOf } from "./health";

export function StatusBadge({ status }: { status: string }) {
  const { label, tone } = statusOf(status);
  return (
    <Badge color={tone} variant="light" title={`WhatsApp status: ${status}`}>
      {label}
    </Badge>
  );
}

export function QualityBadge({ rating }: { rating: string }) {
  const { label, tone } = qualityOf(rating);
  return (
    <Tooltip label="Quality rating from WhatsApp, based on how doctors react to messages">
      <Badge color={tone} variant="dot" aria-label={`Quality: ${label}`}>
        Quality: {label}
      </Badge>
    </Tooltip>
  );
}

export function HealthBadges({ health, enabled }: { health: NumberHealth; enabled: boolean }) {
  return (
    <Group gap={6} wrap="wrap">
      <StatusBadge status={health.status} />
      <QualityBadge rating={health.quality_rating} />
      {health.paused && (
        <Badge color="red" variant="filled">
          Paused
        </Badge>
      )}
      {!enabled && (
        <Badge color="gray" variant="outline">
          Disabled
        </Badge>
      )}
    </Group>
  );
}

export function PausedReason({ health }: { health: NumberHealth }) {
  if (!health.paused) return null;
  return (
    <Text size="sm" c="red.8">
      <strong>Paused:</strong> {health.paused_reason ?? "no reason was recorded."}
    </Text>
  );
}
