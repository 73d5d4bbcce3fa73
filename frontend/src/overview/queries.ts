/** The team's notifications and the traffic trend, shown on the overview. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type NotificationPage } from "../api/client";
import { useFallbackPolling } from "../realtime/connection";

export const NOTIFICATIONS_KEY = ["notifications"] as const;
export const TRAFFIC_KEY = ["stats", "traffic"] as const;

export function useNotifications() {
  const poll = useFallbackPolling();
  return useQuery({
    queryKey: NOTIFICATIONS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/notifications", { params: { query: { limit: 20 } } })),
    refetchInterval: poll,
  });
}

export function useDismissNotification() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST("/api/v1/notifications/{notification_id}/dismiss", {
          params: { path: { notification_id: id } },
        }),
      ),
    onSuccess: (dismissed) =>
      queryClient.setQueryData<NotificationPage>(NOTIFICATIONS_KEY, (page) =>
        page ? { ...page, items: page.items.filter((n) => n.id !== dismissed.id) } : page,
      ),
  });
}

/** Messages and new doctors per day. Live message events ask for it again (coalesced, see
 * `STATS_COALESCE_MS` in realtime/events); without the live connection it polls. */
export function useTraffic(days: number, numberId: number | null) {
  const poll = useFallbackPolling();
  return useQuery({
    queryKey: [...TRAFFIC_KEY, days, numberId],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/stats/traffic", {
          params: { query: { days, number_id: numberId ?? undefined } },
        }),
      ),
    refetchInterval: poll,
    // Switching the period or the number keeps the last chart on screen until the new one comes.
    placeholderData: keepPreviousData,
  });
}
