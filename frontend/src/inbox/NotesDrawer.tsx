/** Internal notes on a conversation: for the team, never sent to the doctor. */
import { Button, Drawer, Paper, Stack, Text, Textarea } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { errorDetail } from "../api/client";
import { ErrorState, LoadingState } from "../components/states";
import { formatDateTime } from "../lib/format";
import { useAddNote, useNotes } from "./queries";

export function NotesDrawer({
  conversationId,
  opened,
  onClose,
  canWrite,
}: {
  conversationId: number;
  opened: boolean;
  onClose: () => void;
  canWrite: boolean;
}) {
  const notes = useNotes(conversationId);
  const add = useAddNote(conversationId);
  const [body, setBody] = useState("");

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!body.trim()) return;
    add.mutate(body.trim(), { onSuccess: () => setBody("") });
  }

  return (
    <Drawer opened={opened} onClose={onClose} position="right" title="Internal notes" size="md">
      <Stack gap="sm">
        <Text size="xs" c="dimmed">
          Notes stay inside SurgiAI: the doctor never sees them.
        </Text>
        {notes.isPending ? (
          <LoadingState label="Loading notes…" />
        ) : notes.isError ? (
          <ErrorState
            title="Couldn't load notes"
            error={notes.error}
            onRetry={() => void notes.refetch()}
          />
        ) : notes.data.length === 0 ? (
          <Text size="sm" c="dimmed">
            No notes yet.{canWrite ? " Write the first one below." : ""}
          </Text>
        ) : (
          <Stack gap="xs" component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
            {notes.data.map((note) => (
              <Paper key={note.id} withBorder p="xs" component="li">
                <Text size="xs" c="dimmed">
                  {note.author?.name ?? "SurgiAI"} · {formatDateTime(note.created_at)}
                </Text>
                <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
                  {note.body}
                </Text>
              </Paper>
            ))}
          </Stack>
        )}
        {canWrite && (
          <form onSubmit={submit} aria-label="Add a note">
            <Textarea
              label="New note"
              autosize
              minRows={2}
              value={body}
              onChange={(event) => setBody(event.currentTarget.value)}
              error={add.isError ? errorDetail(add.error) : undefined}
            />
            <Button type="submit" mt="xs" loading={add.isPending} disabled={!body.trim()}>
              Add note
            </Button>
          </form>
        )}
      </Stack>
    </Drawer>
  );
}
