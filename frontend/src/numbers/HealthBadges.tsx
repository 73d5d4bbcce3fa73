/** A number's state, WhatsApp status and quality rating as badges, and what to do about it. */
import { Badge, Group, Stack, Text, Tooltip } from "@mantine/core";
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

/** The number's one state (server-computed), then its quality once WhatsApp has rated it. */
export function HealthBadges({ health }: { health: NumberHealth }) {
  const { state } = health;
  return (
    <Group gap={6} wrap="wrap">
      <Badge
        color={state.tone}
        variant={state.tone === "red" ? "filled" : "light"}
        data-testid="number-state"
        title={state.explanation}
      >
        {state.label}
      </Badge>
      {health.quality_rating !== "UNKNOWN" && <QualityBadge rating={health.quality_rating} />}
    </Group>
  );
}

/** What is wrong and what to try, for a number that is not simply sending. */
export function StateExplanation({ health }: { health: NumberHealth }) {
  const { state } = health;
  const colour = state.tone === "red" ? "red.8" : state.tone === "yellow" ? "yellow.9" : "dimmed";
  return (
    <Stack gap={2}>
      <Text size="sm" c={colour}>
        {state.explanation}
      </Text>
      {state.fix && (
        <Text size="sm">
          <strong>Try:</strong> {state.fix}
        </Text>
      )}
    </Stack>
  );
}
