/** Everything known about one number's health, and why it is paused if it is. */
import { Alert, Button, Code, Drawer, Group, Stack, Table, Text } from "@mantine/core";
import type { ReactNode } from "react";
import type { WhatsAppNumber } from "../api/client";
import { formatDateTime, formatPercent, formatPhone, formatRelative } from "../lib/format";
import { HealthBadges, StateExplanation } from "./HealthBadges";
import { MODE_LABELS, qualityOf, statusOf, throughputLabel, tierLabel } from "./health";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w="40%" fw={500} c="dimmed">
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  );
}

type Props = {
  number: WhatsAppNumber | undefined;
  onClose: () => void;
  /** Present for users who may manage numbers. */
  onEdit?: ((number: WhatsAppNumber) => void) | undefined;
  onResume?: ((number: WhatsAppNumber) => void) | undefined;
};

export function NumberDetails({ number, onClose, onEdit, onResume }: Props) {
  return (
    <Drawer
      opened={number !== undefined}
      onClose={onClose}
      position="right"
      size="md"
      title={number?.label}
    >
      {number && <Details number={number} onEdit={onEdit} onResume={onResume} />}
    </Drawer>
  );
}

function Details({
  number,
  onEdit,
  onResume,
}: Omit<Props, "onClose" | "number"> & { number: WhatsAppNumber }) {
  const { health } = number;
  return (
    <Stack gap="md">
      <HealthBadges health={health} />
      {health.paused ? (
        <Alert color="red" title="Why this number is paused" role="status">
          <Stack gap="xs">
            <Text size="sm">{health.paused_reason ?? "No reason was recorded."}</Text>
            <Text size="xs" c="dimmed">
              Paused {formatRelative(health.paused_at)} ({formatDateTime(health.paused_at)}). Fix
              the cause in WhatsApp Manager, then resume: SurgiAI checks its health again right
              away.
            </Text>
            {onResume && (
              <Button
                size="xs"
                color="red"
                variant="light"
                w="fit-content"
                onClick={() => onResume(number)}
              >
                Resume sending
              </Button>
            )}
          </Stack>
        </Alert>
      ) : (
        <StateExplanation health={health} />
      )}
      <Table variant="vertical" layout="fixed" withTableBorder fz="sm">
        <Table.Tbody>
          <Row label="Phone number">{formatPhone(number.display_phone_number)}</Row>
          <Row label="Verified name">{number.verified_name ?? "—"}</Row>
          <Row label="WhatsApp status">
            {statusOf(health.status).label} <Code>{health.status}</Code>
          </Row>
          <Row label="Quality rating">
            {qualityOf(health.quality_rating).label} <Code>{health.quality_rating}</Code>
          </Row>
          <Row label="Messaging tier">{tierLabel(health.messaging_tier)}</Row>
          <Row label="Throughput">{throughputLabel(health)}</Row>
          <Row label="New conversations">{MODE_LABELS[number.default_mode]}</Row>
          <Row label="Last hour">
            {health.sent_last_hour} sent, {health.failed_last_hour} failed (
            {formatPercent(health.error_rate_last_hour)})
          </Row>
          <Row label="Health checked">
            {health.checked_at
              ? `${formatRelative(health.checked_at)} (${formatDateTime(health.checked_at)})`
              : "Not yet"}
          </Row>
          {health.check_error && <Row label="Health check error">{health.check_error}</Row>}
          <Row label="Last send error">
            {health.last_error_reason
              ? `${health.last_error_code ?? ""} ${health.last_error_reason} (${formatRelative(health.last_error_at)})`
              : "None"}
          </Row>
          <Row label="Phone number ID">
            <Code>{number.phone_number_id}</Code>
          </Row>
          <Row label="Business Account ID">
            <Code>{number.waba_id}</Code>
          </Row>
          <Row label="Business portfolio">{number.business_portfolio_id ?? "—"}</Row>
          <Row label="Access token">ends in {number.access_token_hint}</Row>
          <Row label="Own app secret">
            {number.has_app_secret ? "Set" : "Not set (uses the app's)"}
          </Row>
          <Row label="Added">{formatDateTime(number.created_at)}</Row>
        </Table.Tbody>
      </Table>
      {onEdit && (
        <Group>
          <Button variant="default" onClick={() => onEdit(number)}>
            Edit number
          </Button>
        </Group>
      )}
    </Stack>
  );
}
