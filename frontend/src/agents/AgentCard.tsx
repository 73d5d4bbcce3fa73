/** One agent: its state and why, its standby and circuit, runs, errors and latency. */
import { Badge, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import type { Agent } from "../api/client";
import { formatCount, formatRelative } from "../lib/format";
import { CIRCUIT_LABELS, STATE_COLORS, STATE_LABELS, errorRate, ms, sentence } from "./health";
import classes from "./AgentsPage.module.css";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={500}>
        {children}
      </Text>
    </div>
  );
}

export function AgentCard({
  agent,
  onSwitch,
}: {
  agent: Agent;
  /** Absent for roles that may not switch agents. */
  onSwitch?: () => void;
}) {
  const tone = STATE_COLORS[agent.state];
  return (
    <Paper
      withBorder
      radius="md"
      p="md"
      component="article"
      aria-label={`${agent.name} agent`}
      className={classes.card}
      data-state={agent.state}
    >
      <Stack gap="sm" h="100%">
        <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
          <div>
            <Title order={3} size="h4">
              {agent.name}
            </Title>
            <Text size="sm" c="dimmed">
              {agent.description}
            </Text>
          </div>
          <Badge color={tone} variant="light" className={classes.badge}>
            {STATE_LABELS[agent.state]}
          </Badge>
        </Group>
        {agent.reason && (
          <Text size="sm" c={agent.state === "down" ? "red.8" : "dimmed"}>
            {sentence(agent.reason)}
          </Text>
        )}
        <SimpleGrid cols={2} spacing="xs" verticalSpacing="xs">
          <Fact label="Standby">{agent.standby ?? "None"}</Fact>
          <Fact label="Circuit">{CIRCUIT_LABELS[agent.circuit]}</Fact>
          <Fact label="Runs (5 min · 1 h)">
            {formatCount(agent.runs_5m)} · {formatCount(agent.runs_1h)}
          </Fact>
          <Fact label="Errors (5 min · 1 h)">
            {errorRate(agent.error_rate_5m)} · {errorRate(agent.error_rate_1h)}
          </Fact>
          <Fact label="Latency p50 · p95 (5 min)">
            {ms(agent.p50_ms_5m)} · {ms(agent.p95_ms_5m)}
          </Fact>
          <Fact label="Latency p50 · p95 (1 h)">
            {ms(agent.p50_ms_1h)} · {ms(agent.p95_ms_1h)}
          </Fact>
        </SimpleGrid>
        {agent.last_error && (
          <Text size="xs" c="red.8" lineClamp={3}>
            Last error {formatRelative(agent.last_error_at)}: {agent.last_error}
          </Text>
        )}
        <Group justify="space-between" mt="auto" gap="xs">
          <Text size="xs" c="dimmed">
            {agent.critical
              ? "Critical: when every option fails, a person takes over."
              : "Not critical: nobody waits for its answer."}
          </Text>
          {onSwitch && (
            <Button
              size="xs"
              variant={agent.disabled ? "filled" : "light"}
              color={agent.disabled ? "teal" : "red"}
              onClick={onSwitch}
              aria-label={`${agent.disabled ? "Enable" : "Disable"} ${agent.name}`}
            >
              {agent.disabled ? "Enable" : "Disable"}
            </Button>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}
