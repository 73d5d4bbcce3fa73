/** The team inbox: conversations, their threads, notes, typing, and what an admin does there. */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryKey,
} from "@tanstack/react-query";
import {
  api,
  unwrap,
  type Conversation,
  type ConversationPage,
  type ConversationUpdate,
  type Message,
  type MessageCreate,
  type MessagePage,
  type Note,
  type Preview,
  type User,
} from "../api/client";
import type { components as EventSchemas } from "../api/events";
import { ME_KEY } from "../auth/session";
import { useFallbackPolling } from "../realtime/connection";

export type ConversationFilters = {
  q?: string;
  mode?: Conversation["mode"];
  status?: Conversation["status"];
  unread?: boolean;
  assigned?: string;
  /** The "awaiting our reply" queue: longest waiting first. */
  awaiting?: boolean;
};

/** Every conversation list, whatever its filters. */
export const CONVERSATIONS_KEY = ["conversations"] as const;
export const conversationsKey = (filters: ConversationFilters) =>
  [...CONVERSATIONS_KEY, filters] as const;
export const conversationKey = (id: number) => ["conversation", id] as const;
export const messagesKey = (id: number) => ["conversation", id, "messages"] as const;
export const notesKey = (id: number) => ["conversation", id, "notes"] as const;
export const typingKey = (id: number) => ["typing", id] as const;

export type ConversationPages = InfiniteData<ConversationPage, string | null>;
export type MessagePages = InfiniteData<MessagePage, number | null>;
/** How far an outbound message got, as a `messages.status_changed` event tells it. */
export type StatusChange = EventSchemas["schemas"]["MessageStatusChange"];

/** Someone else answering this conversation, as the last `typing` event said. */
export type Typing = { name: string; active: boolean; at: number };

const PAGE_SIZE = 30;

export function useConversations(filters: ConversationFilters) {
  const poll = useFallbackPolling();
  return useInfiniteQuery({
    queryKey: conversationsKey(filters),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/conversations", {
          params: {
            query: {
              q: filters.q || undefined,
              mode: filters.mode,
              status: filters.status,
              unread: filters.unread,
              assigned: filters.assigned,
              awaiting: filters.awaiting,
              limit: PAGE_SIZE,
              cursor: pageParam ?? undefined,
            },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
    refetchInterval: poll,
  });
}

export function useConversation(id: number) {
  return useQuery({
    queryKey: conversationKey(id),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/conversations/{conversation_id}", {
          params: { path: { conversation_id: id } },
        }),
      ),
  });
}

export function useMessages(id: number) {
  const poll = useFallbackPolling();
  return useInfiniteQuery({
    queryKey: messagesKey(id),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/conversations/{conversation_id}/messages", {
          params: {
            path: { conversation_id: id },
            query: { limit: PAGE_SIZE, before_id: pageParam ?? undefined },
          },
        }),
      ),
    initialPageParam: null as number | null,
    getNextPageParam: (page) => page.next_cursor,
    refetchInterval: poll,
  });
}

/** The API pages newest first; a thread reads oldest at the top. */
export function oldestFirst(pages: { pages: MessagePage[] } | undefined): Message[] {
  if (!pages) return [];
  const seen = new Set<number>();
  const all: Message[] = [];
  for (const page of pages.pages)
    for (const message of page.items)
      if (!seen.has(message.id)) {
        seen.add(message.id);
        all.push(message);
      }
  return all.sort((a, b) => a.id - b.id);
}

export function useNotes(id: number) {
  return useQuery({
    queryKey: notesKey(id),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/conversations/{conversation_id}/notes", {
          params: { path: { conversation_id: id } },
        }),
      ),
  });
}

export function useTyping(id: number) {
  return useQuery<Typing | null>({
    queryKey: typingKey(id),
    queryFn: () => null,
    enabled: false,
    staleTime: Infinity,
  });
}

/** Whether a list with these filters shows the conversation: "in", "out", or "keep" where
 * the dashboard cannot tell (a search; an unread list keeps the conversation being read). */
export function listVerdict(
  conversation: Conversation,
  filters: ConversationFilters,
  meId: number | undefined,
): "in" | "out" | "keep" {
  if (filters.status && conversation.status !== filters.status) return "out";
  if (filters.mode && conversation.mode !== filters.mode) return "out";
  if (filters.awaiting && !conversation.awaiting_since) return "out";
  if (filters.assigned === "none" && conversation.assigned_user) return "out";
  if (filters.assigned === "me" && meId !== undefined && conversation.assigned_user?.id !== meId)
    return "out";
  if (filters.q) return "keep";
  if (filters.unread && conversation.unread_count === 0) return "keep";
  return "in";
}

