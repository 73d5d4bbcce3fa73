/** A doctor's profile: who they are, score with its reasons, stage, consent, tags, their
 * conversations and the timeline of everything that happened. */
import {
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Timeline,
  Title,
} from "@mantine/core";
import { Link, useParams } from "react-router";
import type { Doctor } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { formatDateTime, formatRelative } from "../lib/format";
import { useState } from "react";
import { DoctorEditDialog } from "./DoctorEditDialog";
import { STAGE_COLORS } from "./DoctorsPage";
import { useDoctor, useDoctorConversations, useTimeline } from "./queries";

function Field({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm">{value || "—"}</Text>
    </div>
  );
}

function ProfileCard({ doctor }: { doctor: Doctor }) {
  const custom = Object.entries(doctor.custom_fields);
  return (
    <Card withBorder radius="md" aria-label="Profile">
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
        <Field label="WhatsApp number" value={doctor.phone} />
        <Field label="Username" value={doctor.username ? `@${doctor.username}` : null} />
        <Field label="WhatsApp name" value={doctor.profile_name} />
        <Field label="Specialty" value={doctor.specialty} />
        <Field label="City" value={doctor.city} />
        <Field label="State" value={doctor.state} />
        <Field label="Hospital or clinic" value={doctor.hospital} />
        <Field label="Registration number" value={doctor.registration_number} />
        <Field label="Email" value={doctor.email} />
        <Field label="Preferred language" value={doctor.preferred_language} />
        <Field label="Last message from them" value={formatRelative(doctor.last_inbound_at)} />
        <Field label="Last message to them" value={formatRelative(doctor.last_outbound_at)} />
        {custom.map(([key, value]) => (
          <Field key={key} label={key} value={value === null ? null : String(value)} />
        ))}
      </SimpleGrid>
    </Card>
  );
}

function ScoreCard({ doctor }: { doctor: Doctor }) {
  const reasons = Object.entries(doctor.score_reasons);
  return (
    <Card withBorder radius="md" aria-label="Score and stage">
      <Stack gap="xs">
        <Group gap="sm">
          <Title order={2} size="h3" aria-label="Lead score">
            {doctor.lead_score}
          </Title>
          <Text c="dimmed" size="sm">
            lead score
          </Text>
          {doctor.score_overridden && (
            <Badge size="xs" color="grape" variant="light">
              set by admin
            </Badge>
          )}
        </Group>
        {reasons.length > 0 && (
          <Table withRowBorders={false} aria-label="Score reasons">
            <Table.Tbody>
              {reasons.map(([factor, points]) => (
                <Table.Tr key={factor}>
                  <Table.Td>
                    <Text size="sm">{factor}</Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    <Text size="sm">{String(points)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group gap="sm">
          <Text size="sm">Stage</Text>
          <Badge color={STAGE_COLORS[doctor.stage]} variant="light" aria-label="Stage">
            {doctor.stage}
          </Badge>
          {doctor.stage_overridden && (
            <Badge size="xs" color="grape" variant="light">
              set by admin
            </Badge>
          )}
        </Group>
        <Group gap="sm">
          <Text size="sm">Marketing</Text>
          {doctor.consent.opted_out ? (
            <Badge color="red" variant="light">
              Opted out {formatDateTime(doctor.consent.since)}
            </Badge>
          ) : (
            <Badge color="teal" variant="light">
              Accepts marketing
            </Badge>
          )}
        </Group>
        <Group gap={4} aria-label="Tags">
          {doctor.tags.length === 0 ? (
            <Text size="sm" c="dimmed">
              No tags
            </Text>
          ) : (
            doctor.tags.map((tag) => (
              <Badge key={tag} variant="outline">
                {tag}
              </Badge>
            ))
          )}
        </Group>
      </Stack>
    </Card>
  );
}

function DoctorTimeline({ doctorId }: { doctorId: number }) {
  const timeline = useTimeline(doctorId);
  const items = timeline.data?.pages.flatMap((page) => page.items) ?? [];
  if (timeline.isPending) return <LoadingState label="Loading the timeline…" />;
  if (timeline.isError) {
    return (
      <ErrorState
        title="Could not load the timeline"
        error={timeline.error}
        onRetry={() => void timeline.refetch()}
      />
    );
  }
  if (items.length === 0) {
    return <EmptyState title="Nothing yet">Messages and changes will show here.</EmptyState>;
  }
  return (
    <Stack gap="sm">
      <Timeline bulletSize={12} lineWidth={2} aria-label="Timeline">
        {items.map((item, index) => (
          <Timeline.Item
            key={`${item.kind}-${item.at}-${index}`}
            title={
              <Group gap="xs">
                <Text size="sm" fw={600}>
                  {item.actor}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatDateTime(item.at)}
                </Text>
                {item.kind !== "message" && (
                  <Badge size="xs" variant="light">
                    {item.kind.replace("_", " ")}
                  </Badge>
                )}
              </Group>
            }
          >
            <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
              {item.text}
            </Text>
          </Timeline.Item>
        ))}
      </Timeline>
      {timeline.hasNextPage && (
        <Button
          variant="default"
          loading={timeline.isFetchingNextPage}
          onClick={() => void timeline.fetchNextPage()}
        >
          Show older
        </Button>
      )}
    </Stack>
  );
}

export function DoctorProfilePage() {
  const user = useCurrentUser();
  const doctorId = Number(useParams().doctorId);
  const doctor = useDoctor(doctorId);
  const conversations = useDoctorConversations(doctorId);
  const [editing, setEditing] = useState(false);

  if (doctor.isPending) return <LoadingState label="Loading the doctor…" />;
  if (doctor.isError) {
    return (
      <ErrorState
        title="Could not load this doctor"
        error={doctor.error}
        onRetry={() => void doctor.refetch()}
      />
    );
  }
  const profile = doctor.data;
  return (
    <Stack gap="md">
      <Anchor component={Link} to="/doctors" size="sm">
        ← Doctors
      </Anchor>
      <PageHeader
        title={profile.display_name}
        description={[profile.specialty, profile.city].filter(Boolean).join(" · ") || undefined}
        actions={
          <Group gap="sm">
            {(conversations.data ?? []).map((conversation) => (
              <Button
                key={conversation.id}
                component={Link}
                to={`/inbox/${conversation.id}`}
                variant="default"
              >
                Open conversation ({conversation.number_name})
              </Button>
            ))}
            {can(user, "converse") && <Button onClick={() => setEditing(true)}>Edit</Button>}
          </Group>
        }
      />
      <SimpleGrid cols={{ base: 1, md: 3 }} spacing="md">
        <div style={{ gridColumn: "span 2" }}>
          <ProfileCard doctor={profile} />
        </div>
        <ScoreCard doctor={profile} />
      </SimpleGrid>
      <Title order={2} size="h4">
        Timeline
      </Title>
      <DoctorTimeline doctorId={doctorId} />
      {editing && (
        // Mounted on opening, so that it starts from the profile as it is now.
        <DoctorEditDialog
          doctor={profile}
          canOverride={can(user, "manage_settings")}
          opened
          onClose={() => setEditing(false)}
        />
      )}
    </Stack>
  );
}
