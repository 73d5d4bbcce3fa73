/** AI replies waiting for a person: approve as proposed, edit then approve, or reject. Each
 * draft shows what it answers, the thread around it and where the agent found the answer, so
 * that nobody decides blind. */
import { Anchor, Badge, Button, Group, Modal, Paper, Stack, Text, Textarea } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import { errorDetail, type Draft, type DraftContextMessage } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { formatDateTime, formatDoctorAddress, formatRelative } from "../lib/format";
import { WhatsAppText, carriesFormatting } from "../lib/whatsapp";
import { useApprove, usePendingDrafts, useReject } from "./queries";
import classes from "./ApprovalsPage.module.css";
import inboxClasses from "../inbox/InboxPage.module.css";

type Dialog = { kind: "edit" | "reject"; draft: Draft } | null;

function MessageText({ type, text }: { type: string; text: string | null }) {
  if (!text) return <Text span fs="italic" size="sm" c="dimmed">{`A ${type} message`}</Text>;
  return carriesFormatting(type) ? <WhatsAppText text={text} /> : <>{text}</>;
}

/** The thread's latest messages, with the ones the draft answers marked (and shown even when
 * the doctor has written a lot since). */
function ThreadContext({ draft }: { draft: Draft }) {
  const answered = new Set(draft.answers.map((message) => message.id));
  const shown = new Set(draft.recent.map((message) => message.id));
  const earlier = draft.answers.filter((message) => !shown.has(message.id));
  const line = (message: DraftContextMessage) => (
    <li
      key={message.id}
      className={classes.line}
      data-direction={message.direction}
      data-answered={answered.has(message.id)}
      aria-label={`${message.sender.label}, ${formatDateTime(message.created_at)}`}
    >
      <Text size="xs" fw={600} c={message.direction === "in" ? "teal.9" : "indigo.9"}>
        {message.sender.label}
        {answered.has(message.id) ? " · answered by this draft" : ""}
      </Text>
      <MessageText type={message.type} text={message.text} />
    </li>
  );
  return (
    <section aria-label="Recent messages">
      <Text size="xs" c="dimmed" mb={4}>
        Recent messages
      </Text>
      {draft.recent.length === 0 ? (
        <Text size="sm" c="dimmed">
          No messages in this conversation yet.
        </Text>
      ) : (
        <ol className={classes.thread}>
          {earlier.map(line)}
          {earlier.length > 0 && (
            <li aria-hidden style={{ alignSelf: "center", color: "var(--mantine-color-dimmed)" }}>
              …
            </li>
          )}
          {draft.recent.map(line)}
        </ol>
      )}
    </section>
  );
}

function Question({ draft }: { draft: Draft }) {
  if (draft.answers.length === 0) return null;
  return (
    <section aria-label="The doctor asked">
      <Text size="xs" c="dimmed">
        {draft.doctor.display_name} asked
      </Text>
      {draft.answers.map((message) => (
        <Text key={message.id} size="sm" fw={500} style={{ whiteSpace: "pre-wrap" }}>
          <MessageText type={message.type} text={message.text} />
        </Text>
      ))}
    </section>
  );
}

/** Where the agent found the answer (a document page, an FAQ), to check before approving. */
function Sources({ draft }: { draft: Draft }) {
  if (draft.sources.length === 0) return null;
  return <Text size="xs" c="dimmed">{`Sources: ${draft.sources.join("; ")}`}</Text>;
}

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
            <Anchor component={Link} to={`/inbox/${draft.conversation_id}`} inherit>
              {name}
            </Anchor>{" "}
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
      <div className={classes.card}>
        <ThreadContext draft={draft} />
        <Stack gap="xs">
          <Question draft={draft} />
          <section aria-label="Draft reply">
            <Text size="xs" c="dimmed" mb={4}>
              Draft reply
            </Text>
            <div className={inboxClasses.rendered}>
              <MessageText type={draft.type} text={draft.text} />
            </div>
          </section>
          <Sources draft={draft} />
        </Stack>
      </div>
    </Paper>
  );
}

function EditDialog({ draft, onClose }: { draft: Draft; onClose: () => void }) {
  const [text, setText] = useState(draft.text ?? "");
  const approve = useApprove();
  return (
    <Modal
      opened
      onClose={onClose}
      size="xl"
      title={`Edit the reply to ${draft.doctor.display_name}`}
    >
      <div className={classes.card} style={{ marginTop: 0 }}>
        <Stack gap="xs">
          <Question draft={draft} />
          <ThreadContext draft={draft} />
        </Stack>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            approve.mutate({ id: draft.id, text }, { onSuccess: onClose });
          }}
        >
          <Stack gap="sm">
            <Text size="xs" c="dimmed">
              AI · {draft.agent} draft. Your version is sent as yours.
            </Text>
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
            <div className={inboxClasses.rendered} aria-label="What the doctor will see">
              <WhatsAppText text={text} />
            </div>
            <Sources draft={draft} />
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
      </div>
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
