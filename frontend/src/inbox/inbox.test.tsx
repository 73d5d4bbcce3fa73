import { QueryClient } from "@tanstack/react-query";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, vi } from "vitest";
import type { Conversation, Draft, DraftPage, Message, Template } from "../api/client";
import { PENDING_DRAFTS_KEY } from "../approvals/queries";
import { applyEvent, type EventData } from "../realtime/events";
import { aUser, fakeFetch } from "../test/fixtures";
import { renderWithProviders } from "../test/render";
import { headerFileProblem } from "./attachments";
import { Composer, templateMessage } from "./Composer";
import { MessageBubble, tickFor } from "./MessageBubble";
import {
  CONVERSATIONS_KEY,
  conversationKey,
  conversationsKey,
  messagesKey,
  oldestFirst,
  typingKey,
  type ConversationPages,
  type MessagePages,
} from "./queries";
import { Thread } from "./Thread";

function aMessage(overrides: Partial<Message> = {}): Message {
  return {
    id: 1,
    conversation_id: 7,
    number_id: 1,
    wa_id: "919811122233",
    direction: "out",
    wamid: "wamid.1",
    type: "text",
    text: "Hello",
    payload: {},
    status: "sent",
    created_at: "2025-01-01T10:00:00+00:00",
    timestamp: null,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    played_at: null,
    failed_at: null,
    error_code: null,
    error_title: null,
    error_reason: null,
    sender_kind: "admin",
    sender_user_id: 1,
    sender_agent: null,
    sender: { kind: "admin", label: "Admin · Priya", agent: null, user_id: 1, user_name: "Priya" },
    html: "Hello",
    context_wamid: null,
    media_file_id: null,
    attempts: 1,
    next_attempt_at: null,
    ...overrides,
  };
}

function aConversation(overrides: Partial<Conversation> = {}): Conversation {
  return {
    id: 7,
    doctor: {
      id: 3,
      wa_id: "919811122233",
      user_id: "IN.1648738043044942",
      username: null,
      name: "Dr. Rao",
      profile_name: null,
      display_name: "Dr. Rao",
      tags: [],
      marketing_opted_out: false,
      unreachable_reason: null,
    },
    number: { id: 1, label: "Sales", display_phone_number: "15550100001" },
    mode: "ai",
    status: "open",
    assigned_user: null,
    unread_count: 0,
    created_at: "2025-01-01T10:00:00+00:00",
    last_message_at: "2025-01-01T10:00:00+00:00",
    last_inbound_at: "2025-01-01T10:00:00+00:00",
    awaiting_since: null,
    window_open: true,
    window_closes_at: "2025-01-02T10:00:00+00:00",
    last_message: null,
    ...overrides,
  };
}

function aDraft(overrides: Partial<Draft> = {}): Draft {
  const { doctor, number } = aConversation();
  return {
    id: 1,
    conversation_id: 7,
    doctor,
    number,
    status: "pending",
    agent: "smart_reply",
    reason: "draft mode",
    type: "text",
    payload: { body: "Hello" },
    text: "Hello",
    html: "Hello",
    template_category: null,
    context_wamid: null,
    created_at: "2025-01-01T10:00:00+00:00",
    decided_at: null,
    decided_by: null,
    edited_type: null,
    edited_payload: null,
    rejection_reason: null,
    message_id: null,
    sources: [],
    answers: [],
    recent: [],
    ...overrides,
  };
}

describe("ticks", () => {
  it("says how far an outbound message got, and why it failed or was cancelled", () => {
    expect(tickFor(aMessage({ status: "queued" })).label).toBe("Waiting to send");
    expect(tickFor(aMessage({ status: "sent" })).mark).toBe("✓");
    expect(tickFor(aMessage({ status: "delivered" })).mark).toBe("✓✓");
    expect(tickFor(aMessage({ status: "read" }))).toMatchObject({ mark: "✓✓", tone: "read" });
    expect(tickFor(aMessage({ status: "failed", error_reason: "Window closed" })).label).toBe(
      "Failed: Window closed",
    );
    expect(tickFor(aMessage({ status: "cancelled", error_reason: "Taken over" })).label).toBe(
      "Cancelled: Taken over",
    );
  });

  it("labels the sender, renders WhatsApp formatting, and shows a failure in words", () => {
    renderWithProviders(
      <ol>
        <MessageBubble
          message={aMessage({
            status: "failed",
            text: "*₹4,500* per box",
            error_reason: "Re-engagement message",
          })}
        />
      </ol>,
    );
    expect(screen.getByText("Admin · Priya")).toBeInTheDocument();
    expect(screen.getByText("₹4,500").tagName).toBe("STRONG");
    expect(screen.getByText("Failed: Re-engagement message")).toBeInTheDocument();
  });
});

