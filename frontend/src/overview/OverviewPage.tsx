/** At a glance: can every WhatsApp number send, and if not, why. */
import { Anchor, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { Link } from "react-router";
import type { WhatsAppNumber } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { usePendingCount } from "../approvals/queries";
import { AgentHealth, NotificationList } from "./AgentsAndNotifications";
import { TrafficTrend } from "./TrafficTrend";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { formatCount, formatPercent, formatPhone, formatRelative } from "../lib/format";
import { HealthBadges } from "../numbers/HealthBadges";
import { throughputLabel, tierLabel, verdict } from "../numbers/health";
import { useNumbers } from "../numbers/queries";
import classes from "./OverviewPage.module.css";

function Stat({
  label,
  value,
  hint,
  to,
}: {
  label: string;
  value: string;
  hint?: string;
  to?: string;
}) {
  const content = (
    <>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} mt={4}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </>
  );
  return to ? (
    <Paper withBorder radius="md" p="md" component={Link} to={to} className={classes.statLink}>
      {content}
    </Paper>
  ) : (
    <Paper withBorder radius="md" p="md">
      {content}
    </Paper>
  );
}

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

export function NumberCard({ number }: { number: WhatsAppNumber }) {
  const { health } = number;
  const state = verdict(health);
  return (
    <Paper
      withBorder
      radius="md"
      p="md"
      component="article"
      aria-label={`${number.label} health`}
      className={classes.card}
      data-tone={state.tone}
    >
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <div>
            <Title order={3} size="h4">
              {number.label}
            </Title>
            <Text size="sm" c="dimmed">
              {formatPhone(number.display_phone_number)}
              {number.verified_name ? ` · ${number.verified_name}` : ""}
            </Text>
          </div>
        </Group>
        <HealthBadges health={health} />
        <Text
          size="sm"
          c={state.tone === "red" ? "red.8" : state.tone === "yellow" ? "yellow.9" : "dimmed"}
        >
          {state.text}
        </Text>
        {state.fix && (
          <Text size="sm">
            <strong>Try:</strong> {state.fix}
          </Text>
        )}
        <SimpleGrid cols={2} spacing="xs" verticalSpacing="xs">
          <Fact label="Messaging tier">{tierLabel(health.messaging_tier)}</Fact>
          <Fact label="Throughput">{throughputLabel(health)}</Fact>
          <Fact label="Sent last hour">
            {formatCount(health.sent_last_hour)}
            {health.failed_last_hour > 0 &&
              ` · ${formatCount(health.failed_last_hour)} failed (${formatPercent(health.error_rate_last_hour)})`}
          </Fact>
          <Fact label="Health checked">{formatRelative(health.checked_at)}</Fact>
        </SimpleGrid>
        {health.last_error_reason && (
          <Text size="xs" c="dimmed">
            Last error{health.last_error_code !== null ? ` ${health.last_error_code}` : ""}{" "}
            {formatRelative(health.last_error_at)}: {health.last_error_reason}
          </Text>
        )}
      </Stack>
    </Paper>
  );
}

export function OverviewPage() {
  const user = useCurrentUser();
  const numbers = useNumbers();
  const pendingApprovals = usePendingCount();
  const manager = can(user, "manage_numbers");

  let body: ReactNode;
  if (numbers.isPending) body = <LoadingState label="Loading numbers…" />;
  else if (numbers.isError) {
    body = (
      <ErrorState
        title="Could not load the numbers"
        error={numbers.error}
        onRetry={() => void numbers.refetch()}
      />
    );
  } else if (numbers.data.length === 0) {
    body = (
      <EmptyState
        title="No WhatsApp numbers yet"
        action={
          manager && (
            <Button component={Link} to="/numbers?add=1">
              Add a number
            </Button>
          )
        }
      >
        {manager
          ? "Connect a WhatsApp Cloud API number to start talking to doctors."
          : "An owner or admin has to connect a WhatsApp number before doctors can be reached."}
      </EmptyState>
    );
  } else {
    const list = numbers.data;
    // The server's one state per number decides what counts as sending (issue 18).
    const sending = list.filter((n) => n.health.state.sending).length;
    const paused = list.filter((n) => n.health.paused).length;
    const sent = list.reduce((sum, n) => sum + n.health.sent_last_hour, 0);
    const failed = list.reduce((sum, n) => sum + n.health.failed_last_hour, 0);
    body = (
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 2, md: 5 }} spacing="md">
          <Stat label="Numbers sending" value={`${sending} of ${list.length}`} />
          <Stat
            label="Paused"
            value={formatCount(paused)}
            hint={paused ? "See why below" : "None"}
          />
          <Stat label="Sent last hour" value={formatCount(sent)} />
          <Stat
            label="Failed last hour"
            value={formatCount(failed)}
            hint={sent ? formatPercent(failed / sent) : undefined}
          />
          {can(user, "converse") && (
            <Stat
              label="Waiting for approval"
              value={pendingApprovals === null ? "…" : formatCount(pendingApprovals)}
              hint={pendingApprovals ? "Review them in Approvals" : "No AI drafts waiting"}
              to="/approvals"
            />
          )}
        </SimpleGrid>
        <TrafficTrend numbers={list} />
        <section aria-labelledby="numbers-heading">
          <Group justify="space-between" mb="sm">
            <Title order={2} size="h3" id="numbers-heading">
              WhatsApp numbers
            </Title>
            <Anchor component={Link} to="/numbers" size="sm">
              {manager ? "Manage numbers" : "All numbers"}
            </Anchor>
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md">
            {list.map((number) => (
              <NumberCard key={number.id} number={number} />
            ))}
          </SimpleGrid>
        </section>
      </Stack>
    );
  }

  return (
    <>
      <PageHeader
        title="Overview"
        description="How your WhatsApp numbers and agents are doing right now."
      />
      <Stack gap="xl">
        {body}
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
          <AgentHealth />
          <NotificationList canDismiss={can(user, "converse")} />
        </SimpleGrid>
      </Stack>
    </>
  );
}
