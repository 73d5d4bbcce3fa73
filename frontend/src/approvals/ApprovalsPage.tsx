/** AI replies waiting for a person: approve as proposed, edit then approve, or reject. */
import { Badge, Button, Group, Modal, Paper, Stack, Text, Textarea } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import { errorDetail, type Draft } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { formatDoctorAddress, formatRelative } from "../lib/format";
import { useApprove, usePendingDrafts, useReject } from "./queries";
import classes from "../inbox/InboxPage.module.css";

type Dialog = { kind: "edit" | "reject"; draft: Draft } | null;

function DraftCard({
  draft,
  canDecide,
  onEdit,
  onReject,
}: {
  draft: Draft;
  canDecide: boolean;
  onEdit: () => void;
  onReject: () => void;
}) {
  const approve = useApprove();
  const name = draft.doctor.display_name;
  return (
    <Paper withBorder p="md" radius="md" component="article" aria-label={`Draft for ${name}`}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <div>
          <Text fw={600}>
            <Link to={`/inbox/${draft.conversation_id}`}>{name}</Link>{" "}
            <Text span size="sm" c="dimmed">
              {formatDoctorAddress(draft.doctor)} · {draft.number.label}
            </Text>
          </Text>
          <Group gap={6} mt={2}>
            <Badge variant="light" color="indigo" size="sm">
              AI · {draft.agent}
            </Badge>
            <Text size="xs" c="dimmed">
              {draft.reason} · {formatRelative(draft.created_at)}
            </Text>
          </Group>
        </div>
        {canDecide && (
          <Group gap="xs">
            <Button
              size="xs"
              loading={approve.isPending}
              onClick={() => approve.mutate({ id: draft.id })}
            >
              Approve
            </Button>
            {draft.type === "text" && (
              <Button size="xs" variant="light" onClick={onEdit}>
                Edit
              </Button>
            )}
            <Button size="xs" variant="subtle" color="red" onClick={onReject}>
              Reject
            </Button>
          </Group>
        )}
      </Group>
      {draft.html ? (
        <div
          className={classes.rendered}
          style={{ marginTop: 8 }}
          dangerouslySetInnerHTML={{ __html: draft.html }}
        />
      ) : (
        <div className={classes.rendered} style={{ marginTop: 8 }}>
          {draft.text ?? `A ${draft.type} message`}
        </div>
      )}
    </Paper>
  );
}

function EditDialog({ draft, onClose }: { draft: Draft; onClose: () => void }) {
  const [text, setText] = useState(draft.text ?? "");
  const approve = useApprove();
  return (
    <Modal opened onClose={onClose} title={`Edit the reply to ${draft.doctor.display_name}`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          approve.mutate(
            { id: draft.id, text },
            {
              onSuccess: onClose,
            },
          );
        }}
      >
        <Stack gap="sm">
          <Textarea
            label="Reply"
            description="*bold*  _italic_  ~strike~  ```monospace```"
            autosize
            minRows={3}
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
            error={approve.isError ? errorDetail(approve.error) : undefined}
            data-autofocus
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={approve.isPending} disabled={!text.trim()}>
              Approve and send
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function RejectDialog({ draft, onClose }: { draft: Draft; onClose: () => void }) {
  const [reason, setReason] = useState("");
  const reject = useReject();
  return (
    <Modal opened onClose={onClose} title={`Reject the reply to ${draft.doctor.display_name}`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          reject.mutate({ id: draft.id, reason: reason.trim() }, { onSuccess: onClose });
        }}
      >
        <Stack gap="sm">
          <Textarea
            label="Reason (optional)"
            description="Helps the AI learn; the doctor never sees it."
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            error={reject.isError ? errorDetail(reject.error) : undefined}
            data-autofocus
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color="red" loading={reject.isPending}>
              Reject
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ApprovalsPage() {
  const user = useCurrentUser();
  const canDecide = can(user, "converse");
  const drafts = usePendingDrafts();
  const [dialog, setDialog] = useState<Dialog>(null);

  return (
    <>
      <PageHeader
        title="Approvals"
        description="AI replies in draft mode wait here until someone approves, edits or rejects them."
      />
      {drafts.isPending ? (
        <LoadingState label="Loading drafts…" />
      ) : drafts.isError ? (
        <ErrorState
          title="Couldn't load the approval queue"
          error={drafts.error}
          onRetry={() => void drafts.refetch()}
        />
      ) : drafts.data.items.length === 0 ? (
        <EmptyState title="Nothing waiting for approval">
          AI replies of conversations in draft mode appear here as they are written. Set a
          conversation to draft mode, or a number's default mode, to review its replies.
        </EmptyState>
      ) : (
        <Stack gap="sm">
          {!canDecide && (
            <Text size="sm" c="dimmed">
              You can read the queue; your role cannot approve or reject.
            </Text>
          )}
          {drafts.data.items.map((draft) => (
            <DraftCard
              key={draft.id}
              draft={draft}
              canDecide={canDecide}
              onEdit={() => setDialog({ kind: "edit", draft })}
              onReject={() => setDialog({ kind: "reject", draft })}
            />
          ))}
        </Stack>
      )}
      {dialog?.kind === "edit" && (
        <EditDialog draft={dialog.draft} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === "reject" && (
        <RejectDialog draft={dialog.draft} onClose={() => setDialog(null)} />
      )}
    </>
  );
}
