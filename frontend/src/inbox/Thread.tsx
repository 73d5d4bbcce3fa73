/** One conversation: who the doctor is, its mode, the messages, typing, the composer. */
import { Badge, Button, Group, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { errorDetail, type Conversation } from "../api/client";
import { can } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { ErrorState, LoadingState } from "../components/states";
import { formatDateTime, formatDoctorAddress } from "../lib/format";
import { Composer } from "./Composer";
import { ConversationActions } from "./ConversationActions";
import { MODE_COLORS, MODE_LABELS } from "./ConversationList";
import classes from "./InboxPage.module.css";
import { MessageBubble } from "./MessageBubble";
import { reactionTarget, reactionsByTarget } from "./MessageContent";
import { NotesDrawer } from "./NotesDrawer";
import { WaitingTimer } from "./WaitingTimer";
import {
  oldestFirst,
  useConversation,
  useMarkRead,
  useMessages,
  useRelease,
  useTakeover,
  useTyping,
} from "./queries";

const TYPING_SHOWN_MS = 20_000;

function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState === "visible");
  useEffect(() => {
    const changed = () => setVisible(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", changed);
    return () => document.removeEventListener("visibilitychange", changed);
  }, []);
  return visible;
}

/** Someone reading the conversation has read what arrives in it: no unread badge on the
 * conversation on screen. Not while the page is hidden (another tab, a locked screen): those
 * messages stay unread until the page shows again. */
function useReadWhileOpen(conversation: Conversation | undefined, enabled: boolean): void {
  const visible = usePageVisible();
  const { mutate } = useMarkRead();
  const tried = useRef<string | null>(null);
  const id = conversation?.id;
  const unread = conversation?.unread_count ?? 0;
  useEffect(() => {
    if (!enabled || !visible || id === undefined || unread === 0) return;
    // Once per count: a refusal is not retried in a loop; a new message tries again.
    const attempt = `${id}:${unread}:${conversation?.last_inbound_at ?? ""}`;
    if (tried.current === attempt) return;
    tried.current = attempt;
    mutate(id);
  }, [enabled, visible, id, unread, conversation?.last_inbound_at, mutate]);
}

