/** How each live event changes what the dashboard has cached. The events are typed from the
 * server's catalogue (`surgiai/web/events.py`, generated into `src/api/events.ts` by
 * `make api-client`): each event type has one handler, which receives that event's data. Events
 * carry the whole row as the API would answer it (receipts, only the ticks they move), so most
 * are applied in place; only what no cache holds yet is refetched, and those refetches are
 * coalesced so that a burst of events costs one request per list. */
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import type { DraftPage, NotificationPage, User } from "../api/client";
import type { components } from "../api/events";
import { ME_KEY } from "../auth/session";
import {
  CONVERSATIONS_KEY,
  addNote,
  conversationKey,
  forgetConversation,
  messagesKey,
  storeConversation,
  storeStatusChanges,
  typingKey,
  type MessagePages,
  type Typing,
} from "../inbox/queries";
import { NUMBERS_KEY } from "../numbers/queries";
import { AGENTS_KEY, addCrashReport } from "../agents/queries";
import { NOTIFICATIONS_KEY, TRAFFIC_KEY } from "../overview/queries";
import { PENDING_DRAFTS_KEY } from "../approvals/queries";
import { storeSettings } from "../settings/queries";
import {
  CAMPAIGN_LIST_KEY,
  campaignKey,
  recipientsKey,
  resultsKey,
  storeProgress,
} from "../campaigns/queries";
import type { Campaign } from "../campaigns/types";
import type { IncomingEvent } from "./socket";

/** Every event the server may send, as its catalogue describes it. */
export type RealtimeEvent = components["schemas"]["RealtimeEvent"];
/** The data of each event type: `EventData["message.created"]` is a message. */
export type EventData = { [E in RealtimeEvent as E["type"]]: E["data"] };
/** The events that change what is shown (`hello` and `pong` are the connection's own: the
 * socket answers them). */
export type DashboardEvent = Exclude<RealtimeEvent, { type: "hello" | "pong" }>;
type DashboardEventType = DashboardEvent["type"];

const COALESCE_MS = 400;
/** The overview's aggregates: each live message asks for them again, at most this often (a busy
 * hour would otherwise recount them many times a second). */
export const STATS_COALESCE_MS = 1_500;
/** The conversation lists, read again while a campaign writes to many threads: at most this
 * often, however fast it sends. */
export const BULK_LIST_COALESCE_MS = 1_000;
const pending = new WeakMap<QueryClient, Map<string, ReturnType<typeof setTimeout>>>();

/** Refetch `queryKey` once, shortly (`delayMs`), however many events ask for it meanwhile. */
export function invalidateSoon(
  queryClient: QueryClient,
  queryKey: QueryKey,
  delayMs = COALESCE_MS,
): void {
  const timers = pending.get(queryClient) ?? new Map<string, ReturnType<typeof setTimeout>>();
  pending.set(queryClient, timers);
  const id = JSON.stringify(queryKey);
  if (timers.has(id)) return;
  timers.set(
    id,
    setTimeout(() => {
      timers.delete(id);
      void queryClient.invalidateQueries({ queryKey });
    }, delayMs),
  );
}

// The event only names the number (its traffic comes from the API): read the list again.
function numberUpdated(queryClient: QueryClient): void {
  void queryClient.invalidateQueries({ queryKey: NUMBERS_KEY });
}

