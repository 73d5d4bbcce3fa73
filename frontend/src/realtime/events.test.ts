import { QueryClient } from "@tanstack/react-query";
import type { WhatsAppNumber } from "../api/client";
import { NUMBERS_KEY } from "../numbers/queries";
import { aNumber } from "../test/fixtures";
import { applyEvent } from "./events";

describe("number.updated", () => {
  it("replaces the number in the cached list without a request", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(NUMBERS_KEY, [
      aNumber({ id: 1 }),
      aNumber({ id: 2, label: "Courses" }),
    ]);
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    const paused = aNumber(
      { id: 2, label: "Courses" },
      { paused: true, paused_reason: "Error 368" },
    );

    applyEvent(queryClient, {
      type: "number.updated",
      data: paused as unknown as Record<string, unknown>,
    });

    const cached = queryClient.getQueryData<WhatsAppNumber[]>(NUMBERS_KEY);
    expect(cached?.map((n) => n.health.paused)).toEqual([false, true]);
    expect(invalidate).not.toHaveBeenCalled();
  });

  it("refetches for a number it does not know or a partial event", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(NUMBERS_KEY, [aNumber({ id: 1 })]);
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");

    applyEvent(queryClient, {
      type: "number.updated",
      data: aNumber({ id: 9 }) as unknown as Record<string, unknown>,
    });
    applyEvent(queryClient, { type: "number.updated", data: { id: 1 } });

    expect(invalidate).toHaveBeenCalledTimes(2);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: NUMBERS_KEY });
  });

  it("ignores events it has no use for yet", () => {
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    applyEvent(queryClient, { type: "typing", data: { conversation_id: 1 } });
    expect(invalidate).not.toHaveBeenCalled();
  });
});