describe("live inbox events", () => {
  it("adds a new message once and updates its status in place", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<MessagePages>(messagesKey(7), {
      pages: [{ items: [aMessage({ id: 2 }), aMessage({ id: 1 })], next_cursor: null }],
      pageParams: [null],
    });
    const created = aMessage({ id: 3, status: "queued" });
    applyEvent(queryClient, { type: "message.created", data: created });
    applyEvent(queryClient, { type: "message.created", data: created });
    applyEvent(queryClient, { type: "message.updated", data: { ...created, status: "read" } });

    const thread = oldestFirst(queryClient.getQueryData<MessagePages>(messagesKey(7)));
    expect(thread.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(thread.at(-1)?.status).toBe("read");
  });

  it("applies receipts' ticks in place to the thread and the lists, never moving one back", () => {
    const queryClient = new QueryClient();
    const readAt = "2025-01-01T10:05:00Z";
    queryClient.setQueryData<MessagePages>(messagesKey(7), {
      pages: [
        {
          items: [
            aMessage({ id: 4, status: "failed", error_reason: "Not on WhatsApp" }),
            aMessage({ id: 3, status: "read", read_at: readAt }),
            aMessage({ id: 2, status: "accepted" }),
            aMessage({ id: 1, status: "sent" }),
          ],
          next_cursor: null,
        },
      ],
      pageParams: [null],
    });
    const lastMessage = {
      id: 2,
      direction: "out",
      type: "text",
      text: "Hello",
      status: "accepted",
      sender_kind: "admin",
      created_at: "2025-01-01T10:00:00+00:00",
    };
    const listKey = conversationsKey({ status: "open" });
    queryClient.setQueryData<ConversationPages>(listKey, {
      pages: [
        {
          items: [
            aConversation({ id: 7, last_message: lastMessage }),
            aConversation({ id: 8, last_message: { ...lastMessage, id: 9, status: "read" } }),
          ],
          next_cursor: null,
        },
      ],
      pageParams: [null],
    });
    queryClient.setQueryData(
      conversationKey(7),
      aConversation({ id: 7, last_message: lastMessage }),
    );
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    const tick = (id: number, conversationId: number, status: "sent" | "delivered" | "read") => ({
      id,
      conversation_id: conversationId,
      status,
      timestamp: "2025-01-01T10:09:00Z",
      sent_at: "2025-01-01T10:01:00Z",
      delivered_at: status === "sent" ? null : "2025-01-01T10:09:00Z",
      read_at: null,
      played_at: null,
    });

    applyEvent(queryClient, {
      type: "messages.status_changed",
      data: {
        messages: [
          tick(1, 7, "delivered"),
          tick(2, 7, "sent"),
          tick(3, 7, "delivered"), // late: read already
          tick(4, 7, "read"), // a failure stays one
          tick(9, 8, "delivered"), // late, as the list shows it
          tick(20, 30, "read"), // a thread nobody has open
        ],
      },
    });

    const thread = oldestFirst(queryClient.getQueryData<MessagePages>(messagesKey(7)));
    expect(thread.map((m) => [m.id, m.status])).toEqual([
      [1, "delivered"],
      [2, "sent"],
      [3, "read"],
      [4, "failed"],
    ]);
    expect(thread[0]).toMatchObject({
      sent_at: "2025-01-01T10:01:00Z",
      delivered_at: "2025-01-01T10:09:00Z",
      timestamp: "2025-01-01T10:09:00Z",
    });
    expect(thread[2]!.read_at).toBe(readAt);
    const listed = queryClient.getQueryData<ConversationPages>(listKey)!.pages[0]!.items;
    expect(listed.map((c) => [c.id, c.last_message?.status])).toEqual([
      [7, "sent"],
      [8, "read"],
    ]);
    expect(queryClient.getQueryData<Conversation>(conversationKey(7))!.last_message?.status).toBe(
      "sent",
    );
    expect(queryClient.getQueryData(messagesKey(30))).toBeUndefined();
    expect(invalidate).not.toHaveBeenCalled();
  });

  it("moves an updated conversation to the top without asking the server", () => {
    const queryClient = new QueryClient();
    const key = conversationsKey({ status: "open" });
    queryClient.setQueryData<ConversationPages>(key, {
      pages: [
        {
          items: [
            aConversation({ id: 1, last_message_at: "2025-01-01T11:00:00+00:00" }),
            aConversation({ id: 7 }),
          ],
          next_cursor: null,
        },
      ],
      pageParams: [null],
    });
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    applyEvent(queryClient, {
      type: "conversation.updated",
      data: aConversation({ id: 7, unread_count: 2, last_message_at: "2025-01-01T12:00:00+00:00" }),
    });
    const items = queryClient.getQueryData<ConversationPages>(key)!.pages[0]!.items;
    expect(items.map((c) => [c.id, c.unread_count])).toEqual([
      [7, 2],
      [1, 0],
    ]);
    expect(invalidate).not.toHaveBeenCalled();
  });

  it("drops a conversation merged into another from every list", () => {
    const queryClient = new QueryClient();
    const key = conversationsKey({ status: "open" });
    queryClient.setQueryData<ConversationPages>(key, {
      pages: [{ items: [aConversation({ id: 7 }), aConversation({ id: 1 })], next_cursor: null }],
      pageParams: [null],
    });
    applyEvent(queryClient, { type: "conversation.removed", data: { id: 7, merged_into: 1 } });
    const items = queryClient.getQueryData<ConversationPages>(key)!.pages[0]!.items;
    expect(items.map((c) => c.id)).toEqual([1]);
  });

  it("reads a campaign's threads and the lists again, the lists once a second at most", () => {
    const queryClient = new QueryClient();
    const thread = (id: number, newest: number): MessagePages => ({
      pages: [{ items: [aMessage({ id: newest, conversation_id: id })], next_cursor: null }],
      pageParams: [null],
    });
    queryClient.setQueryData(messagesKey(7), thread(7, 4));
    queryClient.setQueryData(messagesKey(8), thread(8, 12));
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    const refetched = () => invalidate.mock.calls.map(([filters]) => filters?.queryKey);
    vi.useFakeTimers();
    try {
      // Chunks of a campaign, twice a second: thread 7 lacks its new message, 8 has its own.
      for (const chunk of [0, 1, 2]) {
        applyEvent(queryClient, {
          type: "conversations.touched",
          data: {
            conversations: [
              { id: 7, last_message_id: 9 + chunk },
              { id: 8, last_message_id: 12 },
              { id: 30 + chunk, last_message_id: 40 + chunk },
            ],
          },
        });
        vi.advanceTimersByTime(500);
      }
      vi.runAllTimers();
    } finally {
      vi.useRealTimers();
    }
    const lists = refetched().filter((key) => key === CONVERSATIONS_KEY);
    expect(lists).toHaveLength(2);
    expect(refetched()).toContainEqual(messagesKey(7));
    expect(refetched()).toContainEqual(conversationKey(7));
    expect(refetched()).not.toContainEqual(messagesKey(8));
    expect(refetched()).not.toContainEqual(messagesKey(30));
  });

  it("shows who is typing, but not oneself", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(["me"], aUser({ id: 1 }));
    const typing = (actor: EventData["typing"]["actor"]) =>
      applyEvent(queryClient, {
        type: "typing",
        data: { conversation_id: 7, active: true, actor },
      });
    typing({ kind: "admin", user_id: 1, name: "Me" });
    expect(queryClient.getQueryData(typingKey(7))).toBeUndefined();
    typing({ kind: "admin", user_id: 2, name: "Priya" });
    expect(queryClient.getQueryData(typingKey(7))).toMatchObject({ name: "Priya", active: true });
    typing({ kind: "ai", agent: "master" });
    expect(queryClient.getQueryData(typingKey(7))).toMatchObject({ name: "AI · master" });
  });

  it("keeps the approval queue to pending drafts", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<DraftPage>(PENDING_DRAFTS_KEY, { items: [], next_cursor: null });
    const draft = aDraft({ id: 5, status: "pending" });
    applyEvent(queryClient, { type: "draft.created", data: draft });
    expect(queryClient.getQueryData<DraftPage>(PENDING_DRAFTS_KEY)!.items).toHaveLength(1);
    applyEvent(queryClient, { type: "draft.updated", data: { ...draft, status: "approved" } });
    expect(queryClient.getQueryData<DraftPage>(PENDING_DRAFTS_KEY)!.items).toHaveLength(0);
  });
});

