/** The Admin-Approved FAQ: what SurgiAI may answer on its own, questions it could not answer
 * (suggestions, with a draft from the documents), and answers a new document version put in
 * doubt. Approving teaches: the doctor's wording is kept, so the same question in other words
 * is answered automatically from then on. */
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import type { Faq } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "../components/states";
import { formatRelative } from "../lib/format";
import {
  useApproveFaq,
  useCreateFaq,
  useDeleteFaq,
  useFaqs,
  useRejectFaq,
  useUpdateFaq,
  type FaqFilter,
} from "./faqQueries";

const FILTERS: { value: FaqFilter; label: string }[] = [
  { value: "suggested", label: "Suggested" },
  { value: "needs_review", label: "Needs review" },
  { value: "approved", label: "Approved" },
  { value: "rejected", label: "Rejected" },
];

type Dialog = { kind: "approve" | "edit"; entry: Faq } | { kind: "new" } | null;

function FaqCard({
  entry,
  canDecide,
  onOpen,
}: {
  entry: Faq;
  canDecide: boolean;
  onOpen: (dialog: Dialog) => void;
}) {
  const reject = useRejectFaq();
  const remove = useDeleteFaq();
  const update = useUpdateFaq();
  return (
    <Paper withBorder p="md" radius="md" component="article" aria-label={entry.question}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <Stack gap={4} style={{ flex: 1, minWidth: 240 }}>
          <Text fw={600}>{entry.question}</Text>
          <Group gap={6}>
            {entry.status === "suggested" && (
              <Badge variant="light" color="yellow" size="sm">
                asked {entry.asked_count}×
              </Badge>
            )}
            {entry.needs_review && (
              <Badge variant="light" color="red" size="sm">
                needs review
              </Badge>
            )}
            {entry.citation && (
              <Text size="xs" c="dimmed">
                {entry.citation}
              </Text>
            )}
            <Text size="xs" c="dimmed">
              {formatRelative(entry.updated_at)}
            </Text>
            {entry.asked_conversation_id && (
              <Text size="xs">
                <Link to={`/inbox/${entry.asked_conversation_id}`}>Open the conversation</Link>
              </Text>
            )}
          </Group>
        </Stack>
        {canDecide && (
          <Group gap="xs">
            {entry.status !== "approved" && (
              <Button size="xs" onClick={() => onOpen({ kind: "approve", entry })}>
                {entry.answer ? "Review and approve" : "Write the answer"}
              </Button>
            )}
            {entry.status === "approved" && (
              <Button size="xs" variant="light" onClick={() => onOpen({ kind: "edit", entry })}>
                Edit
              </Button>
            )}
            {entry.needs_review && (
              <Button
                size="xs"
                variant="light"
                color="teal"
                loading={update.isPending}
                onClick={() => update.mutate({ id: entry.id, body: { needs_review: false } })}
              >
                Still correct
              </Button>
            )}
            {entry.status === "suggested" && (
              <Button
                size="xs"
                variant="subtle"
                color="red"
                loading={reject.isPending}
                onClick={() => reject.mutate(entry)}
              >
                Reject
              </Button>
            )}
            {entry.status !== "suggested" && (
              <Button
                size="xs"
                variant="subtle"
                color="red"
                loading={remove.isPending}
                onClick={() => {
                  if (window.confirm(`Delete “${entry.question}”?`)) remove.mutate(entry);
                }}
              >
                Delete
              </Button>
            )}
          </Group>
        )}
      </Group>
      {entry.review_reason && (
        <Alert color="red" mt="sm" p="xs">
          {entry.review_reason}
        </Alert>
      )}
      {entry.answer ? (
        <Text size="sm" mt="sm" style={{ whiteSpace: "pre-wrap" }}>
          {entry.answer}
        </Text>
      ) : (
        <Text size="sm" mt="sm" c="dimmed">
          Nothing in the documents answers this yet: write the answer.
        </Text>
      )}
      {entry.phrasings.length > 0 && (
        <Group gap={4} mt="xs">
          <Text size="xs" c="dimmed">
            Also asked as:
          </Text>
          {entry.phrasings.map((phrasing) => (
            <Badge key={phrasing} variant="outline" color="gray" size="sm" tt="none">
              {phrasing}
            </Badge>
          ))}
        </Group>
      )}
    </Paper>
  );
}

