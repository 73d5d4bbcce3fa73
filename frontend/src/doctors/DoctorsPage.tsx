/** Doctors: search and filter thousands of leads, page through them, open a profile. */
import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { errorDetail, type Doctor } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { PhoneInput } from "../components/PhoneInput";
import { formatRelative } from "../lib/format";
import {
  exportUrl,
  NO_FILTERS,
  STAGES,
  useCreateDoctor,
  useDoctors,
  type DoctorFilters,
} from "./queries";
import classes from "../components/tables.module.css";

export const STAGE_COLORS: Record<Doctor["stage"], string> = {
  new: "gray",
  engaged: "blue",
  qualified: "violet",
  customer: "teal",
  dormant: "yellow",
  lost: "red",
};

function DoctorsTable({ doctors }: { doctors: Doctor[] }) {
  return (
    <Table.ScrollContainer minWidth={900} className={classes.frame}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Doctors">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Doctor</Table.Th>
            <Table.Th scope="col">Specialty</Table.Th>
            <Table.Th scope="col">City</Table.Th>
            <Table.Th scope="col">Stage</Table.Th>
            <Table.Th scope="col" ta="right">
              Score
            </Table.Th>
            <Table.Th scope="col">Tags</Table.Th>
            <Table.Th scope="col">Last message</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {doctors.map((doctor) => (
            <Table.Tr key={doctor.id}>
              <Table.Td>
                <Anchor component={Link} to={`/doctors/${doctor.id}`} fw={600} size="sm">
                  {doctor.display_name}
                </Anchor>
                <Group gap={6}>
                  <Text size="xs" c="dimmed">
                    {doctor.phone ?? (doctor.username ? `@${doctor.username}` : "—")}
                  </Text>
                  {doctor.consent.opted_out && (
                    <Badge size="xs" color="red" variant="light">
                      Opted out
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
              <Table.Td>
                <Badge color={STAGE_COLORS[doctor.stage]} variant="light">
                  {doctor.stage}
                </Badge>
              </Table.Td>
              <Table.Td ta="right" className={classes.compact}>
                <Text size="sm" fw={600}>
                  {doctor.lead_score}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {doctor.tags.map((tag) => (
                    <Badge key={tag} size="xs" variant="outline">
                      {tag}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm" c="dimmed">
                  {formatRelative(doctor.last_inbound_at)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function FilterBar({
  filters,
  onChange,
}: {
  filters: DoctorFilters;
  onChange: (filters: DoctorFilters) => void;
}) {
  const set = (change: Partial<DoctorFilters>) => onChange({ ...filters, ...change });
  const score = (value: string | number) => (typeof value === "number" ? value : null);
  return (
    <Group gap="sm" wrap="wrap" align="flex-end">
      <TextInput
        label="Specialty"
        value={filters.specialty}
        onChange={(event) => set({ specialty: event.currentTarget.value })}
        w={160}
      />
      <TextInput
        label="City"
        value={filters.city}
        onChange={(event) => set({ city: event.currentTarget.value })}
        w={140}
      />
      <TextInput
        label="Tag"
        value={filters.tag}
        onChange={(event) => set({ tag: event.currentTarget.value })}
        w={120}
      />
      <Select
        label="Stage"
        data={STAGES.map((stage) => ({ value: stage, label: stage }))}
        value={filters.stage}
        onChange={(value) => set({ stage: value as DoctorFilters["stage"] })}
        clearable
        w={140}
      />
      <NumberInput
        label="Score from"
        min={0}
        max={100}
        value={filters.scoreMin ?? ""}
        onChange={(value) => set({ scoreMin: score(value) })}
        w={100}
      />
      <NumberInput
        label="Score to"
        min={0}
        max={100}
        value={filters.scoreMax ?? ""}
        onChange={(value) => set({ scoreMax: score(value) })}
        w={100}
      />
      <Select
        label="Consent"
        data={[
          { value: "opted_in", label: "Accepts marketing" },
          { value: "opted_out", label: "Opted out" },
        ]}
        value={filters.consent}
        onChange={(value) => set({ consent: value as DoctorFilters["consent"] })}
        clearable
        w={180}
      />
      <Button variant="subtle" onClick={() => onChange({ ...NO_FILTERS, q: filters.q })}>
        Clear filters
      </Button>
    </Group>
  );
}

function AddDoctorDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateDoctor();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const close = () => {
    create.reset();
    setName("");
    setPhone("");
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title="Add a doctor">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { name, phone },
            {
              onSuccess: (doctor) => {
                notifications.show({
                  color: "teal",
                  title: "Doctor added",
                  message: doctor.display_name,
                });
                close();
                void navigate(`/doctors/${doctor.id}`);
              },
            },
          );
        }}
      >
        <Stack gap="sm">
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <PhoneInput
            label="WhatsApp number"
            description="As you have it: 98765 43210, +91-98765-43210…"
            required
            value={phone}
            onChange={setPhone}
          />
          {create.isError && (
            <Text c="red" size="sm" role="alert">
              {errorDetail(create.error)}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function DoctorsPage() {
  const user = useCurrentUser();
  const [filters, setFilters] = useState<DoctorFilters>(NO_FILTERS);
  const [debounced] = useDebouncedValue(filters, 300);
  const [adding, setAdding] = useState(false);
  const doctors = useDoctors(debounced);
  const items = doctors.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = JSON.stringify(debounced) !== JSON.stringify(NO_FILTERS);

  return (
    <Stack gap="md">
      <PageHeader
        title="Doctors"
        description="Every lead with their profile, score, stage and consent."
        actions={
          <Group gap="sm">
            {can(user, "manage_settings") && (
              <Button component={Link} to="/doctors/import" variant="default">
                Import
              </Button>
            )}
            <Button component="a" href={exportUrl("csv", debounced)} variant="default">
              Export CSV
            </Button>
            <Button component="a" href={exportUrl("xlsx", debounced)} variant="default">
              Export XLSX
            </Button>
            {can(user, "converse") && <Button onClick={() => setAdding(true)}>Add doctor</Button>}
          </Group>
        }
      />
      <TextInput
        aria-label="Search doctors"
        placeholder="Search by name, number, hospital, email or registration number"
        value={filters.q}
        onChange={(event) => setFilters({ ...filters, q: event.currentTarget.value })}
        w={{ base: "100%", sm: 460 }}
      />
      <FilterBar filters={filters} onChange={setFilters} />
      {doctors.isPending ? (
        <LoadingState label="Loading doctors…" />
      ) : doctors.isError ? (
        <ErrorState
          title="Could not load the doctors"
          error={doctors.error}
          onRetry={() => void doctors.refetch()}
        />
      ) : items.length === 0 ? (
        <EmptyState title={filtered ? "No doctor matches" : "No doctors yet"}>
          {filtered
            ? "Nobody matches these filters. Loosen or clear them."
            : "Doctors appear when they write on WhatsApp, when you import a list, or add one."}
        </EmptyState>
      ) : (
        <>
          <DoctorsTable doctors={items} />
          {doctors.hasNextPage && (
            <Group justify="center">
              <Button
                variant="default"
                loading={doctors.isFetchingNextPage}
                onClick={() => void doctors.fetchNextPage()}
              >
                Show more
              </Button>
            </Group>
          )}
        </>
      )}
      <AddDoctorDialog opened={adding} onClose={() => setAdding(false)} />
    </Stack>
  );
}
