/** Every number with its health, and what the signed-in user may do with each. */
import { Anchor, Button, Group, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import type { WhatsAppNumber } from "../api/client";
import { formatCount, formatPercent, formatPhone, formatRelative } from "../lib/format";
import { useTableMinWidth } from "../components/narrow";
import { HealthBadges, StateExplanation } from "./HealthBadges";
import { needsAttention, throughputLabel, tierLabel } from "./health";
import classes from "../components/tables.module.css";

export type NumberActions = {
  onDetails: (number: WhatsAppNumber) => void;
  /** Absent when the user may not manage numbers: the controls are not shown at all. */
  manage?: {
    onEdit: (number: WhatsAppNumber) => void;
    onRefresh: (number: WhatsAppNumber) => void;
    onResume: (number: WhatsAppNumber) => void;
    refreshingId?: number | undefined;
    resumingId?: number | undefined;
  };
};

export function NumbersTable({
  numbers,
  actions,
}: {
  numbers: WhatsAppNumber[];
  actions: NumberActions;
}) {
  const { manage } = actions;
  const minWidth = useTableMinWidth(720);
  return (
    <Table.ScrollContainer minWidth={minWidth} className={classes.frame}>
      <Table
        verticalSpacing="sm"
        highlightOnHover
        aria-label="WhatsApp numbers"
        className={classes.cards}
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Number</Table.Th>
            <Table.Th scope="col" className={classes.badges}>
              Health
            </Table.Th>
            <Table.Th scope="col">Capacity</Table.Th>
            <Table.Th scope="col" className={classes.compact}>
              Last hour
            </Table.Th>
            {manage && (
              <Table.Th scope="col">
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            )}
          </Table.Tr>
        </Table.Thead>
        {numbers.map((number) => {
          const { health } = number;
          const problem = needsAttention(health);
          return (
            // One row group per number: its facts, then what is wrong with it across the width.
            <Table.Tbody
              key={number.id}
              data-testid={`number-${number.id}`}
              className={classes.group}
            >
              <Table.Tr className={problem ? classes.withDetail : undefined}>
                <Table.Td>
                  <Anchor
                    component="button"
                    type="button"
                    fw={600}
                    ta="left"
                    onClick={() => actions.onDetails(number)}
                    aria-label={`${number.label}: details`}
                  >
                    {number.label}
                  </Anchor>
                  <Text size="sm" c="dimmed">
                    {formatPhone(number.display_phone_number)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Stack gap={4}>
                    <HealthBadges health={health} />
                    <Text size="xs" c="dimmed">
                      Checked {formatRelative(health.checked_at)}
                    </Text>
                  </Stack>
                </Table.Td>
                <Table.Td className={classes.compact}>
                  <Text size="sm">{tierLabel(health.messaging_tier)}</Text>
                  <Text size="xs" c="dimmed">
                    {throughputLabel(health)}
                  </Text>
                </Table.Td>
                <Table.Td className={classes.compact}>
                  <Text size="sm">{formatCount(health.sent_last_hour)} sent</Text>
                  {health.failed_last_hour > 0 ? (
                    <Text size="xs" c="red.8" fw={600}>
                      {formatCount(health.failed_last_hour)} failed ·{" "}
                      {formatPercent(health.error_rate_last_hour)}
                    </Text>
                  ) : (
                    <Text size="xs" c="dimmed">
                      none failed
                    </Text>
                  )}
                </Table.Td>
                {manage && (
                  <Table.Td className={classes.actions}>
                    <Group gap="xs" justify="flex-end">
                      <Button
                        size="xs"
                        variant="default"
                        loading={manage.refreshingId === number.id}
                        onClick={() => manage.onRefresh(number)}
                        aria-label={`Refresh health of ${number.label}`}
                      >
                        Refresh health
                      </Button>
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => manage.onEdit(number)}
                        aria-label={`Edit ${number.label}`}
                      >
                        Edit
                      </Button>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
              {problem && (
                <Table.Tr>
                  <Table.Td colSpan={manage ? 5 : 4} pt={0}>
                    <Group gap="sm" wrap="nowrap" align="center">
                      <div style={{ flex: 1 }}>
                        <StateExplanation health={health} />
                      </div>
                      {health.paused && manage && (
                        <Button
                          size="xs"
                          variant="light"
                          color="red"
                          loading={manage.resumingId === number.id}
                          onClick={() => manage.onResume(number)}
                          aria-label={`Resume ${number.label}`}
                        >
                          Resume
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          );
        })}
      </Table>
    </Table.ScrollContainer>
  );
}