function EntryDialog({ dialog, onClose }: { dialog: Exclude<Dialog, null>; onClose: () => void }) {
  const entry = dialog.kind === "new" ? null : dialog.entry;
  const [question, setQuestion] = useState(entry?.question ?? "");
  const [answer, setAnswer] = useState(entry?.answer ?? "");
  const [phrasings, setPhrasings] = useState<string[]>(entry?.phrasings ?? []);
  const [reply, setReply] = useState(Boolean(entry?.asked_conversation_id));
  const approve = useApproveFaq();
  const update = useUpdateFaq();
  const create = useCreateFaq();
  const pending = approve.isPending || update.isPending || create.isPending;
  const title =
    dialog.kind === "new"
      ? "New FAQ answer"
      : dialog.kind === "approve"
        ? "Approve the answer"
        : "Edit the answer";
  const submit = () => {
    const body = { question: question.trim(), answer: answer.trim(), phrasings };
    const done = { onSuccess: onClose };
    if (dialog.kind === "new") create.mutate(body, done);
    else if (dialog.kind === "approve")
      approve.mutate({ id: dialog.entry.id, body: { ...body, reply_to_asker: reply } }, done);
    else update.mutate({ id: dialog.entry.id, body }, done);
  };
  return (
    <Modal opened onClose={onClose} title={title} size="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Stack gap="sm">
          <TextInput
            label="Question"
            description="As your team would write it; the doctor's own wording stays as a phrasing."
            value={question}
            maxLength={500}
            onChange={(event) => setQuestion(event.currentTarget.value)}
            data-autofocus
          />
          <Textarea
            label="Answer"
            description="What SurgiAI sends. *bold*  _italic_. Every price and date in it must be right: it goes out as written."
            autosize
            minRows={3}
            maxLength={4000}
            value={answer}
            onChange={(event) => setAnswer(event.currentTarget.value)}
          />
          <TagsInput
            label="Other ways doctors ask it"
            description="Press Enter after each."
            value={phrasings}
            onChange={setPhrasings}
            maxTags={50}
          />
          {dialog.kind === "approve" && dialog.entry.asked_conversation_id && (
            <Checkbox
              label="Also send this answer to the doctor who asked"
              checked={reply}
              onChange={(event) => setReply(event.currentTarget.checked)}
            />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={pending} disabled={!question.trim() || !answer.trim()}>
              {dialog.kind === "approve" ? "Approve" : "Save"}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function FaqPage() {
  const user = useCurrentUser();
  const canDecide = can(user, "manage_knowledge");
  const [filter, setFilter] = useState<FaqFilter>("suggested");
  const [q, setQ] = useState("");
  const [dialog, setDialog] = useState<Dialog>(null);
  const faqs = useFaqs(filter, q);
  const counts = faqs.data?.counts;
  return (
    <Stack gap="md">
      <PageHeader
        title="FAQ"
        description="The answers SurgiAI gives on its own, and the questions it passed to your team."
        actions={
          canDecide && <Button onClick={() => setDialog({ kind: "new" })}>New answer</Button>
        }
      />
      <Group justify="space-between" wrap="wrap">
        <SegmentedControl
          value={filter}
          onChange={(value) => setFilter(value as FaqFilter)}
          data={FILTERS.map(({ value, label }) => ({
            value,
            label: counts && counts[value] ? `${label} (${counts[value]})` : label,
          }))}
        />
        <TextInput
          aria-label="Search the FAQ"
          placeholder="Search questions and answers"
          value={q}
          onChange={(event) => setQ(event.currentTarget.value)}
        />
      </Group>
      {faqs.isPending ? (
        <LoadingState label="Loading the FAQ" />
      ) : faqs.isError ? (
        <ErrorState
          title="Could not load the FAQ"
          error={faqs.error}
          onRetry={() => void faqs.refetch()}
        />
      ) : faqs.data.items.length === 0 ? (
        <EmptyState title={filter === "suggested" ? "No questions waiting" : "Nothing here"}>
          {filter === "suggested"
            ? "When a doctor asks something nothing approved answers, it waits here with a draft from your documents."
            : "No entries match."}
        </EmptyState>
      ) : (
        <Stack gap="sm">
          {faqs.data.items.map((entry) => (
            <FaqCard key={entry.id} entry={entry} canDecide={canDecide} onOpen={setDialog} />
          ))}
        </Stack>
      )}
      {dialog && (
        <EntryDialog key={JSON.stringify(dialog)} dialog={dialog} onClose={() => setDialog(null)} />
      )}
    </Stack>
  );
}
