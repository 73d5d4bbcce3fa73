import { QueryClient } from "@tanstack/react-query";
import type { Notification, NotificationPage } from "../api/client";
import { campaignKey } from "../campaigns/queries";
import { NUMBERS_KEY } from "../numbers/queries";
import { NOTIFICATIONS_KEY } from "../overview/queries";
import { aNumber } from "../test/fixtures";
import { applyEvent, applyIncoming } from "./events";

function aNotification(id: number): Notification {
  return {
    id,
    kind: "conversation.human_requested",
    title: "Dr. Rao asked to talk to a person",
    body: null,
    conversation_id: 7,
    created_at: "2026-11-25T10:00:00+00:00",
    dismissed_at: null,
    dismissed_by_user_id: null,
  };
}

function withNotifications(): QueryClient {
  const queryClient = new QueryClient();
  queryClient.setQueryData<NotificationPage>(NOTIFICATIONS_KEY, {
    items: [aNotification(1)],
    next_cursor: null,
  });
  return queryClient;
}

const shown = (queryClient: QueryClient) =>
  queryClient.getQueryData<NotificationPage>(NOTIFICATIONS_KEY)!.items.map((item) => item.id);

describe("number.updated", () => {
  it("names the number: the list is read again, with its traffic", () => {
    const queryClient = new QueryClient();
    const numbers = [aNumber({ id: 1 }), aNumber({ id: 2, label: "Courses" })];
    queryClient.setQueryData(NUMBERS_KEY, numbers);
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");

    applyEvent(queryClient, { type: "number.updated", data: { id: 2 } });
    applyEvent(queryClient, { type: "number.updated", data: { id: 9 } });

    expect(invalidate).toHaveBeenCalledTimes(2);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: NUMBERS_KEY });
    expect(queryClient.getQueryData(NUMBERS_KEY)).toBe(numbers);
  });
});

describe("events off the socket", () => {
  it("applies an event of a type the dashboard knows", () => {
    const queryClient = withNotifications();
    applyIncoming(queryClient, {
      type: "notification.created",
      data: { ...aNotification(2) },
    });
    expect(shown(queryClient)).toEqual([2, 1]);
  });

  it("ignores types it does not know: the server may be newer than the page", () => {
    const queryClient = withNotifications();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    for (const type of ["notification.archived", "toString", "__proto__", "hello", "pong"]) {
      applyIncoming(queryClient, { type, data: { ...aNotification(3) } });
    }
    expect(shown(queryClient)).toEqual([1]);
    expect(invalidate).not.toHaveBeenCalled();
  });

  it("ignores data that is not an object", () => {
    const queryClient = withNotifications();
    for (const data of [null, [aNotification(3)], "3"]) {
      applyIncoming(queryClient, {
        type: "notification.created",
        data: data as unknown as Record<string, unknown>,
      });
    }
    expect(shown(queryClient)).toEqual([1]);
  });
});

describe("campaign.progress", () => {
  it("updates the campaign on screen in place, and reads its new times on a new status", () => {
    const queryClient = new QueryClient();
    const counts = { total: 4, pending: 4, sent: 0, failed: 0, skipped: 0 };
    queryClient.setQueryData(campaignKey(3), { id: 3, name: "CME", status: "running", counts });
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    vi.useFakeTimers();
    try {
      applyEvent(queryClient, {
        type: "campaign.progress",
        data: {
          id: 3,
          status: "completed",
          counts: { ...counts, pending: 0, sent: 4 },
          paused_reason: null,
        },
      });
      expect(queryClient.getQueryData(campaignKey(3))).toMatchObject({
        name: "CME",
        status: "completed",
        counts: { sent: 4, pending: 0 },
      });
      vi.runAllTimers();
    } finally {
      vi.useRealTimers();
    }
    expect(invalidate).toHaveBeenCalledWith({ queryKey: campaignKey(3) });
  });
});
