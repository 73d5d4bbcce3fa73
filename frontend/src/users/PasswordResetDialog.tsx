/** Give a colleague who forgot their password a one-time link to choose a new one. The link is
 * shown once (the server keeps only its hash), works once and expires after a day. */
import { Alert, Button, CopyButton, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { api, errorDetail, unwrap, type User } from "../api/client";
import { formatDateTime } from "../lib/format";

export function PasswordResetDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  return (
    <Modal
      opened={user !== null}
      onClose={onClose}
      title={user ? `Reset ${user.name}'s password` : ""}
    >
      {user && <ResetLink user={user} onClose={onClose} />}
    </Modal>
  );
}

function ResetLink({ user, onClose }: { user: User; onClose: () => void }) {
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/users/{user_id}/password-reset", {
          params: { path: { user_id: user.id } },
        }),
      ),
  });
  const link = create.data ? window.location.origin + create.data.path : null;

  return (
    <Stack gap="md">
      {create.isError && (
        <Alert color="red" role="alert" title="No link made">
          {errorDetail(create.error)}
        </Alert>
      )}
      {link && create.data ? (
        <>
          <Text size="sm">
            Send this link to {user.name} privately (WhatsApp or email). It works once, until{" "}
            {formatDateTime(create.data.expires_at)}, and is shown only now. Their current password
            works until they use it.
          </Text>
          <TextInput
            label="One-time reset link"
            readOnly
            value={link}
            onFocus={(e) => e.currentTarget.select()}
          />
          <Group justify="flex-end" gap="sm">
            <CopyButton value={link}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? "Copied" : "Copy link"}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </>
      ) : (
        <>
          <Text size="sm">
            Make a one-time link for {user.name} ({user.email}) to choose a new password. Any
            earlier link for them stops working. When they use it, they are signed out everywhere.
          </Text>
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button loading={create.isPending} onClick={() => create.mutate()}>
              Make reset link
            </Button>
          </Group>
        </>
      )}
    </Stack>
  );
}
