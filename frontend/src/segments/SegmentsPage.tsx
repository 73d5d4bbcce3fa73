/** Segments: saved doctor filters with live counts. Everyone reads them; those who talk to
 * doctors build, rename and delete them, watching the count and the first members as they go. */
import {
  Badge,
  Button,
  Grid,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMemo, useState } from "react";
import { errorDetail, type DoctorFilter, type Segment } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { useNumbers } from "../numbers/queries";
import { STAGES, compact, describe } from "./filters";
import {
  useCreateSegment,
  useDeleteSegment,
  useSegmentPreview,
  useSegments,
  useUpdateSegment,
} from "./queries";
import classes from "../components/tables.module.css";

type Editing = { id: number | null; name: string; filter: DoctorFilter };
type WindowKey =
  "inbound_within_days" | "inbound_silent_days" | "outbound_within_days" | "outbound_silent_days";

// Windows that move with the clock: a saved "wrote this month" stays true next month.
const WINDOWS: { key: WindowKey; label: string; description: string }[] = [
  { key: "inbound_within_days", label: "Wrote to us in the last", description: "Doctor wrote" },
  { key: "inbound_silent_days", label: "Silent for at least", description: "Or never wrote" },
  { key: "outbound_within_days", label: "We wrote in the last", description: "We sent them" },
  { key: "outbound_silent_days", label: "Nothing sent for", description: "Or never sent" },
];
const FIXED_DATES = [
  "last_inbound_after",
  "last_inbound_before",
  "last_outbound_after",
  "last_outbound_before",
] as const;

const NEW: Editing = { id: null, name: "", filter: {} };

