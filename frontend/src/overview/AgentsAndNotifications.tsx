/** The overview's agent health table and the team's notifications. */
import { Anchor, Badge, Button, Group, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { errorDetail } from "../api/client";
import { ErrorState, LoadingState } from "../components/states";
import { formatRelative } from "../lib/format";
import { notifications as toasts } from "@mantine/notifications";
import { STATE_COLORS, errorRate, ms } from "../agents/health";
import { useAgents } from "../agents/queries";
import { useDismissNotification, useNotifications } from "./queries";
import tables from "../components/tables.module.css";

export function AgentHealth() {
  const agents = useAgents();
  return (
    <section aria-labelledby="agents-heading">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h3" id="agents-heading">
          Agents
        </Title>
        <Anchor component={Link} to="/agents" size="sm">
          Agent health and crash reports
        </Anchor>
      </Group>
      {agents.isPending ? (
        <LoadingState label="Loading agents…" />
      ) : agents.isError ? (
        <ErrorState
          title="Couldn't load agent health"
          error={agents.error}
          onRetry={() => void agents.refetch()}
        />
      ) : (
        <Paper withBorder radius="md" className={tables.frame}>
          <Table.ScrollContainer minWidth={560}>
            <Table aria-label="Agent health" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Standby</Table.Th>
                  <Table.Th>Errors (5 min)</Table.Th>
                  <Table.Th>p95 (5 min)</Table.Th>
                  <Table.Th>Runs (1 h)</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {agents.data.agents.map((agent) => (
                  <Table.Tr key={agent.name}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {agent.name}
                      </Text>
                      {agent.last_error && agent.state !== "healthy" && (
                        <Text size="xs" c="red.8">
                          {agent.last_error}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td className={tables.compact}>
                      <Badge color={STATE_COLORS[agent.state]} variant="light">
                        {agent.state}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{agent.standby ?? "—"}</Table.Td>
                    <Table.Td>{errorRate(agent.error_rate_5m)}</Table.Td>
                    <Table.Td>{ms(agent.p95_ms_5m)}</Table.Td>
                    <Table.Td>{agent.runs_1h}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </section>
  );
}

export function NotificationList({ canDismiss }: { canDismiss: boolean }) {
  const list = useNotifications();
  const dismiss = useDismissNotification();
  return (
    <section aria-labelledby="notifications-heading">
      <Title order={2} size="h3" id="notifications-heading" mb="sm">
        Notifications
      </Title>
      {list.isPending ? (
        <LoadingState label="Loading notifications…" />
      ) : list.isError ? (
        <ErrorState
          title="Couldn't load notifications"
          error={list.error}
          onRetry={() => void list.refetch()}
        />
      ) : list.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nothing needs the team right now. Doctors asking for a person and agents or numbers that
          degrade show up here.
        </Text>
      ) : (
        <Stack gap="xs" component="ul" style={{ listStyle: "none", margin: 0, padding: 0 }}>
          {list.data.items.map((notification) => (
            <Paper key={notification.id} withBorder p="sm" component="li">
              <Group justify="space-between" wrap="nowrap" align="flex-start">
                <div>
                  <Text size="sm" fw={600}>
                    {notification.conversation_id ? (
                      <Anchor component={Link} to={`/inbox/${notification.conversation_id}`}>
                        {notification.title}
                      </Anchor>
                    ) : (
                      notification.title
                    )}
                  </Text>
                  {notification.body && (
                    <Text size="xs" c="dimmed">
                      {notification.body}
                    </Text>
                  )}
                  <Text size="xs" c="dimmed">
                    {formatRelative(notification.created_at)}
                  </Text>
                </div>
                {canDismiss && (
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    aria-label={`Dismiss: ${notification.title}`}
                    onClick={() =>
                      dismiss.mutate(notification.id, {
                        onError: (error) =>
                          toasts.show({ color: "red", message: errorDetail(error) }),
                      })
                    }
                  >
                    Dismiss
                  </Button>
                )}
              </Group>
            </Paper>
          ))}
        </Stack>
      )}
    </section>
  );
}
