/** Disabling or enabling an agent, confirmed first: it changes who answers doctors. */
import { Button, Group, Modal, Stack, Text, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { errorDetail, type Agent } from "../api/client";
import { whileDisabled } from "./health";
import { useSwitchAgent } from "./queries";

const REASON_MAX = 300;

export function SwitchDialog({
  agent,
  agents,
  onClose,
}: {
  agent: Agent;
  agents: readonly Agent[];
  onClose: () => void;
}) {
  const disable = !agent.disabled;
  const [reason, setReason] = useState("");
  const change = useSwitchAgent();
  const verb = disable ? "Disable" : "Enable";

  return (
    <Modal opened onClose={onClose} title={`${verb} ${agent.name}?`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          change.mutate(
            { name: agent.name, disable, reason: reason.trim() },
            {
              onSuccess: () => {
                notifications.show({
                  color: "teal",
                  message: `${agent.name} is ${disable ? "disabled" : "enabled"}.`,
                });
                onClose();
              },
            },
          );
        }}
      >
        <Stack gap="sm">
          <Text size="sm">
            {disable
              ? whileDisabled(agent, agents)
              : "It answers doctors again from their next message."}
          </Text>
          {disable && (
            <Textarea
              label="Reason (optional)"
              description="Kept in the audit log, so the team knows why."
              maxLength={REASON_MAX}
              rows={2}
              value={reason}
              onChange={(event) => setReason(event.currentTarget.value)}
              data-autofocus
            />
          )}
          {change.isError && (
            <Text size="sm" c="red.8" role="alert">
              {errorDetail(change.error)}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              color={disable ? "red" : "teal"}
              loading={change.isPending}
              data-autofocus={disable ? undefined : true}
            >
              {verb} {agent.name}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