function TypingIndicator({ conversationId }: { conversationId: number }) {
  const { data } = useTyping(conversationId);
  // Each `typing` event shows for a while; a new one (a new `at`) shows again.
  const [expiredAt, setExpiredAt] = useState<number | null>(null);
  const shown = data?.active === true && data.at !== expiredAt;
  useEffect(() => {
    if (!data?.active) return;
    const timer = setTimeout(() => setExpiredAt(data.at), TYPING_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [data]);
  return (
    <Text size="xs" c="dimmed" px="md" h={18} aria-live="polite">
      {shown ? `${data.name} is typing…` : ""}
    </Text>
  );
}

function ThreadHeader({
  conversation,
  canConverse,
  onNotes,
}: {
  conversation: Conversation;
  canConverse: boolean;
  onNotes: () => void;
}) {
  const takeover = useTakeover();
  const release = useRelease();
  const name = conversation.doctor.display_name;
  const onError = (error: unknown) =>
    notifications.show({ color: "red", title: "Not changed", message: errorDetail(error) });
  return (
    <Group className={classes.threadHeader} justify="space-between" wrap="wrap" gap="xs">
      <div>
        <Group gap="xs">
          <Button
            component={Link}
            to="/inbox"
            variant="subtle"
            size="compact-xs"
            hiddenFrom="sm"
            aria-label="Back to conversations"
          >
            ←
          </Button>
          <Title order={2} size="h4">
            {name}
          </Title>
          <Badge
            color={MODE_COLORS[conversation.mode]}
            variant="light"
            aria-label={`Mode: ${MODE_LABELS[conversation.mode]}`}
          >
            {MODE_LABELS[conversation.mode]}
          </Badge>
          {conversation.status === "closed" && (
            <Badge color="gray" variant="outline">
              Closed
            </Badge>
          )}
          {conversation.awaiting_since && conversation.status === "open" && (
            <WaitingTimer since={conversation.awaiting_since} />
          )}
        </Group>
        <Text size="xs" c="dimmed">
          {formatDoctorAddress(conversation.doctor)} · {conversation.number.label}
          {conversation.assigned_user ? ` · assigned to ${conversation.assigned_user.name}` : ""}
          {" · "}
          {conversation.window_open
            ? `window open until ${formatDateTime(conversation.window_closes_at)}`
            : "window closed (templates only)"}
        </Text>
      </div>
      <Group gap="xs">
        <Button variant="default" size="xs" onClick={onNotes}>
          Notes
        </Button>
        {canConverse && <ConversationActions conversation={conversation} />}
        {canConverse &&
          (conversation.mode === "human" ? (
            <Button
              size="xs"
              variant="light"
              loading={release.isPending}
              onClick={() => release.mutate(conversation.id, { onError })}
            >
              Release to {conversation.number.label} default
            </Button>
          ) : (
            <Button
              size="xs"
              loading={takeover.isPending}
              onClick={() => takeover.mutate(conversation.id, { onError })}
            >
              Take over
            </Button>
          ))}
      </Group>
    </Group>
  );
}

function Messages({ conversationId }: { conversationId: number }) {
  const query = useMessages(conversationId);
  const messages = oldestFirst(query.data);
  const list = useRef<HTMLOListElement>(null);
  const newest = messages.at(-1)?.id;
  const byWamid = useMemo(
    () => new Map(messages.flatMap((m) => (m.wamid ? [[m.wamid, m] as const] : []))),
    [messages],
  );
  const reactions = useMemo(() => reactionsByTarget(messages), [messages]);

  // Keep the newest message in view as messages arrive (not when older ones load).
  useLayoutEffect(() => {
    const element = list.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [newest]);

  if (query.isPending) return <LoadingState label="Loading messages…" />;
  if (query.isError)
    return (
      <Stack p="md">
        <ErrorState
          title="Couldn't load the messages"
          error={query.error}
          onRetry={() => void query.refetch()}
        />
      </Stack>
    );
  return (
    <ol className={classes.messages} ref={list} aria-label="Messages" tabIndex={0}>
      {query.hasNextPage && (
        <li style={{ alignSelf: "center" }}>
          <Button
            size="xs"
            variant="subtle"
            loading={query.isFetchingNextPage}
            onClick={() => void query.fetchNextPage()}
          >
            Load older messages
          </Button>
        </li>
      )}
      {messages.length === 0 && (
        <li style={{ alignSelf: "center" }}>
          <Text size="sm" c="dimmed">
            No messages in this conversation yet.
          </Text>
        </li>
      )}
      {messages.map((message) => {
        const target = message.type === "reaction" ? reactionTarget(message) : null;
        // A reaction shows on the message it reacts to, unless that one is not loaded.
        if (target !== null && byWamid.has(target)) return null;
        return (
          <MessageBubble
            key={message.id}
            message={message}
            quoted={
              message.context_wamid ? (byWamid.get(message.context_wamid) ?? null) : undefined
            }
            reactions={message.wamid ? reactions.get(message.wamid) : undefined}
          />
        );
      })}
    </ol>
  );
}

export function Thread({ conversationId }: { conversationId: number }) {
  const user = useCurrentUser();
  const canConverse = can(user, "converse");
  const conversation = useConversation(conversationId);
  const [notesOpen, notes] = useDisclosure(false);
  useReadWhileOpen(conversation.data, canConverse);

  if (conversation.isPending) return <LoadingState label="Loading conversation…" />;
  if (conversation.isError)
    return (
      <Stack p="md">
        <ErrorState
          title="Couldn't open this conversation"
          error={conversation.error}
          onRetry={() => void conversation.refetch()}
        />
      </Stack>
    );
  return (
    <>
      <ThreadHeader
        conversation={conversation.data}
        canConverse={canConverse}
        onNotes={notes.open}
      />
      <Messages conversationId={conversationId} />
      <TypingIndicator conversationId={conversationId} />
      {canConverse ? (
        <Composer key={conversationId} conversation={conversation.data} />
      ) : (
        <Text size="sm" c="dimmed" className={classes.composer}>
          You can read this conversation; your role cannot send messages.
        </Text>
      )}
      <NotesDrawer
        conversationId={conversationId}
        opened={notesOpen}
        onClose={notes.close}
        canWrite={canConverse}
      />
    </>
  );
}
