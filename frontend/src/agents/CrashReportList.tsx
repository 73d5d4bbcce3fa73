/** Crash reports, newest first: what failed when every option for a message did, with the
 * stack trace one click away. New ones arrive live; older ones load a page at a time. */
import { Accordion, Anchor, Button, Code, Group, Stack, Text } from "@mantine/core";
import { useId } from "react";
import { Link } from "react-router";
import type { CrashReport } from "../api/client";
import { EmptyState, ErrorState, LoadingState } from "../components/states";
import { formatDateTime, formatRelative } from "../lib/format";
import { useCrashReports } from "./queries";
import classes from "./AgentsPage.module.css";

function ReportSummary({ report }: { report: CrashReport }) {
  return (
    <Stack gap={2}>
      <Group gap="xs" wrap="wrap">
        <Text component="span" size="sm" fw={600}>
          {report.agent}
        </Text>
        <Text component="span" size="xs" c="dimmed" title={formatDateTime(report.occurred_at)}>
          {formatRelative(report.occurred_at)}
        </Text>
      </Group>
      <Text component="span" size="sm" lineClamp={2}>
        {report.error_type}: {report.error}
      </Text>
    </Stack>
  );
}

function ReportDetails({ report }: { report: CrashReport }) {
  const captionId = useId();
  return (
    <Stack gap="xs">
      <Text size="sm">
        {formatDateTime(report.occurred_at)}
        {report.conversation_id !== null && (
          <>
            {" · "}
            <Anchor component={Link} to={`/inbox/${report.conversation_id}`}>
              Open the conversation
            </Anchor>
          </>
        )}
      </Text>
      <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
        {report.error}
      </Text>
      <figure className={classes.figure} aria-labelledby={captionId}>
        <Text component="figcaption" id={captionId} size="xs" c="dimmed" fw={600} mb={4}>
          Stack trace
        </Text>
        {/* Focusable, so that keyboard users can scroll a long trace. */}
        <Code block className={classes.trace} tabIndex={0}>
          {report.stack_trace}
        </Code>
      </figure>
    </Stack>
  );
}

export function CrashReportList() {
  const reports = useCrashReports();
  if (reports.isPending) return <LoadingState label="Loading crash reports…" />;
  if (reports.isError) {
    return (
      <ErrorState
        title="Couldn't load the crash reports"
        error={reports.error}
        onRetry={() => void reports.refetch()}
      />
    );
  }
  const items = reports.data.pages.flatMap((page) => page.items);
  if (items.length === 0) {
    return (
      <EmptyState title="No crash reports">
        When an agent and its standby both fail on a doctor&apos;s message, a person takes the
        conversation over and the failure is filed here with its stack trace. Nothing has failed
        that way.
      </EmptyState>
    );
  }
  return (
    <Stack gap="sm">
      <Accordion variant="separated" multiple aria-label="Crash reports">
        {items.map((report) => (
          <Accordion.Item key={report.id} value={String(report.id)}>
            <Accordion.Control>
              <ReportSummary report={report} />
            </Accordion.Control>
            <Accordion.Panel>
              <ReportDetails report={report} />
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
      {reports.hasNextPage && (
        <Group justify="center">
          <Button
            variant="default"
            onClick={() => void reports.fetchNextPage()}
            loading={reports.isFetchingNextPage}
          >
            Load older reports
          </Button>
        </Group>
      )}
    </Stack>
  );
}
