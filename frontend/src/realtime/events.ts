/** How each live event changes what the dashboard has cached. Events carry the whole row as the
 * API would answer it, so most are applied in place; only what no cache holds yet is refetched,
 * and those refetches are coalesced so that a burst of events costs one request per list. */
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import type {
  Conversation,
  CrashReport,
  Draft,
  DraftPage,
  Message,
  Note,
  Notification,
  NotificationPage,
  User,
  WhatsAppNumber,
  WorkspaceSettings,
} from "../api/client";
import { ME_KEY } from "../auth/session";
import {
  CONVERSATIONS_KEY,
  addNote,
  messagesKey,
  storeConversation,
  typingKey,
  type MessagePages,
  type Typing,
} from "../inbox/queries";
import { NUMBERS_KEY } from "../numbers/queries";
import { AGENTS_KEY, addCrashReport } from "../agents/queries";
import { NOTIFICATIONS_KEY } from "../overview/queries";
import { PENDING_DRAFTS_KEY } from "../approvals/queries";
import { storeSettings } from "../settings/queries";
import type { RealtimeEvent } from "./socket";

type Data = Record<string, unknown>;

const COALESCE_MS = 400;
const pending = new WeakMap<QueryClient, Map<string, ReturnType<typeof setTimeout>>>();

/** Refetch `queryKey` once, shortly, however many events ask for it meanwhile. */
export function invalidateSoon(queryClient: QueryClient, queryKey: QueryKey): void {
  const timers = pending.get(queryClient) ?? new Map<string, ReturnType<typeof setTimeout>>();
  pending.set(queryClient, timers);
  const id = JSON.stringify(queryKey);
  if (timers.has(id)) return;
  timers.set(
    id,
    setTimeout(() => {
      timers.delete(id);
      void queryClient.invalidateQueries({ queryKey });
    }, COALESCE_MS),
  );
}

function isNumber(data: Data): data is WhatsAppNumber & Data {
  return typeof data.id === "number" && typeof data.health === "object" && data.health !== null;
}

function numberUpdated(queryClient: QueryClient, data: Data): void {
  if (isNumber(data)) {
    let known = false;
    queryClient.setQueryData<WhatsAppNumber[]>(NUMBERS_KEY, (numbers) =>
      numbers?.map((number) => {
        if (number.id !== data.id) return number;
        known = true;
        return data;
      }),
    );
    if (known) return;
  }
  // A partial event, or a number we have not seen yet: ask the API.
  void queryClient.invalidateQueries({ queryKey: NUMBERS_KEY });
}

function isMessage(data: Data): data is Message & Data {
  return typeof data.id === "number" && typeof data.conversation_id === "number";
}

function messageChanged(queryClient: QueryClient, data: Data, created: boolean): void {
  if (!isMessage(data)) return;
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
  // Whoever was typing has answered.
  if (created && data.direction !== "in") {
    queryClient.setQueryData<Typing | null>(typingKey(data.conversation_id), null);
  }
}

function isConversation(data: Data): data is Conversation & Data {
  return typeof data.id === "number" && typeof data.doctor === "object" && data.doctor !== null;
}

function conversationUpdated(queryClient: QueryClient, data: Data): void {
  if (!isConversation(data)) return;
  const known = storeConversation(queryClient, data);
  // A conversation no list shows yet (new, or now matching a filter): ask once for the lists.
  if (!known) invalidateSoon(queryClient, CONVERSATIONS_KEY);
}

function noteCreated(queryClient: QueryClient, data: Data): void {
  if (typeof data.id === "number" && typeof data.conversation_id === "number")
    addNote(queryClient, data as Note & Data);
}

function typing(queryClient: QueryClient, data: Data): void {
  const conversationId = data.conversation_id;
  const actor = data.actor as { kind?: string; user_id?: number; name?: string; agent?: string };
  if (typeof conversationId !== "number" || !actor) return;
  const me = queryClient.getQueryData<User | null>(ME_KEY);
  if (actor.kind === "admin" && me && actor.user_id === me.id) return;
  const name = actor.kind === "ai" ? `AI · ${actor.agent ?? "agent"}` : (actor.name ?? "Someone");
  const value: Typing = { name, active: data.active !== false, at: Date.now() };
  queryClient.setQueryData<Typing | null>(typingKey(conversationId), value);
}

function draftChanged(queryClient: QueryClient, data: Data): void {
  if (typeof data.id !== "number" || typeof data.status !== "string") return;
  const draft = data as Draft & Data;
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

function crashReportCreated(queryClient: QueryClient, data: Data): void {
  if (typeof data.id === "number" && typeof data.stack_trace === "string") {
    addCrashReport(queryClient, data as CrashReport & Data);
  }
  // Every option of a critical agent failed: its health has changed too.
  invalidateSoon(queryClient, AGENTS_KEY);
}

function notificationCreated(queryClient: QueryClient, data: Data): void {
  if (typeof data.id !== "number" || typeof data.title !== "string") return;
  const notification = data as Notification & Data;
  queryClient.setQueryData<NotificationPage>(NOTIFICATIONS_KEY, (page) =>
    page && !page.items.some((item) => item.id === notification.id)
      ? { ...page, items: [notification, ...page.items] }
      : page,
  );
}

const HANDLERS: Record<string, (queryClient: QueryClient, data: Data) => void> = {
  "number.updated": numberUpdated,
  "message.created": (queryClient, data) => messageChanged(queryClient, data, true),
  "message.updated": (queryClient, data) => messageChanged(queryClient, data, false),
  "conversation.updated": conversationUpdated,
  "note.created": noteCreated,
  typing,
  "draft.created": draftChanged,
  "draft.updated": draftChanged,
  "notification.created": notificationCreated,
  // The event carries the setting, not the health: ask for the health again.
  "agent.updated": (queryClient) => invalidateSoon(queryClient, AGENTS_KEY),
  "crash_report.created": crashReportCreated,
  "settings.updated": (queryClient, data) => {
    if (typeof data.business_name === "string") {
      storeSettings(queryClient, data as WorkspaceSettings & Data);
    }
  },
};

export function applyEvent(queryClient: QueryClient, event: RealtimeEvent): void {
  HANDLERS[event.type]?.(queryClient, event.data);
}
