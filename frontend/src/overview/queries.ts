/** Agent health and the team's notifications, shown on the overview. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type NotificationPage } from "../api/client";
import { useFallbackPolling } from "../realtime/connection";

export const AGENTS_KEY = ["agents"] as const;
export const NOTIFICATIONS_KEY = ["notifications"] as const;

export function useAgents() {
  const poll = useFallbackPolling();
  return useQuery({
    queryKey: AGENTS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/agents")),
    // Error rates and latencies move without an event: refresh them every minute anyway.
    refetchInterval: poll || 60_000,
  });
}

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
