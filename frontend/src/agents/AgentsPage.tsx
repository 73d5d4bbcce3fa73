/** Agent health: every agent with its standby and circuit, the workers that run them, the
 * switches for those who may use them, and the crash reports. Live over the WebSocket. */
import { SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useState } from "react";
import type { Agent } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { AgentCard } from "./AgentCard";
import { CrashReportList } from "./CrashReportList";
import { useAgents } from "./queries";
import { SwitchDialog } from "./SwitchDialog";
import { WorkerTable } from "./WorkerTable";

// This page is for watching: fresher than the overview's minute.
const REFRESH_MS = 20_000;

export function AgentsPage() {
  const user = useCurrentUser();
  const canSwitch = can(user, "manage_settings");
  const overview = useAgents({ refreshMs: REFRESH_MS });
  const [switching, setSwitching] = useState<Agent | null>(null);

  let agents;
  if (overview.isPending) agents = <LoadingState label="Loading agents…" />;
  else if (overview.isError) {
    agents = (
      <ErrorState
        title="Couldn't load agent health"
        error={overview.error}
        onRetry={() => void overview.refetch()}
      />
    );
  } else if (overview.data.agents.length === 0) {
    agents = (
      <EmptyState title="No agents registered">
        Agents are registered in the server&apos;s code; none answer doctors in this installation.
      </EmptyState>
    );
  } else {
    const list = overview.data.agents;
    agents = (
      <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }} spacing="md">
        {list.map((agent) => (
          <AgentCard
            key={agent.name}
            agent={agent}
            onSwitch={canSwitch ? () => setSwitching(agent) : undefined}
          />
        ))}
      </SimpleGrid>
    );
  }

  return (
    <>
      <PageHeader
        title="Agent health"
        description="How each AI agent and its standby are doing over the last 5 minutes and hour, the workers running them, and what crashed."
      />
      <Stack gap="xl">
        <section aria-labelledby="agent-list-heading">
          <Title order={2} size="h3" id="agent-list-heading" mb={4}>
            Agents
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            {canSwitch
              ? "Disable an agent that misbehaves: its standby, or a person, answers instead."
              : "Only owners and admins can disable or enable agents."}
          </Text>
          {agents}
        </section>
        <section aria-labelledby="workers-heading">
          <Title order={2} size="h3" id="workers-heading" mb="sm">
            Workers
          </Title>
          {overview.isSuccess ? (
            <WorkerTable workers={overview.data.workers} />
          ) : overview.isPending ? (
            <LoadingState label="Loading workers…" />
          ) : (
            <Text size="sm" c="dimmed">
              The workers come with the agents&apos; health, which could not be loaded.
            </Text>
          )}
        </section>
        <section aria-labelledby="crash-reports-heading">
          <Title order={2} size="h3" id="crash-reports-heading" mb="sm">
            Crash reports
          </Title>
          <CrashReportList />
        </section>
      </Stack>
      {switching && overview.isSuccess && (
        <SwitchDialog
          agent={switching}
          agents={overview.data.agents}
          onClose={() => setSwitching(null)}
        />
      )}
    </>
  );
}
