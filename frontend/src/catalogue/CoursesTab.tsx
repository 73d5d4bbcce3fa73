/** CME courses: those read from brochures wait for an admin's confirmation before SurgiAI
 * offers them to doctors. */
import {
  Badge,
  Button,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  VisuallyHidden,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { errorDetail, type Course } from "../api/client";
import { EmptyState, ErrorState, LoadingState } from "../components/states";
import { CourseFormModal } from "./CourseForm";
import { formatCourseDates } from "./dates";
import { formatMoney } from "./money";
import { EditedMark } from "./ProductsTab";
import { useCourses, useUpdateCourse, type CourseStatus } from "./queries";
import { sourceLabel } from "./source";
import classes from "../components/tables.module.css";

export const STATUS_LABELS: Record<CourseStatus, string> = {
  extracted: "Awaiting confirmation",
  confirmed: "Confirmed",
  cancelled: "Cancelled",
};
const STATUS_COLORS: Record<CourseStatus, string> = {
  extracted: "yellow",
  confirmed: "teal",
  cancelled: "gray",
};

export function placeLabel(course: Pick<Course, "venue" | "city">): string {
  const { venue, city } = course;
  if (venue && city && !venue.includes(city)) return `${venue}, ${city}`;
  return venue ?? city ?? "—";
}

function ConfirmButton({ course }: { course: Course }) {
  const update = useUpdateCourse();
  return (
    <Button
      size="xs"
      color="teal"
      loading={update.isPending}
      aria-label={`Confirm ${course.title}`}
      onClick={() =>
        update.mutate(
          { id: course.id, body: { status: "confirmed" } },
          {
            onSuccess: (saved) =>
              notifications.show({
                color: "teal",
                title: "Course confirmed",
                message: `SurgiAI now offers ${saved.title} to doctors.`,
              }),
            onError: (error) =>
              notifications.show({
                color: "red",
                title: "Not confirmed",
                message: errorDetail(error),
              }),
          },
        )
      }
    >
      Confirm
    </Button>
  );
}

export function CoursesTable({
  courses,
  canEdit,
  onEdit,
}: {
  courses: Course[];
  canEdit: boolean;
  onEdit: (course: Course) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={900} className={classes.frame}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Courses">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Course</Table.Th>
            <Table.Th scope="col">Dates</Table.Th>
            <Table.Th scope="col">Where</Table.Th>
            <Table.Th scope="col" ta="right">
              Fee
            </Table.Th>
            <Table.Th scope="col">CME · seats</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            {canEdit && (
              <Table.Th scope="col">
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            )}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {courses.map((course) => (
            <Table.Tr key={course.id}>
              <Table.Td>
                <Group gap={6}>
                  <Text fw={600} size="sm">
                    {course.title}
                  </Text>
                  <EditedMark fields={course.edited_fields} />
                </Group>
                <Text size="xs" c="dimmed">
                  {sourceLabel(course.source)}
                </Text>
              </Table.Td>
              <Table.Td className={classes.compact}>
                <Text size="sm">{formatCourseDates(course.starts_on, course.ends_on)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{placeLabel(course)}</Text>
              </Table.Td>
              <Table.Td className={classes.compact} ta="right">
                <Text size="sm">
                  {course.fee === "0.00" ? "Free" : formatMoney(course.fee, course.currency)}
                </Text>
              </Table.Td>
              <Table.Td className={classes.compact}>
                <Text size="sm">
                  {course.cme_credits ? `${Number(course.cme_credits)} credits` : "—"}
                  {course.seats !== null ? ` · ${course.seats} seats` : ""}
                </Text>
              </Table.Td>
              <Table.Td className={classes.compact}>
                <Badge color={STATUS_COLORS[course.status]} variant="light">
                  {STATUS_LABELS[course.status]}
                </Badge>
              </Table.Td>
              {canEdit && (
                <Table.Td>
                  <Group justify="flex-end" gap="xs" wrap="nowrap">
                    {course.status === "extracted" && <ConfirmButton course={course} />}
                    <Button
                      size="xs"
                      variant="light"
                      aria-label={`Edit ${course.title}`}
                      onClick={() => onEdit(course)}
                    >
                      Edit
                    </Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function CoursesTab({ canEdit }: { canEdit: boolean }) {
  const [status, setStatus] = useState<CourseStatus | "all">("all");
  const courses = useCourses(status === "all" ? null : status);
  const [editing, setEditing] = useState<Course | "new" | null>(null);
  const items = courses.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap" gap="sm">
        <SegmentedControl
          aria-label="Show courses"
          value={status}
          onChange={(value) => setStatus(value as CourseStatus | "all")}
          data={[
            { value: "all", label: "All" },
            { value: "extracted", label: STATUS_LABELS.extracted },
            { value: "confirmed", label: STATUS_LABELS.confirmed },
            { value: "cancelled", label: STATUS_LABELS.cancelled },
          ]}
        />
        {canEdit && <Button onClick={() => setEditing("new")}>Add course</Button>}
      </Group>
      {courses.isPending ? (
        <LoadingState label="Loading courses…" />
      ) : courses.isError ? (
        <ErrorState
          title="Could not load the courses"
          error={courses.error}
          onRetry={() => void courses.refetch()}
        />
      ) : items.length === 0 ? (
        <EmptyState title="No courses here">
          Courses are read from uploaded brochures (confirm them here before SurgiAI offers them),
          or added by hand.
        </EmptyState>
      ) : (
        <>
          <CoursesTable courses={items} canEdit={canEdit} onEdit={(course) => setEditing(course)} />
          {courses.hasNextPage && (
            <Group justify="center">
              <Button
                variant="default"
                loading={courses.isFetchingNextPage}
                onClick={() => void courses.fetchNextPage()}
              >
                Show more
              </Button>
            </Group>
          )}
        </>
      )}
      <CourseFormModal
        course={editing}
        onClose={() => setEditing(null)}
        onSaved={(saved, created) => {
          setEditing(null);
          notifications.show({
            color: "teal",
            title: created ? "Course added" : "Course saved",
            message: saved.title,
          });
        }}
      />
    </Stack>
  );
}