describe("templates", () => {
  it("fills each component's variables, named or positional", () => {
    const positional = {
      name: "follow_up",
      language: "en",
      parameter_format: "POSITIONAL",
      variables: { body: ["1", "2"], "button:0": ["1"] },
    } as Pick<Template, "name" | "language" | "parameter_format" | "variables">;
    expect(
      templateMessage(positional, { "body.1": "Dr. Rao", "body.2": "Friday", "button:0.1": "x" }),
    ).toEqual({
      type: "template",
      template: {
        name: "follow_up",
        language: { code: "en" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Dr. Rao" },
              { type: "text", text: "Friday" },
            ],
          },
          {
            type: "button",
            sub_type: "url",
            index: "0",
            parameters: [{ type: "text", text: "x" }],
          },
        ],
      },
    });
    const named = { ...positional, parameter_format: "NAMED", variables: { body: ["first_name"] } };
    expect(templateMessage(named, { "body.first_name": "Asha" }).template).toMatchObject({
      components: [
        {
          type: "body",
          parameters: [{ type: "text", parameter_name: "first_name", text: "Asha" }],
        },
      ],
    });
  });
});

describe("a template with a file header", () => {
  const brochure: Template = {
    id: 5,
    waba_id: "1001",
    template_id: "t5",
    name: "course_brochure",
    language: "en",
    status: "APPROVED",
    sendable: true,
    category: "MARKETING",
    parameter_format: "POSITIONAL",
    quality: null,
    rejected_reason: null,
    components: [
      { type: "HEADER", format: "DOCUMENT" },
      { type: "BODY", text: "Dr. {{1}}, the brochure for {{2}} is attached." },
    ],
    header_format: "DOCUMENT",
    header_text: null,
    body_text: "Dr. {{1}}, the brochure for {{2}} is attached.",
    footer_text: null,
    button_texts: [],
    variables: { body: ["1", "2"] },
    synced_at: "2026-12-01T10:00:00+00:00",
    updated_at: "2026-12-01T10:00:00+00:00",
  };

  afterEach(() => vi.unstubAllGlobals());

  it("puts the header file first, a document with its name", () => {
    expect(
      templateMessage(
        brochure,
        { "body.1": "Rao", "body.2": "Laparoscopy" },
        { kind: "document", mediaFileId: 31, filename: "Laparoscopy CME.pdf" },
      ).template,
    ).toHaveProperty("components", [
      {
        type: "header",
        parameters: [
          {
            type: "document",
            document: { media_file_id: 31, filename: "Laparoscopy CME.pdf" },
          },
        ],
      },
      {
        type: "body",
        parameters: [
          { type: "text", text: "Rao" },
          { type: "text", text: "Laparoscopy" },
        ],
      },
    ]);
  });

  it("refuses a file of another kind with what the header needs", () => {
    const photo = { name: "stapler.png", type: "image/png", size: 2_000 };
    const pdf = { name: "brochure.pdf", type: "application/pdf", size: 2_000 };
    expect(headerFileProblem(photo, "document")).toBe(
      "stapler.png cannot be this template's header: it needs a PDF or Office document.",
    );
    expect(headerFileProblem(pdf, "document")).toBeNull();
    expect(headerFileProblem({ ...pdf, size: 0 }, "document")).toBe("brochure.pdf is empty.");
  });

  it("asks for the header file, then previews the template with it", async () => {
    const preview = {
      can_send: true,
      problems: [],
      rendered: {
        type: "template",
        text: "Dr. Rao, the brochure for Laparoscopy is attached.",
        html: null,
        buttons: [],
        list_rows: [],
      },
      number: { id: 1, label: "Sales", display_phone_number: "15550100001" },
      number_can_send: true,
      to: "919811122233",
      recipient: null,
      window_open: false,
      window_closes_at: null,
      template_required: false,
      lengths: [],
      marketing_opted_out: false,
      unreachable_reason: null,
      mode: "ai",
      request: null,
    };
    const fake = fakeFetch({
      "GET /api/v1/templates": { status: 200, body: { items: [brochure], syncs: [] } },
      "POST /api/v1/media": { status: 201, body: { id: 31, filename: "Laparoscopy CME.pdf" } },
      "POST /api/v1/conversations/7/messages": { status: 200, body: preview },
    });
    vi.stubGlobal("fetch", fake.fetch);
    const user = userEvent.setup({ applyAccept: false });
    renderWithProviders(<Composer conversation={aConversation({ window_open: false })} />, {
      user: aUser({ role: "agent" }),
    });

    const box = screen.getByRole("combobox", { name: "Template" });
    await user.click(box);
    const list = await waitFor(() => {
      const found = document.getElementById(box.getAttribute("aria-controls") ?? "");
      expect(found).not.toBeNull();
      return found!;
    });
    await user.click(
      within(list).getByRole("option", { name: "course_brochure (en)", hidden: true }),
    );
    expect(screen.getByText("course_brochure needs a document for its header.")).toBeVisible();
    const send = screen.getByRole("button", { name: "Preview and send" });
    expect(send).toBeDisabled();

    const picker = () =>
      within(screen.getByRole("group", { name: "Header file" })).getByText(
        "Attach the header document",
      );
    const input = () => document.querySelector<HTMLInputElement>('input[type="file"]')!;
    expect(input()).toHaveAttribute("accept", expect.stringContaining("application/pdf"));
    expect(input()).not.toHaveAttribute("accept", expect.stringContaining("image/png"));
    await user.upload(input(), new File(["png"], "stapler.png", { type: "image/png" }));
    expect(screen.getByRole("alert")).toHaveTextContent(
      "stapler.png cannot be this template's header: it needs a PDF or Office document.",
    );
    expect(picker()).toBeInTheDocument();
    expect(send).toBeDisabled();

    await user.upload(
      input(),
      new File(["%PDF-1.4"], "Laparoscopy CME.pdf", { type: "application/pdf" }),
    );
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Header file" })).toHaveTextContent(
      "Laparoscopy CME.pdf",
    );
    await user.type(screen.getByRole("textbox", { name: /Body \{\{1\}\}/ }), "Rao");
    await user.type(screen.getByRole("textbox", { name: /Body \{\{2\}\}/ }), "Laparoscopy");
    await user.click(send);

    const dialog = await screen.findByRole("dialog", { name: "Preview before sending" });
    expect(dialog).toHaveTextContent("Laparoscopy CME.pdf");
    const sent = fake.calls.find((call) => call.url.endsWith("/conversations/7/messages"))!;
    expect(
      ((await sent.json()) as { template: { components: unknown[] } }).template.components[0],
    ).toEqual({
      type: "header",
      parameters: [
        { type: "document", document: { media_file_id: 31, filename: "Laparoscopy CME.pdf" } },
      ],
    });
  });
});

