/** Edit a doctor's profile and tags; owners and admins may also override stage and score,
 * which needs a reason (it goes on the timeline with their name). */
import {
  Button,
  Group,
  Modal,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { errorDetail, type Doctor, type DoctorUpdate, type LifecycleStage } from "../api/client";
import { STAGES, useUpdateDoctor } from "./queries";

const TEXT_FIELDS = [
  ["name", "Name"],
  ["specialty", "Specialty"],
  ["city", "City"],
  ["state", "State"],
  ["hospital", "Hospital or clinic"],
  ["registration_number", "Medical registration number"],
  ["email", "Email"],
  ["preferred_language", "Preferred language"],
] as const;
type TextField = (typeof TEXT_FIELDS)[number][0];

/** The request for what changed: blank fields are cleared, tags are added and removed. */
export function changesOf(
  doctor: Doctor,
  values: Record<TextField, string>,
  tags: string[],
  stage: LifecycleStage,
  score: number,
  reason: string,
): DoctorUpdate {
  const body: DoctorUpdate = {};
  for (const [field] of TEXT_FIELDS) {
    const value = values[field].trim();
    // Null clears a field; an emptied name is refused by the server with its reason.
    if (value !== (doctor[field] ?? ""))
      (body as Record<TextField, string | null>)[field] = value || null;
  }
  const added = tags.filter((tag) => !doctor.tags.includes(tag));
  const removed = doctor.tags.filter((tag) => !tags.includes(tag));
  if (added.length) body.add_tags = added;
  if (removed.length) body.remove_tags = removed;
  if (stage !== doctor.stage) body.stage = stage;
  if (score !== doctor.lead_score) body.lead_score = score;
  if (reason.trim()) body.reason = reason.trim();
  return body;
}

export function DoctorEditDialog({
  doctor,
  canOverride,
  opened,
  onClose,
}: {
  doctor: Doctor;
  canOverride: boolean;
  opened: boolean;
  onClose: () => void;
}) {
  const update = useUpdateDoctor(doctor.id);
  const [values, setValues] = useState(
    () =>
      Object.fromEntries(TEXT_FIELDS.map(([field]) => [field, doctor[field] ?? ""])) as Record<
        TextField,
        string
      >,
  );
  const [tags, setTags] = useState(doctor.tags);
  const [stage, setStage] = useState<LifecycleStage>(doctor.stage);
  const [score, setScore] = useState(doctor.lead_score);
  const [reason, setReason] = useState("");
  const overriding = stage !== doctor.stage || score !== doctor.lead_score;

  return (
    <Modal opened={opened} onClose={onClose} title={`Edit ${doctor.display_name}`} size="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const body = changesOf(doctor, values, tags, stage, score, reason);
          update.mutate(body, {
            onSuccess: (saved) => {
              notifications.show({ color: "teal", title: "Saved", message: saved.display_name });
              onClose();
            },
          });
        }}
      >
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            {TEXT_FIELDS.map(([field, label]) => (
              <TextInput
                key={field}
                label={label}
                required={field === "name"}
                value={values[field]}
                onChange={(event) => {
                  const value = event.currentTarget.value;
                  setValues((current) => ({ ...current, [field]: value }));
                }}
              />
            ))}
          </SimpleGrid>
          <TagsInput label="Tags" value={tags} onChange={setTags} clearable />
          {canOverride && (
            <SimpleGrid cols={2} spacing="sm">
              <Select
                label="Stage"
                data={STAGES.map((value) => ({ value, label: value }))}
                value={stage}
                onChange={(value) => value && setStage(value as LifecycleStage)}
                allowDeselect={false}
              />
              <NumberInput
                label="Lead score"
                min={0}
                max={100}
                value={score}
                onChange={(value) => setScore(typeof value === "number" ? value : 0)}
              />
            </SimpleGrid>
          )}
          {canOverride && (
            <Textarea
              label="Reason"
              description={
                overriding
                  ? "Required: you are overriding what the scorer decided."
                  : "Why you made these changes (optional)."
              }
              required={overriding}
              value={reason}
              onChange={(event) => setReason(event.currentTarget.value)}
              autosize
              minRows={2}
            />
          )}
          {update.isError && (
            <Text c="red" size="sm" role="alert">
              {errorDetail(update.error)}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={update.isPending}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
