/** The conversations, newest activity first, with search, filters and unread badges. */
import { Badge, Button, Group, Select, Stack, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import type { Conversation } from "../api/client";
import { ErrorState, LoadingState } from "../components/states";
import { formatRelative, numberEnding } from "../lib/format";
import { WhatsAppText, carriesFormatting } from "../lib/whatsapp";
import classes from "./InboxPage.module.css";
import { useConversations, type ConversationFilters } from "./queries";
import { WaitingTimer } from "./WaitingTimer";

export const MODE_LABELS: Record<Conversation["mode"], string> = {
  ai: "AI",
  draft: "Drafts",
  human: "Human",
};
export const MODE_COLORS: Record<Conversation["mode"], string> = {
  ai: "indigo",
  draft: "yellow",
  human: "teal",
};

function LastLine({ conversation }: { conversation: Conversation }) {
  const last = conversation.last_message;
  if (!last) return <>No messages yet</>;
  const text =
    last.text === null ? (
      `[${last.type}]`
    ) : carriesFormatting(last.type) ? (
      <WhatsAppText text={last.text} oneLine />
    ) : (
      last.text
    );
  if (last.direction === "in") return <>{text}</>;
  const who = last.sender_kind === "ai" ? "AI" : last.sender_kind === "admin" ? "Team" : "SurgiAI";
  return (
    <>
      {who}: {text}
    </>
  );
}

function ConversationItem({
  conversation,
  selected,
}: {
  conversation: Conversation;
  selected: boolean;
}) {
  const unread = conversation.unread_count;
  const name = conversation.doctor.display_name;
  const handle = conversation.doctor.username ? `@${conversation.doctor.username}` : null;
  // Always shown: two doctors often share a name ("Dr. Rahul Sharma"), never a number.
  const ending = numberEnding(conversation.doctor);
  return (
    <li>
      <Link
        to={`/inbox/${conversation.id}`}
        className={classes.item}
        aria-current={selected ? "page" : undefined}
        aria-label={`${name}${ending ? ` ${ending}` : ""}${unread ? `, ${unread} unread` : ""}`}
      >
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Text size="sm" fw={unread ? 700 : 500} truncate>
            {name}
            {ending && (
              <Text span size="xs" c="dimmed" fw={400}>
                {" · "}
                {ending}
              </Text>
            )}
          </Text>
          <Text size="xs" c="dimmed" style={{ flexShrink: 0 }}>
            {formatRelative(conversation.last_message_at)}
          </Text>
        </Group>
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Text size="xs" c="dimmed" className={classes.preview}>
            <LastLine conversation={conversation} />
          </Text>
          {unread > 0 && (
            <Badge size="sm" color="teal" aria-hidden style={{ flexShrink: 0 }}>
              {unread}
            </Badge>
          )}
        </Group>
        <Group gap={4} mt={2}>
          <Badge size="xs" variant="light" color={MODE_COLORS[conversation.mode]}>
            {MODE_LABELS[conversation.mode]}
          </Badge>
          <QueueState conversation={conversation} />
          <Text size="xs" c="dimmed" truncate>
            {conversation.number.label}
            {handle && !name.startsWith("@") ? ` · ${handle}` : ""}
            {conversation.assigned_user ? ` · ${conversation.assigned_user.name}` : ""}
          </Text>
        </Group>
      </Link>
    </li>
  );
}

/** Closed, or how long the doctor has waited for our answer. */
function QueueState({ conversation }: { conversation: Conversation }) {
  if (conversation.status === "closed")
    return (
      <Badge size="xs" variant="outline" color="gray">
        Closed
      </Badge>
    );
  return conversation.awaiting_since ? <WaitingTimer since={conversation.awaiting_since} /> : null;
}

type Filter = "all" | "awaiting" | "unread" | "mine" | "human" | "draft" | "closed";
const FILTERS: Record<Filter, ConversationFilters> = {
  all: { status: "open" },
  awaiting: { status: "open", awaiting: true },
  unread: { status: "open", unread: true },
  mine: { status: "open", assigned: "me" },
  human: { status: "open", mode: "human" },
  draft: { status: "open", mode: "draft" },
  closed: { status: "closed" },
};

export function ConversationList({ selectedId }: { selectedId: number | null }) {
  const [search, setSearch] = useState("");
  const [q] = useDebouncedValue(search.trim(), 300);
  const [filter, setFilter] = useState<Filter>("all");
  const filters: ConversationFilters = { ...FILTERS[filter], q: q || undefined };
  const query = useConversations(filters);
  const items = query.data?.pages.flatMap((page) => page.items) ?? [];

  // For the paint benchmark and the browser tests: the list has what the API answered.
  useEffect(() => {
    if (query.isSuccess) document.body.dataset.inboxReady = "true";
  }, [query.isSuccess]);

  return (
    <section className={classes.column} aria-label="Conversations">
      <Stack gap={6} p="sm">
        <TextInput
          type="search"
          label="Search conversations"
          placeholder="Doctor, number or words"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
        />
        <Select
          label="Show"
          size="xs"
          value={filter}
          allowDeselect={false}
          onChange={(value) => value && setFilter(value as Filter)}
          data={[
            { value: "all", label: "All open" },
            { value: "awaiting", label: "Awaiting our reply" },
            { value: "unread", label: "Unread" },
            { value: "mine", label: "Assigned to me" },
            { value: "human", label: "Human mode" },
            { value: "draft", label: "Draft mode" },
            { value: "closed", label: "Closed" },
          ]}
        />
      </Stack>
      {query.isPending ? (
        <LoadingState label="Loading conversations…" />
      ) : query.isError ? (
        <Stack p="sm">
          <ErrorState
            title="Couldn't load conversations"
            error={query.error}
            onRetry={() => void query.refetch()}
          />
        </Stack>
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed" p="md" ta="center">
          {q || filter !== "all"
            ? "No conversation matches. Clear the search or choose “All open”."
            : "No conversations yet. They appear here as soon as a doctor writes to one of your numbers."}
        </Text>
      ) : (
        <ul className={classes.list} aria-label="Conversation list">
          {items.map((conversation) => (
            <ConversationItem
              key={conversation.id}
              conversation={conversation}
              selected={conversation.id === selectedId}
            />
          ))}
          {query.hasNextPage && (
            <li>
              <Button
                variant="subtle"
                fullWidth
                onClick={() => void query.fetchNextPage()}
                loading={query.isFetchingNextPage}
              >
                Load more
              </Button>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