function placeInList(
  data: ConversationPages,
  conversation: Conversation,
  filters: ConversationFilters,
): ConversationPages {
  // The awaiting queue is in waiting order, which a wait in progress does not change.
  const top = data.pages[0]?.items.find((c) => c.id !== conversation.id);
  const newest =
    !filters.awaiting &&
    (!top || (conversation.last_message_at ?? "") >= (top.last_message_at ?? ""));
  const pages = data.pages.map((page) => ({
    ...page,
    items: newest
      ? page.items.filter((c) => c.id !== conversation.id)
      : page.items.map((c) => (c.id === conversation.id ? conversation : c)),
  }));
  if (newest) pages[0] = { ...pages[0]!, items: [conversation, ...pages[0]!.items] };
  return { ...data, pages };
}

/** A conversation as the API now has it: into its own cache and every list that shows it
 * (moved to the top when it has the newest activity), out of the lists whose filters it no
 * longer matches (closed, answered, reassigned). Answers whether any list knew it, and the
 * lists that should show it but do not have it yet (to fetch again). */
export function storeConversation(
  queryClient: ReturnType<typeof useQueryClient>,
  conversation: Conversation,
): { known: boolean; missingFrom: QueryKey[] } {
  queryClient.setQueryData(conversationKey(conversation.id), conversation);
  const meId = queryClient.getQueryData<User | null>(ME_KEY)?.id;
  let known = false;
  const missingFrom: QueryKey[] = [];
  for (const [key, data] of queryClient.getQueriesData<ConversationPages>({
    queryKey: CONVERSATIONS_KEY,
  })) {
    if (!data) continue;
    const filters = (key[1] ?? {}) as ConversationFilters;
    const listed = data.pages.some((page) => page.items.some((c) => c.id === conversation.id));
    known ||= listed;
    const verdict = listVerdict(conversation, filters, meId);
    if (!listed) {
      if (verdict === "in") missingFrom.push(key);
      continue;
    }
    queryClient.setQueryData<ConversationPages>(
      key,
      verdict === "out"
        ? {
            ...data,
            pages: data.pages.map((page) => ({
              ...page,
              items: page.items.filter((c) => c.id !== conversation.id),
            })),
          }
        : placeInList(data, conversation, filters),
    );
  }
  return { known, missingFrom };
}

/** How far each status is along: sent, delivered, read, played; failed and cancelled are
 * final, and a message not sent yet (queued, sending, accepted) is at the start. */
const STATUS_RANK: Record<string, number> = {
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
  failed: Infinity,
  cancelled: Infinity,
};

/** Whether a message's tick may move from `current` to `next`: only forward, as on the server
 * (a late "delivered" never undoes "read"; nothing undoes a failure). Events of two workers
 * can still arrive in either order. */
function tickAdvances(current: string, next: string): boolean {
  return (STATUS_RANK[next] ?? 0) > (STATUS_RANK[current] ?? 0);
}

function withTick(conversation: Conversation, changes: Map<number, StatusChange>): Conversation {
  const last = conversation.last_message;
  const change = last && changes.get(last.id);
  if (!last || !change || !tickAdvances(last.status, change.status)) return conversation;
  return { ...conversation, last_message: { ...last, status: change.status } };
}

/** Receipts moved these messages forward: applied in place to the threads that hold them and
 * to the conversations whose last message they are, never moving a tick back; nothing is read
 * again. */
export function storeStatusChanges(
  queryClient: ReturnType<typeof useQueryClient>,
  changes: StatusChange[],
): void {
  const byId = new Map(changes.map((change) => [change.id, change]));
  for (const conversationId of new Set(changes.map((change) => change.conversation_id))) {
    queryClient.setQueryData<MessagePages>(messagesKey(conversationId), (thread) => {
      if (!thread) return thread;
      let moved = false;
      const pages = thread.pages.map((page) => ({
        ...page,
        items: page.items.map((message) => {
          const change = byId.get(message.id);
          if (!change || !tickAdvances(message.status, change.status)) return message;
          moved = true;
          const { status, timestamp, sent_at, delivered_at, read_at, played_at } = change;
          return { ...message, status, timestamp, sent_at, delivered_at, read_at, played_at };
        }),
      }));
      return moved ? { ...thread, pages } : thread;
    });
    queryClient.setQueryData<Conversation>(
      conversationKey(conversationId),
      (conversation) => conversation && withTick(conversation, byId),
    );
  }
  queryClient.setQueriesData<ConversationPages>({ queryKey: CONVERSATIONS_KEY }, (data) => {
    if (!data) return data;
    let moved = false;
    const pages = data.pages.map((page) => ({
      ...page,
      items: page.items.map((conversation) => {
        const ticked = withTick(conversation, byId);
        moved ||= ticked !== conversation;
        return ticked;
      }),
    }));
    return moved ? { ...data, pages } : data;
  });
}