function messageChanged(
  queryClient: QueryClient,
  data: EventData["message.created"],
  created: boolean,
): void {
  queryClient.setQueryData<MessagePages>(messagesKey(data.conversation_id), (pages) => {
    if (!pages || pages.pages.length === 0) return pages;
    let known = false;
    const updated = pages.pages.map((page) => ({
      ...page,
      items: page.items.map((message) => {
        if (message.id !== data.id) return message;
        known = true;
        return data;
      }),
    }));
    if (known || !created) return { ...pages, pages: updated };
    // Newest first: a new message goes to the front of the first page.
    const [first, ...rest] = updated;
    return { ...pages, pages: [{ ...first!, items: [data, ...first!.items] }, ...rest] };
  });
  // The overview's figures count messages: today's traffic, and each number's last hour.
  invalidateSoon(queryClient, TRAFFIC_KEY, STATS_COALESCE_MS);
  if (data.direction !== "in") invalidateSoon(queryClient, NUMBERS_KEY, STATS_COALESCE_MS);
  // Whoever was typing has answered.
  if (created && data.direction !== "in") {
    queryClient.setQueryData<Typing | null>(typingKey(data.conversation_id), null);
  }
  // A draft waiting in this conversation shows its thread: read it again with the new message.
  const drafts = queryClient.getQueryData<DraftPage>(PENDING_DRAFTS_KEY);
  if (created && drafts?.items.some((draft) => draft.conversation_id === data.conversation_id))
    invalidateSoon(queryClient, PENDING_DRAFTS_KEY);
}

/** Receipts moved messages forward (one event per group of receipts): their ticks, in place.
 * The overview counts messages sent and failed, not how far they got (a failure comes as
 * `message.updated`): nothing is read again. */
function messagesStatusChanged(
  queryClient: QueryClient,
  data: EventData["messages.status_changed"],
): void {
  storeStatusChanges(queryClient, data.messages);
}

function conversationUpdated(
  queryClient: QueryClient,
  data: EventData["conversation.updated"],
): void {
  const { known, missingFrom } = storeConversation(queryClient, data);
  // A conversation no list shows yet (new; a search may find it): ask once for every list.
  if (!known) invalidateSoon(queryClient, CONVERSATIONS_KEY);
  // Lists it now belongs in (a doctor waiting, a conversation reopened): ask for those.
  else for (const key of missingFrom) invalidateSoon(queryClient, key);
}

/** A campaign's chunk wrote to many threads at once (no event per message): each thread
 * cached without its new last message is read again (refetched only if on screen), and the
 * lists, where these conversations move to the top, at most once a second. */
function conversationsTouched(
  queryClient: QueryClient,
  data: EventData["conversations.touched"],
): void {
  for (const { id, last_message_id: lastId } of data.conversations) {
    const thread = queryClient.getQueryData<MessagePages>(messagesKey(id));
    if (!thread || lastId === null) continue;
    if (thread.pages.some((page) => page.items.some((message) => message.id >= lastId))) continue;
    invalidateSoon(queryClient, messagesKey(id));
    invalidateSoon(queryClient, conversationKey(id));
  }
  invalidateSoon(queryClient, CONVERSATIONS_KEY, BULK_LIST_COALESCE_MS);
  // The overview's figures count messages, as for `message.created`.
  invalidateSoon(queryClient, TRAFFIC_KEY, STATS_COALESCE_MS);
  invalidateSoon(queryClient, NUMBERS_KEY, STATS_COALESCE_MS);
}

/** Two records of one doctor became one: this conversation's messages are another's now. */
function conversationRemoved(
  queryClient: QueryClient,
  data: EventData["conversation.removed"],
): void {
  forgetConversation(queryClient, data.id);
  queryClient.removeQueries({ queryKey: messagesKey(data.id) });
  // Its messages are the other conversation's now.
  invalidateSoon(queryClient, messagesKey(data.merged_into));
}

function typing(queryClient: QueryClient, data: EventData["typing"]): void {
  const { actor } = data;
  const me = queryClient.getQueryData<User | null>(ME_KEY);
  if (actor.kind === "admin" && me && actor.user_id === me.id) return;
  const name = actor.kind === "ai" ? `AI · ${actor.agent ?? "agent"}` : actor.name;
  const value: Typing = { name, active: data.active, at: Date.now() };
  queryClient.setQueryData<Typing | null>(typingKey(data.conversation_id), value);
}