export function SegmentsPage() {
  const user = useCurrentUser();
  const canEdit = can(user, "converse");
  const segments = useSegments();
  const [editing, setEditing] = useState<Editing>(NEW);
  const [deleting, setDeleting] = useState<Segment | null>(null);
  const remove = useDeleteSegment();
  const numbers = useNumbers();
  const numberLabel = (id: number) =>
    numbers.data?.find((number) => number.id === id)?.label ?? `number #${id}`;

  return (
    <>
      <PageHeader
        title="Segments"
        description="Saved groups of doctors (by specialty, place, tags, score, stage, recent activity, sending number and consent), counted live. Broadcasts, offers and re-engagement target them."
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="sm">
            <Group justify="space-between">
              <Title order={2} size="h4">
                Saved segments
              </Title>
              {canEdit && (
                <Button size="xs" variant="light" onClick={() => setEditing(NEW)}>
                  New segment
                </Button>
              )}
            </Group>
            {segments.isPending ? (
              <LoadingState label="Loading segments…" />
            ) : segments.isError ? (
              <ErrorState
                title="Could not load segments"
                error={segments.error}
                onRetry={() => void segments.refetch()}
              />
            ) : segments.data.length === 0 ? (
              <EmptyState title="No segments yet">
                <Text size="sm">Build one with the filters, then save it.</Text>
              </EmptyState>
            ) : (
              <Table.ScrollContainer minWidth={360} className={classes.frame}>
                <Table verticalSpacing="sm" highlightOnHover aria-label="Segments">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Segment</Table.Th>
                      <Table.Th scope="col" ta="right">
                        Doctors
                      </Table.Th>
                      {canEdit && <Table.Th scope="col">Actions</Table.Th>}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {segments.data.map((segment) => (
                      <Table.Tr key={segment.id}>
                        <Table.Td>
                          <Text fw={600} size="sm">
                            {segment.name}
                          </Text>
                          <Text size="xs" c="dimmed">
                            {describe(segment.filters, numberLabel)}
                          </Text>
                        </Table.Td>
                        <Table.Td ta="right" className={classes.compact}>
                          <Text size="sm">{segment.count.toLocaleString("en-IN")}</Text>
                        </Table.Td>
                        {canEdit && (
                          <Table.Td>
                            <Group gap="xs" wrap="nowrap" justify="flex-end">
                              <Button
                                size="xs"
                                variant="light"
                                aria-label={`Edit ${segment.name}`}
                                onClick={() =>
                                  setEditing({
                                    id: segment.id,
                                    name: segment.name,
                                    filter: compact(segment.filters),
                                  })
                                }
                              >
                                Edit
                              </Button>
                              <Button
                                size="xs"
                                variant="subtle"
                                color="red"
                                aria-label={`Delete ${segment.name}`}
                                onClick={() => setDeleting(segment)}
                              >
                                Delete
                              </Button>
                            </Group>
                          </Table.Td>
                        )}
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Builder
            key={editing.id ?? "new"}
            editing={editing}
            canEdit={canEdit}
            onSaved={(segment) =>
              setEditing({ id: segment.id, name: segment.name, filter: compact(segment.filters) })
            }
          />
        </Grid.Col>
      </Grid>
      <Modal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title={`Delete ${deleting?.name ?? "segment"}?`}
      >
        <Text size="sm" mb="md">
          The segment goes; its doctors stay as they are.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Keep it
          </Button>
          <Button
            color="red"
            loading={remove.isPending}
            onClick={() => {
              if (!deleting) return;
              remove.mutate(deleting.id, {
                onSuccess: () => {
                  if (editing.id === deleting.id) setEditing(NEW);
                  setDeleting(null);
                },
                onError: (error) =>
                  notifications.show({ color: "red", message: errorDetail(error) }),
              });
            }}
          >
            Delete
          </Button>
        </Group>
      </Modal>
    </>
  );
}

function matchLine(count: number): string {
  return count === 1 ? "1 doctor matches" : `${count.toLocaleString("en-IN")} doctors match`;
}

function Builder({
  editing,
  canEdit,
  onSaved,
}: {
  editing: Editing;
  canEdit: boolean;
  onSaved: (segment: Segment) => void;
}) {
  const [name, setName] = useState(editing.name);
  const [filter, setFilter] = useState<DoctorFilter>(editing.filter);
  const [debounced] = useDebouncedValue(filter, 300);
  const query = useMemo(() => compact(debounced), [debounced]);
  const preview = useSegmentPreview(query);
  const create = useCreateSegment();
  const update = useUpdateSegment();
  const [error, setError] = useState<string | null>(null);
  const set = (changes: Partial<DoctorFilter>) => setFilter((old) => ({ ...old, ...changes }));
  const numbers = useNumbers();
  // Segments saved with calendar dates before the builder offered moving windows.
  const fixedDates = FIXED_DATES.filter((key) => filter[key] != null);

  const save = () => {
    setError(null);
    const filters = compact(filter);
    const handlers = {
      onSuccess: (segment: Segment) => {
        notifications.show({ message: `Saved ${segment.name}.` });
        onSaved(segment);
      },
      onError: (failure: unknown) => setError(errorDetail(failure)),
    };
    if (editing.id === null) create.mutate({ name, filters }, handlers);
    else update.mutate({ id: editing.id, body: { name, filters } }, handlers);
  };

  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {editing.id === null ? "New segment" : `Editing ${editing.name}`}
        </Title>
        <TextInput
          label="Name"
          value={name}
          maxLength={100}
          onChange={(event) => setName(event.currentTarget.value)}
          disabled={!canEdit}
          error={error}
        />
        <Grid gap="sm">
          <Grid.Col span={{ base: 12, sm: 6 }}>
            <TagsInput
              label="Specialty"
              description="Any of these"
              value={filter.specialty ?? []}
              onChange={(specialty) => set({ specialty })}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 12, sm: 6 }}>
            <TagsInput
              label="Tags"
              description="Any of these"
              value={filter.tags ?? []}
              onChange={(tags) => set({ tags })}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 12, sm: 6 }}>
            <TagsInput label="City" value={filter.city ?? []} onChange={(city) => set({ city })} />
          </Grid.Col>
          <Grid.Col span={{ base: 12, sm: 6 }}>
            <TagsInput
              label="State"
              value={filter.state ?? []}
              onChange={(state) => set({ state })}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <NumberInput
              label="Score from"
              min={0}
              max={100}
              value={filter.score_min ?? ""}
              onChange={(value) => set({ score_min: typeof value === "number" ? value : null })}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <NumberInput
              label="Score to"
              min={0}
              max={100}
              value={filter.score_max ?? ""}
              onChange={(value) => set({ score_max: typeof value === "number" ? value : null })}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 12, sm: 6 }}>
            <MultiSelect
              label="Stage"
              data={STAGES}
              value={filter.stage ?? []}
              onChange={(stage) => set({ stage: stage as DoctorFilter["stage"] })}
            />
          </Grid.Col>
          {WINDOWS.map(({ key, label, description }) => (
            <Grid.Col key={key} span={{ base: 6, sm: 3 }}>
              <NumberInput
                label={label}
                description={description}
                suffix=" days"
                min={1}
                max={3650}
                allowDecimal={false}
                value={filter[key] ?? ""}
                onChange={(value) => set({ [key]: typeof value === "number" ? value : null })}
              />
            </Grid.Col>
          ))}
          <Grid.Col span={{ base: 12, sm: 4 }}>
            <Select
              label="Sending number"
              description="The number they hear from"
              data={(numbers.data ?? []).map((number) => ({
                value: String(number.id),
                label: number.label,
              }))}
              clearable
              placeholder="Any"
              value={filter.number_id != null ? String(filter.number_id) : null}
              onChange={(id) => set({ number_id: id ? Number(id) : null })}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 12, sm: 4 }}>
            <Select
              label="Marketing consent"
              data={[
                { value: "opted_in", label: "Takes marketing" },
                { value: "opted_out", label: "Opted out" },
              ]}
              clearable
              placeholder="Either"
              value={filter.consent ?? null}
              onChange={(consent) => set({ consent: (consent as DoctorFilter["consent"]) ?? null })}
            />
          </Grid.Col>
        </Grid>
        {fixedDates.length > 0 && (
          <Group gap="xs">
            <Text size="sm" c="dimmed">
              Also: {describe(Object.fromEntries(fixedDates.map((key) => [key, filter[key]])))}
            </Text>
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => set(Object.fromEntries(fixedDates.map((key) => [key, null])))}
            >
              Remove
            </Button>
          </Group>
        )}
        <Group justify="space-between" align="center">
          <Text size="sm" aria-live="polite" data-testid="segment-count">
            {preview.isError
              ? errorDetail(preview.error)
              : preview.data
                ? matchLine(preview.data.count)
                : "Counting…"}
          </Text>
          {canEdit && (
            <Button
              onClick={save}
              loading={create.isPending || update.isPending}
              disabled={!name.trim()}
            >
              {editing.id === null ? "Save segment" : "Save changes"}
            </Button>
          )}
        </Group>
        {preview.data && preview.data.items.length > 0 && (
          <Table.ScrollContainer minWidth={480} className={classes.frame}>
            <Table verticalSpacing="xs" aria-label="Matching doctors">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Doctor</Table.Th>
                  <Table.Th scope="col">Specialty</Table.Th>
                  <Table.Th scope="col">City</Table.Th>
                  <Table.Th scope="col" ta="right">
                    Score
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {preview.data.items.map((doctor) => (
                  <Table.Tr key={doctor.id}>
                    <Table.Td>
                      <Group gap={6}>
                        <Text size="sm">{doctor.display_name}</Text>
                        {doctor.marketing_opted_out && (
                          <Badge size="xs" color="gray" variant="outline">
                            opted out
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{doctor.specialty ?? "—"}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{doctor.city ?? "—"}</Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      <Text size="sm">{doctor.lead_score}</Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  );
}
