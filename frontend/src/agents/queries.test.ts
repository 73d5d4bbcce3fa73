import { QueryClient } from "@tanstack/react-query";
import type { CrashReport } from "../api/client";
import { applyEvent } from "../realtime/events";
import { AGENTS_KEY, CRASH_REPORTS_KEY, type CrashReportPages } from "./queries";

function report(id: number): CrashReport {
  return {
    id,
    agent: "acknowledgement",
    message_id: null,
    conversation_id: null,
    occurred_at: "2026-11-25T10:00:00+00:00",
    error_type: "RuntimeError",
    error: "boom",
    stack_trace: "Traceback …",
  };
}

describe("crash_report.created", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("puts the report on top of the list once, and asks for the agents' health again", () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<CrashReportPages>(CRASH_REPORTS_KEY, {
      pages: [
        { items: [report(2)], next_cursor: 2 },
        { items: [report(1)], next_cursor: null },
      ],
      pageParams: [null, 2],
    });
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    const event = { type: "crash_report.created", data: report(3) } as const;

    applyEvent(queryClient, event);
    applyEvent(queryClient, event);

    const pages = queryClient.getQueryData<CrashReportPages>(CRASH_REPORTS_KEY)!.pages;
    expect(pages.map((page) => page.items.map((item) => item.id))).toEqual([[3, 2], [1]]);
    vi.runAllTimers();
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(invalidate).toHaveBeenCalledWith({ queryKey: AGENTS_KEY });
  });

  it("leaves a list nobody has loaded alone", () => {
    const queryClient = new QueryClient();
    applyEvent(queryClient, { type: "crash_report.created", data: report(3) });
    expect(queryClient.getQueryData(CRASH_REPORTS_KEY)).toBeUndefined();
  });
});
