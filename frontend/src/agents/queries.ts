/** Agent health, the admins' switches and crash reports. */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from "@tanstack/react-query";
import { api, unwrap, type CrashReport, type CrashReportPage } from "../api/client";
import { useFallbackPolling } from "../realtime/connection";

export const AGENTS_KEY = ["agents"] as const;
export const CRASH_REPORTS_KEY = ["crash-reports"] as const;
export const CRASH_REPORTS_PAGE = 20;

/** Error rates and latencies move without an event: refresh them every `refreshMs` anyway. */
export function useAgents({ refreshMs = 60_000 }: { refreshMs?: number } = {}) {
  const poll = useFallbackPolling();
  return useQuery({
    queryKey: AGENTS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/agents")),
    refetchInterval: poll ? Math.min(poll, refreshMs) : refreshMs,
  });
}

export function useSwitchAgent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ name, disable, reason }: { name: string; disable: boolean; reason?: string }) =>
      disable
        ? unwrap(
            api.POST("/api/v1/agents/{name}/disable", {
              params: { path: { name } },
              body: { reason: reason || null },
            }),
          )
        : unwrap(api.POST("/api/v1/agents/{name}/enable", { params: { path: { name } } })),
    // The answer is the switch; the health that follows from it comes with the list. Waiting
    // for it keeps the button busy until the page shows the new state.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: AGENTS_KEY }),
  });
}

export type CrashReportPages = InfiniteData<CrashReportPage, number | null>;

export function useCrashReports() {
  return useInfiniteQuery({
    queryKey: CRASH_REPORTS_KEY,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/crash-reports", {
          params: { query: { limit: CRASH_REPORTS_PAGE, before_id: pageParam ?? undefined } },
        }),
      ),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: useFallbackPolling(),
  });
}

/** A report filed just now (live event) goes on top of the first page, once. */
export function addCrashReport(queryClient: QueryClient, report: CrashReport): void {
  queryClient.setQueryData<CrashReportPages>(CRASH_REPORTS_KEY, (data) => {
    const [first, ...rest] = data?.pages ?? [];
    if (!data || !first) return data;
    if (data.pages.some((page) => page.items.some((item) => item.id === report.id))) return data;
    return { ...data, pages: [{ ...first, items: [report, ...first.items] }, ...rest] };
  });
}