/** Drop a conversation that no longer exists (merged into another) from every cached list. */
export function forgetConversation(
  queryClient: ReturnType<typeof useQueryClient>,
  conversationId: number,
): void {
  queryClient.removeQueries({ queryKey: conversationKey(conversationId) });
  queryClient.setQueriesData<ConversationPages>({ queryKey: CONVERSATIONS_KEY }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.filter((c) => c.id !== conversationId),
          })),
        }
      : data,
  );
}

/** Close or reopen, or assign (`assigned_user_id`, null for nobody). */
export function useUpdateConversation(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ConversationUpdate) =>
      unwrap(
        api.PATCH("/api/v1/conversations/{conversation_id}", {
          params: { path: { conversation_id: id } },
          body,
        }),
      ),
    onSuccess: (conversation) => storeConversation(queryClient, conversation),
  });
}

/** The colleagues a conversation can be assigned to (active users who may answer doctors). */
export function useAssignees(enabled: boolean) {
  return useQuery({
    queryKey: ["conversations-assignees"],
    queryFn: () => unwrap(api.GET("/api/v1/conversations/assignees")),
    enabled,
    staleTime: 60_000,
  });
}

function useConversationAction(action: "takeover" | "release") {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => {
      const params = { params: { path: { conversation_id: id } } };
      return unwrap(
        action === "takeover"
          ? api.POST("/api/v1/conversations/{conversation_id}/takeover", params)
          : api.POST("/api/v1/conversations/{conversation_id}/release", params),
      );
    },
    onSuccess: (conversation) => storeConversation(queryClient, conversation),
  });
}

export const useTakeover = () => useConversationAction("takeover");

/** The doctor's messages read (with WhatsApp's read receipt), for a conversation someone has
 * open when a new message arrives in it. */
export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST("/api/v1/conversations/{conversation_id}/read", {
          params: { path: { conversation_id: id } },
        }),
      ),
    onSuccess: (conversation) => storeConversation(queryClient, conversation),
  });
}
export const useRelease = () => useConversationAction("release");

export function useSend(id: number) {
  return useMutation({
    mutationFn: (body: MessageCreate) =>
      unwrap(
        api.POST("/api/v1/conversations/{conversation_id}/messages", {
          params: { path: { conversation_id: id } },
          body,
        }),
      ),
  });
}

export function usePreview(id: number) {
  return useMutation({
    mutationFn: async (body: MessageCreate) =>
      (await unwrap(
        api.POST("/api/v1/conversations/{conversation_id}/messages", {
          params: { path: { conversation_id: id } },
          body: { ...body, preview: true },
        }),
      )) as Preview,
  });
}

export function sendTyping(id: number, active = true): Promise<unknown> {
  return unwrap(
    api.POST("/api/v1/conversations/{conversation_id}/typing", {
      params: { path: { conversation_id: id } },
      body: { active },
    }),
  );
}

export function useAddNote(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: string) =>
      unwrap(
        api.POST("/api/v1/conversations/{conversation_id}/notes", {
          params: { path: { conversation_id: id } },
          body: { body },
        }),
      ),
    onSuccess: (note) => addNote(queryClient, note),
  });
}

export function addNote(queryClient: ReturnType<typeof useQueryClient>, note: Note): void {
  queryClient.setQueryData<Note[]>(notesKey(note.conversation_id), (notes) =>
    notes && !notes.some((known) => known.id === note.id) ? [...notes, note] : notes,
  );
}

export function useTemplates(numberId: number, enabled: boolean) {
  return useQuery({
    queryKey: ["templates", numberId, "APPROVED"],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/templates", {
          params: { query: { number_id: numberId, status: "APPROVED" } },
        }),
      ),
    enabled,
    staleTime: 60_000,
  });
}

/** Keep a file to send (`POST /api/v1/media`); the same content is kept once. */
export function useUploadMedia() {
  return useMutation({
    mutationFn: (file: File) => {
      const form = new FormData();
      form.append("file", file, file.name);
      return unwrap(
        api.POST("/api/v1/media", {
          // The generated type describes the form's fields; the browser sends the FormData.
          body: { file: "" },
          bodySerializer: () => form,
        }),
      );
    },
  });
}