describe("Thread", () => {
  it("gives a viewer no composer and no takeover", async () => {
    const { queryClient } = renderWithProviders(<Thread conversationId={7} />, {
      user: aUser({ role: "viewer" }),
    });
    queryClient.setQueryData(["conversation", 7], aConversation());
    queryClient.setQueryData<MessagePages>(messagesKey(7), {
      pages: [{ items: [aMessage()], next_cursor: null }],
      pageParams: [null],
    });
    expect(await screen.findByText(/your role cannot send messages/)).toBeInTheDocument();
    expect(screen.queryByRole("textbox", { name: "Message" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Take over" })).not.toBeInTheDocument();
  });

  it("switches to the template picker when the window is closed", async () => {
    const { queryClient } = renderWithProviders(<Thread conversationId={7} />, {
      user: aUser({ role: "agent" }),
    });
    queryClient.setQueryData(["conversation", 7], aConversation({ window_open: false }));
    queryClient.setQueryData<MessagePages>(messagesKey(7), {
      pages: [{ items: [], next_cursor: null }],
      pageParams: [null],
    });
    queryClient.setQueryData(["templates", 1, "APPROVED"], { items: [], syncs: [] });
    expect(await screen.findByText(/window is closed/)).toBeInTheDocument();
    expect(screen.getAllByLabelText("Template").length).toBeGreaterThan(0);
    expect(screen.getByText(/no approved template/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Take over" })).toBeInTheDocument();
  });

  it("shows a doctor who wrote by username without a phone number", async () => {
    const { queryClient } = renderWithProviders(<Thread conversationId={7} />, {
      user: aUser({ role: "viewer" }),
    });
    const doctor = {
      ...aConversation().doctor,
      wa_id: null,
      username: "dr.ananya.obgyn",
      name: null,
      display_name: "@dr.ananya.obgyn",
    };
    queryClient.setQueryData(["conversation", 7], aConversation({ doctor }));
    queryClient.setQueryData<MessagePages>(messagesKey(7), {
      pages: [{ items: [], next_cursor: null }],
      pageParams: [null],
    });
    expect(await screen.findByRole("heading", { name: "@dr.ananya.obgyn" })).toBeInTheDocument();
    expect(
      screen.getByText(/@dr\.ananya\.obgyn \(no phone number shared\) · Sales/),
    ).toBeInTheDocument();
  });
});