function draftChanged(queryClient: QueryClient, draft: EventData["draft.updated"]): void {
  if (!queryClient.getQueryData(PENDING_DRAFTS_KEY)) return;
  queryClient.setQueryData<DraftPage>(PENDING_DRAFTS_KEY, (page) => {
    if (!page) return page;
    const others = page.items.filter((item) => item.id !== draft.id);
    if (draft.status !== "pending") return { ...page, items: others };
    const known = others.length !== page.items.length;
    return {
      ...page,
      items: known
        ? page.items.map((item) => (item.id === draft.id ? draft : item))
        : [draft, ...page.items],
    };
  });
}

function crashReportCreated(
  queryClient: QueryClient,
  report: EventData["crash_report.created"],
): void {
  addCrashReport(queryClient, report);
  // Every option of a critical agent failed: its health has changed too.
  invalidateSoon(queryClient, AGENTS_KEY);
}

function notificationCreated(
  queryClient: QueryClient,
  notification: EventData["notification.created"],
): void {
  queryClient.setQueryData<NotificationPage>(NOTIFICATIONS_KEY, (page) =>
    page && !page.items.some((item) => item.id === notification.id)
      ? { ...page, items: [notification, ...page.items] }
      : page,
  );
}

/** A campaign's status and counts: applied in place; its results and recipients (which the event
 * does not carry) and a list that does not show it yet are read again, coalesced. */
function campaignProgress(queryClient: QueryClient, data: EventData["campaign.progress"]): void {
  const before = queryClient.getQueryData<Campaign>(campaignKey(data.id))?.status;
  const listed = storeProgress(queryClient, data);
  // A new status comes with times the event does not carry (started, finished, the forecast).
  if (before !== undefined && before !== data.status) {
    invalidateSoon(queryClient, campaignKey(data.id));
    invalidateSoon(queryClient, CAMPAIGN_LIST_KEY);
  } else if (!listed) invalidateSoon(queryClient, CAMPAIGN_LIST_KEY, STATS_COALESCE_MS);
  invalidateSoon(queryClient, resultsKey(data.id), STATS_COALESCE_MS);
  invalidateSoon(queryClient, recipientsKey(data.id), STATS_COALESCE_MS);
}

/** One handler per event type: a type the server adds fails the typecheck here until the
 * dashboard decides what it means (`make api-client` regenerates the types). */
const HANDLERS: {
  [T in DashboardEventType]: (queryClient: QueryClient, data: EventData[T]) => void;
} = {
  "number.updated": numberUpdated,
  "message.created": (queryClient, data) => messageChanged(queryClient, data, true),
  "message.updated": (queryClient, data) => messageChanged(queryClient, data, false),
  "messages.status_changed": messagesStatusChanged,
  "conversation.updated": conversationUpdated,
  "conversation.removed": conversationRemoved,
  "conversations.touched": conversationsTouched,
  "note.created": addNote,
  typing,
  "draft.created": draftChanged,
  "draft.updated": draftChanged,
  "notification.created": notificationCreated,
  // The event carries the setting, not the health: ask for the health again.
  "agent.updated": (queryClient) => invalidateSoon(queryClient, AGENTS_KEY),
  "crash_report.created": crashReportCreated,
  "settings.updated": storeSettings,
  "campaign.progress": campaignProgress,
};

function handle<T extends DashboardEventType>(
  queryClient: QueryClient,
  type: T,
  data: EventData[T],
): void {
  HANDLERS[type](queryClient, data);
}

/** Apply an event the dashboard knows the type of. */
export function applyEvent(queryClient: QueryClient, event: DashboardEvent): void {
  handle(queryClient, event.type, event.data);
}

function isDashboardEvent(event: IncomingEvent): event is DashboardEvent {
  // Own keys only: "toString" is no event.
  return (
    Object.hasOwn(HANDLERS, event.type) &&
    typeof event.data === "object" &&
    event.data !== null &&
    !Array.isArray(event.data)
  );
}

/** Apply an event as it came off the socket. Its data is trusted to be what the catalogue says,
 * but a type this page does not know (a server newer than the page) or data that is not an
 * object is ignored. */
export function applyIncoming(queryClient: QueryClient, event: IncomingEvent): void {
  if (isDashboardEvent(event)) applyEvent(queryClient, event);
}
