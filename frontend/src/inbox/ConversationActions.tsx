/** What the team does with a whole conversation from its header: close or reopen it, and give it
 * to a colleague. */
import { Button, Select } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { errorDetail, type Conversation } from "../api/client";
import { useAssignees, useUpdateConversation } from "./queries";

const NOBODY = "none";

export function ConversationActions({ conversation }: { conversation: Conversation }) {
  const update = useUpdateConversation(conversation.id);
  const assignees = useAssignees(true);
  const onError = (error: unknown) =>
    notifications.show({ color: "red", title: "Not changed", message: errorDetail(error) });
  const assigned = conversation.assigned_user;
  const options = [
    { value: NOBODY, label: "Nobody" },
    ...(assignees.data ?? []).map((user) => ({ value: String(user.id), label: user.name })),
  ];
  // A former colleague still assigned shows by name until someone else is chosen.
  if (assigned && !options.some((option) => option.value === String(assigned.id)))
    options.push({ value: String(assigned.id), label: assigned.name });
  const closed = conversation.status === "closed";
  return (
    <>
      <Select
        size="xs"
        w={150}
        aria-label="Assigned to"
        placeholder="Assign to…"
        data={options}
        value={assigned ? String(assigned.id) : NOBODY}
        allowDeselect={false}
        disabled={update.isPending}
        onChange={(value) => {
          if (value === null) return;
          const id = value === NOBODY ? null : Number(value);
          if (id === (assigned?.id ?? null)) return;
          const name = options.find((option) => option.value === value)?.label ?? "";
          update.mutate(
            { assigned_user_id: id },
            {
              onError,
              onSuccess: () =>
                notifications.show({
                  message: id === null ? "Unassigned." : `Assigned to ${name}.`,
                }),
            },
          );
        }}
      />
      <Button
        size="xs"
        variant="default"
        loading={update.isPending}
        onClick={() => update.mutate({ status: closed ? "open" : "closed" }, { onError })}
      >
        {closed ? "Reopen" : "Close"}
      </Button>
    </>
  );
}
