/** The processes that run the agents, and whether each still beats. */
import { Badge, Paper, Table, Text } from "@mantine/core";
import type { Worker } from "../api/client";
import { formatDateTime, formatRelative } from "../lib/format";
import tables from "../components/tables.module.css";

export function WorkerTable({ workers }: { workers: Worker[] }) {
  if (workers.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No worker has reported yet, so no agent runs. `surgiai run` starts one beside the API; in a
        distributed setup, start `surgiai worker`.
      </Text>
    );
  }
  return (
    <Paper withBorder radius="md" className={tables.frame}>
      <Table.ScrollContainer minWidth={560}>
        <Table aria-label="Workers" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Worker</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Runs</Table.Th>
              <Table.Th>Threads</Table.Th>
              <Table.Th>Last heartbeat</Table.Th>
              <Table.Th>Started</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {workers.map((worker) => (
              <Table.Tr key={worker.worker_id}>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {worker.worker_id}
                  </Text>
                </Table.Td>
                <Table.Td className={tables.compact}>
                  <Badge color={worker.alive ? "teal" : "red"} variant="light">
                    {worker.alive ? "Alive" : "Silent"}
                  </Badge>
                </Table.Td>
                <Table.Td>{worker.embedded ? "Inside the API" : "Own process"}</Table.Td>
                <Table.Td>{worker.threads}</Table.Td>
                <Table.Td title={formatDateTime(worker.last_beat_at)}>
                  {formatRelative(worker.last_beat_at)}
                </Table.Td>
                <Table.Td>{formatDateTime(worker.started_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
