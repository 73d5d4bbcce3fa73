/** Add a course, or edit one (an extracted course can be confirmed or cancelled here too). */
import { Alert, Button, Group, Modal, Select, SimpleGrid, Stack, TextInput } from "@mantine/core";
import { useState, type ChangeEvent, type FormEvent } from "react";
import { errorDetail, type Course, type CourseCreate, type CourseUpdate } from "../api/client";
import { parseMoneyInput } from "./money";
import { useCreateCourse, useUpdateCourse, type CourseStatus } from "./queries";
import { STATUS_LABELS } from "./CoursesTab";

type Values = {
  title: string;
  starts_on: string;
  ends_on: string;
  city: string;
  venue: string;
  fee: string;
  cme_credits: string;
  seats: string;
  status: CourseStatus;
};
type TextKey = Exclude<keyof Values, "status">;
type Errors = Partial<Record<keyof Values, string>>;

function initialValues(course: Course | null): Values {
  return {
    title: course?.title ?? "",
    starts_on: course?.starts_on ?? "",
    ends_on: course?.ends_on ?? "",
    city: course?.city ?? "",
    venue: course?.venue ?? "",
    fee: course?.fee ?? "",
    cme_credits: course?.cme_credits ?? "",
    seats: course?.seats === null || course?.seats === undefined ? "" : String(course.seats),
    status: course?.status ?? "confirmed",
  };
}

function validate(values: Values): Errors {
  const errors: Errors = {};
  if (!values.title.trim()) errors.title = "Enter the course's title.";
  if (values.starts_on && values.ends_on && values.ends_on < values.starts_on) {
    errors.ends_on = "The course cannot end before it starts.";
  }
  if (parseMoneyInput(values.fee) === undefined) errors.fee = "An amount in rupees, like 15000.";
  if (values.cme_credits.trim() && !/^\d{1,4}(\.\d)?$/.test(values.cme_credits.trim())) {
    errors.cme_credits = "A number, like 8 or 8.5.";
  }
  if (values.seats.trim() && !/^\d{1,6}$/.test(values.seats.trim())) {
    errors.seats = "A whole number.";
  }
  return errors;
}

const orNull = (text: string) => text.trim() || null;

/** A new course's fields. */
export function courseBody(values: Values): CourseCreate {
  return {
    title: values.title.trim(),
    starts_on: values.starts_on || null,
    ends_on: values.ends_on || null,
    city: orNull(values.city),
    venue: orNull(values.venue),
    fee: parseMoneyInput(values.fee) ?? null,
    cme_credits: orNull(values.cme_credits),
    seats: values.seats.trim() ? Number(values.seats) : null,
    status: values.status,
  };
}

/** An edit's request: only the fields changed. */
export function courseChanges(course: Course, values: Values): CourseUpdate {
  const next = courseBody(values);
  const changes: CourseUpdate = {};
  if (next.title !== course.title) changes.title = next.title;
  if (next.starts_on !== course.starts_on) changes.starts_on = next.starts_on;
  if (next.ends_on !== course.ends_on) changes.ends_on = next.ends_on;
  if (next.city !== course.city) changes.city = next.city;
  if (next.venue !== course.venue) changes.venue = next.venue;
  if (next.fee === null ? course.fee !== null : Number(next.fee) !== Number(course.fee)) {
    changes.fee = next.fee;
  }
  if (
    next.cme_credits === null
      ? course.cme_credits !== null
      : Number(next.cme_credits) !== Number(course.cme_credits)
  ) {
    changes.cme_credits = next.cme_credits;
  }
  if (next.seats !== course.seats) changes.seats = next.seats;
  if (next.status !== course.status) changes.status = next.status;
  return changes;
}

export function CourseFormModal({
  course,
  onClose,
  onSaved,
}: {
  course: Course | "new" | null;
  onClose: () => void;
  onSaved: (course: Course, created: boolean) => void;
}) {
  const editing = course !== null && course !== "new" ? course : null;
  return (
    <Modal
      opened={course !== null}
      onClose={onClose}
      title={editing ? `Edit ${editing.title}` : "Add a course"}
      size="lg"
    >
      {course !== null && (
        <CourseForm
          key={editing?.id ?? "new"}
          course={editing}
          onClose={onClose}
          onSaved={onSaved}
        />
      )}
    </Modal>
  );
}

function CourseForm({
  course,
  onClose,
  onSaved,
}: {
  course: Course | null;
  onClose: () => void;
  onSaved: (course: Course, created: boolean) => void;
}) {
  const create = useCreateCourse();
  const update = useUpdateCourse();
  const saving = course ? update : create;
  const [values, setValues] = useState<Values>(() => initialValues(course));
  const [errors, setErrors] = useState<Errors>({});
  const field = (key: TextKey) => ({
    value: values[key],
    onChange: (event: ChangeEvent<HTMLInputElement>) => {
      const value = event.currentTarget.value;
      setValues((current) => ({ ...current, [key]: value }));
    },
    error: errors[key],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    if (!course) {
      create.mutate(courseBody(values), { onSuccess: (saved) => onSaved(saved, true) });
      return;
    }
    const body = courseChanges(course, values);
    if (Object.keys(body).length === 0) {
      onClose();
    } else {
      update.mutate({ id: course.id, body }, { onSuccess: (saved) => onSaved(saved, false) });
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label={course ? "Edit course" : "Add course"}>
      <Stack gap="md">
        {saving.isError && (
          <Alert color="red" role="alert" title="Not saved">
            {errorDetail(saving.error)}
          </Alert>
        )}
        <TextInput label="Title" required {...field("title")} data-autofocus />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput label="Starts on" type="date" {...field("starts_on")} />
          <TextInput label="Ends on" type="date" {...field("ends_on")} />
          <TextInput label="Venue" {...field("venue")} />
          <TextInput label="City" {...field("city")} />
          <TextInput label="Fee (₹)" inputMode="decimal" {...field("fee")} />
          <TextInput label="CME credits" inputMode="decimal" {...field("cme_credits")} />
          <TextInput label="Seats" inputMode="numeric" {...field("seats")} />
          <Select
            label="Status"
            allowDeselect={false}
            data={(Object.keys(STATUS_LABELS) as CourseStatus[]).map((status) => ({
              value: status,
              label: STATUS_LABELS[status],
            }))}
            value={values.status}
            onChange={(status) =>
              status && setValues((current) => ({ ...current, status: status as CourseStatus }))
            }
          />
        </SimpleGrid>
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={saving.isPending}>
            {course ? "Save" : "Add course"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
